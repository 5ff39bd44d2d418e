"""Reads of the Fund's dashboard and the Ministry's coverage: sums of reports.MonthlyFigures (kept by the jobs that
change them), never the raw tables at page time [domain §8; R II.8, II.13]."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from omsportal.scoping import restrict
from participants.models import Organization, OrganizationKind
from reports.models import (
    ChannelCredit,
    MonthlyFigures,
    NonCompliance,
    QuotaFigures,
    ReviewStatus,
    State,
    YearOutcome,
)
from reports.selectors.states import state_counts

FUNNEL = (
    ("plan", _("план")),
    ("listed", _("в списках")),
    ("identified", _("идентифицировано")),
    ("informed", _("проинформировано")),
    ("started", _("начали")),
    ("stage1_done", _("завершили 1 этап")),
    ("stage2_due", _("направлены на 2 этап")),
    ("stage2_done", _("завершили 2 этап")),
    ("passed", _("прошли")),
)
FIELDS = (*(name for name, _label in FUNNEL), "informed_on_time")


@dataclass(frozen=True)
class Filters:
    year: int
    month_from: int = 1
    month_to: int = 12
    measure: str = ""
    mo_id: int | None = None
    smo_id: int | None = None

    def queryset(self):
        rows = MonthlyFigures.objects.filter(year=self.year, month__gte=self.month_from, month__lte=self.month_to)
        if self.measure:
            rows = rows.filter(measure=self.measure)
        if self.mo_id:
            rows = rows.filter(mo_id=self.mo_id)
        if self.smo_id:
            rows = rows.filter(smo_id=self.smo_id)
        return rows


def _sums(rows) -> dict:
    return {name: total or 0 for name, total in rows.aggregate(**{f: Sum(f) for f in FIELDS}).items()}


def totals(filters: Filters) -> dict:
    return _sums(filters.queryset())


def by_month(filters: Filters) -> list[dict]:
    rows = filters.queryset().values("month").annotate(**{f: Sum(f) for f in FIELDS}).order_by("month")
    found = {row["month"]: row for row in rows}
    months = range(filters.month_from, filters.month_to + 1)
    return [found.get(m, {"month": m, **dict.fromkeys(FIELDS, 0)}) for m in months]


def by_organization(filters: Filters, by: str, day: datetime.date) -> list[dict]:
    """One row per MO (``by="mo"``) or SMO: the funnel and the obligations met / late / overdue as of ``day``."""
    field = "mo_id" if by == "mo" else "smo_id"
    kind = OrganizationKind.MO if by == "mo" else OrganizationKind.SMO
    sums = {
        row[field]: row
        for row in filters.queryset().values(field).annotate(**{f: Sum(f) for f in FIELDS})
        if row[field] is not None
    }
    organizations = Organization.objects.filter(kind=kind, is_active=True).order_by("code")
    if by == "mo" and filters.mo_id:
        organizations = organizations.filter(pk=filters.mo_id)
    if by == "smo" and filters.smo_id:
        organizations = organizations.filter(pk=filters.smo_id)
    organizations = list(organizations)
    states = state_counts(day, [org.pk for org in organizations])
    result = []
    for org in organizations:
        row = {"id": org.pk, "code": org.code, "name": org.display_name, **dict.fromkeys(FIELDS, 0)}
        row.update({k: v or 0 for k, v in sums.get(org.pk, {}).items() if k in FIELDS})
        row["met"] = states.get((org.pk, State.MET), 0)
        row["late"] = states.get((org.pk, State.MET_LATE), 0)
        row["overdue"] = states.get((org.pk, State.OVERDUE), 0)
        result.append(row)
    return result


def coverage(year: int) -> list[dict]:
    """Per MO: plan and passed for each month of ``year`` and for the year [R II.1, II.15]."""
    rows = (
        MonthlyFigures.objects.filter(year=year)
        .values("mo_id", "month")
        .annotate(plan=Sum("plan"), passed=Sum("passed"))
    )
    cells: dict[int, dict[int, tuple[int, int]]] = {}
    for row in rows:
        cells.setdefault(row["mo_id"], {})[row["month"]] = (row["plan"] or 0, row["passed"] or 0)
    result = []
    for mo in Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).order_by("code"):
        months = [cells.get(mo.pk, {}).get(m, (0, 0)) for m in range(1, 13)]
        plan, passed = sum(p for p, _d in months), sum(d for _p, d in months)
        result.append(
            {
                "code": mo.code,
                "name": mo.display_name,
                "months": months,
                "plan": plan,
                "passed": passed,
                "percent": round(100 * passed / plan, 1) if plan else None,
            }
        )
    return result


# --- the year's outcomes of the listed persons (reports.services.outcomes keeps them) ------------------------------

OUTCOME_LABELS = (
    ("PASSED", _("прошли")),
    ("STAGE2_PENDING", _("ждут 2 этапа")),
    ("INFORMED_NO_SHOW", _("проинформированы, не пришли")),
    ("NEVER_INFORMED", _("не проинформированы")),
    ("REFUSED", _("отказались")),
    ("OPTED_OUT", _("отказались от информирования")),
    ("MOVED", _("выбыли (регион, СМО)")),
    ("DIED", _("умерли")),
)


def _outcome_rows(model, filters: Filters):
    """The rows of an outcomes aggregate (reports.YearOutcome, ChannelCredit) of the filters' year, months (the
    entry's month), measure, MO and SMO."""
    rows = model.objects.filter(year=filters.year, month__gte=filters.month_from, month__lte=filters.month_to)
    if filters.measure:
        rows = rows.filter(measure=filters.measure)
    if filters.mo_id:
        rows = rows.filter(mo_id=filters.mo_id)
    if filters.smo_id:
        rows = rows.filter(smo_id=filters.smo_id)
    return rows


