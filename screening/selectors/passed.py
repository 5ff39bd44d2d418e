"""Who "passed" a preventive measure: the one place that says it [R II.14, domain §3 O14, §8].

The regulation counts a measure as passed by the invoice registers (реестры счетов), which a later issue loads.
Until then a person passed a measure when the MO posted the end of stage 1 of dispanserization or of the
prophylactic exam (stage event ``END1``). Every count of "passed" — survey quotas, the Fund's dashboard, the
obligations, the year's outcome of a listed person — reads this module, so that the source changes here only.

These are building blocks, not user reads: they return unscoped rows and SQL; the selector that shows their
result to a user scopes it (omsportal.scoping) as every read does.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, QuerySet

from screening.models import EventType, ListEntry, StageEvent

# The events that mean "passed": the end of stage 1 (DVN) or of the exam (PMO).
PASSED_EVENTS = (EventType.END1,)


def passed_events(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> QuerySet:
    """The stage events that count as passing a measure, optionally those dated in [date_from, date_to]."""
    qs = StageEvent.objects.filter(event__in=PASSED_EVENTS)
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return qs


def passed_entry_filter(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> Exists:
    """An ``Exists`` to filter or annotate ListEntry rows whose person passed the entry's measure of its year.

    ``ListEntry.objects.filter(passed_entry_filter())`` are the entries passed; ``~passed_entry_filter()`` the
    others. An event passes the entry of its measure in the entry's year (the event's own year), whichever MO
    posted it: a person who moved to another MO still passed.
    """
    events = passed_events(date_from=date_from, date_to=date_to).filter(
        person_id=OuterRef("person_id"), measure=OuterRef("measure"), date__year=OuterRef("year")
    )
    return Exists(events)


def passed_entries(
    entries: QuerySet | None = None,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet:
    """The list entries (of ``entries``, else all) whose person passed their measure."""
    qs = ListEntry.objects.all() if entries is None else entries
    return qs.filter(passed_entry_filter(date_from=date_from, date_to=date_to))


# The passing events as SQL, one row per person, measure and year (the first passing date); the codes are those of
# PASSED_EVENTS (a test keeps the two equal).
PASSED_SQL = (
    "SELECT DISTINCT ON (e.person_id, e.measure, EXTRACT(YEAR FROM e.date)::int) "
    "e.person_id, e.mo_id, e.measure, EXTRACT(YEAR FROM e.date)::int AS year, e.date AS passed_on "
    "FROM screening_stageevent e WHERE e.event IN ('END1') "
    "ORDER BY e.person_id, e.measure, EXTRACT(YEAR FROM e.date)::int, e.date"
)


def passed_sql() -> str:
    """SQL of the passing events, for set-based aggregates: rows (person_id, mo_id, measure, year, passed_on).

    Use it as a subquery or CTE: ``WITH passed AS (…) SELECT … JOIN passed USING (person_id, measure, year)``.
    """
    return PASSED_SQL
