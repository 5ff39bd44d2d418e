"""Views: the Fund reads the audit log of access to personal data and downloads it as CSV or XLSX [R II.25]."""

from __future__ import annotations

import csv
import tempfile
from urllib.parse import unquote

import xlsxwriter
from django.http import Http404
from django.urls import include, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from omsportal.access import READ_AUDIT_LOG
from omsportal.audit import audit_record
from omsportal.audit_display import ROLE_PURPOSES, describe_entries, object_label, params_text
from omsportal.exports import attachment, safe_row, write_cell, write_cells
from omsportal.filtersets import AuditLogFilter
from omsportal.models import AuditAction, AuditLog
from omsportal.pagination import CappedPaginator
from omsportal.views.base import PortalMixin, ScopedObjectMixin

PAGE_SIZE = 50
# Counting a log of millions of rows takes seconds; past this the page says "more than" and pages within it.
COUNT_CAP = 10_000
# An XLSX sheet holds 1 048 576 rows: a header, the data and one row saying the selection was cut.
XLSX_MAX_ROWS = 1_048_574
EXPORT_CHUNK = 2_000

ACTION_BADGES = {
    AuditAction.VIEW: "info",
    AuditAction.SEARCH: "secondary",
    AuditAction.LIST: "light",
    AuditAction.EXPORT: "warning",
    AuditAction.UPDATE: "primary",
    AuditAction.IMPORT: "success",
}


class AuditPagesMixin(ScopedObjectMixin, PortalMixin):
    """The audit log is the Fund's control tool; for every other role it does not exist (404)."""

    capability = READ_AUDIT_LOG
    model = AuditLog

    def log_queryset(self):
        return self.scoped(AuditLog.objects.select_related("user", "organization").order_by("-at", "-id"))


class AuditLogView(AuditPagesMixin, TemplateView):
    """Newest entries first, filtered by user, organization, action, dates and person."""

    template_name = "omsportal/audit_log.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = AuditLogFilter(self.request.GET or None, queryset=self.log_queryset(), request=self.request)
        page_obj = CappedPaginator(filterset.qs, PAGE_SIZE, cap=COUNT_CAP).get_page(self.request.GET.get("page"))
        entries = list(page_obj.object_list)
        named = describe_entries(entries, self.request.user)
        for entry in entries:
            entry.badge = ACTION_BADGES.get(entry.action, "secondary")
            entry.path_display = unquote(entry.path)
        if named:
            # The page names these persons (ENP and name): reading the log is itself a read of their data.
            audit_record(
                user=self.request.user,
                action=AuditAction.LIST,
                person_ids=named,
                object_type="audit_log",
                query={**filterset.audit_query(), "page": page_obj.number},
                request=self.request,
            )
        context.update(
            filter=filterset,
            page_obj=page_obj,
            entries=entries,
            filtered=filterset.is_bound and any(v for k, v in self.request.GET.items() if k != "page"),
        )
        return context


def _export_header() -> list[str]:
    return [
        gettext("Когда"),
        gettext("Логин"),
        gettext("Пользователь"),
        gettext("Код организации"),
        gettext("Организация"),
        gettext("Действие"),
        gettext("Объект"),
        gettext("Число лиц"),
        gettext("Идентификаторы лиц"),
        gettext("Параметры"),
        gettext("Адрес"),
        gettext("IP-адрес"),
        gettext("Канал"),
        gettext("Основание"),
    ]


_EXPORT_FIELDS = (
    "at",
    "user__username",
    "user__last_name",
    "user__first_name",
    "user__patronymic",
    "organization__code",
    "organization__short_name",
    "organization__name",
    "action",
    "object_type",
    "person_count",
    "person_ids",
    "query",
    "path",
    "ip",
    "channel",
    "reason",
    "user__role",
)


def _export_rows(queryset):
    """Plain tuples (no model instances, choice labels looked up once): measured 20 000 rows in ~1 s, was ~10 s."""
    tz = timezone.get_current_timezone()
    actions = {value: str(label) for value, label in AuditAction.choices}
    rows = queryset.values_list(*_EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK)
    for (
        at,
        username,
        last_name,
        first_name,
        patronymic,
        org_code,
        org_short,
        org_name,
        action,
        object_type,
        person_count,
        person_ids,
        query,
        url_path,
        ip,
        channel,
        reason,
        role,
    ) in rows:
        yield [
            at.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S"),
            username or "",
            " ".join(part for part in (last_name, first_name, patronymic) if part) or (username or ""),
            org_code or "",
            org_short or org_name or "",
            actions.get(action, action),
            object_label(object_type),
            person_count,
            " ".join(map(str, person_ids)),
            params_text(query) if query else "",
            url_path,
            ip or "",
            channel,
            reason or str(ROLE_PURPOSES.get(role, "")),
        ]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


class AuditExportView(AuditPagesMixin, View):
    """The filtered log as CSV (streamed, UTF-8 with BOM, ';' for Excel) or XLSX; the download is itself audited."""

    def get(self, request):
        fmt = request.GET.get("fmt", "csv")
        if fmt not in ("csv", "xlsx"):
            raise Http404("Unknown format")
        filterset = AuditLogFilter(request.GET or None, queryset=self.log_queryset(), request=request)
        queryset = filterset.qs
        total = queryset.count()
        audit_record(
            user=request.user,
            action=AuditAction.EXPORT,
            object_type="audit_log",
            query={**filterset.audit_query(), "fmt": fmt, "rows": total},
            request=request,
        )
        stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
        if fmt == "csv":
            writer = csv.writer(_Echo(), delimiter=";")

            def lines():
                yield "\ufeff" + writer.writerow(safe_row(_export_header()))
                for row in _export_rows(queryset):
                    yield writer.writerow(safe_row(row))

            return attachment(
                lines(), filename=f"audit_{stamp}.csv", content_type="text/csv; charset=utf-8", streaming=True
            )
        return self._xlsx(queryset, total, stamp)

    def _xlsx(self, queryset, total: int, stamp: str):
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        book = xlsxwriter.Workbook(spool, {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet(gettext("Журнал доступа"))
        bold = book.add_format({"bold": True})
        write_cells(sheet, 0, 0, _export_header(), bold)
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, 5, 18)
        sheet.set_column(8, 10, 40)
        row_number = 0
        for row_number, row in enumerate(_export_rows(queryset[:XLSX_MAX_ROWS]), start=1):
            write_cells(sheet, row_number, 0, row)
        if total > XLSX_MAX_ROWS:
            write_cell(
                sheet,
                row_number + 1,
                0,
                gettext("Выгрузка обрезана: в XLSX помещается не больше 1 048 574 строк; используйте CSV."),
            )
        book.close()
        spool.seek(0)
        return attachment(
            spool,
            filename=f"audit_{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


patterns = [
    path("", AuditLogView.as_view(), name="log"),
    path("export/", AuditExportView.as_view(), name="export"),
]

urlpatterns = [path("audit/", include((patterns, "audit")))]
