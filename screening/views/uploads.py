"""Views: upload a list, follow its processing, read and download the protocol [R II.2, II.5, II.6, II.9].

MO staff upload and see their own uploads; the Fund reads every MO's (read-only: a POST is 403); every other role
gets 404, the same answer as "does not exist" [domain §2].
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views import View

from omsportal.access import SIGNED_IN
from omsportal.audit import audit_record
from omsportal.exports import attachment, safe_filename
from omsportal.models import AuditAction
from omsportal.views.base import PortalMixin, PortalView, ScopedObjectMixin
from screening.access import UPLOAD_LISTS, WORK_WITH_UPLOADS
from screening.codes import meaning_of
from screening.formats.answers import answer_for, answer_temp_file
from screening.formats.dialects import dialect_label
from screening.formats.flk import protocol_file_name, protocol_temp_file
from screening.formats.templates import LIST_COLUMNS, list_template_csv_bytes, list_template_xlsx_bytes
from screening.forms import ListUploadForm, ProtocolFilterForm, UploadHistoryFilterForm
from screening.models import MEASURE_LABELS, ListUpload, ProtocolError, UploadStatus
from screening.selectors.lists import (
    FINISHED_STATUSES,
    PROTOCOL_STATUSES,
    correction_clock,
    correction_clocks,
    mo_list_deadlines,
    upload_progress,
    uploads_for_user,
)
from screening.selectors.protocols import protocol_errors, protocol_summary
from screening.services.list_upload import list_upload_confirm_replace, list_upload_create

HISTORY_PAGE_SIZE = 25
PROTOCOL_PAGE_SIZE = 50
# While a file is processed the page polls the progress partial this often (htmx "every 1s").
POLL_SECONDS = 1

XML_CONTENT_TYPE = "application/xml"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def protocol_filename(upload: ListUpload, extension: str) -> str:
    """FLK_P is named after the list: FNAME = 'V' + FNAME_I, the list's FILENAME [formats.md] — in safe characters
    only: a FILENAME is the uploader's text (CR LF, quotes, '=' are made '_' by omsportal.exports.safe_filename)."""
    return safe_filename(f"V{protocol_file_name(upload)}.{extension}", default=f"VLIST_{upload.pk}.{extension}")


class UploadPagesMixin(ScopedObjectMixin, PortalMixin):
    """Upload pages exist for MO staff and the Fund (read-only: a POST is 403); other roles get 404."""

    capability = WORK_WITH_UPLOADS
    write_capability = UPLOAD_LISTS
    model = ListUpload

    def get_upload(self) -> ListUpload:
        return self.get_scoped_object(ListUpload.objects.select_related("mo", "uploaded_by"), pk=self.kwargs["pk"])


