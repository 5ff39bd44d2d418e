"""Who is due which informing, and by when: one rule per kind, on the production calendar [R II.11, II.18,
R I.7.2 b; domain §3 "Counting a deadline"].

Each rule is one SQL statement answering ``(person_id, mo_id, deadline)`` for an SMO on a day; the same statement
serves the counts of the level-2 page and ``manage.py informing_due`` (grouped), the drill-down (filtered by kind,
MO and deadline) and the per-person answer (:func:`due_kinds_for_person`, filtered by one person), so the three
cannot drift apart. Working days come from omsportal.workdays: the days of the span are written once per query into
a temporary table (``tmp_due_workdays``), from which deadlines are counted in SQL as the calendar module counts them.

- **invitation** (O9): persons on a DVN/PMO list of the year who have not started and have no delivered invitation,
  by quarter of their planned month: Q1 within N working days of the list's acceptance (the protocol of the upload
  that put the entry on the list), later quarters within the first N working days of the quarter's first month;
  N is the regional parameter (10 or 15). Due from the acceptance (Q1) or the quarter's start.
- **repeat invitation** (O15): invited (a delivered invitation), not started, no repeat since; not later than
  ``repeat_informing_months`` (3) months after the first informing (a calendar date: a day off moves it on).
- **stage-2 notice** (O16): sent to stage 2 (the entry's state) and no stage 2 finished ``stage2_notice_months`` (3)
  months after; due from then, the deadline that day (moved to a working day).
- **turning 18** (O19): insured persons whose 18th birthday falls in the month; by the month's last day (moved on).
- **DN reminder**: persons on a DN list whose planned quarter is the current one, with no delivered DN reminder in
  the quarter; within the first N working days of the quarter's first month.

Persons who opted out, died or are not insured by the SMO on the day are never due.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta and fixed fragments of this module are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext_lazy as _

from omsportal.regional import RegionalRules, regional_rules
from omsportal.workdays import WorkCalendar
from participants.models import AttachmentPeriod, Person, PolicyPeriod
from screening.models import ListEntry, ListUpload

from .models import ChannelPreference, InformingFact, Kind

T_ENTRY = ListEntry._meta.db_table
T_UPLOAD = ListUpload._meta.db_table
T_FACT = InformingFact._meta.db_table
T_PERSON = Person._meta.db_table
T_POLICY = PolicyPeriod._meta.db_table
T_ATTACH = AttachmentPeriod._meta.db_table

# The kinds with a rule of who is due (a reminder and an appeal's result have none: they are sent when needed).
DUE_KINDS: tuple[str, ...] = (Kind.INVITE, Kind.REPEAT, Kind.STAGE2, Kind.AGE18, Kind.DN)
DUE_KIND_TITLES = {
    Kind.INVITE: _("Приглашение: в течение {n} рабочих дней после принятия списка (I кв.) или с начала квартала"),
    Kind.REPEAT: _("Повторное приглашение: не позднее {m} мес. после первого информирования"),
    Kind.STAGE2: _("О 2 этапе: через {s} мес. после направления без явки"),
    Kind.AGE18: _("О достижении 18 лет: в месяце дня рождения"),
    Kind.DN: _("Напоминание о ДН: в квартале наблюдения, в течение {n} рабочих дней"),
}

# SQL of "the N-th working day after x" and "x, or the next working day" over tmp_due_workdays.
AFTER_N = "(SELECT w.d FROM tmp_due_workdays w WHERE w.d > {x} ORDER BY w.d OFFSET %(n)s - 1 LIMIT 1)"
ON_OR_AFTER = "(SELECT min(w.d) FROM tmp_due_workdays w WHERE w.d >= {x})"
QUARTER_OF = "((coalesce({e}.month, ({e}.quarter - 1) * 3 + 1, 1) - 1) / 3 + 1)"


ACCEPTED = "(u.protocol_issued_at AT TIME ZONE %(tz)s)::date"
# The invitations that count for a list entry: delivered from the list's acceptance to the end of its year.
INVITED_FOR_ENTRY = f"""
    SELECT {{what}} FROM {T_FACT} f
    WHERE f.person_id = e.person_id AND f.kind = 'INVITE' AND f.outcome = 'DELIVERED'
      AND f.date >= {ACCEPTED} AND f.date <= make_date(e.year, 12, 31)
