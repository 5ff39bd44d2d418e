"""Batches: made by level 2 from a due set, their progress, counts per channel, cancel, send and the files out."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omsportal.audit import audit_record
from omsportal.exports import XLSX_CONTENT_TYPE, attachment, table_xlsx
from omsportal.models import AuditAction
from omsportal.views.base import PortalView, ScopedObjectMixin
from participants.models import Role, User

from ..access import READ_BATCHES, READ_INFORMING, WORK_INFORMING
from ..due import DUE_KINDS
from ..formats.batchfiles import batch_file
from ..models import Batch, BatchMessage, BatchStatus, Channel, Kind, MessageStatus
from ..selectors.batches import (
    AUDITED_IDS,
    approved_versions,
    batch_arm_counts,
    batch_file_persons,
    batch_status_counts,
    batch_unreachable_messages,
    batches_newest_first,
    mos_by_code,
    phone_operators,
)
from ..services.batches import batch_cancel, batch_create, batch_send

ARM_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.POST, Channel.PHONE, Channel.MESSENGER)
# The A/B arms the form offers: the first is the batch's text set, each further one filled splits the persons at
# random (a hash of batch and person, informing.services.batches._arm_of) between the arms filled.
ARMS = ("a", "b", "c", "d")
ARM_LABELS = {"b": gettext_lazy("вариант Б"), "c": gettext_lazy("вариант В"), "d": gettext_lazy("вариант Г")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = {
    "sms": (Channel.SMS, "text/csv; charset=utf-8", "csv"),
    "letters": (Channel.POST, "application/pdf", "pdf"),
    "mailing": (Channel.POST, XLSX, "xlsx"),
    "phone": (Channel.PHONE, XLSX, "xlsx"),
}


class BatchForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Вид информирования"), choices=[(k, Kind(k).label) for k in DUE_KINDS])
    month = forms.TypedChoiceField(
        label=gettext_lazy("Запланированный месяц"), required=False, coerce=int, empty_value=None,
        choices=[("", "—")] + [(m, str(m)) for m in range(1, 13)],
    )  # fmt: skip
    mos = forms.ModelMultipleChoiceField(
        label=gettext_lazy("МО (пусто — все)"), required=False,
        queryset=mos_by_code(),
    )  # fmt: skip
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Оператор обзвона"), required=False, queryset=User.objects.none()
    )

    def __init__(self, *args, smo, **kwargs):
        super().__init__(*args, **kwargs)
        versions = approved_versions(smo)
        for arm in ARMS:
            for channel in ARM_CHANNELS:
                choices = [("", "—")] + [
                    (v.pk, f"{v.template.name} (v{v.number}, {v.template.get_kind_display()})")
                    for v in versions if v.template.channel == channel
                ]  # fmt: skip
                label = f"{Channel(channel).label}" + (f" — {ARM_LABELS[arm]}" if arm in ARM_LABELS else "")
                self.fields[f"{arm}_{channel}"] = forms.TypedChoiceField(
                    label=label, required=False, choices=choices, coerce=int, empty_value=None
                )
        self.fields["operator"].queryset = phone_operators(smo)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def arms(self) -> list[dict[str, int]]:
        arms = []
        for arm in ARMS:
            chosen = {
                ch: self.cleaned_data[f"{arm}_{ch}"] for ch in ARM_CHANNELS if self.cleaned_data.get(f"{arm}_{ch}")
            }
            if chosen:
                arms.append(chosen)
        return arms


class BatchesView(ScopedObjectMixin, PortalView):
    """The batches the user sees; level 2 makes one from a due set."""

    capability = READ_BATCHES
    write_capability = WORK_INFORMING
    model = Batch

    def get(self, request):
        form = BatchForm(smo=request.user.organization) if WORK_INFORMING.allows(request.user) else None
        return self.show(request, form)

    def post(self, request):
        form = BatchForm(request.POST, smo=request.user.organization)
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = batch_create(
                    smo=request.user.organization, kind=data["kind"], created_by=request.user, arms=form.arms(),
                    month=data["month"], mo_ids=[m.pk for m in data["mos"]], assigned_to=data["operator"],
                )  # fmt: skip
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Рассылка формируется."))
                return redirect("informing:batch", pk=batch.pk)
        return self.show(request, form, status=400)

    def show(self, request, form, status=200):
        batches = self.scoped(batches_newest_first())
        page = Paginator(batches, 30).get_page(request.GET.get("page"))
        context = {"page_obj": page, "batches": page.object_list, "form": form, "tab": "batches"}
        return render(request, "informing/batches.html", context, status=status)


class BatchView(ScopedObjectMixin, PortalView):
    """One batch: progress, counts per channel and arm, who could not be reached; cancel and send; the files."""

    capability = READ_BATCHES
    write_capability = WORK_INFORMING
    model = Batch

    def get(self, request, pk: int):
        batch = self.get_scoped_object(pk=pk)
        by_status = batch_status_counts(batch)
        arms = batch_arm_counts(batch)
        counts = [(Channel(ch).label, n) for ch, n in sorted((batch.counts or {}).items())]
        context = {
            "batch": batch, "counts": counts, "by_status": [(MessageStatus(s).label, n) for s, n in by_status.items()],
            "arms": arms, "tab": "batches", "can_work": WORK_INFORMING.allows(request.user)
            and batch.smo_id == request.user.organization_id, "finished": batch.is_finished,
            "files": [key for key, (ch, _t, _e) in FILES.items() if (batch.counts or {}).get(ch)]
            if batch.sent_at and batch.status != BatchStatus.CANCELLED else [],
            "percent": int(100 * batch.records_read / batch.records_total) if batch.records_total else 0,
        }  # fmt: skip
        if request.user.role == Role.SMO_L1:
            context["files"] = ["phone"] if "phone" in context["files"] else []
        return render(request, "informing/batch.html", context)

    def post(self, request, pk: int):
        batch = self.get_scoped_object(pk=pk)
        if batch.smo_id != request.user.organization_id:
            raise PermissionDenied(_("Ваша роль позволяет только просмотр."))
        action = request.POST.get("action")
        if action == "cancel":
            if batch.sent_at is not None:
                messages.error(request, _("Отправка рассылки уже начата: отменить её нельзя."))
            elif batch_cancel(batch=batch, user=request.user):
                messages.warning(request, _("Рассылка отменена."))
            else:
                messages.error(request, _("Отправленную рассылку отменить нельзя."))
        elif action == "send":
            if batch_send(batch=batch, user=request.user):
                messages.success(request, _("Рассылка отправляется."))
            else:
                messages.error(request, _("Отправить можно только сформированную рассылку."))
        return redirect("informing:batch", pk=pk)


class BatchFileView(ScopedObjectMixin, PortalView):
    """A file of a sent batch (SMS batch, letters PDF, mailing list, phone list): personal data, audited."""

    capability = READ_BATCHES
    model = Batch

    def get(self, request, pk: int, fmt: str):
        batch = self.get_scoped_object(pk=pk)
        if fmt not in FILES or batch.sent_at is None or batch.status == BatchStatus.CANCELLED:
            raise Http404("No such file")
        channel, content_type, extension = FILES[fmt]
        if request.user.role == Role.SMO_L1 and fmt != "phone":
            raise Http404("No such file")
        content = batch_file(batch, fmt)  # a temporary file, streamed and closed by the response
        ids, count = batch_file_persons(batch, channel)
        audit_record(user=request.user, action=AuditAction.EXPORT, person_ids=ids, person_count=count,
                     query={"batch": batch.pk, "file": fmt}, request=request, object_type="batch")  # fmt: skip
        name = f"{fmt}_{batch.smo.code}_{batch.pk}_{timezone.localdate():%Y%m%d}.{extension}"
        return attachment(content, filename=name, content_type=content_type)


class BatchUnreachableView(ScopedObjectMixin, PortalView):
    """Who of a batch could not be reached by any channel: SMO level 2/3 (their SMO's batches) and the Fund; a
    paginated list (audited LIST) or, with ``?fmt=xlsx``, the whole list as XLSX (audited EXPORT)."""

    capability = READ_INFORMING
    model = Batch
    PAGE_SIZE = 50

    def get(self, request, pk: int):
        batch = self.get_scoped_object(pk=pk)
        rows = batch_unreachable_messages(batch, user=request.user)
        if request.GET.get("fmt") == "xlsx":
            return self.download(request, batch, rows)
        page = Paginator(rows, self.PAGE_SIZE).get_page(request.GET.get("page"))
        self.audit_read(AuditAction.LIST, page.object_list, model=BatchMessage,
                        query={"batch": batch.pk, "unreachable": True, "page": page.number})  # fmt: skip
        context = {"batch": batch, "page_obj": page, "lines": page.object_list, "tab": "batches"}
        return render(request, "informing/batch_unreachable.html", context)

    def download(self, request, batch, rows):
        values = list(
            rows.values_list("person_id", "person__last_name", "person__first_name", "person__patronymic",
                             "person__birth_date", "person__enp", "mo__code", "person__phone", "person__email",
                             "person__address")
        )  # fmt: skip
        audit_record(user=request.user, action=AuditAction.EXPORT, person_ids=[v[0] for v in values[:AUDITED_IDS]],
                     person_count=len(values), query={"batch": batch.pk, "unreachable": True, "fmt": "xlsx"},
                     request=request, object_type="batch_message")  # fmt: skip
        headers = [_("ФИО"), _("Дата рождения"), _("ЕНП"), _("МО"), _("Телефон"), _("E-mail"), _("Адрес")]
        lines = (
            [" ".join(p for p in (last, first, middle) if p), born.strftime("%d.%m.%Y") if born else "", enp,
             mo or "", phone, email, address]
            for _pid, last, first, middle, born, enp, mo, phone, email, address in values
        )  # fmt: skip
        content = table_xlsx(headers, lines, title=_("Недоступны"))
        name = f"unreachable_{batch.smo.code}_{batch.pk}_{timezone.localdate():%Y%m%d}.xlsx"
        return attachment(content, filename=name, content_type=XLSX_CONTENT_TYPE)


urlpatterns = [
    path("batches/", BatchesView.as_view(), name="batches"),
    path("batches/<int:pk>/", BatchView.as_view(), name="batch"),
    path("batches/<int:pk>/files/<str:fmt>/", BatchFileView.as_view(), name="batch_file"),
    path("batches/<int:pk>/unreachable/", BatchUnreachableView.as_view(), name="batch_unreachable"),
]
