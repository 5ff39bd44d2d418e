"""Reads behind the upload and list pages: upload history, the correction clock, accepted lists and their counts.

Every function takes the user and returns only what the user's role may see [domain §2]:
- MO staff: its own uploads and its own accepted lists;
- SMO L2/L3: list entries whose insurer is its SMO, further limited to the persons it may see today
  (``omsportal.scoping.persons_visible_to``: insured by it on the current register) [R I.6, FAQ];
- the Fund: everything; the Ministry: counts only, never persons; SMO L1 and administrators: nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.obligations import Period, obligation
from omsportal.regional import regional_rules
from omsportal.scoping import restrict
from omsportal.workdays import working_days_between
from participants.models import Organization, OrganizationKind, User
from screening.access import READ_MISSING_LISTS, WORK_WITH_UPLOADS, list_entry_scope
from screening.models import EntryState, ListEntry, ListUpload, Measure, UploadStatus

FINISHED_STATUSES = frozenset({UploadStatus.DONE, UploadStatus.HELD, UploadStatus.REJECTED, UploadStatus.FAILED})
# Uploads whose protocol is issued (a HELD one waits for the MO to confirm the list replacement).
PROTOCOL_STATUSES = frozenset({UploadStatus.DONE, UploadStatus.HELD, UploadStatus.REJECTED})


# --- Uploads --------------------------------------------------------------------------------------------


def uploads_for_user(
    *, user: User, year: int | None = None, status: str | None = None, mo_code: str | None = None
) -> QuerySet[ListUpload]:
    """The upload history the user may see (MO: its own; Fund: all), newest first."""
    if not WORK_WITH_UPLOADS.allows(user):
        return ListUpload.objects.none()
    queryset = restrict(ListUpload.objects.select_related("mo", "uploaded_by"), user)
    if year:
        queryset = queryset.filter(year=year)
    if status:
        queryset = queryset.filter(status=status)
    if mo_code:
        queryset = queryset.filter(mo__code=mo_code)
    return queryset.order_by("-created_at", "-id")


def upload_for_user(*, user: User, upload_id: int) -> ListUpload:
    """One upload if the user may see it, else ``ListUpload.DoesNotExist`` (the view answers 404)."""
    return uploads_for_user(user=user).get(pk=upload_id)


@dataclass(frozen=True)
class CorrectionClock:
    """The five-working-day correction clock of a protocol [R II.6]."""

    required: bool  # the protocol rejected the file or some records
    due: datetime.date | None
    correction: ListUpload | None  # the MO's next processed upload of the same list
    overdue: bool
    working_days_left: int | None

    @property
    def corrected(self) -> bool:
        return self.correction is not None


def correction_clocks(uploads: list[ListUpload], *, today: datetime.date | None = None) -> dict[int, CorrectionClock]:
    """The correction clock of each upload [R II.6], with one query for the whole page of uploads."""
    today = today or timezone.localdate()
    uploads = list(uploads)
    if not uploads:
        return {}
    # The MO's later processed uploads of the same kind are the candidate corrections.
    pairs = Q()
    for upload in uploads:
        pairs |= Q(mo_id=upload.mo_id, kind=upload.kind, created_at__gt=upload.created_at)
    later = list(
        ListUpload.objects.filter(pairs, status=UploadStatus.DONE)
        .only("id", "mo_id", "kind", "year", "created_at", "original_name")
        .order_by("created_at")
    )
    clocks = {}
    for upload in uploads:
        correction = next(
            (
                other
                for other in later
                if other.mo_id == upload.mo_id
                and other.kind == upload.kind
                and other.created_at > upload.created_at
                and (not upload.year or other.year == upload.year)
            ),
            None,
        )
        clocks[upload.pk] = _clock(upload, correction, today)
    return clocks


def correction_clock(upload: ListUpload, *, today: datetime.date | None = None) -> CorrectionClock:
    """Whether the MO must correct after this protocol, by when, and whether it did in time [R II.6]."""
    return correction_clocks([upload], today=today)[upload.pk]


def _clock(upload: ListUpload, correction: ListUpload | None, today: datetime.date) -> CorrectionClock:
    finished = upload.status in PROTOCOL_STATUSES
    required = finished and (upload.records_rejected > 0 or upload.file_error_code is not None)
    if not required:
        return CorrectionClock(False, upload.correction_due, None, False, None)
    due = upload.correction_due
    if due is None and upload.protocol_issued_at is not None:
        # O4, R II.6: five working days after the protocol (a regional parameter).
        due = obligation("O4").due_on(Period.protocol(timezone.localdate(upload.protocol_issued_at)))
    if due is None:
        return CorrectionClock(True, None, correction, False, None)
    if correction is not None:
        return CorrectionClock(True, due, correction, timezone.localdate(correction.created_at) > due, None)
    left = working_days_between(today, due) if today <= due else None
    return CorrectionClock(True, due, None, today > due, left)


def upload_progress(upload: ListUpload) -> dict:
    """Progress of a processing job as numbers the progress bar shows (records read / checked / written)."""
    total = upload.records_total or 0
    steps = (upload.records_read, upload.records_checked, upload.records_written)
    if upload.status in FINISHED_STATUSES:
        percent = 100
    elif total:
        # Reading, checking and writing are three equal thirds of the work.
        percent = min(99, int(sum(min(step, total) for step in steps) * 100 / (3 * total)))
    else:
        percent = 0
    return {
        "total": total,
        "read": upload.records_read,
        "checked": upload.records_checked,
        "written": upload.records_written,
        "percent": percent,
        "finished": upload.status in FINISHED_STATUSES,
    }


# --- Accepted lists -------------------------------------------------------------------------------------


def _scoped_entries(user: User, *, persons: bool, register: bool = True) -> QuerySet[ListEntry]:
    """Entries in the role's scope (screening.access.list_entry_scope); ``persons=False`` asks for counts only."""
    scope = list_entry_scope(user, persons=persons, register=register)
    if scope is None:
        return ListEntry.objects.none()
    return ListEntry.objects.filter(scope)


