"""Who is due which preventive measure in a year: the age cycles of order 404n, kept in one place [domain §5].

Age is the age the person reaches in the calendar year of the measure (year − year of birth) [404n, п. 4].
The current rules (order 404n of 27.04.2021, like order 124n of 2019 before it):

- PMO every year from 18;
- DVN at 18–39 once every three years (18, 21, …, 39), from 40 every year;
- a person due DVN in the year gets DVN, not PMO.

The rule set is a parameter: the 2017 order 869n had DVN every three years from 21 with no yearly DVN, and PMO in
the years without DVN. Each rule set answers in Python (one person) and as SQL (a whole staged batch) from the same
numbers, so the set-based identification and the per-person checks cannot drift apart. DN is not age-driven.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

DVN, PMO, DN = "DVN", "PMO", "DN"


@dataclass(frozen=True)
class RuleSet:
    """The age cycles of one order on preventive examinations of adults."""

    name: str
    title: str
    pmo_min_age: int  # PMO from this age, every year
    dvn_cycle_from: int  # DVN first at this age, then every dvn_cycle_step years
    dvn_cycle_step: int
    dvn_yearly_from: int | None  # from this age DVN every year (None: never yearly)
    dvn_replaces_pmo: bool = True  # a person due DVN in the year does not get PMO that year

    def describe(self) -> str:
        yearly = f", с {self.dvn_yearly_from} лет ежегодно" if self.dvn_yearly_from is not None else ""
        upper = f"–{self.dvn_yearly_from - 1}" if self.dvn_yearly_from is not None else ""
        return (
            f"{self.title}: ДВН в {self.dvn_cycle_from}{upper} лет раз в {self.dvn_cycle_step} года{yearly}; "
            f"ПМО ежегодно с {self.pmo_min_age} лет"
        )


ORDER_404N = RuleSet(
    name="404n",
    title="приказ Минздрава России от 27.04.2021 № 404н",
    pmo_min_age=18,
    dvn_cycle_from=18,
    dvn_cycle_step=3,
    dvn_yearly_from=40,
)
# The 2019 edition (order 124n of 13.03.2019) introduced the cycles 404n kept.
ORDER_124N = RuleSet(
    name="124n",
    title="приказ Минздрава России от 13.03.2019 № 124н",
    pmo_min_age=18,
    dvn_cycle_from=18,
    dvn_cycle_step=3,
    dvn_yearly_from=40,
)
ORDER_869N = RuleSet(
    name="869n",
    title="приказ Минздрава России от 26.10.2017 № 869н",
    pmo_min_age=18,
    dvn_cycle_from=21,
    dvn_cycle_step=3,
    dvn_yearly_from=None,
)

RULE_SETS: dict[str, RuleSet] = {rules.name: rules for rules in (ORDER_404N, ORDER_124N, ORDER_869N)}


def current_rules() -> RuleSet:
    """The rule set of this instance: settings.OMS_ELIGIBILITY_RULES ("404n" by default; the federal order the
    region's lists follow, checked at start-up)."""
    return RULE_SETS[settings.OMS_ELIGIBILITY_RULES]


def age_in_year(birth_date: datetime.date, year: int) -> int:
    """The age reached in the calendar year of the measure."""
    return year - birth_date.year


def is_due_dvn(age: int, rules: RuleSet = ORDER_404N) -> bool:
    if age < rules.dvn_cycle_from:
        return False
    if rules.dvn_yearly_from is not None and age >= rules.dvn_yearly_from:
        return True
    return (age - rules.dvn_cycle_from) % rules.dvn_cycle_step == 0


def ineligibility_reason(measure: str, age: int, year: int, rules: RuleSet = ORDER_404N) -> str | None:
    """Why a person of ``age`` (reached in ``year``) may not have ``measure``; None when they may."""
    if measure == DVN and not is_due_dvn(age, rules):
        return f"ДВН в {year} г. не положена: возраст {age} (правила: {rules.describe()})"
    if measure == PMO:
        if age < rules.pmo_min_age:
            return f"ПМО проводится с {rules.pmo_min_age} лет, возраст в {year} г.: {age}"
        if rules.dvn_replaces_pmo and is_due_dvn(age, rules):
            return f"В {year} г. положена ДВН, а не ПМО (возраст {age})"
    return None


def is_eligible(measure: str, birth_date: datetime.date, year: int, rules: RuleSet = ORDER_404N) -> bool:
    return ineligibility_reason(measure, age_in_year(birth_date, year), year, rules) is None


def sql_ineligibility_reason(measure_sql: str, age_sql: str, year_sql: str, rules: RuleSet = ORDER_404N) -> str:
    """The same rules as an SQL expression: the Russian reason text, or NULL when eligible.

    ``measure_sql``, ``age_sql`` and ``year_sql`` are trusted SQL expressions (column names, placeholders);
    the rule numbers are integers of the rule set, never user input.
    """
    due = _sql_due_dvn(age_sql, rules)
    rules_text = _sql_literal(f"(правила: {rules.describe()})")
    pmo_dvn = (
        f"WHEN {measure_sql} = 'PMO' AND {due} THEN "
        f"'В ' || {year_sql} || ' г. положена ДВН, а не ПМО (возраст ' || {age_sql} || ')' "
        if rules.dvn_replaces_pmo
        else ""
    )
    return (
        "CASE "
        f"WHEN {measure_sql} = 'DVN' AND NOT {due} THEN "
        f"'ДВН в ' || {year_sql} || ' г. не положена: возраст ' || {age_sql} || ' ' || {rules_text} "
        f"WHEN {measure_sql} = 'PMO' AND {age_sql} < {int(rules.pmo_min_age)} THEN "
        f"'ПМО проводится с {int(rules.pmo_min_age)} лет, возраст в ' || {year_sql} || ' г.: ' || {age_sql} "
        f"{pmo_dvn}"
        "END"
    )


def _sql_due_dvn(age_sql: str, rules: RuleSet) -> str:
    cycle = (
        f"({age_sql} >= {int(rules.dvn_cycle_from)} "
        f"AND mod({age_sql} - {int(rules.dvn_cycle_from)}, {int(rules.dvn_cycle_step)}) = 0)"
    )
    if rules.dvn_yearly_from is None:
        return f"({cycle})"
    return f"({cycle} OR {age_sql} >= {int(rules.dvn_yearly_from)})"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
