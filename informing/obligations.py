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

from django.db import connection
from django.db.models import Max
from django.db.models.functions import ExtractMonth, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.obligations import MONTH, QUARTER, Obligation, Period, declare_obligation
from omsportal.regional import regional_rules
from omsportal.workdays import (
    add_working_days,
    first_working_day_on_or_after,
    last_working_day_of_year,
    working_days_between,
)
from participants.models import OrganizationKind

from .due import (
    ACCEPTED,
    AFTER_N,
    ON_OR_AFTER,
    QUARTER_OF,
    T_ENTRY,
    T_FACT,
    T_PERSON,
    T_POLICY,
    T_UPLOAD,
    workdays_table,
)
from .models import ChannelReport, ControlRun, InformingFact, Kind


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


# One run of the obligations engine judges every month and quarter of an SMO as of the run's day: inside
# :func:`one_run` the run's day is the day of the judgement (outside it, today), and each SMO's persons due a kind,
# with their deadlines and informing facts, are read once for the run (outside it, on every judgement).
_run_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("informing_obligations_run", default=None)


@contextlib.contextmanager
def one_run(as_of: datetime.date | None = None):
    """The scope of one engine run (reports.engine.evaluate) as of ``as_of``: what every period of an SMO reads,
    read once, judged on the run's day and from the facts posted by its end."""
    token = _run_memo.set({"as_of": as_of})
    try:
        yield
    finally:
        _run_memo.reset(token)


def _as_of() -> datetime.date:
    memo = _run_memo.get()
    return (memo or {}).get("as_of") or timezone.localdate()


def _rules():
    memo = _run_memo.get()
    if memo is None:
        return regional_rules()
    if "rules" not in memo:
        memo["rules"] = regional_rules()
    return memo["rules"]


# Who owed a kind of informing by which deadline, and when they got it: the rules of informing.due, counted over
# every person due in the span of the run (not only those still due today), the first delivered fact of each as
# its evidence, and only facts (and list protocols) posted by the end of the day judged ("as of" a past day).
_FIRST_FACT = f"""
    (SELECT min(f.date) FROM {T_FACT} f
     WHERE f.person_id = {{person}} AND f.kind = '{{kind}}' AND f.outcome = 'DELIVERED'
       AND f.posted_at < %(posted_before)s AND {{where}})
"""  # noqa: S608  # nosec B608


# Only the persons the SMO ever insured get their first fact looked up (one index probe each): the exact test, the
# SMO on the person's own deadline, is the outer query's (_rows_sql); without this the probes ran for every person
# on the region's lists once per SMO (3 SMOs, 500,000 entries: 11.7 s of a 41 s engine run).
_EVER_INSURED = f"{{p}} IN (SELECT pp.person_id FROM {T_POLICY} pp WHERE pp.smo_id = %(smo)s)"  # noqa: S608  # nosec B608


def _invite_rows_sql() -> str:
    q = QUARTER_OF.format(e="e")
    informed = _FIRST_FACT.format(
        person="e.person_id", kind="INVITE", where="f.date >= up.accepted AND f.date <= make_date(e.year, 12, 31)"
    )
    return f"""
        WITH up AS MATERIALIZED (
            SELECT u.id, {ACCEPTED} AS accepted, {AFTER_N.format(x=ACCEPTED)} AS deadline
            FROM {T_UPLOAD} u WHERE u.year BETWEEN %(y0)s AND %(y1)s AND u.protocol_issued_at < %(posted_before)s
        ), qd AS MATERIALIZED (
            SELECT y.y, q.q, {AFTER_N.format(x="(make_date(y.y, (q.q - 1) * 3 + 1, 1) - 1)")} AS deadline
            FROM generate_series(%(y0)s, %(y1)s) AS y(y), generate_series(2, 4) AS q(q)
        )
        SELECT * FROM (
            SELECT e.person_id, e.state, coalesce(qd.deadline, up.deadline) AS deadline, {informed} AS informed
            FROM {T_ENTRY} e
            JOIN up ON up.id = e.upload_id
            LEFT JOIN qd ON qd.y = e.year AND qd.q = {q}
            WHERE e.year BETWEEN %(y0)s AND %(y1)s AND e.measure IN ('DVN', 'PMO')
              AND {_EVER_INSURED.format(p="e.person_id")}
        ) r WHERE r.state = 'LISTED' OR r.informed IS NOT NULL
    """  # noqa: S608  # nosec B608


