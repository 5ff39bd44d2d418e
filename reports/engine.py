"""The obligations engine: for every obligation of the registry, every organization that owes it and every period,
the state as of a day, written as history [domain §3; R II.7, II.8, II.13, II.15].

It evaluates whatever omsportal.obligations holds (each app declares its own); codes of domain §3 nobody declares
yet are shown as "no data" by the readers (reports.selectors), never as met. One run:

1. :func:`evaluate` — the states as of ``as_of`` (the evidence is counted only when dated on or before it; the
   informing judges get the day itself through informing.obligations.one_run and read only facts posted by then;
   a judge's met date may carry ``late_days``, its evidence's own lateness);
2. :func:`record` — the history rows: a state that did not change leaves its row alone (a rerun changes nothing),
   a changed one closes the open row on ``as_of`` and opens a new one; rows of a later day are never rewritten;
3. overdue states become non-compliance records (reports.services.noncompliance), met-late ones update theirs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from omsportal.obligations import DAY, MONTH, PROTOCOL, QUARTER, YEAR, Obligation, Period, obligations
from omsportal.regional import RegionalRules, regional_rules
from omsportal.workdays import WorkCalendar, corrections_read_once, working_days_between
from participants.models import Organization, OrganizationKind
from reports.models import ObligationState, State

# States that no later evidence changes: the engine does not evaluate them again.
FINAL_STATES = (State.MET, State.MET_LATE, State.NOT_APPLICABLE)
DAYS_WATCHED = 92  # a daily obligation's period is judged at least this many days after it


def period_key(period: Period) -> str:
    if period.kind == YEAR:
        return str(period.year)
    if period.kind == QUARTER:
        return f"{period.year}-Q{period.number}"
    if period.kind == MONTH:
        return f"{period.year}-{period.number:02d}"
    return period.day.isoformat()


def period_from_key(kind: str, key: str) -> Period:
    if kind == YEAR:
        return Period.of_year(int(key))
    if kind == QUARTER:
        year, quarter = key.split("-Q")
        return Period.of_quarter(int(year), int(quarter))
    if kind == MONTH:
        year, month = key.split("-")
        return Period.of_month(int(year), int(month))
    day = datetime.date.fromisoformat(key)
    return Period.protocol(day) if kind == PROTOCOL else Period.of_day(day)


def _opens_on(period: Period) -> datetime.date:
    """From when a period is tracked ("not due yet" before its deadline): lists for a year are prepared the year
    before it, a quarter's update in the quarter before, a month's and a day's work in it."""
    if period.kind == YEAR:
        return datetime.date(period.year - 1, 1, 1)
    if period.kind == QUARTER:
        start = period.quarter_start
        return datetime.date(start.year - 1, 10, 1) if start.month == 1 else start.replace(month=start.month - 3)
    if period.kind == MONTH:
        return datetime.date(period.year, period.number, 1)
    return period.day


def candidate_periods(kind: str, as_of: datetime.date) -> list[Period]:
    """The periods of ``kind`` tracked on ``as_of``: opened by then, of this year, the year before or the next.

    PROTOCOL periods are the days of the uploads themselves (see :func:`protocol_days`).
    """
    year = as_of.year
    if kind == YEAR:
        periods = [Period.of_year(y) for y in (year - 1, year, year + 1)]
    elif kind == QUARTER:
        periods = [Period.of_quarter(y, q) for y in (year - 1, year, year + 1) for q in range(1, 5)]
    elif kind == MONTH:
        periods = [Period.of_month(y, m) for y in (year - 1, year) for m in range(1, 13)]
    elif kind == DAY:
        # A day stays under watch for a quarter at least: in January the last days of December are still judged
        # (their events may come in a later batch: met late), later in the year every day of the year.
        start = min(datetime.date(year, 1, 1), as_of - datetime.timedelta(days=DAYS_WATCHED))
        calendar = WorkCalendar(start, as_of)
        days = (start + datetime.timedelta(days=n) for n in range((as_of - start).days + 1))
        periods = [Period.of_day(day) for day in days if calendar.is_working_day(day)]
    else:
        return []
    return [period for period in periods if _opens_on(period) <= as_of]


