"""Pages of the appeals register: the list (overdue highlighted), registration, one appeal with routing and answer,
overdue appeals per representative for the SMO's head [L1, L2, L3]."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.models import AuditAction
from omsportal.views.base import PortalView, ScopedObjectMixin
from participants.models import Role, User
from surveys.access import READ_APPEALS, WORK_APPEALS
from surveys.models import Appeal, AppealChannel, AppealStatus, AppealTopic
from surveys.selectors.appeals import appeal_for_user, appeals_for_user, overdue_by_representative
from surveys.services.appeals import LEVEL_OF_ROLE, AppealError, appeal_answer, appeal_register, appeal_route

PAGE = 50
INFORM_CHANNELS = [("", _lazy("не уведомлять сейчас")), ("PHONE", _lazy("телефонный звонок")),
                   ("POST", _lazy("почта")), ("EMAIL", _lazy("электронная почта")), ("SMS", _lazy("СМС"))]  # fmt: skip


def _select():
    return forms.Select(attrs={"class": "form-select"})


class AppealForm(forms.Form):
    channel = forms.ChoiceField(label=_lazy("Канал"), choices=AppealChannel.choices, widget=_select())
    topic = forms.ModelChoiceField(
        label=_lazy("Тема"), queryset=AppealTopic.objects.filter(is_active=True), widget=_select()
    )
    received_on = forms.DateField(
        label=_lazy("Дата поступления"), required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )  # fmt: skip
    enp = forms.CharField(
        label=_lazy("ЕНП застрахованного (если установлен)"), required=False, max_length=16,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )  # fmt: skip
    applicant = forms.CharField(label=_lazy("Заявитель"), required=False, max_length=300,
                                widget=forms.TextInput(attrs={"class": "form-control"}))  # fmt: skip
    contact = forms.CharField(label=_lazy("Контакт для ответа"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"class": "form-control"}))  # fmt: skip
    text = forms.CharField(label=_lazy("Содержание"), max_length=10_000,
                           widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}))  # fmt: skip


class RouteForm(forms.Form):
    level = forms.TypedChoiceField(label=_lazy("Уровень"), coerce=int, choices=[(2, "2"), (3, "3")], widget=_select())
    assignee = forms.ModelChoiceField(label=_lazy("Ответственный"), queryset=User.objects.none(), required=False,
                                      widget=_select())  # fmt: skip

    def __init__(self, *args, smo_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            organization_id=smo_id, role__in=(Role.SMO_L2, Role.SMO_L3), is_active=True
        ).order_by("role", "username")


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_lazy("Ответ"), max_length=10_000,
                             widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}))  # fmt: skip
    inform_channel = forms.ChoiceField(label=_lazy("Уведомить заявителя о результате"), choices=INFORM_CHANNELS,
                                       required=False, widget=_select())  # fmt: skip


class AppealListView(ScopedObjectMixin, PortalView):
    capability = READ_APPEALS
    model = Appeal

    def get(self, request):
        flt = {
            "status": request.GET.get("status", "") if request.GET.get("status") in AppealStatus.values else "",
            "mine": request.GET.get("mine") == "1",
            "overdue": request.GET.get("overdue") == "1",
        }
        page = Paginator(appeals_for_user(request.user, **flt), PAGE).get_page(request.GET.get("page"))
        self.audit_read(AuditAction.LIST, page.object_list)
        context = {
            "page": page, "flt": flt, "statuses": AppealStatus.choices, "today": timezone.localdate(),
            "may_register": WORK_APPEALS.allows(request.user),
            "head": request.user.role in (Role.SMO_L2, Role.SMO_L3, Role.FUND),
        }  # fmt: skip
        return render(request, "surveys/appeals.html", context)


class AppealCreateView(PortalView):
    capability = READ_APPEALS
    write_capability = WORK_APPEALS

    def get(self, request):
        if not WORK_APPEALS.allows(request.user):
            raise PermissionDenied(_("Ваша роль позволяет только просмотр."))
        return render(request, "surveys/appeal_create.html", {"form": AppealForm()})

    def post(self, request):
        form = AppealForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                appeal = appeal_register(
                    user=request.user, channel=data["channel"], topic=data["topic"], text=data["text"],
                    received_on=data.get("received_on"), enp=data.get("enp", "").strip(),
                    applicant=data.get("applicant", ""), contact=data.get("contact", ""), request=request,
                )  # fmt: skip
            except AppealError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Обращение № %(n)s зарегистрировано.") % {"n": appeal.pk})
                return redirect("surveys:appeal", pk=appeal.pk)
        return render(request, "surveys/appeal_create.html", {"form": form}, status=400)


class AppealDetailView(ScopedObjectMixin, PortalView):
    capability = READ_APPEALS
    write_capability = WORK_APPEALS
    model = Appeal

    def _context(self, request, appeal, **forms_):
        my_turn = (
            WORK_APPEALS.allows(request.user)
            and appeal.status != AppealStatus.ANSWERED
            and LEVEL_OF_ROLE.get(request.user.role) == appeal.level
        )
        return {
            "appeal": appeal, "my_turn": my_turn, "today": timezone.localdate(),
            "route_form": forms_.get("route_form") or RouteForm(smo_id=appeal.smo_id),
            "answer_form": forms_.get("answer_form") or AnswerForm(),
            "may_route": my_turn and appeal.level < 3,
        }  # fmt: skip

    def get(self, request, pk: int):
        appeal = appeal_for_user(request.user, pk)
        self.audit_read(AuditAction.VIEW, [appeal])
        return render(request, "surveys/appeal_detail.html", self._context(request, appeal))

    def post(self, request, pk: int):
        appeal = appeal_for_user(request.user, pk)
        action = request.POST.get("action")
        try:
            if action == "route":
                form = RouteForm(request.POST, smo_id=appeal.smo_id)
                if not form.is_valid():
                    return render(request, "surveys/appeal_detail.html",
                                  self._context(request, appeal, route_form=form), status=400)  # fmt: skip
                appeal_route(user=request.user, appeal=appeal, level=form.cleaned_data["level"],
                             assignee=form.cleaned_data.get("assignee"))  # fmt: skip
                messages.success(request, _("Обращение передано."))
            else:
                form = AnswerForm(request.POST)
                if not form.is_valid():
                    return render(request, "surveys/appeal_detail.html",
                                  self._context(request, appeal, answer_form=form), status=400)  # fmt: skip
                appeal_answer(
                    user=request.user, appeal=appeal, answer=form.cleaned_data["answer"],
                    inform_channel=form.cleaned_data.get("inform_channel") or "", request=request,
                )  # fmt: skip
                messages.success(request, _("Ответ записан."))
        except AppealError as exc:
            messages.error(request, str(exc))
        return redirect("surveys:appeal", pk=appeal.pk)


class AppealOverdueView(PortalView):
    """For the SMO's head (levels 2 and 3) and the Fund: open and overdue appeals per representative."""

    capability = READ_APPEALS

    def get(self, request):
        if request.user.role == Role.SMO_L1:
            return redirect(reverse("surveys:appeals") + "?mine=1&overdue=1")
        return render(request, "surveys/appeals_overdue.html", {"lines": overdue_by_representative(request.user)})


urlpatterns = [
    path("appeals/", AppealListView.as_view(), name="appeals"),
    path("appeals/new/", AppealCreateView.as_view(), name="appeal_create"),
    path("appeals/overdue/", AppealOverdueView.as_view(), name="appeals_overdue"),
    path("appeals/<int:pk>/", AppealDetailView.as_view(), name="appeal"),
]
