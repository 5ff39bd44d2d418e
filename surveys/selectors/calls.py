"""Reads of quotas, call lists and the operators' progress, always given the user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from omsportal.scoping import get_for_user, restrict
from participants.models import Organization, Role, User
from surveys.models import CallAttempt, CallItem, CallList, CallOutcome, ItemState, Stratum, SurveyResponse
from surveys.quotas import QuotaRow, quota_rows


@dataclass
class MOQuota:
    """One MO's line of the level-2 page: the quota's two parts, the persons in call lists, the surveys done."""

    mo_id: int
    smo_id: int | None
    mo: Organization | None = None
    smo: Organization | None = None
    passed: int = 0
    informed_not_passed: int = 0
    quota_passed: int = 0
    quota_informed: int = 0
    listed: dict[str, int] = field(default_factory=dict)
    surveyed: dict[str, int] = field(default_factory=dict)

    @property
    def quota(self) -> int:
        return self.quota_passed + self.quota_informed

    @property
    def surveyed_passed(self) -> int:
        return self.surveyed.get(Stratum.PASSED, 0)

    @property
    def surveyed_informed(self) -> int:
        return self.surveyed.get(Stratum.INFORMED_NOT_PASSED, 0)

    @property
    def listed_total(self) -> int:
        return sum(self.listed.values())

    @property
    def met(self) -> bool:
        return self.surveyed_passed >= self.quota_passed and self.surveyed_informed >= self.quota_informed


def _persons_per_line(queryset, smo_id: int | None):
    """Distinct persons per (MO, SMO, part of the quota) of ``queryset`` (of the SMO, if given)."""
    if smo_id:
        queryset = queryset.filter(smo_id=smo_id)
    return queryset.values("mo_id", "smo_id", "stratum").annotate(n=Count("person_id", distinct=True)).order_by()


def quota_overview(user: User, year: int, quarter: int, *, smo_id: int | None = None) -> list[MOQuota]:
    """Per MO (and SMO, for the Fund) the quarter's quota, persons on quota lists and surveys completed. The SMO's
    level 2 sees its own SMO's lines; the Fund every SMO's (or one, ``smo_id``); nobody else any."""
    if user.role == Role.FUND:
        smo = smo_id
    elif user.role == Role.SMO_L2 and user.organization_id:
        smo = user.organization_id
    else:
        return []
    return quota_lines(year, quarter, smo_id=smo)


QUOTA_STRATA = (Stratum.PASSED, Stratum.INFORMED_NOT_PASSED)


def listed_per_line(year: int, quarter: int, smo_id: int | None = None):
    """Distinct persons on the quarter's call lists (the quota sample and its re-calls) per (MO, SMO, part of the
    quota)."""
    items = CallItem.objects.filter(call_list__year=year, call_list__quarter=quarter, stratum__in=QUOTA_STRATA)
    return _persons_per_line(items, smo_id)


def surveyed_per_line(year: int, quarter: int, smo_id: int | None = None):
    """Distinct persons surveyed in the quarter per (MO, SMO, part of the quota), from any list (the quota sample,
    the re-call of the not reached): the survey completed is what the quota counts."""
    responses = SurveyResponse.objects.filter(year=year, quarter=quarter, stratum__in=QUOTA_STRATA)
    return _persons_per_line(responses, smo_id)


def quota_lines(year: int, quarter: int, *, smo_id: int | None = None) -> list[MOQuota]:
    """Every (MO, SMO) line of the quarter (of one SMO, if given), unscoped: quota_overview restricts it to the
    user; the Fund's dashboard aggregate (reports.QuotaFigures) keeps it for the region."""
    smo = smo_id
    rows: list[QuotaRow] = quota_rows(year, quarter, smo_id=smo)
    listed = listed_per_line(year, quarter, smo)
    surveyed = surveyed_per_line(year, quarter, smo)
    lines: dict[tuple[int, int], MOQuota] = {}

    def line(mo_id, smo_id_) -> MOQuota | None:
        if mo_id is None:
            return None
        key = (mo_id, smo_id_)
        if key not in lines:
            lines[key] = MOQuota(mo_id=mo_id, smo_id=smo_id_)
        return lines[key]

    for row in rows:
        entry = line(row.mo_id, row.smo_id)
        entry.passed, entry.informed_not_passed = row.passed, row.informed_not_passed
        entry.quota_passed, entry.quota_informed = row.quota_passed, row.quota_informed
    for row in listed:
        entry = line(row["mo_id"], row["smo_id"])
        if entry:
            entry.listed[row["stratum"]] = row["n"]
    for row in surveyed:
        entry = line(row["mo_id"], row["smo_id"])
        if entry:
            entry.surveyed[row["stratum"]] = row["n"]
    orgs = Organization.objects.in_bulk({mo_id for mo_id, _smo in lines} | {s for _m, s in lines if s})
    for entry in lines.values():
        entry.mo, entry.smo = orgs.get(entry.mo_id), orgs.get(entry.smo_id)
    return sorted(lines.values(), key=lambda e: (e.mo.code if e.mo else "", e.smo_id or 0))


