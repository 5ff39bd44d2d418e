"""Texts of informing: the SMO's templates with their versions, the editor with a live preview, the Fund's
approval [R II.10]."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.scoping import persons_visible_to
from omsportal.views.base import PortalView, ScopedObjectMixin
from participants.models import AttachmentPeriod, Role

from ..access import APPROVE_TEXTS, READ_INFORMING, WORK_INFORMING
from ..models import Channel, Kind, Template, VersionStatus
from ..rendering import mo_values, person_values, smo_values
from ..services.texts import (
    template_create,
    template_text_change,
    version_approve,
    version_return,
    version_submit,
)
from ..texts import PLACEHOLDERS, sms_length
from ..texts import render as render_text

TEXT_WRITERS = WORK_INFORMING | APPROVE_TEXTS


def _widgets(form):
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Вид информирования"), choices=Kind.choices)
    channel = forms.ChoiceField(label=gettext_lazy("Канал"), choices=Channel.choices)
    name = forms.CharField(label=gettext_lazy("Название"), max_length=200)
    subject = forms.CharField(label=gettext_lazy("Тема письма (e-mail)"), max_length=200, required=False)
    body = forms.CharField(label=gettext_lazy("Текст"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _widgets(self)


class TextForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Тема письма (e-mail)"), max_length=200, required=False)
    body = forms.CharField(label=gettext_lazy("Текст"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _widgets(self)


def _form_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error("body", message)


class TextsView(ScopedObjectMixin, PortalView):
    """The templates of the SMO (the Fund: of every SMO, those waiting for approval first); level 2 adds one."""

    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    model = Template

    def get(self, request):
        return self.show(request, TemplateForm() if WORK_INFORMING.allows(request.user) else None)

    def post(self, request):
        form = TemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                template = template_create(
                    smo=request.user.organization, kind=data["kind"], channel=data["channel"], name=data["name"],
                    body=data["body"], subject=data["subject"], created_by=request.user,
                )  # fmt: skip
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Шаблон создан: черновик версии 1."))
                return redirect("informing:text", pk=template.pk)
        return self.show(request, form, status=400)

    def show(self, request, form, status=200):
        templates = self.scoped(Template.objects.select_related("smo").prefetch_related("versions"))
        rows = []
        for template in templates:
            versions = sorted(template.versions.all(), key=lambda v: -v.number)
            rows.append(
                {
                    "t": template,
                    "latest": versions[0] if versions else None,
                    "approved": next((v for v in versions if v.status == VersionStatus.APPROVED), None),
                }
            )
        if request.user.role == Role.FUND:
            rows.sort(key=lambda r: (r["latest"] is None or r["latest"].status != VersionStatus.SUBMITTED,
                                     r["t"].smo.code, r["t"].name))  # fmt: skip
        context = {"rows": rows, "form": form, "placeholders": PLACEHOLDERS, "tab": "texts",
                   "smos": []}  # fmt: skip
        return render(request, "informing/texts.html", context, status=status)


class TextView(ScopedObjectMixin, PortalView):
    """One template: its versions, the editor (level 2) and the Fund's decision on a submitted version."""

    capability = READ_INFORMING
    write_capability = TEXT_WRITERS
    model = Template

    def get(self, request, pk: int):
        template = self.get_scoped_object(pk=pk)
        latest = template.versions.order_by("-number").first()
        form = None
        if WORK_INFORMING.allows(request.user):
            form = TextForm(
                initial={"body": latest.body if latest else "", "subject": latest.subject if latest else ""}
            )
        return self.show(request, template, form)

    def post(self, request, pk: int):
        template = self.get_scoped_object(pk=pk)
        action = request.POST.get("action", "save")
        user = request.user
        if action in ("approve", "return"):
            if not APPROVE_TEXTS.allows(user):
                return self.forbidden()
            version = template.versions.filter(pk=request.POST.get("version") or 0).first()
            if version is None:
                return redirect("informing:text", pk=pk)
            try:
                if action == "approve":
                    version_approve(version=version, user=user)
                    messages.success(request, _("Версия %(n)s согласована.") % {"n": version.number})
                else:
                    version_return(version=version, user=user, comment=request.POST.get("comment", ""))
                    messages.warning(request, _("Версия %(n)s возвращена на доработку.") % {"n": version.number})
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect("informing:text", pk=pk)
        if not WORK_INFORMING.allows(user) or template.smo_id != user.organization_id:
            return self.forbidden()
        if action == "submit":
            version = template.versions.order_by("-number").first()
            try:
                version_submit(version=version, user=user)
                messages.success(request, _("Версия %(n)s отправлена на согласование в ТФОМС.") % {"n": version.number})
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect("informing:text", pk=pk)
        form = TextForm(request.POST)
        if form.is_valid():
            try:
                version = template_text_change(
                    template=template, body=form.cleaned_data["body"], subject=form.cleaned_data["subject"],
                    changed_by=user,
                )  # fmt: skip
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Сохранено: черновик версии %(n)s.") % {"n": version.number})
                return redirect("informing:text", pk=pk)
        return self.show(request, template, form, status=400)

    def forbidden(self):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Ваша роль позволяет только просмотр."))

    def show(self, request, template, form, status=200):
        versions = list(template.versions.select_related("created_by", "decided_by").order_by("-number"))
        latest = versions[0] if versions else None
        context = {
            "template": template, "versions": versions, "latest": latest, "form": form, "tab": "texts",
            "placeholders": PLACEHOLDERS, "can_approve": APPROVE_TEXTS.allows(request.user),
            "sms": sms_length(latest.body) if latest and template.channel == Channel.SMS else None,
            "is_sms": template.channel == Channel.SMS,
        }  # fmt: skip
        return render(request, "informing/text.html", context, status=status)


class TextPreviewView(ScopedObjectMixin, PortalView):
    """The live preview of a text on a sample person (htmx), audited as a card read; SMS length and segments."""

    capability = READ_INFORMING
    write_capability = TEXT_WRITERS
    model = Template

    def post(self, request, pk: int):
        template = self.get_scoped_object(pk=pk)
        body = request.POST.get("body", "")[:10000]
        persons = persons_visible_to(request.user)
        enp = (request.POST.get("enp") or "").strip()
        person = persons.filter(enp=enp).first() if enp else None
        if person is None:
            person = persons.filter(informing_opt_out=False).order_by("pk").first()
        text, sample = body, None
        if person is not None:
            today = timezone.localdate()
            attachment = (
                AttachmentPeriod.objects.filter(person=person, date_from__lte=today).order_by("-date_from").first()
            )
            mo_id = attachment.mo_id if attachment else None
            mos = mo_values([mo_id], today.year) if mo_id else {}
            values = person_values(
                first_name=person.first_name, patronymic=person.patronymic, month=today.month,
                mo=mos.get(mo_id), smo=smo_values(template.smo),
            )  # fmt: skip
            text = render_text(body, values)
            sample = person
            audit_record(
                user=request.user, action=AuditAction.VIEW, person_ids=[person.pk], request=request,
                query={"preview_template": template.pk}, object_type="text_preview",
            )  # fmt: skip
        from ..texts import unknown_placeholders

        context = {
            "text": text, "sample": sample, "unknown": unknown_placeholders(body),
            "sms": sms_length(text) if template.channel == Channel.SMS else None,
        }  # fmt: skip
        return render(request, "informing/_preview.html", context)


urlpatterns = [
    path("texts/", TextsView.as_view(), name="texts"),
    path("texts/<int:pk>/", TextView.as_view(), name="text"),
    path("texts/<int:pk>/preview/", TextPreviewView.as_view(), name="text_preview"),
]
