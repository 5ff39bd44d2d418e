"""The dashboard's aggregate of the survey quotas (reports.QuotaFigures) [R II.14, domain §3 O14, §8].

Rebuilt for a year by the engine's runs (nightly and after the jobs that change passings, informing facts or call
lists) from the surveys app's own reads — surveys.selectors.calls.quota_lines: the quota of
surveys.quotas.quota_rows, the persons on the quota call lists and the surveys completed — for every quarter begun
by the run's day; a completed survey brings its own line's count up to date once its transaction commits.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from reports.models import QuotaFigures
from surveys.models import Stratum
from surveys.quotas import quarter_of


def quarters_begun(year: int, day: datetime.date) -> range:
    """The quarters of ``year`` begun by ``day``: all four for a past year, none for a future one."""
    if year < day.year:
        return range(1, 5)
    if year > day.year:
        return range(1, 1)
    return range(1, quarter_of(day)[1] + 1)


@transaction.atomic
def refresh_quotas(year: int, day: datetime.date) -> int:
    """Rebuild the quota figures of ``year`` as of ``day``; returns the lines written."""
    from surveys.selectors.calls import quota_lines

    rows = [
        QuotaFigures(
            year=year,
            quarter=quarter,
            mo_id=line.mo_id,
            smo_id=line.smo_id,
            quota_passed=line.quota_passed,
            quota_informed=line.quota_informed,
            listed=line.listed_total,
            surveyed_passed=line.surveyed_passed,
            surveyed_informed=line.surveyed_informed,
        )
        for quarter in quarters_begun(year, day)
        for line in quota_lines(year, quarter)
    ]
    QuotaFigures.objects.filter(year=year).delete()
    QuotaFigures.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def refresh_surveyed(year: int, quarter: int, mo_id: int | None, smo_id: int) -> None:
    """The surveys completed of one line (MO, SMO, quarter), counted again: after a survey is saved."""
    from surveys.selectors.calls import listed_per_line, surveyed_per_line

    if mo_id is None:
        return
    done = {row["stratum"]: row["n"] for row in surveyed_per_line(year, quarter, smo_id).filter(mo_id=mo_id)}
    surveyed = {
        "surveyed_passed": done.get(Stratum.PASSED, 0),
        "surveyed_informed": done.get(Stratum.INFORMED_NOT_PASSED, 0),
    }
    line = QuotaFigures.objects.filter(year=year, quarter=quarter, mo_id=mo_id, smo_id=smo_id)
    if not line.update(**surveyed):
        listed = sum(row["n"] for row in listed_per_line(year, quarter, smo_id).filter(mo_id=mo_id))
        QuotaFigures.objects.create(year=year, quarter=quarter, mo_id=mo_id, smo_id=smo_id, listed=listed, **surveyed)


def after_survey_saved(sender, instance, created: bool, **_kwargs) -> None:
    """post_save of surveys.SurveyResponse: the line's count follows once the survey's transaction commits."""
    if created:
        args = (instance.year, instance.quarter, instance.mo_id, instance.smo_id)
        transaction.on_commit(lambda: refresh_surveyed(*args))