def protocol_days(as_of: datetime.date) -> dict[int, list[datetime.date]]:
    """MO id -> the local days of this and last year on which it uploaded a list that got a protocol."""
    from django.db.models.functions import TruncDate

    from screening.models import ListUpload

    rows = (
        ListUpload.objects.filter(
            protocol_issued_at__isnull=False, created_at__date__gte=datetime.date(as_of.year - 1, 1, 1)
        )
        .filter(created_at__date__lte=as_of)
        .annotate(day=TruncDate("created_at"))
        .order_by()  # not the model's ordering: DISTINCT must be over (MO, day) alone
        .values_list("mo_id", "day")
        .distinct()
    )
    days: dict[int, set[datetime.date]] = {}
    for mo_id, day in rows:
        days.setdefault(mo_id, set()).add(day)
    return {mo_id: sorted(found) for mo_id, found in days.items()}


@dataclass
class Result:
    """The state of one obligation of one organization for one period, as of a day."""

    code: str
    organization_id: int
    period: Period
    due_on: datetime.date
    state: str
    met_on: datetime.date | None = None
    late_days: int | None = None
    evidence: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, str]:
        return self.code, self.organization_id, period_key(self.period)


def judge(
    obligation: Obligation, organization_id: int, debtor_arg: int | None, period: Period, as_of: datetime.date,
    rules: RegionalRules,
) -> Result:  # fmt: skip
    """The state of ``obligation`` for one organization and period as of ``as_of`` [domain §3, "Counting"]."""
    due = obligation.due_on(period, rules)
    result = Result(obligation.code, organization_id, period, due, State.NO_DATA)
    result.evidence = {"text": str(obligation.evidence), "due": due.isoformat()}
    if obligation.met is None:
        return result
    if not obligation.applies_to(debtor_arg, period):
        result.state = State.NOT_APPLICABLE
        return result
    met = obligation.met_on(debtor_arg, period)
    if met is not None and met > as_of:
        met = None  # not yet evidence on that day
    if met is not None:
        # A judge may say its evidence was itself late (``late_days``: each item against its own deadline).
        own_late = getattr(met, "late_days", 0) or 0
        met = datetime.date(met.year, met.month, met.day)
        result.met_on = met
        result.evidence["met"] = met.isoformat()
        if met <= due and not own_late:
            result.state = State.MET
        else:
            result.state, result.late_days = State.MET_LATE, max(working_days_between(due, met), own_late)
    elif as_of <= due:
        result.state = State.NOT_DUE
    else:
        result.state, result.late_days = State.OVERDUE, working_days_between(due, as_of)
    return result


def debtors(kind: str) -> list[Organization]:
    return list(Organization.objects.filter(kind=kind, is_active=True).order_by("code"))


def evaluate(
    as_of: datetime.date, *, codes: list[str] | None = None, skip: set[tuple[str, int, str]] | None = None
) -> list[Result]:
    """Every state as of ``as_of`` (of ``codes``, else every declared obligation), except the keys in ``skip``."""
    from informing.obligations import one_run as informing_run  # the informing judges' reads shared by the run

    with informing_run(as_of), corrections_read_once():  # thousands of deadlines: the calendar corrections read once
        return _evaluate(as_of, codes, skip or set())


def _evaluate(as_of: datetime.date, codes: list[str] | None, skip: set[tuple[str, int, str]]) -> list[Result]:
    rules = regional_rules()
    results: list[Result] = []
    organizations = {kind: debtors(kind) for kind in OrganizationKind.values}
    uploads_by_day = None
    for obligation in obligations():
        if codes and obligation.code not in codes:
            continue
        if obligation.period == PROTOCOL:
            # Owed per upload: the MO whose list it is stands for the period, whoever owes it (O3 is the Fund's).
            uploads_by_day = uploads_by_day if uploads_by_day is not None else protocol_days(as_of)
            pairs = [
                (mo.pk, mo.pk, Period.protocol(day))
                for mo in organizations[OrganizationKind.MO]
                for day in sorted(uploads_by_day.get(mo.pk, ()))
            ]
        else:
            single = obligation.debtor in (OrganizationKind.FUND, OrganizationKind.MINISTRY)
            periods = candidate_periods(obligation.period, as_of)
            pairs = [
                (org.pk, None if single else org.pk, period)
                for org in organizations[obligation.debtor]
                for period in periods
            ]
        for organization_id, debtor_arg, period in pairs:
            if (obligation.code, organization_id, period_key(period)) in skip:
                continue
            results.append(judge(obligation, organization_id, debtor_arg, period, as_of, rules))
    return results