def outcomes_by_organization(filters: Filters, by: str) -> list[dict]:
    """Per MO or SMO (of the filters): persons of the year's lists by outcome, and the total (each person counted
    once); ``not_invited``: of them, those not invited by their invitation deadline (O9)."""
    field = "mo_id" if by == "mo" else "smo_id"
    kind = OrganizationKind.MO if by == "mo" else OrganizationKind.SMO
    counts: dict[int, dict[str, int]] = {}
    late: dict[int, int] = {}
    rows = _outcome_rows(YearOutcome, filters).values(field, "outcome")
    for row in rows.annotate(n=Sum("persons"), late=Sum("not_invited_by_deadline")).order_by():
        counts.setdefault(row[field], {})[row["outcome"]] = row["n"]
        late[row[field]] = late.get(row[field], 0) + (row["late"] or 0)
    organizations = Organization.objects.filter(kind=kind, is_active=True).order_by("code")
    chosen = filters.mo_id if by == "mo" else filters.smo_id
    if chosen:
        organizations = organizations.filter(pk=chosen)
    result = []
    for org in organizations:
        mine = counts.get(org.pk, {})
        result.append({"id": org.pk, "code": org.code, "name": org.display_name, "total": sum(mine.values()),
                       "not_invited": late.get(org.pk, 0),
                       **{code: mine.get(code, 0) for code, _label in OUTCOME_LABELS}})  # fmt: skip
    return result


def channel_credits(filters: Filters) -> list[dict]:
    """Completions (of the filters' year, months, MO and SMO) per SMO, channel and representative level that
    informed last before them."""
    rows = (
        _outcome_rows(ChannelCredit, filters)
        .values("smo__code", "channel", "level")
        .annotate(n=Sum("persons"))
        .order_by("smo__code", "-n")
    )
    return [
        {"smo": r["smo__code"] or "—", "channel": r["channel"], "level": r["level"], "persons": r["n"]} for r in rows
    ]


# --- the survey quotas (O14) per MO and quarter (reports.services.quotas keeps them) ---------------------------------


def quarters_of(filters: Filters) -> range:
    """The quarters the filters' months fall in."""
    return range((filters.month_from - 1) // 3 + 1, (filters.month_to - 1) // 3 + 2)


def quotas_by_mo(filters: Filters) -> list[dict]:
    """Per MO and quarter (of the filters' months, begun): the survey quota (its passed and informed parts), the
    persons on the quota call lists and the surveys completed, summed over the SMOs (or of the filters' SMO);
    ``met``: every SMO's line has its surveys of both parts at least at the quota."""
    rows = QuotaFigures.objects.filter(year=filters.year, quarter__in=quarters_of(filters))
    if filters.mo_id:
        rows = rows.filter(mo_id=filters.mo_id)
    if filters.smo_id:
        rows = rows.filter(smo_id=filters.smo_id)
    short = Q(surveyed_passed__lt=F("quota_passed")) | Q(surveyed_informed__lt=F("quota_informed"))
    sums = {
        (row["mo_id"], row["quarter"]): row
        for row in rows.values("mo_id", "quarter").annotate(
            quota_passed_=Sum("quota_passed"), quota_informed_=Sum("quota_informed"), listed_=Sum("listed"),
            surveyed_=Sum(F("surveyed_passed") + F("surveyed_informed")), short=Count("id", filter=short),
        ).order_by()
    }  # fmt: skip
    quarters = sorted({quarter for _mo, quarter in sums})
    organizations = Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).order_by("code")
    if filters.mo_id:
        organizations = organizations.filter(pk=filters.mo_id)
    result = []
    for org in organizations:
        for quarter in quarters:
            row = sums.get((org.pk, quarter), {})
            quota_passed, quota_informed = row.get("quota_passed_", 0), row.get("quota_informed_", 0)
            result.append({
                "id": org.pk, "code": org.code, "name": org.display_name, "quarter": quarter,
                "quota": quota_passed + quota_informed, "quota_passed": quota_passed, "quota_informed": quota_informed,
                "listed": row.get("listed_", 0), "surveyed": row.get("surveyed_", 0), "met": not row.get("short", 0),
            })  # fmt: skip
    return result


# --- what the dashboard's filters and the Ministry's report read -----------------------------------------------------


def organization(pk: int | None) -> Organization | None:
    return Organization.objects.filter(pk=pk).first() if pk else None


def active_organizations(kind: str):
    """The active MOs or SMOs by code (the filters' choices)."""
    return Organization.objects.filter(kind=kind, is_active=True).order_by("code")


def ministry_noncompliance(user, year: int):
    """The confirmed and forwarded non-compliance records of ``year`` the user may see, by organization and code."""
    records = NonCompliance.objects.select_related("organization").filter(
        period_year=year, status__in=(ReviewStatus.CONFIRMED, ReviewStatus.FORWARDED)
    )
    return restrict(records, user).order_by("organization__kind", "organization__code", "code", "period_key")
