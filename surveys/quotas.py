"""The survey quotas of O14, per MO and quarter, answered in Python and as set-based SQL from the same numbers
[R II.14, domain §3 O14, §7].

For each MO and quarter an SMO's level 1 surveys by phone

- at least ``survey_quota_passed_percent`` (0.5 %) of its insured who passed a preventive measure in the quarter
  (stage 1 of dispanserization or the prophylactic exam finished — screening.selectors.passed, the one selector
  of "passed"), at the MO that posted the passing; and
- at least ``survey_quota_informed_percent`` (50 %) of the persons it informed individually about the check-up in
  the quarter (a delivered informing fact of a kind of QUOTA_INFORMING_KINDS, informing.selectors.facts) who have
  not passed the measure in the year by the quarter's end, at the MO of the fact;

each rounded up to a whole person (0.5 % of 1 passed is 1 person; of 200 it is 1; of 201 it is 2). The SMO owing
a passed person is the one insuring them on the quarter's last day (or today, if that is earlier): the register
decides, as it does for every SMO view.

The percentages are regional parameters (omsportal.regional); they are used as hundredths of a percent, so both
answers are integer arithmetic: ``ceil(n × p / 100)`` = ``(n × p_hundredths + 9999) // 10000``. The Python rule
(:func:`quota`) answers for one count (tests, the report); :func:`quota_rows` for every MO and SMO of a quarter in
one statement (the level-2 page, the report, the bench: 1,000,000 persons). A test keeps the two equal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from informing.models import Kind
from omsportal.regional import RegionalRules, regional_rules
from screening.selectors.passed import passed_sql

ROUND_UP = 9999  # added before the integer division by 10,000 (hundredths of a percent of a whole)


def hundredths(percent: Decimal) -> int:
    """A percentage as an integer number of hundredths of a percent (0.50 % -> 50)."""
    return int((Decimal(percent) * 100).to_integral_value())


def quota(count: int, percent: Decimal) -> int:
    """At least ``percent`` % of ``count`` persons, rounded up to a whole person."""
    return (count * hundredths(percent) + ROUND_UP) // 10000


def sql_quota(count_sql: str, percent: Decimal) -> str:
    """The same rule as an SQL expression over an integer ``count_sql`` (a trusted column expression); in bigint,
    as 8,000,000 persons × 10,000 hundredths does not fit an int4."""
    return f"((({count_sql})::bigint * {hundredths(percent):d} + {ROUND_UP:d}) / 10000)::int"


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4:
        raise ValueError("a quarter is 1 to 4")
    start = datetime.date(year, 3 * quarter - 2, 1)
    end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - datetime.timedelta(1)
    return start, end


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class QuotaRow:
    """The quota of one SMO at one MO for a quarter."""

    mo_id: int
    smo_id: int
    passed: int
    informed_not_passed: int
    quota_passed: int
    quota_informed: int

    @property
    def total(self) -> int:
        return self.quota_passed + self.quota_informed


# The kinds of informing that make a person "individually notified" about the check-up for the quota [R II.14]:
# the invitation, the reminder, the repeat invitation and the stage-2 notice (R II.11, II.18 name these as the
# notices about the preventive measures). A DN reminder, the turning-18 notice and an appeal's result are informing
# of another matter and do not raise the 50 % base.
QUOTA_INFORMING_KINDS = (Kind.INVITE, Kind.REMIND, Kind.REPEAT, Kind.STAGE2)


def informed_facts_sql(date_from: datetime.date, date_to: datetime.date) -> tuple[str, list]:
    """(person_id, mo_id, smo_id) of the delivered informing facts about the check-up (QUOTA_INFORMING_KINDS) dated
    in the period, as SQL with its params: the informing app's own filter of "informed" (facts_filter), so the two
    apps count the same persons."""
    from informing.models import InformingFact
    from informing.selectors.facts import facts_filter

    qs = (
        InformingFact.objects.filter(
            facts_filter(kind=QUOTA_INFORMING_KINDS, date_from=date_from, date_to=date_to), mo_id__isnull=False
        )
        .order_by()
        .values("person_id", "mo_id", "smo_id")
        .distinct()
    )
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def quota_sql(year: int, quarter: int, rules: RegionalRules, *, smo_id: int | None = None) -> tuple[str, list]:
    """The statement of :func:`quota_rows`: rows (mo_id, smo_id, passed, informed_not_passed, quota_passed,
    quota_informed), with its params."""
    start, end = quarter_bounds(year, quarter)
    on = min(end, timezone.localdate())
    informed_sql, informed_params = informed_facts_sql(start, end)
    smo_filter = "AND pp.smo_id = %s" if smo_id is not None else ""
    informed_smo_filter = "AND i.smo_id = %s" if smo_id is not None else ""
    sql = f"""
        WITH passed AS ({passed_sql()}),
        passed_q AS (
            SELECT p.mo_id, pp.smo_id, COUNT(DISTINCT p.person_id)::int AS n
            FROM passed p
            JOIN participants_policyperiod pp ON pp.person_id = p.person_id
                AND pp.date_from <= %s AND (pp.date_to IS NULL OR pp.date_to >= %s) AND pp.smo_id IS NOT NULL
            WHERE p.year = %s AND p.passed_on BETWEEN %s AND %s {smo_filter}
            GROUP BY p.mo_id, pp.smo_id
        ),
        informed_q AS (
            SELECT i.mo_id, i.smo_id, COUNT(DISTINCT i.person_id)::int AS n
            FROM ({informed_sql}) i
            WHERE NOT EXISTS (
                SELECT 1 FROM passed p WHERE p.person_id = i.person_id AND p.year = %s AND p.passed_on <= %s
            ) {informed_smo_filter}
            GROUP BY i.mo_id, i.smo_id
        )
        SELECT COALESCE(a.mo_id, b.mo_id), COALESCE(a.smo_id, b.smo_id),
               COALESCE(a.n, 0), COALESCE(b.n, 0),
               {sql_quota("COALESCE(a.n, 0)", rules.survey_quota_passed_percent)},
               {sql_quota("COALESCE(b.n, 0)", rules.survey_quota_informed_percent)}
        FROM passed_q a FULL JOIN informed_q b ON a.mo_id = b.mo_id AND a.smo_id = b.smo_id
        ORDER BY 1, 2
    """  # noqa: S608 # nosec B608 - the parts are this module's constants and the ORM's own SQL; values are parameters
    params: list = [on, on, year, start, end]
    if smo_id is not None:
        params.append(smo_id)
    params += [*informed_params, year, end]
    if smo_id is not None:
        params.append(smo_id)
    return sql, params


def quota_rows(
    year: int, quarter: int, *, smo_id: int | None = None, rules: RegionalRules | None = None
) -> list[QuotaRow]:
    """The quota of every (MO, SMO) of the quarter with anyone passed or informed, in one statement (unscoped: the
    selectors that show it restrict it to the user's SMO or MO)."""
    sql, params = quota_sql(year, quarter, rules or regional_rules(), smo_id=smo_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [QuotaRow(*row) for row in cursor.fetchall()]
