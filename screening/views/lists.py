"""Views: the accepted lists — counts per MO and month for every list reader, persons for those who may see them.

- MO staff: its own list per year and measure, with each person's state;
- SMO L2/L3: entries of the persons it insures (per MO × month, then drill-down to the persons) [R II.11];
- the Fund: everything, and the MOs with no accepted list for the year yet [R II.7, II.8];
- the Ministry: counts only, person pages are 404; SMO L1 and administrators: 404.
Every page showing persons writes an AuditAction.LIST entry, every export an EXPORT entry [domain §10].
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.shortcuts import render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from omsportal.audit import audit_record
from omsportal.exports import attachment, safe_row, write_cells
from omsportal.models import AuditAction
from omsportal.roles import SMO_INSURED_ROLES
from omsportal.views.base import PortalMixin, PortalView, ScopedObjectMixin
from participants.identifiers import snils_format
from participants.models import Role
from screening.access import READ_LIST_COUNTS, READ_LIST_PERSONS, READ_MISSING_LISTS
from screening.forms import LIST_SORTS, MONTH_CHOICES, ListFilterForm
from screening.models import MEASURE_LABELS, EntryState, ListEntry
from screening.selectors.lists import (
    default_list_year,
    list_entries_for_user,
    list_overview,
    list_years_for_user,
    mos_without_current_list,
)

PAGE_SIZE = 50
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_575  # one sheet; a larger list goes out as CSV

MONTH_LABELS = dict(MONTH_CHOICES)
STATE_LABELS = dict(EntryState.choices)


class ListPersonsMixin(ScopedObjectMixin, PortalMixin):
    """Person-level list pages: MO staff, SMO L2/L3 and the Fund; the Ministry and others get 404."""

    capability = READ_LIST_PERSONS
    model = ListEntry

    def filter_form(self) -> ListFilterForm:
        return ListFilterForm(self.request.GET or None)

    def filters(self, form: ListFilterForm) -> dict:
        filters = form.filters()
        filters.setdefault("year", default_list_year(user=self.request.user))
        return filters


class ListsOverviewView(PortalView):
    """Counts of accepted entries per MO × month for a year and measure; links down to persons where allowed.

    Every list reader (the Ministry included) sees the counts; SMO L1 and administrators get 404.
    """

    capability = READ_LIST_COUNTS

    template_name = "screening/lists.html"

    def get(self, request):
        user = request.user
        form = ListFilterForm(request.GET or None)
        filters = form.filters()
        year = filters.get("year") or default_list_year(user=user)
        measure = filters.get("measure") or ""
        overview = list_overview(user=user, year=year, measure=measure or None)
        rows = overview["rows"]
        month_totals = [sum(row["months"][index] for row in rows) for index in range(12)]
        context = {
            "form": form,
            "year": year,
            "years": list_years_for_user(user=user),
            "measure": measure,
            "measures": overview["measures"],
            "rows": rows,
            "month_labels": [label for _number, label in MONTH_CHOICES],
            "month_totals": month_totals,
            "no_month_total": sum(row["no_month"] for row in rows),
            "grand_total": sum(row["total"] for row in rows),
            "states": overview["states"],
            "can_drill": READ_LIST_PERSONS.allows(user),
            "is_mo": user.role == Role.MO_STAFF,
            "is_smo": user.role in SMO_INSURED_ROLES,
            "missing_mos": (
                list(mos_without_current_list(user=user, year=year)) if READ_MISSING_LISTS.allows(user) else None
            ),
        }
        return render(request, self.template_name, context)


class ListEntriesView(ListPersonsMixin, View):
    """The persons of the accepted list the user may see: paginated, filtered, sortable, audited."""

    template_name = "screening/list_entries.html"

    def get(self, request):
        form = self.filter_form()
        filters = self.filters(form)
        sort = form.sort_key()
        queryset = list_entries_for_user(user=request.user, ordering=LIST_SORTS[sort], **filters)
        page_obj = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = list(page_obj.object_list)
        for entry in entries:
            entry.snils_display = snils_format(entry.person.snils or "")
        self.audit_read(
            AuditAction.LIST,
            entries,
            query={**filters, "sort": sort, "page": page_obj.number, "total": page_obj.paginator.count},
        )
        context = {
            "form": form,
            "filters": filters,
            "sort": sort,
            "page_obj": page_obj,
            "entries": entries,
            "years": list_years_for_user(user=request.user),
            "show_mo": request.user.role != Role.MO_STAFF,
            "show_smo": request.user.role not in SMO_INSURED_ROLES,
            "month_label": MONTH_LABELS.get(filters.get("month")),
            "state_label": STATE_LABELS.get(filters.get("state")),
            "measure_label": MEASURE_LABELS.get(filters.get("measure")),
        }
        return render(request, self.template_name, context)


# Columns of the export: the list's own tag names [formats.md] plus the state; T = free text, D = date.
EXPORT_FIELDS = (
    ("mo__code", "CODE_MO", ""),
    ("year", "YEAR", ""),
    ("measure", "DISP", ""),
    ("month", "MONTH", ""),
    ("quarter", "KV", ""),
    ("n_zap", "N_ZAP", ""),
    ("person__enp", "ENP", ""),
    ("person__snils", "SNILS", ""),
    ("person__last_name", "FAM", "T"),
    ("person__first_name", "IM", "T"),
    ("person__patronymic", "OT", "T"),
    ("person__sex", "W", ""),
    ("person__birth_date", "DR", "D"),
    ("district", "UCH", "T"),
    ("phone", "TEL", "T"),
    ("smo_code", "SMO", ""),
    ("state", "STATE", ""),
    ("state_date", "STATE_DATE", "D"),
    ("health_group", "HEALTH_GROUP", ""),
)
EXPORT_HEADERS = [header for _field, header, _kind in EXPORT_FIELDS]
CSV_BATCH_ROWS = 2000


def _export_row(row: tuple) -> list:
    values = []
    for value, (_field, _header, kind) in zip(row, EXPORT_FIELDS, strict=True):
        if value is None:
            values.append("")
        elif kind == "D":
            values.append(value.isoformat())
        else:
            values.append(value)
    return values


def _stream_rows(queryset) -> Iterator[tuple]:
    """Rows through a server-side cursor planned for reading everything.

    A cursor is planned for its first 10 % by default (cursor_tuple_fraction), which for a sorted list picks
    an index walk over every person: measured 6.6 s instead of 0.3 s for an MO's 26 thousand entries.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from queryset.iterator(chunk_size=5000)