def _repeat_rows_sql() -> str:
    first = _FIRST_FACT.format(
        person="e.person_id", kind="INVITE", where=f"f.date >= {ACCEPTED} AND f.date <= make_date(e.year, 12, 31)"
    )
    informed = _FIRST_FACT.format(person="x.person_id", kind="REPEAT", where="f.date >= x.first")
    deadline = ON_OR_AFTER.format(x="(x.first + make_interval(months => %(repeat_months)s))::date")
    return f"""
        SELECT * FROM (
            SELECT x.person_id, x.state, {deadline} AS deadline, {informed} AS informed
            FROM (
                SELECT e.person_id, e.state, {first} AS first
                FROM {T_ENTRY} e JOIN {T_UPLOAD} u ON u.id = e.upload_id
                WHERE e.year BETWEEN %(y0)s AND %(y1)s AND e.measure IN ('DVN', 'PMO')
                  AND {_EVER_INSURED.format(p="e.person_id")}
            ) x WHERE x.first IS NOT NULL
        ) r WHERE r.state = 'LISTED' OR r.informed IS NOT NULL
    """  # noqa: S608  # nosec B608


def _stage2_rows_sql() -> str:
    since = "(e.state_date + make_interval(months => %(stage2_months)s))::date"
    informed = _FIRST_FACT.format(person="e.person_id", kind="STAGE2", where="f.date >= e.state_date")
    return f"""
        SELECT e.person_id, {ON_OR_AFTER.format(x=since)} AS deadline, {informed} AS informed
        FROM {T_ENTRY} e
        WHERE e.year BETWEEN %(y0)s AND %(y1)s AND e.measure = 'DVN' AND e.state = 'STAGE2_SENT'
          AND e.state_date IS NOT NULL AND {_EVER_INSURED.format(p="e.person_id")}
    """  # noqa: S608  # nosec B608


def _age18_rows_sql() -> str:
    month_end = (
        "(date_trunc('month', p.birth_date + interval '18 years') + interval '1 month' - interval '1 day')::date"
    )
    informed = _FIRST_FACT.format(
        person="p.id", kind="AGE18", where="f.date >= make_date(extract(year FROM p.birth_date)::int + 18, 1, 1)"
    )
    return f"""
        SELECT p.id AS person_id, {ON_OR_AFTER.format(x=month_end)} AS deadline, {informed} AS informed
        FROM {T_PERSON} p
        WHERE p.birth_date >= make_date(%(y0)s - 18, 1, 1) AND p.birth_date <= make_date(%(y1)s - 18, 12, 31)
          AND {_EVER_INSURED.format(p="p.id")}
    """  # noqa: S608  # nosec B608


_ROWS = {Kind.INVITE: _invite_rows_sql, Kind.REPEAT: _repeat_rows_sql, Kind.STAGE2: _stage2_rows_sql,
         Kind.AGE18: _age18_rows_sql}  # fmt: skip


def _rows_sql(kind: str) -> str:
    """The persons the SMO insured on their deadline, alive then, not opted out (unless informed), whose deadline
    was by the day judged: (deadline, the day of their first delivered fact or NULL)."""
    return f"""
        SELECT /* informed_by_deadline */ r.deadline, r.informed
        FROM ({_ROWS[kind]()}) r
        JOIN {T_PERSON} pe ON pe.id = r.person_id
        WHERE r.deadline <= %(as_of)s
          AND (NOT pe.informing_opt_out OR r.informed IS NOT NULL)
          AND (pe.death_date IS NULL OR pe.death_date > r.deadline)
          AND EXISTS (
              SELECT 1 FROM {T_POLICY} pp
              WHERE pp.person_id = r.person_id AND pp.smo_id = %(smo)s
                AND pp.date_from <= r.deadline AND (pp.date_to IS NULL OR pp.date_to >= r.deadline)
          )
        ORDER BY r.deadline
    """  # noqa: S608  # nosec B608


def _informed_rows(smo_id: int, kind: str, as_of: datetime.date) -> list[tuple[datetime.date, datetime.date | None]]:
    memo = _run_memo.get()
    key = ("rows", smo_id, kind, as_of)
    if memo is not None and key in memo:
        return memo[key]
    from django.conf import settings

    rules = _rules()
    next_day = as_of + datetime.timedelta(days=1)
    posted_before = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))
    params = {
        "smo": smo_id, "as_of": as_of, "y0": as_of.year - 1, "y1": as_of.year + 1, "posted_before": posted_before,
        "n": rules.informing_working_days, "repeat_months": rules.repeat_informing_months,
        "stage2_months": rules.stage2_notice_months, "tz": settings.TIME_ZONE,
    }  # fmt: skip
    with connection.cursor() as cur:
        workdays_table(cur, as_of)
        cur.execute(_rows_sql(kind), params)
        rows = cur.fetchall()
        cur.execute("DROP TABLE IF EXISTS tmp_due_workdays")
    if memo is not None:
        memo[key] = rows
    return rows