def _same(row: ObligationState, result: Result) -> bool:
    return (row.state, row.met_on, row.late_days, row.due_on) == (
        result.state,
        result.met_on,
        result.late_days,
        result.due_on,
    )


def final_keys(as_of: datetime.date, codes: list[str] | None = None) -> set[tuple[str, int, str]]:
    """Keys whose open state is final and began on or before ``as_of``: no later evidence changes them."""
    rows = ObligationState.objects.filter(valid_to__isnull=True, state__in=FINAL_STATES, valid_from__lte=as_of)
    if codes:
        rows = rows.filter(code__in=codes)
    return set(rows.values_list("code", "organization_id", "period_key"))


@transaction.atomic
def record(as_of: datetime.date, results: list[Result]) -> list[tuple[Result, ObligationState | None]]:
    """Write ``results`` as the history valid from ``as_of``; returns (result, the row it replaced) of changes.

    A result equal to the open row changes nothing. An open row that began on ``as_of`` itself is updated in place
    (a second run of the same day after new evidence); one that began earlier is closed on ``as_of``. An open row
    that begins after ``as_of`` (history already written for a later day) is left as it is.
    """
    codes = sorted({result.code for result in results})
    open_rows = {
        (row.code, row.organization_id, row.period_key): row
        for row in ObligationState.objects.filter(valid_to__isnull=True, code__in=codes)
    }
    to_create, to_close, to_update, changes = [], [], [], []
    for result in results:
        row = open_rows.get(result.key)
        if row is not None and (row.valid_from > as_of or _same(row, result)):
            continue
        changes.append((result, row))
        if row is not None and row.valid_from == as_of:
            row.state, row.met_on, row.late_days = result.state, result.met_on, result.late_days
            row.due_on, row.evidence = result.due_on, result.evidence
            to_update.append(row)
            continue
        if row is not None:
            row.valid_to = as_of
            to_close.append(row)
        to_create.append(
            ObligationState(
                code=result.code,
                organization_id=result.organization_id,
                period_kind=result.period.kind,
                period_key=period_key(result.period),
                period_year=result.period.year,
                due_on=result.due_on,
                state=result.state,
                met_on=result.met_on,
                late_days=result.late_days,
                evidence=result.evidence,
                valid_from=as_of,
            )
        )
    ObligationState.objects.bulk_update(to_close, ["valid_to"], batch_size=2000)
    ObligationState.objects.bulk_update(
        to_update, ["state", "met_on", "late_days", "due_on", "evidence"], batch_size=2000
    )
    ObligationState.objects.bulk_create(to_create, batch_size=2000)
    return changes


def states_as_of(day: datetime.date):
    """The history rows valid on ``day``."""
    return ObligationState.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day)


def run(as_of: datetime.date, *, codes: list[str] | None = None) -> dict:
    """Evaluate, record and file the non-compliance of one day; returns the counts of the run."""
    with corrections_read_once():
        return _run(as_of, codes)


def _run(as_of: datetime.date, codes: list[str] | None) -> dict:
    from reports.services.noncompliance import sync_noncompliance

    results = evaluate(as_of, codes=codes, skip=final_keys(as_of, codes))
    with transaction.atomic():
        changes = record(as_of, results)
        created = sync_noncompliance(as_of, [result for result, _row in changes])
    return {"evaluated": len(results), "changed": len(changes), "noncompliance_created": created}