def _apply_filters(
    queryset: QuerySet[ListEntry],
    *,
    year: int | None = None,
    measure: str | None = None,
    mo: str | None = None,
    smo: str | None = None,
    month: int | None = None,
    district: str | None = None,
    state: str | None = None,
) -> QuerySet[ListEntry]:
    if year:
        queryset = queryset.filter(year=year)
    if measure:
        queryset = queryset.filter(measure=measure)
    if mo:
        queryset = queryset.filter(mo__code=mo)
    if smo:  # the insurer recorded on the entry (on top of the user's scope, never instead of it)
        queryset = queryset.filter(smo__code=smo)
    if month:
        queryset = queryset.filter(month=month)
    if district:
        queryset = queryset.filter(district=district)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def list_entries_for_user(*, user: User, ordering: tuple[str, ...] = ("id",), **filters) -> QuerySet[ListEntry]:
    """Person-level entries of the accepted lists the user may see, filtered; none for count-only roles."""
    queryset = _apply_filters(_scoped_entries(user, persons=True), **filters)
    return queryset.select_related("person", "mo", "smo").order_by(*ordering)


def list_overview(*, user: User, year: int, measure: str | None = None) -> dict:
    """Counts of accepted entries for a year: per MO × month, by state and by measure (the Ministry included).

    One grouped query (MO × month × measure × state) feeds all three tables: with an SMO's register check every
    scan of its entries costs a lookup per entry, so the page pays for it once.
    """
    cells = list(
        _scoped_entries(user, persons=False)
        .filter(year=year)
        .values_list("mo_id", "month", "measure", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_measure: dict[str, int] = {}
    by_state: dict[str, int] = {}
    by_mo: dict[int, dict[int | None, int]] = {}
    for mo_id, month, cell_measure, state, n in cells:
        by_measure[cell_measure] = by_measure.get(cell_measure, 0) + n
        if measure and cell_measure != measure:
            continue
        by_state[state] = by_state.get(state, 0) + n
        months = by_mo.setdefault(mo_id, {})
        months[month] = months.get(month, 0) + n
    mos = Organization.objects.in_bulk(list(by_mo))
    rows = [
        {
            "mo": mos[mo_id],
            "months": [months.get(month, 0) for month in range(1, 13)],
            "no_month": months.get(None, 0),
            "total": sum(months.values()),
        }
        for mo_id, months in by_mo.items()
    ]
    rows.sort(key=lambda row: row["mo"].code)
    return {
        "rows": rows,
        "states": [{"state": st, "label": label, "n": by_state.get(st, 0)} for st, label in EntryState.choices],
        "measures": [{"measure": m, "label": label, "n": by_measure.get(m, 0)} for m, label in Measure.choices],
    }


def list_years_for_user(*, user: User) -> list[int]:
    """Years that have accepted entries in the user's scope, newest first, always with the current and next year."""
    this_year = timezone.localdate().year
    entries = _scoped_entries(user, persons=False, register=False)
    years = set(entries.order_by().values_list("year", flat=True).distinct()) | {this_year, this_year + 1}
    return sorted(years, reverse=True)


def default_list_year(*, user: User) -> int:
    """The year a list page opens with: the latest year with entries, else the current year."""
    entries = _scoped_entries(user, persons=False, register=False)
    years = entries.order_by("-year").values_list("year", flat=True)[:1]
    return years[0] if years else timezone.localdate().year


def mos_without_current_list(*, user: User, year: int) -> QuerySet[Organization]:
    """Active MOs with no accepted (current) list for ``year`` [R II.2, II.7, II.8]; Fund and Ministry only."""
    if not READ_MISSING_LISTS.allows(user):
        return Organization.objects.none()
    current = ListUpload.objects.filter(mo=OuterRef("pk"), year=year, is_current=True)
    return (
        Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).filter(~Exists(current)).order_by("code")
    )


# --- The MO's list deadlines (O2, O7) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListDeadline:
    """One list the MO owes: what, by when, and whether (and when) a processed upload met it."""

    label: str
    due: datetime.date
    done_on: datetime.date | None
    overdue: bool
    working_days_left: int | None

    @property
    def done_late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due


def mo_list_deadlines(*, mo_id: int, today: datetime.date | None = None) -> list[ListDeadline]:
    """The MO's list deadlines around ``today``, as the obligations registry declares them [domain §3]:

    - O7, R II.9: the quarterly updates of this year's lists, due the 1st day of the first month of quarters 2–4;
      the update of a quarter is met by a processed update (or yearly) upload for this year made after the
      previous quarter began;
    - O2, R II.2: the yearly list for next year, due the last working day of this year; met by a processed yearly
      upload for next year.
    """
    today = today or timezone.localdate()
    year = today.year
    rules = regional_rules()
    update, yearly = obligation("O7"), obligation("O2")
    deadlines = []
    for quarter in (2, 3, 4):
        period = Period.of_quarter(year, quarter)
        label = _("Актуализация списков на %(n)s квартал") % {"n": quarter}
        deadlines.append(_deadline(label, update.due_on(period, rules), update.met_on(mo_id, period), today))
    period = Period.of_year(year + 1)
    label = _("Списки на %(year)s год") % {"year": year + 1}
    deadlines.append(_deadline(label, yearly.due_on(period, rules), yearly.met_on(mo_id, period), today))
    return deadlines


def _deadline(label: str, due: datetime.date, done_on: datetime.date | None, today: datetime.date) -> ListDeadline:
    overdue = done_on is None and today > due
    left = working_days_between(today, due) if done_on is None and today <= due else None
    return ListDeadline(str(label), due, done_on, overdue, left)