def _csv_chunks(rows) -> Iterator[str]:
    """The CSV in chunks of a few thousand lines (one write per chunk, not per line)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")  # a BOM, so Excel opens the UTF-8 Cyrillic correctly
    writer.writerow(EXPORT_HEADERS)
    for count, row in enumerate(rows, start=1):
        # Every text the MO wrote (a district "-1+cmd|...", a phone "+1+cmd|...") is neutralized (omsportal.exports).
        writer.writerow(safe_row(_export_row(row)))
        if count % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class ListExportView(ListPersonsMixin, View):
    """The visible list (with the page's filters) as CSV or XLSX; one EXPORT audit entry names the persons."""

    def get(self, request, fmt: str):
        form = self.filter_form()
        filters = self.filters(form)
        sort = form.sort_key()
        queryset = list_entries_for_user(user=request.user, ordering=LIST_SORTS[sort], **filters)
        person_ids = list(queryset.order_by().values_list("person_id", flat=True))
        if fmt == "xlsx" and len(person_ids) > XLSX_MAX_ROWS:
            fmt = "csv"
        # Written before the first byte leaves: an export that breaks off midway is still on record.
        audit_record(
            user=request.user,
            action=AuditAction.EXPORT,
            person_ids=person_ids,
            query={**filters, "sort": sort, "format": fmt},
            request=request,
            object_type="list_entry",
        )
        rows = _stream_rows(queryset.values_list(*(field for field, _header, _kind in EXPORT_FIELDS)))
        stamp = timezone.localdate().strftime("%Y%m%d")
        filename = f"list_{filters.get('year')}_{filters.get('measure', 'ALL')}_{stamp}.{fmt}"
        if fmt == "csv":
            return attachment(
                _csv_chunks(rows), filename=filename, content_type="text/csv; charset=utf-8", streaming=True
            )
        return attachment(_xlsx_bytes(rows, title=_("Список")), filename=filename, content_type=XLSX_CONTENT_TYPE)


def _xlsx_bytes(rows, *, title: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(str(title)[:31])
    bold = workbook.add_format({"bold": True})
    write_cells(sheet, 0, 0, EXPORT_HEADERS, bold)
    for index, row in enumerate(rows, start=1):
        write_cells(sheet, index, 0, _export_row(row))  # each text cell made inert by write_cell
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


urlpatterns = [
    path("lists/", ListsOverviewView.as_view(), name="lists"),
    path("lists/entries/", ListEntriesView.as_view(), name="list_entries"),
    re_path(r"^lists/entries/export\.(?P<fmt>csv|xlsx)$", ListExportView.as_view(), name="list_export"),
]
