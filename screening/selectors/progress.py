"""Plan → listed → done per MO and month [R II.1, II.2, II.9; domain §8]: what the Ministry planned, what the MO's
accepted list holds, and how many finished the check-up (DVN stage 1 or the PMO) in each month.

- *plan*: the yearly plan's cells (``YearPlanLine``) of the MO, measure and month, approved or not (the page says
  which);
- *listed*: the entries of the MO's current list for the year, by the month the MO planned them for; an entry with
  a quarter and no month (a MIS that plans by quarter: ProMed's Perm, Khakassia, Pskov ``QUART``) counts in its
  quarter (``listed_quarter``: shown in the by-quarter table and chart, never spread over the months), one with no
  period at all (Ufa) apart (``listed_free``, «без периода»); both are in the year's totals;
- *done*: persons with an ``END1`` event of the measure in that month (stage 1 of DVN finished, whether or not
  stage 2 follows, or the PMO finished), counted once per person, measure and month.

Counts only, no persons: the MO sees its own, the Fund and the Ministry every MO. Three grouped queries per page
(one per figure), whatever the number of MOs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth

from participants.models import Organization, OrganizationKind, Role, User
from screening.access import READ_PLAN_PROGRESS
from screening.models import PLAN_MEASURES, StageEvent, YearPlan, YearPlanLine
from screening.selectors.lists import _scoped_entries

FIGURES = ("plan", "listed", "done")


@dataclass
class ProgressRow:
    """One MO (or the region's total): plan, listed and done for each month 1–12; the list entries planned for a
    quarter without a month (per quarter 1–4) and those with no period at all."""

    mo: Organization | None
    plan: list[int] = field(default_factory=lambda: [0] * 12)
    listed: list[int] = field(default_factory=lambda: [0] * 12)  # entries with a month
    done: list[int] = field(default_factory=lambda: [0] * 12)
    listed_quarter: list[int] = field(default_factory=lambda: [0] * 4)  # a quarter and no month
    listed_free: int = 0  # neither month nor quarter

    @property
    def totals(self) -> dict[str, int]:
        totals = {name: sum(getattr(self, name)) for name in FIGURES}
        totals["listed"] += sum(self.listed_quarter) + self.listed_free
        return totals

    @property
    def by_quarter(self) -> bool:
        """Whether some entries have a quarter and no month (the chart is then drawn by quarter)."""
        return any(self.listed_quarter)

    def to_date(self, month: int) -> dict[str, int]:
        """The figures of months 1..``month`` (the year so far); listed counts the month entries only."""
        return {name: sum(getattr(self, name)[:month]) for name in FIGURES}

    def quarters(self) -> list[dict]:
        """Per quarter: the plan and done of its three months; listed = the entries of its months plus those planned
        for the quarter without a month (``quarter_only``, of which)."""
        rows = []
        for q in range(4):
            months = slice(3 * q, 3 * q + 3)
            rows.append(
                {
                    "quarter": q + 1,
                    "plan": sum(self.plan[months]),
                    "listed": sum(self.listed[months]) + self.listed_quarter[q],
                    "quarter_only": self.listed_quarter[q],
                    "done": sum(self.done[months]),
                }
            )
        return rows

    @staticmethod
    def _share(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def listed_share(self) -> int | None:
        return self._share(self.totals["listed"], self.totals["plan"])

    @property
    def done_share(self) -> int | None:
        return self._share(self.totals["done"], self.totals["plan"])

    def months(self) -> list[dict]:
        return [
            {"month": m + 1, "plan": self.plan[m], "listed": self.listed[m], "done": self.done[m]} for m in range(12)
        ]


@dataclass
class PlanProgress:
    year: int
    measure: str  # "" for DVN and PMO together
    plan_status: str  # YearPlan status, "" when there is no plan for the year
    rows: list[ProgressRow]
    total: ProgressRow


def progress_mos(*, user: User):
    """The MOs whose figures ``user`` sees: its own for MO staff, every MO for the Fund and the Ministry."""
    if not READ_PLAN_PROGRESS.allows(user):
        return Organization.objects.none()
    mos = Organization.objects.filter(kind=OrganizationKind.MO).order_by("code")
    if user.role == Role.MO_STAFF:
        return mos.filter(pk=user.organization_id)
    return mos


def plan_progress(*, user: User, year: int, measure: str = "", mo: Organization | None = None) -> PlanProgress:
    """Plan, listed and done per MO and month for ``year`` (one measure of the plan, or both)."""
    measures = [measure] if measure else list(PLAN_MEASURES)
    mos = progress_mos(user=user)
    if mo is not None:
        mos = mos.filter(pk=mo.pk)
    mos = list(mos)
    rows = {m.pk: ProgressRow(mo=m) for m in mos}
    ids = list(rows)
    plan_cells = (
        YearPlanLine.objects.filter(plan__year=year, measure__in=measures, mo_id__in=ids)
        .values_list("mo_id", "month")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    listed_cells = (
        _scoped_entries(user, persons=False)
        .filter(year=year, measure__in=measures, mo_id__in=ids)
        .values_list("mo_id", "month", "quarter")
        .annotate(n=Count("id"))
        .order_by()
    )
    done_cells = (
        StageEvent.objects.filter(event="END1", date__year=year, measure__in=measures, mo_id__in=ids)
        .annotate(month=ExtractMonth("date"))
        .values_list("mo_id", "month")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    )
    for name, cells in (("plan", plan_cells), ("done", done_cells)):
        for mo_id, month, n in cells:
            if mo_id in rows and month:
                getattr(rows[mo_id], name)[month - 1] += n or 0
    for mo_id, month, quarter, n in listed_cells:
        row = rows.get(mo_id)
        if row is None:
            continue
        if month:
            row.listed[month - 1] += n
        elif quarter and 1 <= quarter <= 4:
            row.listed_quarter[quarter - 1] += n
        else:
            row.listed_free += n
    total = ProgressRow(mo=None)
    for row in rows.values():
        for name in (*FIGURES, "listed_quarter"):
            values = getattr(total, name)
            for i, n in enumerate(getattr(row, name)):
                values[i] += n
        total.listed_free += row.listed_free
    status = YearPlan.objects.filter(year=year).values_list("status", flat=True).first() or ""
    return PlanProgress(year=year, measure=measure, plan_status=status, rows=[rows[m.pk] for m in mos], total=total)
