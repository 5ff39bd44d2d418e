"""Views: post stage events as a file, follow the batches, and see list progress by month [R II.9, II.16, II.22].

MO staff upload EVENTS files and see their own batches; the Fund reads every MO's batches (a POST is 403).
The progress table is for MO staff (own lists), SMO L2/L3 (their insured), the Fund and the Ministry (all,
aggregates only). Every other role gets 404, the same answer as "does not exist" [domain §2].
"""

from __future__ import annotations

import os

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.access import SIGNED_IN
from omsportal.exports import attachment
from omsportal.jobs.models import JobStatus
from omsportal.views.base import PortalView
from participants.models import Role
from screening.access import POST_EVENTS, READ_EVENT_BATCHES, READ_LIST_COUNTS
from screening.formats.templates import EVENT_COLUMNS, events_template_csv_bytes, events_template_xlsx_bytes
from screening.models import Measure
from screening.selectors.events import (
    PROGRESS_MEASURES,
    event_batch_for_user,
    event_batches_for_user,
    progress_mo_choices,
    state_counts_by_month,
)
from screening.services.events import event_batch_create_from_file

HISTORY_PAGE_SIZE = 25
ERRORS_PAGE_SIZE = 100
POLL_SECONDS = 2
EVENT_FILE_EXTENSIONS = (".xml", ".zip", ".csv", ".xlsx")
EVENT_FILE_MAX_BYTES = 256 * 1024 * 1024
FINISHED = (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED)

MONTHS = [
    _lazy("январь"),
    _lazy("февраль"),
    _lazy("март"),
    _lazy("апрель"),
    _lazy("май"),
    _lazy("июнь"),
    _lazy("июль"),
    _lazy("август"),
    _lazy("сентябрь"),
    _lazy("октябрь"),
    _lazy("ноябрь"),
    _lazy("декабрь"),
]
# Chart colours of the states (stacked bars), in the order of selectors.events.MEASURE_STATES.
STATE_COLORS = {
    "LISTED": "#adb5bd",
    "STARTED": "#6ea8fe",
    "STAGE1_DONE": "#198754",
    "STAGE2_SENT": "#ffc107",
    "STAGE2_DONE": "#0f5132",
    "PMO_STARTED": "#6ea8fe",
    "PMO_DONE": "#198754",
    "REFUSED": "#dc3545",
}


