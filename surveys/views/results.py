"""Survey results per MO and quarter: tables, a chart per question, the XLSX download; the SMO's quarterly report."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.exports import attachment
from omsportal.obligations import Period, obligation
from omsportal.views.base import PortalView
from participants.models import Organization, OrganizationKind, Role
from surveys.access import FILE_SURVEY_REPORTS, READ_RESULTS, READ_SURVEY_REPORTS
from surveys.formats.results_xlsx import results_workbook
from surveys.models import Questionnaire
from surveys.selectors.forms import result_questionnaires_for_user
from surveys.selectors.reports import survey_reports_for_user
from surveys.selectors.results import question_results, results_by_mo
from surveys.services.reports import survey_report_file
from surveys.views.calls import PeriodForm, period_from

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ResultsFilter(forms.Form):
    questionnaire = forms.ModelChoiceField(
        label=_lazy("Анкета"), queryset=Questionnaire.objects.none(), required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip
    mo = forms.ModelChoiceField(
        label=_lazy("МО"), queryset=Organization.objects.filter(kind=OrganizationKind.MO).order_by("code"),
        required=False, widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = result_questionnaires_for_user(user)
        if user.role == Role.MO_STAFF:
            del self.fields["mo"]  # an MO reads its own


def _query(request):
    period, year, quarter = period_from(request)
    flt = ResultsFilter(request.GET or None, user=request.user)
    questionnaire = mo = None
    if flt.is_bound and flt.is_valid():
        questionnaire = flt.cleaned_data.get("questionnaire")
        mo = flt.cleaned_data.get("mo")
    questionnaire = questionnaire or Questionnaire.objects.filter(code="why-not-passed").first()
    return period, flt, year, quarter, questionnaire, mo


def _chart(questions) -> list[dict]:
    return [
        {"code": q.code, "labels": [label for _v, label, _n in q.options], "counts": [n for _v, _l, n in q.options]}
        for q in questions
        if q.options
    ]


class ResultsView(PortalView):
    capability = READ_RESULTS

    def get(self, request):
        period, flt, year, quarter, questionnaire, mo = _query(request)
        by_mo = results_by_mo(request.user, year, quarter, questionnaire) if questionnaire else []
        total, questions = (
            question_results(request.user, year, quarter, questionnaire, mo_id=mo.pk if mo else None)
            if questionnaire
            else (0, [])
        )
        context = {
            "form": period, "filter": flt, "year": year, "quarter": quarter, "questionnaire": questionnaire,
            "mo": mo, "by_mo": by_mo, "total": total, "questions": questions, "chart": _chart(questions),
            "query": request.GET.urlencode(),
        }  # fmt: skip
        return render(request, "surveys/results.html", context)


class ResultsDownloadView(PortalView):
    capability = READ_RESULTS

    def get(self, request):
        _period, _flt, year, quarter, questionnaire, mo = _query(request)
        if questionnaire is None:
            return redirect("surveys:results")
        by_mo = results_by_mo(request.user, year, quarter, questionnaire)
        total, questions = question_results(request.user, year, quarter, questionnaire, mo_id=mo.pk if mo else None)
        content = results_workbook(
            title=questionnaire.title, year=year, quarter=quarter, by_mo=by_mo, total=total, questions=questions
        )
        return attachment(content, filename=f"surveys_{year}_Q{quarter}_{questionnaire.code}.xlsx", content_type=XLSX)


class ReportsView(PortalView):
    """The SMO's quarterly survey reports to the Fund: due date, state, the quotas met (O14)."""

    capability = READ_SURVEY_REPORTS
    write_capability = FILE_SURVEY_REPORTS

    def get(self, request):
        period, year, quarter = period_from(request)
        o14 = obligation("O14")
        context = {
            "form": period, "year": year, "quarter": quarter, "due": o14.due_on(Period.of_quarter(year, quarter)),
            "reports": survey_reports_for_user(request.user, year, quarter),
            "may_file": FILE_SURVEY_REPORTS.allows(request.user), "obligation": o14,
        }  # fmt: skip
        return render(request, "surveys/reports.html", context)

    def post(self, request):
        form = PeriodForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Период: год 2000–2100, квартал 1–4."))
            return redirect("surveys:reports")
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        report = survey_report_file(user=request.user, year=year, quarter=quarter)
        if report.quotas_met:
            messages.success(request, _("Отчёт представлен в ТФОМС; квоты всех МО выполнены."))
        else:
            messages.warning(request, _("Отчёт представлен в ТФОМС; квоты выполнены не во всех МО."))
        return redirect(f"{request.path}?year={year}&quarter={quarter}")


urlpatterns = [
    path("results/", ResultsView.as_view(), name="results"),
    path("results/xlsx/", ResultsDownloadView.as_view(), name="results_xlsx"),
    path("reports/", ReportsView.as_view(), name="reports"),
]
