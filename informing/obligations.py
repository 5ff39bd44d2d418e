"""The obligations informing's data judge, declared to the registry (omsportal.obligations) [domain §3].

O9 the invitation of listed persons, O10 posting facts by the next working day, O11 the Fund's monthly control,
O12 the quarterly channel-effectiveness report, O15 the repeat invitation, O16 the stage-2 notice, O19 the
turning-18 notice. The per-person deadlines of O9, O15, O16 and O19 are the rules of informing.due; here is the
deadline of a period and whether an SMO met it.
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
import contextvars
import datetime

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.obligations import MONTH, QUARTER, Obligation, Period, declare_obligation
from omsportal.workdays import add_working_days, first_working_day_on_or_after, last_working_day_of_year
from participants.models import OrganizationKind

from .due import due_counts
from .models import ChannelReport, ControlRun, InformingFact, Kind, Outcome


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(period: Period) -> datetime.date:
    return _month_end(period.year, 3 * period.number)


# --- O9, R II.11 ----------------------------------------------------------------------------------------------


def invitation_due(period: Period, rules) -> datetime.date:
    """Q1: the N-th working day after the lists' deadline (the last working day of the year before); later
    quarters: the N-th working day of the quarter's first month (N: 10 or 15, the regional parameter)."""
    if period.number == 1:
        return add_working_days(last_working_day_of_year(period.year - 1), rules.informing_working_days)
    return add_working_days(period.quarter_start - datetime.timedelta(days=1), rules.informing_working_days)


# One run of the obligations engine judges every month and quarter of an SMO against the same persons due today and
# the same facts: inside :func:`one_run` the SMO's due counts of a kind, and the days with a delivered fact of a kind,
# are read once for the run (outside it, on every judgement).
_run_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("informing_obligations_run", default=None)


@contextlib.contextmanager
def one_run():
    """The scope of one engine run (reports.engine.evaluate): what every period of an SMO reads, read once."""
    token = _run_memo.set({})
    try:
        yield
    finally:
        _run_memo.reset(token)


def _due_today(smo_id: int, kind: str, today: datetime.date):
    memo = _run_memo.get()
    if memo is None:
        return due_counts(smo_id=smo_id, on=today, kinds=(kind,))
    key = (smo_id, kind, today)
    if key not in memo:
        memo[key] = due_counts(smo_id=smo_id, on=today, kinds=(kind,))
    return memo[key]


def _met_when_none_left(smo_id: int | None, kind: str, since: datetime.date, until: datetime.date):
    """Met on the date of the latest fact of ``kind`` in [since, until] when nobody with a deadline in it is left
    due today; None while someone is."""
    if smo_id is None:
        return None
    today = timezone.localdate()
    left = [c for c in _due_today(smo_id, kind, today) if c.deadline and since <= c.deadline <= until]
    if left:
        return None
    return _last_delivered(smo_id, kind, since, until) or min(until, today)


def _last_delivered(smo_id: int, kind: str, since: datetime.date, until: datetime.date) -> datetime.date | None:
    """The latest day in [since, until] with a delivered fact of ``kind`` of the SMO."""
    facts = InformingFact.objects.filter(kind=kind, outcome=Outcome.DELIVERED)
    memo = _run_memo.get()
    if memo is None:
        return facts.filter(smo_id=smo_id, date__range=(since, until)).aggregate(d=Max("date"))["d"]
    key = ("delivered_days", kind)
    if key not in memo:
        days: dict[int, list[datetime.date]] = {}
        for smo, day in facts.order_by("smo_id", "date").values_list("smo_id", "date").distinct():
            days.setdefault(smo, []).append(day)
        memo[key] = days
    days = memo[key].get(smo_id, [])
    at = bisect.bisect_right(days, until)
    return days[at - 1] if at and days[at - 1] >= since else None


def invited_on(smo_id, period: Period):
    return _met_when_none_left(smo_id, Kind.INVITE, period.quarter_start, _quarter_end(period))


