"""Pages of level 2: the quotas per MO and quarter, call lists (build from a rule, follow, close) and the operators'
live progress [R II.14, O14, L2]."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.obligations import Period, obligation
from omsportal.views.base import PortalView
from participants.models import Organization, OrganizationKind, Role
from surveys.access import BUILD_CALL_LISTS, READ_CALL_LISTS, SUPERVISE_CALLS
from surveys.models import CallPurpose
from surveys.quotas import quarter_of
from surveys.selectors.calls import (
    call_list_counts,
    call_list_for_user,
    call_lists_for_user,
    operator_progress,
    quota_overview,
)
from surveys.selectors.forms import current_versions_for_user
from surveys.services.call_lists import CallListError, call_list_close, call_list_create, call_list_sample

LIST_PAGE = 50


class PeriodForm(forms.Form):
    year = forms.IntegerField(
        label=_lazy("Год"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    quarter = forms.TypedChoiceField(
        label=_lazy("Квартал"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 5)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def period_from(request) -> tuple[PeriodForm, int, int]:
    """The year and quarter asked for (GET), else the current ones."""
    year, quarter = quarter_of(timezone.localdate())
    form = PeriodForm(request.GET or {"year": year, "quarter": quarter})
    if form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    return form, year, quarter


class CallListForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_lazy("Правило"), choices=CallPurpose.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    year = forms.IntegerField(
        label=_lazy("Год"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    quarter = forms.TypedChoiceField(
        label=_lazy("Квартал"), coerce=int, choices=[(n, str(n)) for n in range(1, 5)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip
    mo = forms.ModelChoiceField(
        label=_lazy("МО (пусто — все)"),
        queryset=Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).order_by("code"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    version = forms.TypedChoiceField(
        label=_lazy("Анкета"), coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )
    batch = forms.IntegerField(
        label=_lazy("Номер рассылки (для дозвона после рассылки)"), required=False, min_value=1,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )  # fmt: skip
    seed = forms.IntegerField(
        label=_lazy("Зерно выборки (пусто — случайное; для повторения выборки)"), required=False, min_value=0,
        max_value=2**62 - 1, widget=forms.NumberInput(attrs={"class": "form-control"}),
    )  # fmt: skip

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {v.pk: v for v in versions}
        self.fields["version"].choices = [
            (v.pk, f"{v.questionnaire.title} (v{v.number})") for v in versions
        ]


class QuotaView(PortalView):
    """Per MO: the quota of the quarter, the persons in its call lists and the surveys completed (O14)."""

    capability = READ_CALL_LISTS

    def get(self, request):
        form, year, quarter = period_from(request)
        lines = quota_overview(request.user, year, quarter)
        o14 = obligation("O14")
        context = {
            "form": form,
            "year": year,
            "quarter": quarter,
            "lines": lines,
            "due": o14.due_on(Period.of_quarter(year, quarter)),
            "lists": call_lists_for_user(request.user).filter(year=year, quarter=quarter)[:LIST_PAGE],
            "may_build": BUILD_CALL_LISTS.allows(request.user),
            "show_smo": request.user.role == Role.FUND,
            "totals": {
                "quota": sum(line.quota for line in lines),
                "listed": sum(line.listed_total for line in lines),
                "surveyed": sum(line.surveyed_passed + line.surveyed_informed for line in lines),
            },
        }
        return render(request, "surveys/quotas.html", context)


class CallListCreateView(PortalView):
    capability = READ_CALL_LISTS
    write_capability = BUILD_CALL_LISTS

    def _form(self, request, data=None):
        versions = current_versions_for_user(request.user)
        year, quarter = quarter_of(timezone.localdate())
        initial = {"year": year, "quarter": quarter, "purpose": request.GET.get("purpose", CallPurpose.QUOTA)}
        if request.GET.get("mo", "").isdigit():
            initial["mo"] = int(request.GET["mo"])
        return CallListForm(data, versions=versions, initial=initial)

    def get(self, request):
        if not BUILD_CALL_LISTS.allows(request.user):
            raise PermissionDenied(_("Ваша роль позволяет только просмотр."))
        return render(request, "surveys/call_list_create.html", {"form": self._form(request)})

    def post(self, request):
        form = self._form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            rule = {"batch": data["batch"]} if data.get("batch") else {}
            try:
                call_list = call_list_create(
                    user=request.user,
                    purpose=data["purpose"],
                    year=data["year"],
                    quarter=data["quarter"],
                    mo=data["mo"],
                    version=form.versions.get(data["version"]),
                    seed=data["seed"],
                    rule=rule,
                )
            except CallListError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Список обзвона формируется."))
                return redirect("surveys:call_list", pk=call_list.pk)
        return render(request, "surveys/call_list_create.html", {"form": form}, status=400)


class CallListDetailView(PortalView):
    capability = READ_CALL_LISTS

    def get(self, request, pk: int):
        call_list = call_list_for_user(request.user, pk)
        context = {
            "call_list": call_list,
            "counts": call_list_counts(call_list) if call_list.is_finished else None,
            "may_close": BUILD_CALL_LISTS.allows(request.user) and call_list.is_open and call_list.is_finished,
        }
        if request.GET.get("audit") == "1" and call_list.is_finished:
            drawn = call_list_sample(call_list)
            listed = sorted(call_list.items.values_list("person_id", flat=True))
            context["audit"] = {"same": drawn == listed, "drawn": len(drawn), "listed": len(listed)}
        return render(request, "surveys/call_list_detail.html", context)


class CallListCloseView(PortalView):
    capability = READ_CALL_LISTS
    write_capability = BUILD_CALL_LISTS
    http_method_names = ["post"]

    def post(self, request, pk: int):
        call_list = call_list_for_user(request.user, pk)
        try:
            released = call_list_close(user=request.user, call_list=call_list)
        except PermissionError as exc:
            raise Http404 from exc
        messages.success(request, _("Список закрыт; освобождено строк: %(n)s.") % {"n": released})
        return redirect("surveys:call_list", pk=call_list.pk)


class SupervisorView(PortalView):
    """The operators' progress, live (the table reloads itself every few seconds)."""

    capability = SUPERVISE_CALLS

    def get(self, request):
        template = "surveys/_supervisor_table.html" if request.headers.get("HX-Request") else "surveys/supervisor.html"
        return render(request, template, operator_progress(request.user))


urlpatterns = [
    path("quotas/", QuotaView.as_view(), name="quotas"),
    path("call-lists/new/", CallListCreateView.as_view(), name="call_list_create"),
    path("call-lists/<int:pk>/", CallListDetailView.as_view(), name="call_list"),
    path("call-lists/<int:pk>/close/", CallListCloseView.as_view(), name="call_list_close"),
    path("supervisor/", SupervisorView.as_view(), name="supervisor"),
]
