"""Survey results per MO and quarter: counts, no names for an MO, the XLSX download, the quarterly report (O14)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from omsportal.obligations import Period, obligation
from surveys.models import CallItem, CallList, CallPurpose, ReportState, SurveyReport, SurveyResponse
from surveys.selectors.results import question_results
from surveys.services.reports import survey_report_file
from tests.scoping_base import assert_statuses
from tests.surveys.factories import own_form, people, survey_version

YEAR, QUARTER = 2026, 2


def answer(region, mo, smo, answers: dict, *, person_name="Секретова"):
    person = people(1, smo=smo, mo=mo, last_name=person_name)[0] if person_name else None
    call_list = CallList.objects.create(smo=smo, mo=mo, year=YEAR, quarter=QUARTER, purpose=CallPurpose.QUOTA,
                                        seed=1, status="DONE", version=survey_version())  # fmt: skip
    item = CallItem.objects.create(call_list=call_list, person=person, mo=mo, smo=smo, purpose=CallPurpose.QUOTA,
                                   stratum="INFORMED", phone="1", due_at=timezone.now(), state="DONE",
                                   is_open=False)  # fmt: skip
    return SurveyResponse.objects.create(version=survey_version(), item=item, person=person, smo=smo, mo=mo,
                                         year=YEAR, quarter=QUARTER, stratum="INFORMED", answers=answers,
                                         operator=region.smo1_l1)  # fmt: skip


@pytest.fixture
def answered(region):
    answer(region, region.mo1, region.smo1, {"informed": "yes", "channel": ["sms", "phone"], "came": "no",
                                             "reason": ["queue"], "will_come": "yes"})  # fmt: skip
    answer(region, region.mo1, region.smo1, {"informed": "no", "came": "no", "reason": ["queue", "far"]})
    answer(region, region.mo2, region.smo2, {"informed": "no", "came": "yes", "mo_problem": "Иванов И.И. грубил"})


@pytest.mark.django_db
def test_counts_per_question_and_option(region, answered):
    q = survey_version().questionnaire
    total, results = question_results(region.fund_user, YEAR, QUARTER, q)
    assert total == 3
    by_code = {r.code: r for r in results}
    assert {v: n for v, _l, n in by_code["reason"].options}["queue"] == 2
    assert by_code["reason"].answered == 2
    assert {v: n for v, _l, n in by_code["informed"].options} == {"yes": 1, "no": 2}
    assert by_code["mo_problem"].texts == ["Иванов И.И. грубил"]  # the Fund reads free texts
    mo_total, mo_results = question_results(region.mo2_user, YEAR, QUARTER, q)
    assert mo_total == 1 and {r.code: r for r in mo_results}["mo_problem"].texts == []  # an MO: counts only
    assert question_results(region.smo1_l2, YEAR, QUARTER, q)[0] == 2  # its SMO's


@pytest.mark.django_db
def test_the_results_page_by_role_and_an_mo_sees_no_names(client, region, answered):
    url = reverse("surveys:results") + f"?year={YEAR}&quarter={QUARTER}"
    responses = assert_statuses(
        client, url,
        [(200, [region.mo1_user, region.smo1_l2, region.smo1_l3, region.fund_user]),
         (404, [region.smo1_l1, region.ministry_user, region.admin_user])],
    )  # fmt: skip
    page = responses[region.mo1_user].content.decode()
    assert "Секретова" not in page and "Почему Вы не прошли обследование?" in page
    assert [row["total"] for row in responses[region.mo1_user].context["by_mo"]] == [2]
    assert len(responses[region.fund_user].context["by_mo"]) == 2


@pytest.mark.django_db
def test_the_xlsx_download_holds_the_counts(client, region, answered):
    client.force_login(region.smo1_l2)
    response = client.get(reverse("surveys:results_xlsx") + f"?year={YEAR}&quarter={QUARTER}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[3][0] == "270001" and rows[3][2] == 2
    answers = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert any(row[1] == "Очереди, неудобное время приёма" and row[2] == 2 for row in answers)
    assert not any("Секретова" in str(cell) for row in answers for cell in row)


@pytest.mark.django_db
def test_the_quarterly_report_with_its_due_date_and_state(client, region):
    due = obligation("O14").due_on(Period.of_quarter(YEAR, QUARTER))
    assert due == datetime.date(2026, 6, 30)
    report = survey_report_file(user=region.smo1_l2, year=YEAR, quarter=QUARTER)
    assert report.state == ReportState.FILED and report.quotas_met  # nothing due, nothing missing
    assert obligation("O14").met_on(region.smo1.pk, Period.of_quarter(YEAR, QUARTER)) == timezone.localdate()
    assert obligation("O14").met_on(region.smo2.pk, Period.of_quarter(YEAR, QUARTER)) is None
    url = reverse("surveys:reports") + f"?year={YEAR}&quarter={QUARTER}"
    responses = assert_statuses(
        client, url,
        [(200, [region.smo1_l2, region.fund_user]), (404, [region.smo1_l1, region.smo1_l3, region.mo1_user])],
    )  # fmt: skip
    assert len(responses[region.fund_user].context["reports"]) == 2
    client.force_login(region.fund_user)
    assert client.post(reverse("surveys:reports"), {"year": YEAR, "quarter": QUARTER}).status_code == 403
    assert SurveyReport.objects.count() == 1


@pytest.mark.django_db
def test_the_results_filter_offers_only_the_forms_the_user_may_see(client, region, answered):
    foreign = own_form(region.smo2).questionnaire
    url = reverse("surveys:results") + f"?year={YEAR}&quarter={QUARTER}"
    client.force_login(region.smo1_l2)
    response = client.get(url)
    assert foreign not in response.context["filter"].fields["questionnaire"].queryset
    assert foreign.title not in response.content.decode()
    # Asking for it by its id falls back to the shared form: its title and questions are not shown.
    asked = client.get(url + f"&questionnaire={foreign.pk}")
    assert asked.context["questionnaire"].code == "why-not-passed" and foreign.title not in asked.content.decode()
    client.force_login(region.mo1_user)  # an MO: the shared forms (and those it was surveyed with)
    assert foreign not in client.get(url).context["filter"].fields["questionnaire"].queryset
    client.force_login(region.fund_user)
    assert foreign in client.get(url).context["filter"].fields["questionnaire"].queryset
    client.force_login(region.smo2_l2)
    assert foreign in client.get(url).context["filter"].fields["questionnaire"].queryset


@pytest.mark.django_db
def test_answers_to_every_version_of_a_form_are_counted(client, region):
    """Version 2 drops a question and an option and adds a question: the answers given for version 1 still count."""
    from surveys.models import Questionnaire, QuestionnaireVersion

    yes_no = [["yes", "да"], ["no", "нет"]]
    form = Questionnaire.objects.create(code="two-versions", title="Две версии")
    v1 = QuestionnaireVersion.objects.create(questionnaire=form, number=1, questions=[
        {"code": "old", "text": "Старый вопрос", "kind": "single", "required": True, "options": yes_no},
        {"code": "kept", "text": "Оценка (v1)", "kind": "single", "required": True,
         "options": [["a", "А"], ["b", "Б"]]},
        {"code": "score", "text": "Балл", "kind": "scale", "required": False, "min": 1, "max": 3},
    ])  # fmt: skip
    v2 = QuestionnaireVersion.objects.create(questionnaire=form, number=2, questions=[
        {"code": "kept", "text": "Оценка", "kind": "single", "required": True, "options": [["a", "А"], ["c", "В"]]},
        {"code": "score", "text": "Балл", "kind": "scale", "required": False, "min": 1, "max": 5},
        {"code": "new", "text": "Новый вопрос", "kind": "text", "required": False},
    ])  # fmt: skip
    for version, answers in ((v1, {"old": "yes", "kept": "b", "score": 2}), (v1, {"old": "no", "kept": "a"}),
                             (v2, {"kept": "c", "score": 5, "new": "хорошо"})):  # fmt: skip
        response = answer(region, region.mo1, region.smo1, answers)
        SurveyResponse.objects.filter(pk=response.pk).update(version=version)
    total, results = question_results(region.fund_user, YEAR, QUARTER, form)
    assert total == 3
    by_code = {r.code: r for r in results}
    assert [r.code for r in results] == ["kept", "score", "new", "old"]  # the newest version's, then the removed
    assert by_code["kept"].text == "Оценка" and by_code["kept"].options == [("a", "А", 1), ("c", "В", 1), ("b", "Б", 1)]
    assert by_code["old"].options == [("yes", "да", 1), ("no", "нет", 1)] and by_code["old"].versions == [1]
    assert not by_code["old"].current and by_code["kept"].versions == [1, 2]
    assert by_code["score"].average == 3.5 and by_code["new"].texts == ["хорошо"]
    client.force_login(region.fund_user)
    page = client.get(reverse("surveys:results") + f"?year={YEAR}&quarter={QUARTER}&questionnaire={form.pk}")
    assert "Старый вопрос" in page.content.decode() and "вопрос из прежних версий анкеты: 1" in page.content.decode()


def report_states(user, year, quarter) -> dict:
    from surveys.selectors.reports import survey_reports_for_user

    return {line["smo"].code: (line["filed_on"], line["late"], line["overdue"])
            for line in survey_reports_for_user(user, year, quarter)}  # fmt: skip


@pytest.mark.django_db
def test_filing_again_keeps_a_report_filed_on_time(region):

    year, quarter = 2026, 1  # due 31.03.2026, long past
    due = obligation("O14").due_on(Period.of_quarter(year, quarter))
    on_time = timezone.make_aware(datetime.datetime.combine(due, datetime.time(10)))
    smo1, smo2 = region.smo1.code, region.smo2.code
    # Nothing filed: overdue for both.
    assert report_states(region.fund_user, year, quarter) == {smo1: (None, False, True), smo2: (None, False, True)}
    # Filed late: late, not overdue.
    report = survey_report_file(user=region.smo1_l2, year=year, quarter=quarter)
    assert report_states(region.fund_user, year, quarter)[smo1] == (timezone.localdate(), True, False)
    # Filed on time (the filing moved back to the due date) and filed again today: still on time, O14 met on time.
    SurveyReport.objects.filter(pk=report.pk).update(filed_at=on_time)
    again = survey_report_file(user=region.smo1_l2, year=year, quarter=quarter)
    assert again.pk == report.pk and again.filed_at == on_time
    assert report_states(region.smo1_l2, year, quarter) == {smo1: (due, False, False)}
    assert obligation("O14").met_on(region.smo1.pk, Period.of_quarter(year, quarter)) == due


@pytest.mark.django_db
def test_a_report_that_first_meets_the_quotas_when_filed_again_dates_from_then(region):
    from tests.surveys.factories import passed

    year, quarter = 2026, 1
    due = obligation("O14").due_on(Period.of_quarter(year, quarter))
    person = people(1, smo=region.smo1, mo=region.mo1)[0]
    passed([person], mo=region.mo1, day=datetime.date(year, 2, 2), posted_by=region.mo1_user)  # quota 1, not met
    report = survey_report_file(user=region.smo1_l2, year=year, quarter=quarter)
    assert not report.quotas_met
    on_time = timezone.make_aware(datetime.datetime.combine(due, datetime.time(10)))
    SurveyReport.objects.filter(pk=report.pk).update(filed_at=on_time)
    assert obligation("O14").met_on(region.smo1.pk, Period.of_quarter(year, quarter)) is None
    SurveyResponse.objects.create(version=survey_version(), person=person, smo=region.smo1, mo=region.mo1, year=year,
                                  quarter=quarter, stratum="PASSED", answers={}, operator=region.smo1_l1)  # fmt: skip
    met = survey_report_file(user=region.smo1_l2, year=year, quarter=quarter)
    assert met.quotas_met and met.filed_at > on_time  # the quotas were met only now: O14 met late
    assert obligation("O14").met_on(region.smo1.pk, Period.of_quarter(year, quarter)) == timezone.localdate()