def _met_when_all_informed(smo_id: int | None, kind: str, since: datetime.date, until: datetime.date,
                           due: datetime.date) -> datetime.date | None:  # fmt: skip
    """As of the day judged (the run's), from the period's due date on (before it, who owes it is not all known):
    met on the day the last of the persons with a deadline in [since, until] (and by the day judged) got their first
    delivered fact; met late when any got it after their own deadline, by the worst of them in working days (the
    engine also counts the days after the period's due date); None while any of them has none. Nobody owed: met on
    the due date."""
    if smo_id is None:
        return None
    as_of = _as_of()
    if as_of < due:
        return None
    rows = _informed_rows(smo_id, kind, as_of)
    deadlines = [row[0] for row in rows]
    owed = rows[bisect.bisect_left(deadlines, since) : bisect.bisect_right(deadlines, until)]
    if any(informed is None for _deadline, informed in owed):
        return None
    if not owed:
        return due
    met = max(informed for _deadline, informed in owed)
    late = max((working_days_between(deadline, informed) for deadline, informed in set(owed) if informed > deadline),
               default=0)  # fmt: skip
    return MetLate(met, late) if late else met


def invited_on(smo_id, period: Period):
    """O9: judged from the quarter's deadline, over the persons whose own deadline fell in the quarter."""
    due = invitation_due(period, _rules())
    return _met_when_all_informed(smo_id, Kind.INVITE, period.quarter_start, _quarter_end(period), due)


# --- O10, R II.12 ---------------------------------------------------------------------------------------------


def facts_month_due(period: Period, rules) -> datetime.date:
    """Facts of the month posted by the working day after each; the month is judged after its last day's."""
    return add_working_days(_month_end(period.year, period.number), rules.informing_fact_days)


class MetLate(datetime.date):
    """A met date whose evidence was itself late by ``late_days`` working days, each item counted against its own
    deadline (the engine takes the larger of this and the days after the period's due date)."""

    late_days: int

    def __new__(cls, day: datetime.date, late_days: int):
        made = super().__new__(cls, day.year, day.month, day.day)
        made.late_days = late_days
        return made


def _end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def _facts_of_the_year(year: int, as_of: datetime.date) -> dict:
    """Per (SMO, month) of ``year``: the last posting of the month's facts and the days of its late facts with the
    days they were posted, over the facts posted by the end of ``as_of``; two scans of the year's facts by date
    range (the (SMO, date) index), once per engine run (one_run), not two queries per SMO and month."""
    memo = _run_memo.get()
    key = ("facts", year, as_of)
    if memo is not None and key in memo:
        return memo[key]
    facts = InformingFact.objects.filter(
        date__gte=datetime.date(year, 1, 1), date__lt=datetime.date(year + 1, 1, 1), posted_at__lt=_end_of(as_of)
    ).order_by()
    months: dict = {}
    for smo_id, month, last in facts.values_list("smo_id", ExtractMonth("date")).annotate(last=Max("posted_at")):
        months[(smo_id, month)] = (last, [])
    pairs = facts.filter(is_late=True).annotate(posted=TruncDate("posted_at"))
    for smo_id, day, posted in pairs.values_list("smo_id", "date", "posted").distinct():
        months[(smo_id, day.month)][1].append((day, posted))
    if memo is not None:
        memo[key] = months
    return months


def facts_posted_on(smo_id, period: Period):
    """From the month's due date on: met on the day the month's last fact was posted (of those posted by the day
    judged); when some were posted after their own deadline (the working day after their date), met late by the
    worst of them. A month without facts stays unmet (as before: nothing shows the SMO posted)."""
    if smo_id is None:
        return None
    as_of = _as_of()
    if as_of < facts_month_due(period, _rules()):
        return None  # judged from the due date: until then more facts of the month are still to come
    month = _facts_of_the_year(period.year, as_of).get((smo_id, period.number))
    if month is None:
        return None
    last, late_pairs = month
    days = _rules().informing_fact_days
    late = max((working_days_between(add_working_days(day, days), posted) for day, posted in late_pairs), default=0)
    met = timezone.localdate(last)
    return MetLate(met, late) if late else met


# --- O11, R II.13 ---------------------------------------------------------------------------------------------


def control_due(period: Period, rules) -> datetime.date:
    """At least monthly: by the month's last day, or N calendar days after it (the regional parameter); a calendar
    date, so a day off moves it on."""
    end = _month_end(period.year, period.number)
    return first_working_day_on_or_after(end + datetime.timedelta(days=rules.control_days_after_month))


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


def month_end_due(period: Period, rules) -> datetime.date:
    """The month's last day, or N calendar days after it (the regional parameter), moved off a day off."""
    end = _month_end(period.year, period.number)
    return first_working_day_on_or_after(end + datetime.timedelta(days=rules.informing_month_days_after))


def _monthly(kind: str):
    def met(smo_id, period: Period):
        """Owed by the persons whose own deadline falls after the month before's due date and by this month's (a
        deadline moved off a day off stays with the month it was owed in); judged from the due date."""
        rules = _rules()
        previous = (
            Period(MONTH, period.year - 1, 12) if period.number == 1 else Period(MONTH, period.year, period.number - 1)
        )
        since = month_end_due(previous, rules) + datetime.timedelta(days=1)
        due = month_end_due(period, rules)
        return _met_when_all_informed(smo_id, kind, since, due, due)

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
