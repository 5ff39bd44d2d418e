"""Reads of stage events, batches and list progress, always for a user and scoped [R II.9, II.16, II.22]."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404

from omsportal.scoping import persons_visible_to, restrict
from participants.models import Organization, OrganizationKind, Person, Role, User
from screening.access import READ_EVENT_BATCHES, READ_LIST_COUNTS, READ_LIST_PERSONS, list_entry_scope
from screening.formats.events import HEALTH_GROUP_LABELS
from screening.models import EntryState, EventBatch, ListEntry, Measure, StageEvent

# The states a list entry of each measure passes through, in the order of the table columns.
MEASURE_STATES: dict[str, list[str]] = {
    Measure.DVN: [
        EntryState.LISTED,
        EntryState.STARTED,
        EntryState.STAGE1_DONE,
        EntryState.STAGE2_SENT,
        EntryState.STAGE2_DONE,
        EntryState.REFUSED,
    ],
    Measure.PMO: [EntryState.LISTED, EntryState.PMO_STARTED, EntryState.PMO_DONE, EntryState.REFUSED],
}
PROGRESS_MEASURES = (Measure.DVN, Measure.PMO)

# Who sees what of the stage events [domain §2] is declared in screening/access.py: MO staff their MO, SMO L2/L3
# their insured, the Fund all (READ_LIST_PERSONS); the Ministry only aggregates (READ_LIST_COUNTS); batches for MO
# staff and the Fund (READ_EVENT_BATCHES); SMO L1 and administrators nothing.


# --- Batches -----------------------------------------------------------------------------------------------------


def event_batches_for_user(*, user: User) -> QuerySet[EventBatch]:
    """Batch history: MO staff their MO's, the Fund all; other roles none."""
    if not READ_EVENT_BATCHES.allows(user):
        return EventBatch.objects.none()
    return restrict(EventBatch.objects.select_related("mo", "posted_by"), user)


def event_batch_for_user(*, user: User, batch_id: int) -> EventBatch:
    """One batch, 404 outside the user's scope (another MO's batch does not exist for you)."""
    try:
        return event_batches_for_user(user=user).get(pk=batch_id)
    except EventBatch.DoesNotExist as exc:
        raise Http404("Batch not found") from exc


# --- Events -------------------------------------------------------------------------------------------------------


def stage_events_for_user(*, user: User) -> QuerySet[StageEvent]:
    """Stage events the user may read, newest first (scoped as screening/access.py declares for StageEvent)."""
    return restrict(StageEvent.objects.select_related("person", "mo"), user).order_by("-date", "-id")


@dataclass
class StageHistory:
    """A person's list entries and stage events as the user may see them (for the person card)."""

    entries: list[ListEntry] = field(default_factory=list)
    events: list[StageEvent] = field(default_factory=list)


def person_stage_history(*, user: User, person: Person) -> StageHistory | None:
    """The lists a person is on and their stage events; None for roles that do not see stage data (SMO L1).

    404 when the person is outside the user's scope. MO staff see only their MO's lists and events.
    """
    if not persons_visible_to(user).filter(pk=person.pk).exists():
        raise Http404("Person not found")
    if not READ_LIST_PERSONS.allows(user):
        return None
    entries = ListEntry.objects.filter(person=person).select_related("mo", "smo").order_by("-year", "measure")
    if user.role == Role.MO_STAFF:
        entries = entries.filter(mo_id=user.organization_id)
    events = stage_events_for_user(user=user).filter(person=person).order_by("-date", "-id")
    entry_list = list(entries)
    for entry in entry_list:
        entry.health_group_label = HEALTH_GROUP_LABELS.get(entry.health_group, entry.health_group)
    event_list = list(events)
    for event in event_list:
        event.health_group_label = HEALTH_GROUP_LABELS.get(event.health_group, event.health_group)
    return StageHistory(entries=entry_list, events=event_list)


def person_stage_section(*, user: User, person: Person) -> tuple[str, dict] | None:
    """The person card's section of lists and stage events (participants.cards), None for roles without it."""
    stage = person_stage_history(user=user, person=person)
    return None if stage is None else ("screening/_person_stage.html", {"stage": stage})


# --- Progress by month -------------------------------------------------------------------------------------------


@dataclass
class MonthRow:
    month: int | None
    counts: list[int]
    total: int


@dataclass
class StateCounts:
    """Counts of list entries by planned month (rows) and state (columns)."""

    year: int
    measure: str
    states: list[str]
    rows: list[MonthRow]
    column_totals: list[int]
    total: int

    @property
    def state_labels(self) -> list[str]:
        return [str(EntryState(state).label) for state in self.states]


def state_counts_by_month(*, user: User, year: int, measure: str, mo: Organization | int | None = None) -> StateCounts:
    """One GROUP BY over the user's list entries: month × state counts for a year and measure, optionally one MO."""
    states = MEASURE_STATES.get(measure, MEASURE_STATES[Measure.DVN])
    scope = list_entry_scope(user, persons=False) if READ_LIST_COUNTS.allows(user) else None
    counts: dict[tuple[int | None, str], int] = {}
    if scope is not None:
        queryset = ListEntry.objects.filter(scope, year=year, measure=measure)
        if mo is not None:
            queryset = queryset.filter(mo_id=getattr(mo, "pk", mo))
        for row in queryset.values("month", "state").annotate(n=Count("id")).order_by():
            counts[(row["month"], row["state"])] = row["n"]
    months: list[int | None] = list(range(1, 13))
    if any(month is None for month, _state in counts):
        months.append(None)  # entries without a planned month (e.g. a quarterly list)
    rows = []
    for month in months:
        values = [counts.get((month, state), 0) for state in states]
        rows.append(MonthRow(month=month, counts=values, total=sum(values)))
    column_totals = [sum(row.counts[i] for row in rows) for i in range(len(states))]
    return StateCounts(
        year=year,
        measure=measure,
        states=[str(s) for s in states],
        rows=rows,
        column_totals=column_totals,
        total=sum(column_totals),
    )


def progress_mo_choices(*, user: User) -> QuerySet[Organization]:
    """MOs a user may pick on the progress page: none for MO staff (their own is implied), else every MO."""
    if user.role == Role.MO_STAFF or not READ_LIST_COUNTS.allows(user):
        return Organization.objects.none()
    return Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).order_by("code")