class UploadsView(UploadPagesMixin, View):
    """The upload page: a drop zone / file field for MO staff, and the upload history with statuses and protocols."""

    template_name = "screening/uploads.html"

    @property
    def read_only_message(self) -> str:
        return _("Загружать списки может только сотрудник МО.")

    def get(self, request):
        form = ListUploadForm() if UPLOAD_LISTS.allows(request.user) else None
        return self.render(request, form)

    def post(self, request):
        form = ListUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                upload = list_upload_create(
                    mo=request.user.organization,
                    file=upload_file,
                    original_name=upload_file.name,
                    uploaded_by=request.user,
                    kind=form.cleaned_data["kind"],
                    year=form.cleaned_data.get("year"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Файл «%(name)s» принят в обработку.") % {"name": upload.original_name})
                return redirect("screening:upload_detail", pk=upload.pk)
        return self.render(request, form, status=400)

    def render(self, request, form, *, status: int = 200):
        filters = UploadHistoryFilterForm(request.GET or None)
        cleaned = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
        uploads = uploads_for_user(
            user=request.user,
            year=cleaned.get("year"),
            status=cleaned.get("status") or None,
            mo_code=cleaned.get("mo") or None,
        )
        page_obj = Paginator(uploads, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page_obj.object_list)
        clocks = correction_clocks(rows)
        for upload in rows:
            upload.clock = clocks[upload.pk]
            upload.dialect_label = dialect_label(upload.dialect) if upload.dialect else ""
        context = {
            "form": form,
            "filters": filters,
            "page_obj": page_obj,
            "uploads": rows,
            "show_mo": not UPLOAD_LISTS.allows(request.user),
            "finished_statuses": FINISHED_STATUSES,
            "deadlines": (
                mo_list_deadlines(mo_id=request.user.organization_id) if UPLOAD_LISTS.allows(request.user) else None
            ),
        }
        return render(request, self.template_name, context, status=status)


class UploadDetailView(UploadPagesMixin, View):
    """One upload: the live progress while it is processed, then the protocol (counts, errors, clock, downloads)."""

    template_name = "screening/upload_detail.html"

    def get(self, request, pk: int):
        upload = self.get_upload()
        context = {
            "upload": upload,
            "dialect_label": dialect_label(upload.dialect) if upload.dialect else "",
            "measure_labels": [MEASURE_LABELS.get(measure, measure) for measure in upload.measures],
            "progress": upload_progress(upload),
            "poll_seconds": POLL_SECONDS,
            "finished": upload.status in FINISHED_STATUSES,
        }
        if context["finished"]:
            context.update(self.protocol_context(request, upload))
        return render(request, self.template_name, context)

    def protocol_context(self, request, upload: ListUpload) -> dict:
        summary = protocol_summary(user=request.user, upload_id=upload.pk)
        codes = summary["codes"]
        form = ProtocolFilterForm(
            request.GET or None, code_choices=[(row["code"], f"{row['code']} — {row['meaning']}") for row in codes]
        )
        cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
        errors = protocol_errors(
            user=request.user, upload_id=upload.pk, code=cleaned.get("code"), n_zap=cleaned.get("n_zap")
        )
        page_obj = Paginator(errors, PROTOCOL_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page_obj.object_list)
        for row in rows:
            row.meaning = meaning_of(row.code)
            row.measure_label = MEASURE_LABELS.get(row.measure, row.measure)
        if rows:
            # The table shows persons as the MO wrote them: a read of personal data [domain §10].
            audit_record(
                user=request.user,
                action=AuditAction.LIST,
                person_count=len(rows),
                query={
                    "upload": upload.pk,
                    "code": cleaned.get("code"),
                    "n_zap": cleaned.get("n_zap"),
                    "page": page_obj.number,
                },
                request=request,
                object_type="protocol",
            )
        return {
            "summary": summary,
            "codes": codes,
            "chart": {
                "labels": [str(row["code"]) for row in codes],
                "values": [row["count"] for row in codes],
                "severities": [row["severity"] for row in codes],
            },
            "filter_form": form,
            "page_obj": page_obj,
            "errors": rows,
            "clock": correction_clock(upload),
            "downloadable": upload.status in PROTOCOL_STATUSES,
            "answer": answer_for(upload),
            "can_confirm_replace": upload.status == UploadStatus.HELD
            and UPLOAD_LISTS.allows(request.user)
            and request.user.organization_id == upload.mo_id,
            "replacement_rows": _replacement_rows(upload),
        }


def _replacement_rows(upload: ListUpload) -> list[dict]:
    """Per measure of the file: the current list, what the file keeps and removes, whether the list was replaced."""
    rows = []
    for measure, values in sorted((upload.replacement or {}).get("measures", {}).items()):
        current, kept = values.get("current", 0), values.get("kept", 0)
        rows.append(
            {
                "measure": MEASURE_LABELS.get(measure, measure),
                "current": current,
                "kept": kept,
                "removed": current - kept,
                "removed_percent": (current - kept) * 100 // current if current else 0,
                "accepted": values.get("accepted", 0),
                "applied": values.get("applied", False),
                "over_share": values.get("over_share", False),
            }
        )
    return rows


class ConfirmReplaceView(UploadPagesMixin, View):
    """POST: the MO confirms that a HELD file replaces its current list (the file is processed again)."""

    @property
    def read_only_message(self) -> str:
        return _("Подтвердить замену списка может только сотрудник МО, загрузившей файл.")

    def post(self, request, pk: int):
        upload = self.get_upload()
        try:
            list_upload_confirm_replace(upload_id=upload.pk, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Замена списка подтверждена: файл обрабатывается снова."))
        return redirect("screening:upload_detail", pk=upload.pk)


class UploadProgressView(UploadPagesMixin, View):
    """The small progress partial htmx polls every second; a finished job makes the page reload into the protocol."""

    template_name = "screening/upload_progress.html"

    def get(self, request, pk: int):
        upload = self.get_upload()
        progress = upload_progress(upload)
        context = {"upload": upload, "progress": progress, "poll_seconds": POLL_SECONDS}
        response = render(request, self.template_name, context)
        if progress["finished"] and getattr(request, "htmx", False):
            response["HX-Refresh"] = "true"
        return response


class ProtocolDownloadView(UploadPagesMixin, View):
    """The protocol as FLK_P XML or XLSX; a download of personal data is an EXPORT audit entry."""

    def get(self, request, pk: int, fmt: str):
        upload = self.get_upload()
        if upload.status not in PROTOCOL_STATUSES:
            raise Http404("The protocol is not ready")
        content = protocol_temp_file(upload, fmt)
        content_type = XML_CONTENT_TYPE if fmt == "xml" else XLSX_CONTENT_TYPE
        audit_record(
            user=request.user,
            action=AuditAction.EXPORT,
            person_count=ProtocolError.objects.filter(upload=upload).count(),
            query={"upload": upload.pk, "format": fmt},
            request=request,
            object_type="protocol",
        )
        return attachment(content, filename=protocol_filename(upload, fmt), content_type=content_type)


def answer_download(request, upload: ListUpload, *, channel: str = "web"):
    """The answer its MIS imports (screening.formats.answers), named as that MIS expects; audited as an EXPORT."""
    answer = answer_for(upload)
    if answer is None:
        raise Http404("No answer file for this upload")
    content = answer_temp_file(upload, answer)
    audit_record(
        user=request.user,
        action=AuditAction.EXPORT,
        person_count=upload.records_total,
        query={"upload": upload.pk, "format": "answer", "dialect": upload.dialect},
        request=request,
        channel=channel,
        object_type="protocol",
    )
    name = answer.file_name(upload)
    return attachment(content, filename=name, content_type=answer.content_type)


class ProtocolAnswerView(UploadPagesMixin, View):
    """The answer file of a MIS dialect (OSHIB_PR, the Vologda or Pskov echo) beside FLK_P and XLSX."""

    def get(self, request, pk: int):
        return answer_download(request, self.get_upload())


class TemplatesView(PortalView):
    """The CSV / XLSX templates of a list and the documentation of their columns."""

    capability = SIGNED_IN

    template_name = "screening/upload_templates.html"

    def get(self, request):
        return render(request, self.template_name, {"columns": LIST_COLUMNS})


class TemplateDownloadView(PortalView):
    """Download the empty list template (CSV or XLSX)."""

    capability = SIGNED_IN

    def get(self, request, fmt: str):
        if fmt == "csv":
            return attachment(list_template_csv_bytes(), filename="ZL_LIST_template.csv", content_type=CSV_CONTENT_TYPE)
        return attachment(list_template_xlsx_bytes(), filename="ZL_LIST_template.xlsx", content_type=XLSX_CONTENT_TYPE)


urlpatterns = [
    path("uploads/", UploadsView.as_view(), name="uploads"),
    path("uploads/<int:pk>/", UploadDetailView.as_view(), name="upload_detail"),
    path("uploads/<int:pk>/progress/", UploadProgressView.as_view(), name="upload_progress"),
    path("uploads/<int:pk>/confirm-replace/", ConfirmReplaceView.as_view(), name="upload_confirm_replace"),
    re_path(
        r"^uploads/(?P<pk>\d+)/protocol\.(?P<fmt>xml|xlsx)$", ProtocolDownloadView.as_view(), name="protocol_download"
    ),
    path("uploads/<int:pk>/answer/", ProtocolAnswerView.as_view(), name="protocol_answer"),
    path("uploads/templates/", TemplatesView.as_view(), name="upload_templates"),
    re_path(r"^uploads/templates/zl_list\.(?P<fmt>csv|xlsx)$", TemplateDownloadView.as_view(), name="upload_template"),
]