"""  # noqa: S608  # nosec B608


def _invite_deadlines(columns: str) -> str:
    """The invitation deadline of every DVN/PMO list entry of the years around %(year)s: ``columns`` over ``e`` (the
    entry), ``up`` (its upload: ``accepted``, the Q1 ``deadline``) and ``qd`` (its quarter: ``start``, the later
    quarters' ``deadline``). One place for the O9 deadline: the rule below and the year's outcomes
    (reports.services.outcomes, "not invited by the deadline") both read it. Needs ``tmp_due_workdays``."""
    # The deadlines are few (one per upload for Q1, one per quarter later): counted once each in the CTEs, not per
    # entry (250,000 entries: 2.4 s per-row subqueries, 0.1 s this way). MATERIALIZED: a CTE used once is inlined
    # otherwise, and its deadline subquery ran again for every entry (62,500 runs, a third of the rule's time).
    q = QUARTER_OF.format(e="e")
    return f"""
        WITH up AS MATERIALIZED (
            SELECT u.id, {ACCEPTED} AS accepted, {AFTER_N.format(x=ACCEPTED)} AS deadline
            FROM {T_UPLOAD} u WHERE u.year BETWEEN %(year)s - 1 AND %(year)s + 1
        ), qd AS MATERIALIZED (
            SELECT y.y, q.q, make_date(y.y, (q.q - 1) * 3 + 1, 1) AS start,
                   {AFTER_N.format(x="(make_date(y.y, (q.q - 1) * 3 + 1, 1) - 1)")} AS deadline
            FROM generate_series(%(year)s - 1, %(year)s + 1) AS y(y), generate_series(2, 4) AS q(q)
        )
        SELECT {columns}
        FROM {T_ENTRY} e
        JOIN up ON up.id = e.upload_id
        LEFT JOIN qd ON qd.y = e.year AND qd.q = {q}
        WHERE e.year BETWEEN %(year)s - 1 AND %(year)s + 1 AND e.measure IN ('DVN', 'PMO')
    """  # noqa: S608  # nosec B608


# The invitation deadline of an entry, and from when it counts (the list's acceptance), over _invite_deadlines.
INVITE_DEADLINE = "coalesce(qd.deadline, up.deadline)"


def invite_deadlines_sql() -> str:
    """(entry id, accepted, deadline) of every DVN/PMO entry of the years around %(year)s (params: year, n, tz)."""
    return _invite_deadlines(f"e.id AS entry_id, up.accepted, {INVITE_DEADLINE} AS deadline")


def _invite_sql() -> str:
    q = QUARTER_OF.format(e="e")
    return _invite_deadlines(f"e.person_id, e.mo_id, e.month, {INVITE_DEADLINE} AS deadline") + f"""
          AND e.state = 'LISTED'
          AND CASE WHEN {q} = 1 THEN up.accepted <= %(on)s ELSE qd.start <= %(on)s END
          AND NOT EXISTS (
              SELECT 1 FROM {T_FACT} f
              WHERE f.person_id = e.person_id AND f.kind = 'INVITE' AND f.outcome = 'DELIVERED'
                AND f.date >= up.accepted AND f.date <= make_date(e.year, 12, 31)
          )
    """  # noqa: S608  # nosec B608


def _repeat_sql() -> str:
    first = INVITED_FOR_ENTRY.format(what="min(f.date) AS first") + " AND f.date <= %(on)s"
    return f"""
        SELECT e.person_id, e.mo_id, e.month,
               {ON_OR_AFTER.format(x="(fi.first + make_interval(months => %(repeat_months)s))::date")} AS deadline
        FROM {T_ENTRY} e
        JOIN {T_UPLOAD} u ON u.id = e.upload_id
        CROSS JOIN LATERAL ({first}) fi
        WHERE e.year BETWEEN %(year)s - 1 AND %(year)s + 1 AND e.measure IN ('DVN', 'PMO') AND e.state = 'LISTED'
          AND fi.first IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM {T_FACT} f
              WHERE f.person_id = e.person_id AND f.kind = 'REPEAT' AND f.outcome = 'DELIVERED'
                AND f.date >= fi.first
          )
    """  # noqa: S608  # nosec B608


def _stage2_sql() -> str:
    since = "(e.state_date + make_interval(months => %(stage2_months)s))::date"
    return f"""
        SELECT e.person_id, e.mo_id, e.month, {ON_OR_AFTER.format(x=since)} AS deadline
        FROM {T_ENTRY} e
        WHERE e.year BETWEEN %(year)s - 1 AND %(year)s AND e.measure = 'DVN' AND e.state = 'STAGE2_SENT'
          AND e.state_date IS NOT NULL AND {since} <= %(on)s
          AND NOT EXISTS (
              SELECT 1 FROM {T_FACT} f
              WHERE f.person_id = e.person_id AND f.kind = 'STAGE2' AND f.outcome = 'DELIVERED'
                AND f.date >= e.state_date
          )
    """  # noqa: S608  # nosec B608


def _age18_sql() -> str:
    month_start = "make_date(%(year)s - 18, %(month)s, 1)"
    month_end = "(make_date(%(year)s, %(month)s, 1) + interval '1 month' - interval '1 day')::date"
    return f"""
        SELECT p.id AS person_id, att.mo_id, %(month)s AS month, {ON_OR_AFTER.format(x=month_end)} AS deadline
        FROM {T_PERSON} p
        LEFT JOIN {T_ATTACH} att ON att.person_id = p.id AND att.date_from <= %(on)s
                                AND (att.date_to IS NULL OR att.date_to >= %(on)s)
        WHERE p.birth_date >= {month_start} AND p.birth_date < ({month_start} + interval '1 month')::date
          AND NOT EXISTS (
              SELECT 1 FROM {T_FACT} f
              WHERE f.person_id = p.id AND f.kind = 'AGE18' AND f.outcome = 'DELIVERED'
                AND f.date >= make_date(%(year)s, 1, 1)
          )
    """  # noqa: S608  # nosec B608


def _dn_sql() -> str:
    q = QUARTER_OF.format(e="e")
    q_start = "make_date(%(year)s, (%(quarter)s - 1) * 3 + 1, 1)"
    return f"""
        SELECT e.person_id, e.mo_id, e.month, {AFTER_N.format(x=f"({q_start} - 1)")} AS deadline
        FROM {T_ENTRY} e
        WHERE e.year = %(year)s AND e.measure = 'DN' AND {q} = %(quarter)s
          AND NOT EXISTS (
              SELECT 1 FROM {T_FACT} f
              WHERE f.person_id = e.person_id AND f.kind = 'DN' AND f.outcome = 'DELIVERED'
                AND f.date >= {q_start}
          )
    """  # noqa: S608  # nosec B608


RULES = {
    Kind.INVITE: _invite_sql,
    Kind.REPEAT: _repeat_sql,
    Kind.STAGE2: _stage2_sql,
    Kind.AGE18: _age18_sql,
    Kind.DN: _dn_sql,
}


def may_be_informed_sql(
    *, person: str = "p", person_id: str = "r.person_id", smo: str = "%(smo)s", on: str = "%(on)s"
) -> str:
    """What no rule may forget, as an SQL condition: the person (the row ``person`` of the persons' table, id
    ``person_id``) has not opted out, is alive on the day ``on`` and insured by the SMO ``smo`` on it. Each argument
    is an SQL expression of the caller's query (a column or a parameter), never a value; also the Fund's control of
    who is still without an invitation (selectors.effectiveness) counts only such persons."""
    return f"""
        NOT {person}.informing_opt_out AND ({person}.death_date IS NULL OR {person}.death_date > {on})
          AND {person_id} IN (
              SELECT pp.person_id FROM {T_POLICY} pp
              WHERE pp.smo_id = {smo} AND pp.date_from <= {on} AND (pp.date_to IS NULL OR pp.date_to >= {on})
          )
    """  # noqa: S608  # nosec B608


def _due_sql(kind: str, *, person: bool = False) -> str:
    """The rule of ``kind`` with what no rule may forget (:func:`may_be_informed_sql`): the SMO insures the person
    on the day, alive, not opted out (and, for one person, only them)."""
    only = "AND r.person_id = %(person)s" if person else ""
    return f"""
        SELECT r.person_id, r.mo_id, r.deadline, r.month
        FROM ({RULES[kind]()}) r
        JOIN {T_PERSON} p ON p.id = r.person_id
        WHERE {may_be_informed_sql()} {only}
    """  # noqa: S608  # nosec B608


@dataclass(frozen=True)
class DueCount:
    """One line of the level-2 page and of ``informing_due``: kind, MO, deadline, due, of them overdue."""

    kind: str
    mo_id: int | None
    deadline: datetime.date | None
    due: int
    overdue: int


def _params(smo_id: int, on: datetime.date, rules: RegionalRules, **extra) -> dict:
    from django.conf import settings

    return {
        "smo": smo_id,
        "on": on,
        "year": on.year,
        "month": on.month,
        "quarter": (on.month - 1) // 3 + 1,
        "n": rules.informing_working_days,
        "repeat_months": rules.repeat_informing_months,
        "stage2_months": rules.stage2_notice_months,
        "tz": settings.TIME_ZONE,
        **extra,
    }


def workdays_table(cur, on: datetime.date) -> None:
    """Working days from two years before ``on`` to a year after it, from omsportal.workdays."""
    start, end = datetime.date(on.year - 2, 1, 1), datetime.date(on.year + 2, 12, 31)
    cal = WorkCalendar(start, end)
    cur.execute("DROP TABLE IF EXISTS tmp_due_workdays")
    cur.execute("CREATE TEMP TABLE tmp_due_workdays (d date PRIMARY KEY)")
    day, lines = start, []
    while day <= end:
        if cal.is_working_day(day):
            lines.append(day.isoformat())
        day += datetime.timedelta(days=1)
    cur.copy_expert("COPY tmp_due_workdays (d) FROM STDIN", io.StringIO("\n".join(lines) + "\n"))
    cur.execute("ANALYZE tmp_due_workdays")


def due_counts(*, smo_id: int, on: datetime.date, kinds: tuple[str, ...] = DUE_KINDS) -> list[DueCount]:
    """Counts of persons due per kind, MO and deadline for the SMO on ``on``, with those past the deadline."""
    rules = regional_rules()
    params = _params(smo_id, on, rules)
    out: list[DueCount] = []
    with connection.cursor() as cur:
        workdays_table(cur, on)
        for kind in kinds:
            cur.execute(
                f"SELECT d.mo_id, d.deadline, count(*), count(*) FILTER (WHERE d.deadline < %(on)s) "  # noqa: S608
                f"FROM ({_due_sql(kind)}) d GROUP BY d.mo_id, d.deadline ORDER BY d.deadline, d.mo_id",  # nosec B608
                params,
            )
            out.extend(DueCount(kind, mo, deadline, due, overdue) for mo, deadline, due, overdue in cur.fetchall())
        cur.execute("DROP TABLE IF EXISTS tmp_due_workdays")
    return out


def due_person_rows(
    *,
    smo_id: int,
    on: datetime.date,
    kind: str,
    mo_ids: list[int] | None = None,
    deadline: datetime.date | None = None,
    overdue_only: bool = False,
    month: int | None = None,
    with_month: bool = False,
    with_contacts: bool = False,
) -> list[tuple]:
    """(person id, MO id, deadline[, planned month]) of everyone due ``kind`` (optionally of some MOs, one deadline,
    one planned month, overdue only). ``with_contacts`` (a batch's build) adds the person's first name,
    patronymic, phone, e-mail, address and preferred channel, in the same query."""
    rules = regional_rules()
    params = _params(smo_id, on, rules, mo_ids=mo_ids or [], deadline=deadline, planned=month)
    where = ["true"]
    if mo_ids:
        where.append("d.mo_id = ANY(%(mo_ids)s)")
    if deadline is not None:
        where.append("d.deadline = %(deadline)s")
    if overdue_only:
        where.append("d.deadline < %(on)s")
    if month:
        where.append("d.month = %(planned)s")
    columns = "d.person_id, d.mo_id, d.deadline" + (", d.month" if with_month else "")
    joins = ""
    if with_contacts:
        columns += ", p.first_name, p.patronymic, p.phone, p.email, p.address, pref.channel"
        joins = (
            f"JOIN {T_PERSON} p ON p.id = d.person_id "
            f"LEFT JOIN {ChannelPreference._meta.db_table} pref ON pref.person_id = d.person_id"
        )
    with connection.cursor() as cur:
        workdays_table(cur, on)
        cur.execute(
            f"SELECT {columns} FROM ({_due_sql(kind)}) d {joins} "  # noqa: S608  # nosec B608
            f"WHERE {' AND '.join(where)} ORDER BY d.person_id",
            params,
        )
        rows = cur.fetchall()
        cur.execute("DROP TABLE IF EXISTS tmp_due_workdays")
    return rows


def due_kinds_for_person(*, person_id: int, smo_id: int, on: datetime.date) -> dict[str, datetime.date | None]:
    """The kinds ``person`` is due on ``on`` for the SMO, with their deadlines: the same rules, for one person."""
    rules = regional_rules()
    params = _params(smo_id, on, rules, person=person_id)
    out: dict[str, datetime.date | None] = {}
    with connection.cursor() as cur:
        workdays_table(cur, on)
        for kind in DUE_KINDS:
            cur.execute(f"SELECT min(d.deadline) FROM ({_due_sql(kind, person=True)}) d HAVING count(*) > 0", params)  # noqa: S608  # nosec B608
            row = cur.fetchone()
            if row is not None:
                out[kind] = row[0]
        cur.execute("DROP TABLE IF EXISTS tmp_due_workdays")
    return out


def kind_title(kind: str, rules: RegionalRules | None = None) -> str:
    rules = rules or regional_rules()
    return str(DUE_KIND_TITLES[kind]).format(
        n=rules.informing_working_days, m=rules.repeat_informing_months, s=rules.stage2_notice_months
    )
