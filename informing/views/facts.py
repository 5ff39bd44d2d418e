"""Facts in through the browser (INFORM files, delivery reports) with their protocols; the facts themselves;
opt-outs and wrong recipients; the public unsubscribe link [R II.12, FAQ]."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from omsportal.models import AuditAction
from omsportal.scoping import persons_visible_to
from omsportal.views.base import PortalView, ScopedObjectMixin

from ..access import READ_INFORMING, SET_CHANNEL_PREFERENCE, WORK_INFORMING
from ..models import (
    Channel,
    ChannelPreference,
    ContactCorrection,
    ContactKind,
    InformingFact,
    InformUpload,
    OptOut,
    OptOutSource,
    UploadKind,
)
from ..services.batches import unsubscribe_message
from ..services.contacts import (
    PREFERABLE_CHANNELS,
    channel_preference_set,
    opt_out_record,
    wrong_recipient_report,
)
from ..services.uploads import inform_upload_create


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Что загружается"), choices=UploadKind.choices)
    file = forms.FileField(
        label=gettext_lazy("Файл"), help_text=gettext_lazy("INFORM: XML, CSV, XLSX или ZIP; отчёт о доставке: CSV")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"


class FactsView(ScopedObjectMixin, PortalView):
    """Uploads of facts with their counts and a form (level 2); the latest facts (audited list)."""

    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    model = InformingFact

    def get(self, request):
        return self.show(request, UploadForm() if WORK_INFORMING.allows(request.user) else None)

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.show(request, form, status=400)
        file = form.cleaned_data["file"]
        upload = inform_upload_create(smo=request.user.organization, file=file, original_name=file.name,
                                      uploaded_by=request.user, kind=form.cleaned_data["kind"])  # fmt: skip
        messages.success(request, _("Файл «%(name)s» принят в обработку.") % {"name": upload.original_name})
        return redirect("informing:upload", pk=upload.pk)

    def show(self, request, form, status=200):
        uploads = self.scoped(InformUpload.objects.select_related("smo").order_by("-created_at"))
        facts = self.scoped(InformingFact.objects.select_related("person", "mo").order_by("-posted_at", "-id"))
        page = Paginator(facts, 50).get_page(request.GET.get("page"))
        self.audit_read(AuditAction.LIST, page.object_list, model=InformingFact)
        context = {"uploads": uploads[:20], "page_obj": page, "facts": page.object_list, "form": form, "tab": "facts"}
        return render(request, "informing/facts.html", context, status=status)


class UploadView(ScopedObjectMixin, PortalView):
    """One upload: status and its protocol of bad records (record, field, Russian reason)."""

    capability = READ_INFORMING
    model = InformUpload

    def get(self, request, pk: int):
        upload = self.get_scoped_object(pk=pk)
        errors = Paginator(upload.errors or [], 100).get_page(request.GET.get("page"))
        context = {"upload": upload, "errors": errors, "tab": "facts", "finished": upload.is_finished}
        return render(request, "informing/upload.html", context)


class OptOutForm(forms.Form):
    enp = forms.RegexField(label=gettext_lazy("ЕНП"), regex=r"^[0-9]{16}$",
                           error_messages={"invalid": gettext_lazy("ЕНП — 16 цифр")})  # fmt: skip
    action = forms.ChoiceField(
        label=gettext_lazy("Что записать"),
        choices=[
            ("optout", gettext_lazy("Отказ от информирования")),
            *[(f"wrong_{k}", gettext_lazy("Не тот получатель: ") + str(label)) for k, label in ContactKind.choices],
        ],
    )
    note = forms.CharField(label=gettext_lazy("Примечание"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "action" else "form-control"


class PreferenceForm(forms.Form):
    enp = forms.RegexField(label=gettext_lazy("ЕНП"), regex=r"^[0-9]{16}$",
                           error_messages={"invalid": gettext_lazy("ЕНП — 16 цифр")})  # fmt: skip
    channel = forms.ChoiceField(
        label=gettext_lazy("Предпочтительный канал"), required=False,
        choices=[("", gettext_lazy("без предпочтения (по умолчанию)"))]
        + [(c, Channel(c).label) for c in PREFERABLE_CHANNELS],
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enp"].widget.attrs["class"] = "form-control"
        self.fields["channel"].widget.attrs["class"] = "form-select"
        self.fields["enp"].widget.attrs["id"] = "pref-enp"
        self.fields["channel"].widget.attrs["id"] = "pref-channel"


class OptOutsView(ScopedObjectMixin, PortalView):
    """Opt-outs and contact corrections of the user's insured; level 2 records either by ENP."""

    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    model = OptOut

    def get(self, request):
        return self.show(request, OptOutForm() if WORK_INFORMING.allows(request.user) else None)

    def pref_form(self, request, form=None):
        if form is None and SET_CHANNEL_PREFERENCE.allows(request.user):
            return PreferenceForm()
        return form

    def post(self, request):
        form = OptOutForm(request.POST)
        if form.is_valid():
            person = persons_visible_to(request.user).filter(enp=form.cleaned_data["enp"]).first()
            if person is None:
                form.add_error("enp", _("Лицо с таким ЕНП не застраховано в вашей СМО"))
            else:
                action, note = form.cleaned_data["action"], form.cleaned_data["note"]
                if action == "optout":
                    opt_out_record(person=person, acting_user=request.user, source=OptOutSource.REPRESENTATIVE,
                                   note=note, request=request)  # fmt: skip
                    messages.success(request, _("Отказ от информирования записан."))
                else:
                    wrong_recipient_report(person=person, contact=action.removeprefix("wrong_"),
                                           acting_user=request.user, note=note, request=request)  # fmt: skip
                    messages.success(request, _("Контакт удалён, прежнее значение сохранено в истории."))
                return redirect("informing:optouts")
        return self.show(request, form, status=400)

    def show(self, request, form, status=200, pref_form=None):
        optouts = self.scoped(OptOut.objects.select_related("person").order_by("-at"))
        page = Paginator(optouts, 50).get_page(request.GET.get("page"))
        corrections = list(self.scoped(ContactCorrection.objects.select_related("person").order_by("-at"))[:50])
        preferences = list(self.scoped(ChannelPreference.objects.select_related("person").order_by("-at"))[:50])
        self.audit_read(AuditAction.LIST, page.object_list, model=OptOut)
        if corrections:
            self.audit_read(AuditAction.LIST, corrections, model=ContactCorrection)
        if preferences:
            self.audit_read(AuditAction.LIST, preferences, model=ChannelPreference)
        context = {"page_obj": page, "optouts": page.object_list, "corrections": corrections, "form": form,
                   "tab": "optouts", "preferences": preferences,
                   "pref_form": self.pref_form(request, pref_form)}  # fmt: skip
        return render(request, "informing/optouts.html", context, status=status)


