"""Keeping the year's outcomes and channel credits (reports.YearOutcome, reports.ChannelCredit): rebuilt set-based by
the engine run; what they mean is in reports.selectors.outcomes."""

from __future__ import annotations

# ruff: noqa: S608 - the statement is a constant built from model tables and the outcomes' constant SQL; every value
# is a query parameter (bandit B608 reviewed, marked nosec)
import datetime

from django.db import connection, transaction

from informing.selectors.facts import INFORMED_OUTCOMES
from reports.selectors.outcomes import ENTRY_OUTCOMES, FACTS, OUTCOMES, PASSED, counted_on

__all__ = ["OUTCOMES", "refresh_outcomes"]

REFRESH = f"""
DELETE FROM reports_yearoutcome WHERE year = %(year)s;
DELETE FROM reports_channelcredit WHERE year = %(year)s;
DROP TABLE IF EXISTS tmp_outcomes;
CREATE TEMP TABLE tmp_outcomes ON COMMIT DROP AS {ENTRY_OUTCOMES};
INSERT INTO reports_yearoutcome (year, mo_id, smo_id, measure, outcome, persons, counted_on)
SELECT %(year)s, mo_id, smo_id, measure, outcome, COUNT(*), %(on)s FROM tmp_outcomes
GROUP BY mo_id, smo_id, measure, outcome;
INSERT INTO reports_channelcredit (year, mo_id, smo_id, channel, level, persons)
SELECT %(year)s, t.mo_id, t.smo_id, COALESCE(last.channel, ''), COALESCE(last.level, ''), COUNT(*)
FROM tmp_outcomes t
LEFT JOIN LATERAL (
  SELECT f.channel, u.role AS level FROM {FACTS} f LEFT JOIN participants_user u ON u.id = f.agent_id
  WHERE f.person_id = t.person_id AND f.outcome = ANY(%(informed)s) AND f.date <= t.passed_on
    AND f.date >= %(start)s
  ORDER BY f.date DESC, f.id DESC LIMIT 1
) last ON true
WHERE t.outcome = '{PASSED}'
GROUP BY t.mo_id, t.smo_id, COALESCE(last.channel, ''), COALESCE(last.level, '');
"""  # nosec B608 - constant SQL; values are parameters


@transaction.atomic
def refresh_outcomes(year: int, today: datetime.date | None = None) -> None:
    """Rebuild the year's outcomes and channel credits of every list entry of ``year``."""
    params = {
        "year": year,
        "on": counted_on(year, today),
        "start": datetime.date(year, 1, 1),
        "informed": list(INFORMED_OUTCOMES),
    }
    with connection.cursor() as cursor:
        cursor.execute(REFRESH, params)