def call_lists_for_user(user: User) -> QuerySet[CallList]:
    return restrict(CallList.objects.select_related("mo", "smo", "version__questionnaire"), user).order_by(
        "-created_at"
    )


def call_list_for_user(user: User, pk: int) -> CallList:
    return get_for_user(CallList.objects.select_related("mo", "smo", "version__questionnaire"), user, pk=pk)


def call_list_counts(call_list: CallList) -> dict:
    """Items by state and outcome, for the list's page."""
    by_state = dict(call_list.items.values_list("state").annotate(n=Count("id")).order_by())
    by_outcome = dict(
        call_list.items.exclude(outcome="").values_list("outcome").annotate(n=Count("id")).order_by()
    )
    return {
        "states": [(label, by_state.get(value, 0)) for value, label in ItemState.choices],
        "outcomes": [(label, by_outcome[value]) for value, label in CallOutcome.choices if by_outcome.get(value)],
        "surveys": SurveyResponse.objects.filter(item__call_list=call_list).count(),
    }


@dataclass
class OperatorLine:
    operator: User
    calls: int = 0
    reached: int = 0
    surveys: int = 0
    holding: int = 0
    last_at: datetime.datetime | None = None


def operator_progress(user: User, *, day: datetime.date | None = None) -> dict:
    """The live page of level 2: per operator of the SMO today — calls, reached, surveys, the item held; the
    SMO's open lists with their items waiting, held and closed."""
    if user.role != Role.SMO_L2 or not user.organization_id:
        return {"operators": [], "lists": []}
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    operators = {
        op.pk: OperatorLine(operator=op)
        for op in User.objects.filter(organization_id=user.organization_id, role=Role.SMO_L1, is_active=True)
    }
    attempts = (
        CallAttempt.objects.filter(
            item__smo_id=user.organization_id, at__gte=start, at__lt=start + datetime.timedelta(days=1)
        )
        .values("operator_id")
        .annotate(
            calls=Count("id"),
            reached=Count("id", filter=Q(outcome=CallOutcome.REACHED)),
            last=Max("at"),
        )
        .order_by()
    )
    for row in attempts:
        line = operators.get(row["operator_id"])
        if line:
            line.calls, line.reached, line.last_at = row["calls"], row["reached"], row["last"]
    for row in (
        SurveyResponse.objects.filter(smo_id=user.organization_id, completed_at__gte=start)
        .values("operator_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if row["operator_id"] in operators:
            operators[row["operator_id"]].surveys = row["n"]
    for row in (
        CallItem.objects.filter(smo_id=user.organization_id, state=ItemState.CLAIMED, due_at__gt=timezone.now())
        .values("claimed_by_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if row["claimed_by_id"] in operators:
            operators[row["claimed_by_id"]].holding = row["n"]
    lists = (
        CallList.objects.filter(smo_id=user.organization_id, is_open=True)
        .select_related("mo")
        .annotate(
            waiting=Count("items", filter=Q(items__state=ItemState.READY)),
            held=Count("items", filter=Q(items__state=ItemState.CLAIMED)),
            closed=Count("items", filter=Q(items__state=ItemState.DONE)),
        )
        .order_by("-created_at")
    )
    return {
        "operators": sorted(operators.values(), key=lambda line: line.operator.username),
        "lists": list(lists),
        "at": timezone.now(),
    }