# --- O10, R II.12 ---------------------------------------------------------------------------------------------


def facts_month_due(period: Period, rules) -> datetime.date:
    """Facts of the month posted by the working day after each; the month is judged after its last day's."""
    return add_working_days(_month_end(period.year, period.number), rules.informing_fact_days)


def facts_posted_on(smo_id, period: Period):
    """Met (on the date of the last posting) when no fact of the month was posted late."""
    if smo_id is None:
        return None
    facts = InformingFact.objects.filter(smo_id=smo_id, date__year=period.year, date__month=period.number)
    if facts.filter(is_late=True).exists():
        return None
    last = facts.aggregate(at=Max("posted_at"))["at"]
    return timezone.localdate(last) if last else None


# --- O11, R II.13 ---------------------------------------------------------------------------------------------


def control_due(period: Period, _rules) -> datetime.date:
    """At least monthly: by the last day of the month (a calendar date: a day off moves it on)."""
    return first_working_day_on_or_after(_month_end(period.year, period.number))


def control_run_on(_fund_id, period: Period):
    run = ControlRun.objects.filter(year=period.year, month=period.number).order_by("run_at").first()
    return timezone.localdate(run.run_at) if run else None


# --- O12, R II.10 ---------------------------------------------------------------------------------------------


def channel_report_due(period: Period, rules) -> datetime.date:
    """The 30th (the regional parameter) of the month after the quarter, moved on from a day off."""
    year, month = (period.year + 1, 1) if period.number == 4 else (period.year, 3 * period.number + 1)
    day = min(rules.channel_report_day, calendar.monthrange(year, month)[1])
    return first_working_day_on_or_after(datetime.date(year, month, day))


def channel_report_filed_on(smo_id, period: Period):
    report = ChannelReport.objects.filter(smo_id=smo_id, year=period.year, quarter=period.number).first()
    return timezone.localdate(report.filed_at) if report else None


# --- O15, O16, O19: per month, from the rules of who is due ----------------------------------------------------


def month_end_due(period: Period, _rules) -> datetime.date:
    return first_working_day_on_or_after(_month_end(period.year, period.number))


def _monthly(kind: str):
    def met(smo_id, period: Period):
        return _met_when_none_left(smo_id, kind, datetime.date(period.year, period.number, 1),
                                   _month_end(period.year, period.number))  # fmt: skip

    return met


SMO = OrganizationKind.SMO
OBLIGATIONS = (
    Obligation("O9", "R II.11", SMO, _("Индивидуальное информирование (приглашение) лиц из списков"), QUARTER,
               invitation_due, invited_on, _("факт информирования по каждому лицу из списков квартала")),
    Obligation("O10", "R II.12", SMO, _("Размещение фактов информирования не позднее следующего дня"), MONTH,
               facts_month_due, facts_posted_on, _("нет фактов месяца, размещённых с опозданием")),
    Obligation("O11", "R II.13", OrganizationKind.FUND, _("Контроль информирования СМО"), MONTH, control_due,
               control_run_on, _("проведённый контроль за месяц")),
    Obligation("O12", "R II.10", SMO, _("Анализ эффективности каналов: ежеквартальный отчёт в ТФОМС"), QUARTER,
               channel_report_due, channel_report_filed_on, _("представленный отчёт за квартал")),
    Obligation("O15", "R II.18", SMO, _("Повторное информирование не явившихся"), MONTH, month_end_due,
               _monthly(Kind.REPEAT), _("факт повторного информирования")),
    Obligation("O16", "R II.18", SMO, _("Информирование о 2 этапе при неявке"), MONTH, month_end_due,
               _monthly(Kind.STAGE2), _("факт информирования о 2 этапе")),
    Obligation("O19", "R I.7.2 b", SMO, _("Информирование достигших 18 лет о выборе МО"), MONTH, month_end_due,
               _monthly(Kind.AGE18), _("факт информирования")),
)  # fmt: skip

for _obligation in OBLIGATIONS:
    declare_obligation(_obligation)
