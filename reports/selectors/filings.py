"""Reads of the reports organizations file for an obligation (see reports.services.filings): the drafts the portal
writes for them and the date each was filed. Counts and organizations only, never persons."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from omsportal.obligations import Period, obligation
from participants.models import Organization, OrganizationKind
from reports.models import Filing
from screening.models import EntryState, ListEntry, ListKind, ListUpload, UploadStatus
from screening.selectors.passed import passed_entry_filter

# The reports an SMO files on the portal (O6 is filed by the Fund's forwarding to the Ministry).
FILED_BY_SMO = ("O5", "O13", "O17")


def mos_without_lists(year: int) -> list[dict]:
    """The active MOs without an accepted yearly list for ``year`` uploaded by the O2 deadline [R II.2, II.7]."""
    due = obligation("O2").due_on(Period.of_year(year))
    with_lists = ListUpload.objects.filter(
        status=UploadStatus.DONE, kind=ListKind.YEARLY, year=year, created_at__date__lte=due
    ).values("mo_id")
    rows = Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).exclude(pk__in=with_lists)
    return [{"id": mo.pk, "code": mo.code, "name": mo.display_name} for mo in rows.order_by("code")]


def _month(period_key: str) -> tuple[int, int]:
    year, month = period_key.split("-")
    return int(year), int(month)


def monthly_accounting(smo_id: int, period_key: str) -> list[dict]:
    """O13: per MO, the SMO's insured on the lists of the month: passed, not come, due for stage 2, refused."""
    year, month = _month(period_key)
    rows = (
        ListEntry.objects.filter(smo_id=smo_id, year=year, month=month)
        .values("mo__code")
        .annotate(
            listed=Count("id"),
            passed=Count("id", filter=passed_entry_filter()),
            not_come=Count("id", filter=Q(state=EntryState.LISTED)),
            stage2_due=Count("id", filter=Q(state=EntryState.STAGE2_SENT)),
            refused=Count("id", filter=Q(state=EntryState.REFUSED)),
        )
        .order_by("mo__code")
    )
    return [dict(row, mo=row.pop("mo__code")) for row in rows]


def analytic_register(smo_id: int, period_key: str) -> list[dict]:
    """O17: the SMO's insured of the month's lists by health group: passed per group, and not passed."""
    year, month = _month(period_key)
    rows = (
        ListEntry.objects.filter(smo_id=smo_id, year=year, month__lte=month)
        .values("health_group")
        .annotate(listed=Count("id"), passed=Count("id", filter=passed_entry_filter()))
        .order_by("health_group")
    )
    return [{"group": row["health_group"] or "—", "listed": row["listed"], "passed": row["passed"]} for row in rows]


def draft(code: str, organization: Organization, period_key: str) -> dict:
    """The content the portal drafts for the report ``code`` of ``organization`` for ``period_key``."""
    if code == "O5":
        return {"mos": mos_without_lists(int(period_key))}
    if code == "O13":
        return {"rows": monthly_accounting(organization.pk, period_key)}
    if code == "O17":
        return {"rows": analytic_register(organization.pk, period_key)}
    if code == "O6":
        from reports.models import NonCompliance, ReviewStatus

        forwarded = NonCompliance.objects.filter(period_year=int(period_key[:4]), status=ReviewStatus.FORWARDED)
        return {"forwarded": forwarded.count()}
    raise ValueError(f"{code} is not a report filed on the portal")


def filed_on(code: str, organization_id: int, period_key: str) -> datetime.date | None:
    filed = (
        Filing.objects.filter(code=code, organization_id=organization_id, period_key=period_key, filed_at__isnull=False)
        .values_list("filed_at", flat=True)
        .first()
    )
    return timezone.localdate(filed) if filed else None