class EventsUploadForm(forms.Form):
    file = forms.FileField(
        label=_lazy("Файл событий"),
        help_text=_lazy("EVENTS в формате XML (UTF-8 или windows-1251), CSV или XLSX; можно в архиве ZIP."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if os.path.splitext(upload.name.lower())[1] not in EVENT_FILE_EXTENSIONS:
            raise forms.ValidationError(_("Допустимы файлы XML, CSV, XLSX или ZIP."))
        if upload.size == 0:
            raise forms.ValidationError(_("Файл пуст."))
        if upload.size > EVENT_FILE_MAX_BYTES:
            raise forms.ValidationError(_("Файл больше 256 МБ: разделите его на части."))
        return upload


class ProgressForm(forms.Form):
    year = forms.IntegerField(label=_lazy("Год"), min_value=2000, max_value=2100)
    measure = forms.ChoiceField(
        label=_lazy("Мероприятие"), choices=[(m.value, m.label) for m in Measure if m in PROGRESS_MEASURES]
    )
    mo = forms.ModelChoiceField(label=_lazy("МО"), queryset=None, required=False, empty_label=_lazy("все МО"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mo"].queryset = progress_mo_choices(user=user)
        self.fields["mo"].label_from_instance = lambda mo: f"{mo.code} {mo.display_name}"
        if user.role == Role.MO_STAFF:
            del self.fields["mo"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"


class EventsView(PortalView):
    """Stage events: an upload form for MO staff and the batch history; roles without batches go to progress.

    A POST is MO staff's; the Fund (which reads the batches) gets 403, everyone else 404.
    """

    capability = READ_EVENT_BATCHES | READ_LIST_COUNTS
    write_scope = READ_EVENT_BATCHES
    write_capability = POST_EVENTS

    @property
    def read_only_message(self) -> str:
        return _("Передавать события может только сотрудник МО.")

    def get(self, request):
        if not READ_EVENT_BATCHES.allows(request.user):
            return redirect("screening:events_progress")
        form = EventsUploadForm() if POST_EVENTS.allows(request.user) else None
        return self.render(request, form)

    def post(self, request):
        form = EventsUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(request, form, status=400)
        upload = form.cleaned_data["file"]
        batch = event_batch_create_from_file(
            mo=request.user.organization, file=upload, original_name=upload.name, posted_by=request.user
        )
        messages.success(request, _("Файл «%(name)s» принят в обработку.") % {"name": batch.original_name})
        return redirect("screening:event_batch", pk=batch.pk)

    def render(self, request, form, *, status: int = 200):
        page_obj = Paginator(event_batches_for_user(user=request.user), HISTORY_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {
            "form": form, "page_obj": page_obj, "batches": page_obj.object_list, "finished": FINISHED,
            "event_columns": EVENT_COLUMNS,
        }  # fmt: skip
        return render(request, "screening/events.html", context, status=status)


class EventBatchView(PortalView):
    """One batch: status, counts, and the rejected records with field and reason."""

    capability = READ_EVENT_BATCHES

    def get(self, request, pk: int):
        batch = event_batch_for_user(user=request.user, batch_id=pk)
        errors = Paginator(batch.errors or [], ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
        for error in errors.object_list:
            error["number"] = error.get("n_zap") or (error.get("index", 0) + 1)
        context = {
            "batch": batch,
            "errors": errors,
            "finished": batch.status in FINISHED,
            "poll_seconds": POLL_SECONDS,
        }
        return render(request, "screening/event_batch_detail.html", context)


CSV_CONTENT = "text/csv; charset=utf-8"
XLSX_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EventsTemplateDownloadView(PortalView):
    """The empty EVENTS template (CSV or XLSX) with two example rows and the columns described."""

    capability = SIGNED_IN

    def get(self, request, fmt: str):
        if fmt == "csv":
            return attachment(events_template_csv_bytes(), filename="EVENTS_template.csv", content_type=CSV_CONTENT)
        return attachment(events_template_xlsx_bytes(), filename="EVENTS_template.xlsx", content_type=XLSX_CONTENT)


class EventBatchStatusView(PortalView):
    """The status card of a batch (htmx polls it while the file is processed)."""

    capability = READ_EVENT_BATCHES

    def get(self, request, pk: int):
        batch = event_batch_for_user(user=request.user, batch_id=pk)
        context = {"batch": batch, "finished": batch.status in FINISHED, "poll_seconds": POLL_SECONDS}
        response = render(request, "screening/event_batch_status.html", context)
        if batch.status in FINISHED and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"  # show the errors table once the job is done
        return response


class EventsProgressView(PortalView):
    """Counts of list entries by planned month and state for a year and measure, with a stacked bar chart."""

    capability = READ_LIST_COUNTS

    def get(self, request):
        user = request.user
        initial = {"year": timezone.localdate().year, "measure": Measure.DVN}
        form = ProgressForm(request.GET or initial, user=user)
        counts = None
        if form.is_valid():
            counts = state_counts_by_month(
                user=user,
                year=form.cleaned_data["year"],
                measure=form.cleaned_data["measure"],
                mo=form.cleaned_data.get("mo"),
            )
        chart = None
        if counts is not None:
            labels = [str(MONTHS[row.month - 1]) if row.month else _("без месяца") for row in counts.rows]
            chart = {
                "labels": labels,
                "datasets": [
                    {
                        "label": label,
                        "data": [row.counts[i] for row in counts.rows],
                        "backgroundColor": STATE_COLORS.get(state, "#6c757d"),
                    }
                    for i, (state, label) in enumerate(zip(counts.states, counts.state_labels, strict=True))
                ],
            }
        context = {
            "form": form,
            "counts": counts,
            "rows": [(str(MONTHS[row.month - 1]) if row.month else _("без месяца"), row) for row in counts.rows]
            if counts
            else [],
            "chart": chart,
            "show_batches": READ_EVENT_BATCHES.allows(user),
            "scope_note": {
                Role.MO_STAFF: _("Списки вашей МО."),
                Role.SMO_L2: _("Застрахованные вашей СМО по текущему регистру."),
                Role.SMO_L3: _("Застрахованные вашей СМО по текущему регистру."),
                Role.FUND: _("Все МО региона."),
                Role.MINISTRY: _("Все МО региона, сводные числа."),
            }.get(user.role),
        }
        return render(request, "screening/events_progress.html", context)


urlpatterns = [
    path("events/", EventsView.as_view(), name="events"),
    path("events/progress/", EventsProgressView.as_view(), name="events_progress"),
    re_path(r"^events/template\.(?P<fmt>csv|xlsx)$", EventsTemplateDownloadView.as_view(), name="events_template"),
    path("events/batches/<int:pk>/", EventBatchView.as_view(), name="event_batch"),
    path("events/batches/<int:pk>/status/", EventBatchStatusView.as_view(), name="event_batch_status"),
]
