"""The operators' workspace: "next call", the person to call with the script and the survey form, the outcome [L1]."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.regional import regional_rules
from omsportal.views.base import PortalView
from surveys.access import WORK_CALLS
from surveys.models import CallOutcome
from surveys.services.calls import CallError, SurveyAnswersError, call_next, call_outcome_record, held_item

OUTCOMES = [choice for choice in CallOutcome.choices if choice[0] != CallOutcome.NOT_REACHED]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_lazy("Итог звонка"), choices=OUTCOMES)
    note = forms.CharField(label=_lazy("Примечание"), max_length=500, required=False)
    callback_at = forms.DateTimeField(
        label=_lazy("Перезвонить"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"]
    )
    with_survey = forms.BooleanField(required=False)


def _answers_from(post) -> dict:
    """The survey's answers as posted: ``q_<code>`` fields (several values for a multiple choice)."""
    answers = {}
    for key in post:
        if key.startswith("q_"):
            values = post.getlist(key)
            answers[key[2:]] = values if len(values) > 1 else values[0]
    return answers


def _render(request, item, *, answers=None, errors=None, form=None, status=200):
    version = item.call_list.version if item else None
    if item is not None:
        audit_record(
            user=request.user, action=AuditAction.VIEW, person_ids=[item.person_id], request=request,
            object_type="call_item",
        )  # fmt: skip
    context = {
        "item": item,
        "version": version,
        "questions": version.questions if version else [],
        "answers": answers or {},
        "errors": errors or {},
        "form": form or OutcomeForm(),
        "outcomes": OUTCOMES,
        "tries": regional_rules().call_tries,
        "min_callback": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "surveys/workspace.html", context, status=status)


class WorkspaceView(PortalView):
    capability = WORK_CALLS

    def get(self, request):
        return _render(request, held_item(request.user))


class CallNextView(PortalView):
    capability = WORK_CALLS
    http_method_names = ["post"]

    def post(self, request):
        if call_next(operator=request.user) is None:
            messages.info(request, _("Сейчас звонить некому: все строки обзвона разобраны или ждут своего времени."))
        return redirect("surveys:workspace")


class CallOutcomeView(PortalView):
    capability = WORK_CALLS
    http_method_names = ["post"]

    def post(self, request, pk: int):
        form = OutcomeForm(request.POST)
        item = held_item(request.user)
        answers = _answers_from(request.POST)
        if not form.is_valid():
            return _render(request, item, answers=answers, form=form, status=400)
        data = form.cleaned_data
        callback_at = data.get("callback_at")
        if callback_at is not None and timezone.is_naive(callback_at):
            callback_at = timezone.make_aware(callback_at)
        with_survey = data["outcome"] == CallOutcome.REACHED and data.get("with_survey")
        try:
            call_outcome_record(
                operator=request.user,
                item_id=pk,
                outcome=data["outcome"],
                note=data.get("note") or "",
                callback_at=callback_at,
                answers=answers if with_survey else None,
                request=request,
            )
        except SurveyAnswersError as exc:
            messages.error(request, str(exc))
            return _render(request, item, answers=answers, errors=exc.errors, form=form, status=400)
        except CallError as exc:
            messages.error(request, str(exc))
            return redirect("surveys:workspace")
        messages.success(request, _("Звонок записан."))
        if request.POST.get("then") == "next":
            call_next(operator=request.user)
        return redirect("surveys:workspace")


urlpatterns = [
    path("calls/", WorkspaceView.as_view(), name="workspace"),
    path("calls/next/", CallNextView.as_view(), name="call_next"),
    path("calls/<int:pk>/outcome/", CallOutcomeView.as_view(), name="call_outcome"),
]
