"""Non-compliance records: opened by the engine for an overdue obligation, reviewed by the Fund (confirm, dismiss
with a reason) and forwarded, when confirmed, to the Ministry [R II.8, II.15]."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.obligations import obligation
from participants.models import Organization, OrganizationKind
from reports.engine import Result, period_key
from reports.evidence import collect, one_run
from reports.models import Filing, NonCompliance, ReviewStatus, State


def sync_noncompliance(as_of: datetime.date, results: list[Result]) -> int:
    """Open a record for each state newly overdue or met late (a deadline missed is a record whether a run saw the
    obligation overdue first or only once it was met late: the record does not depend on when the runs happened); a
    later met-late state writes when it was met. Returns how many records were opened."""
    late = [result for result in results if result.state in (State.MET_LATE, State.OVERDUE)]
    existing = {
        (row.code, row.organization_id, row.period_key): row
        for row in NonCompliance.objects.filter(
            code__in={result.code for result in late}, organization_id__in={result.organization_id for result in late}
        )
    }
    kinds = dict(Organization.objects.filter(pk__in={r.organization_id for r in late}).values_list("pk", "kind"))
    new, changed = [], []
    with one_run():  # the counts many records share are read once
        for result in late:
            row = existing.get(result.key)
            if row is not None:
                row.late_days, row.met_on = result.late_days or 0, result.met_on
                changed.append(row)
                continue
            ob = obligation(result.code)
            new.append(
                NonCompliance(
                    code=result.code,
                    clause=ob.clause,
                    organization_id=result.organization_id,
                    period_kind=result.period.kind,
                    period_key=period_key(result.period),
                    period_year=result.period.year,
                    due_on=result.due_on,
                    detected_on=as_of,
                    late_days=result.late_days or 0,
                    met_on=result.met_on,
                    evidence=collect(result.code, result.organization_id, kinds[result.organization_id], result.period,
                                     result.evidence),
                )
            )  # fmt: skip
    NonCompliance.objects.bulk_update(changed, ["late_days", "met_on"], batch_size=2000)
    NonCompliance.objects.bulk_create(new, batch_size=2000)
    return len(new)


def _reviewable(record: NonCompliance) -> None:
    if record.status not in (ReviewStatus.NEW, ReviewStatus.CONFIRMED, ReviewStatus.DISMISSED):
        raise ValidationError(_("Нарушение уже направлено в министерство и не пересматривается."))


@transaction.atomic
def confirm(*, user, record: NonCompliance, reason: str = "") -> NonCompliance:
    _reviewable(record)
    record.status, record.reason = ReviewStatus.CONFIRMED, reason.strip()
    record.reviewed_by, record.reviewed_at = user, timezone.now()
    record.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    return record


@transaction.atomic
def dismiss(*, user, record: NonCompliance, reason: str) -> NonCompliance:
    _reviewable(record)
    if not reason.strip():
        raise ValidationError({"reason": _("Укажите основание: почему нарушение отклонено.")})
    record.status, record.reason = ReviewStatus.DISMISSED, reason.strip()
    record.reviewed_by, record.reviewed_at = user, timezone.now()
    record.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    return record


@transaction.atomic
def forward_confirmed(*, user, year: int) -> int:
    """Forward every confirmed record of ``year`` to the Ministry; files the Fund's O6 report. Returns how many."""
    now = timezone.now()
    count = NonCompliance.objects.filter(status=ReviewStatus.CONFIRMED, period_year=year).update(
        status=ReviewStatus.FORWARDED, forwarded_by=user, forwarded_at=now
    )
    fund = user.organization or Organization.objects.filter(kind=OrganizationKind.FUND).first()
    filing, _created = Filing.objects.get_or_create(code="O6", organization=fund, period_key=str(year))
    forwarded = NonCompliance.objects.filter(period_year=year, status=ReviewStatus.FORWARDED)
    filing.content = {"forwarded": forwarded.count()}
    if filing.filed_at is None:
        filing.filed_at, filing.filed_by = now, user
    filing.save()
    return count