class ChannelPreferenceView(OptOutsView):
    """Level 2 or 3 records the channel a person prefers (by ENP, among the user's insured); POST only, from the
    opt-outs page, which it shows again with the form's errors."""

    write_capability = SET_CHANNEL_PREFERENCE
    http_method_names = ["post"]

    def post(self, request):
        form = PreferenceForm(request.POST)
        if form.is_valid():
            person = persons_visible_to(request.user).filter(enp=form.cleaned_data["enp"]).first()
            if person is None:
                form.add_error("enp", _("Лицо с таким ЕНП не застраховано в вашей СМО"))
            else:
                channel = form.cleaned_data["channel"]
                channel_preference_set(person=person, channel=channel, acting_user=request.user, request=request)
                if channel:
                    messages.success(request, _("Предпочтительный канал записан: %(channel)s.")
                                     % {"channel": Channel(channel).label})  # fmt: skip
                else:
                    messages.success(request, _("Предпочтительный канал снят."))
                return redirect("informing:optouts")
        own = OptOutForm() if WORK_INFORMING.allows(request.user) else None
        return self.show(request, own, status=400, pref_form=form)


@method_decorator(csrf_exempt, name="dispatch")  # the signed token is the authority; mail clients post no CSRF
class UnsubscribeView(View):
    """The signed link of an e-mail (no sign-in): GET asks, POST (also the one-click List-Unsubscribe-Post) records
    the refusal once; a forged or damaged token is a 404; a used one says so."""

    def get(self, request, token: str):
        message = unsubscribe_message(token)
        if message is None:
            return render(request, "informing/unsubscribe.html", {"state": "invalid"}, status=404)
        state = "used" if message.unsubscribed_at else "ask"
        return render(request, "informing/unsubscribe.html", {"state": state, "token": token})

    def post(self, request, token: str):
        message = unsubscribe_message(token)
        if message is None:
            return render(request, "informing/unsubscribe.html", {"state": "invalid"}, status=404)
        claimed = (
            type(message)
            .objects.filter(pk=message.pk, unsubscribed_at__isnull=True)
            .update(unsubscribed_at=timezone.now())
        )
        if not claimed:
            return render(request, "informing/unsubscribe.html", {"state": "used"}, status=410)
        opt_out_record(person=message.person, acting_user=None, source=OptOutSource.UNSUBSCRIBE,
                       smo=message.batch.smo, note=f"message {message.pk}")  # fmt: skip
        return render(request, "informing/unsubscribe.html", {"state": "done"})


urlpatterns = [
    path("facts/", FactsView.as_view(), name="facts"),
    path("facts/uploads/<int:pk>/", UploadView.as_view(), name="upload"),
    path("optouts/", OptOutsView.as_view(), name="optouts"),
    path("optouts/preference/", ChannelPreferenceView.as_view(), name="channel_preference"),
    path("unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="unsubscribe"),
]
