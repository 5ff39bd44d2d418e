"""The registry of obligations: each obligation of domain §3 is one declared rule [domain §3, R II].

An obligation says who owes what, for which period, by when (on the production calendar, from the regional
parameters) and how the portal knows it is met. The app whose data judge it declares it, in its
``obligations.py``::

    declare_obligation(
        Obligation(
            code="O9",
            clause="R II.11",
            debtor=OrganizationKind.SMO,
            title=_("Индивидуальное информирование застрахованных из списков"),
            period=QUARTER,
            due=lambda period, rules: add_working_days(quarter_start(period), rules.informing_working_days),
            met=informing_done_on,             # (organization_id, period) -> date of the evidence, or None
            evidence=_("факт информирования по каждому лицу из списков"),
        )
    )

Pages, deadline panels and the obligations engine (the non-compliance records of the obligations issue) read
them here: ``obligation("O4").due_on(Period.protocol(issued_on))``. Nobody computes a deadline of their own.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from omsportal.regional import RegionalRules, regional_rules
from omsportal.registry import Registry

# The kinds of period an obligation is counted over.
YEAR = "year"  # a calendar year: the plan year, the list year
QUARTER = "quarter"  # a quarter of a year
MONTH = "month"  # a month of a year
DAY = "day"  # one day (daily events)
PROTOCOL = "protocol"  # from an event: a protocol issued on a day


@dataclass(frozen=True)
class Period:
    """The period an obligation is owed for: a year, a quarter or month of a year, a day, or an event's day."""

    kind: str
    year: int
    number: int | None = None  # the quarter (1–4) or the month (1–12)
    day: datetime.date | None = None  # DAY and PROTOCOL: the day

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls(YEAR, year)

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError("a quarter is 1 to 4")
        return cls(QUARTER, year, quarter)

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise ValueError("a month is 1 to 12")
        return cls(MONTH, year, month)

    @classmethod
    def of_day(cls, day: datetime.date) -> Period:
        return cls(DAY, day.year, day=day)

    @classmethod
    def protocol(cls, issued_on: datetime.date) -> Period:
        return cls(PROTOCOL, issued_on.year, day=issued_on)

    @property
    def quarter_start(self) -> datetime.date:
        return datetime.date(self.year, 3 * (self.number or 1) - 2, 1)


Due = Callable[[Period, RegionalRules], datetime.date]
Met = Callable[[int | None, Period], "datetime.date | None"]
Applies = Callable[[int | None, Period], bool]


@dataclass(frozen=True)
class Obligation:
    """One obligation: code and clause, who owes it, for which period, by when, and how it is known to be met."""

    code: str
    clause: str
    debtor: str  # an OrganizationKind value: MO, SMO, FUND, MINISTRY
    title: str
    period: str
    due: Due
    met: Met | None = None  # (organization id, or None for the one debtor; period) -> the evidence's date
    evidence: str = ""
    # (organization id, period) -> whether the organization owes it for the period at all (else "not applicable");
    # None: always owed.
    applies: Applies | None = None

    def due_on(self, period: Period, rules: RegionalRules | None = None) -> datetime.date:
        if period.kind != self.period:
            raise ValueError(f"{self.code} is owed per {self.period}, not per {period.kind}")
        return self.due(period, rules or regional_rules())

    def met_on(self, organization_id: int | None, period: Period) -> datetime.date | None:
        """The date of the evidence that the obligation was met for ``period`` (None: not met, or not judged)."""
        return None if self.met is None else self.met(organization_id, period)

    def applies_to(self, organization_id: int | None, period: Period) -> bool:
        return True if self.applies is None else bool(self.applies(organization_id, period))


OBLIGATIONS: Registry[str, Obligation] = Registry("obligations", "obligation")


def declare_obligation(obligation: Obligation) -> Obligation:
    return OBLIGATIONS.add(obligation.code, obligation)


def obligation(code: str) -> Obligation:
    return OBLIGATIONS.get(code)


def obligations() -> list[Obligation]:
    """Every declared obligation, in the order of their codes (O1, O2, …, O20)."""
    return sorted(OBLIGATIONS.values(), key=lambda item: int(item.code[1:]))
