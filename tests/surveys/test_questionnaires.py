"""Questionnaires: the shipped forms, the checks of questions and answers, conditions, versions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from surveys.models import Questionnaire, QuestionnaireVersion
from surveys.questionnaires import QuestionsError, check_questions, clean_answers
from surveys.services.forms import questionnaire_create, questionnaire_version_create
from tests.scoping_base import assert_statuses

Q = [
    {"code": "came", "text": "Проходили?", "kind": "single", "required": True,
     "options": [["yes", "Да"], ["no", "Нет"]]},
    {"code": "why", "text": "Почему?", "kind": "multi", "required": True,
     "options": [["time", "Нет времени"], ["far", "Далеко"]], "show_if": {"question": "came", "in": ["no"]}},
    {"code": "score", "text": "Оценка", "kind": "scale", "required": True, "min": 1, "max": 5},
    {"code": "comment", "text": "Пожелания", "kind": "text"},
]  # fmt: skip


@pytest.mark.django_db
def test_the_three_shipped_forms_are_loaded_by_migrate():
    codes = set(Questionnaire.objects.values_list("code", flat=True))
    assert {"why-not-passed", "satisfaction-mo", "access-quality"} <= codes
    for version in QuestionnaireVersion.objects.filter(questionnaire__code__in=codes):
        assert check_questions(version.questions)  # each shipped version passes the same check as a built one


def test_question_b_is_asked_only_if_a_is_no():
    questions = check_questions(Q)
    answers, errors = clean_answers(questions, {"came": "no", "score": "4"})
    assert errors == {"why": "Обязательный вопрос."}
    answers, errors = clean_answers(questions, {"came": "yes", "why": ["time"], "score": "4"})
    assert errors == {} and answers == {"came": "yes", "score": 4}  # the hidden answer is dropped
    answers, errors = clean_answers(questions, {"came": "no", "why": ["far", "time"], "score": "5", "comment": " ок "})
    assert errors == {} and answers == {"came": "no", "why": ["time", "far"], "score": 5, "comment": "ок"}


def test_answers_out_of_range_are_refused_in_russian():
    questions = check_questions(Q)
    _answers, errors = clean_answers(questions, {"came": "maybe", "score": "9"})
    assert errors["came"] == "Выберите один из вариантов."
    assert errors["score"] == "Оценка от 1 до 5."


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([{"code": "A", "text": "x", "kind": "text"}], "Вопрос 1, поле «code»"),
        ([{"code": "a", "text": "x", "kind": "radio"}], "Вопрос 1, поле «kind»"),
        ([{"code": "a", "text": "x", "kind": "single", "options": [["y", "Да"]]}], "Вопрос 1, поле «options»"),
        ([{"code": "a", "text": "x", "kind": "scale", "min": 5, "max": 1}], "Вопрос 1, поле «min/max»"),
        (
            [{"code": "a", "text": "x", "kind": "text"}, {"code": "b", "text": "y", "kind": "text",
                                                          "show_if": {"question": "a", "in": ["x"]}}],
            "Вопрос 2, поле «show_if»",
        ),
        ([{"code": "b", "text": "y", "kind": "text", "show_if": {"question": "z", "in": ["x"]}}], "Вопрос 1"),
        ([], "хотя бы один вопрос"),
    ],
)  # fmt: skip
def test_bad_questions_are_named_by_number_and_field(bad, message):
    with pytest.raises(QuestionsError) as caught:
        check_questions(bad)
    assert message in str(caught.value)


@pytest.mark.django_db
def test_a_new_version_leaves_the_old_one_as_it_was(region):
    form = questionnaire_create(user=region.smo1_l2, title="Опрос СМО", purpose="OTHER", questions=Q)
    v1 = form.versions.get()
    v2 = questionnaire_version_create(user=region.smo1_l2, questionnaire=form, questions=Q[:1])
    v1.refresh_from_db()
    assert (v1.number, len(v1.questions), v2.number, len(v2.questions)) == (1, 4, 2, 1)
    assert form.owner == region.smo1
    with pytest.raises(PermissionError):
        questionnaire_version_create(user=region.smo2_l2, questionnaire=form, questions=Q)


@pytest.mark.django_db
def test_form_pages_by_role(client, region):
    own = questionnaire_create(user=region.smo1_l2, title="Своя", purpose="OTHER", questions=Q)
    detail = reverse("surveys:form_detail", args=[own.pk])
    assert_statuses(
        client,
        detail,
        [(200, [region.smo1_l2, region.smo1_l1, region.smo1_l3, region.fund_user]),
         (404, [region.smo2_l2, region.mo1_user, region.ministry_user])],
    )  # fmt: skip
    assert_statuses(
        client,
        reverse("surveys:form_create"),
        [(200, [region.smo1_l2, region.fund_user]), (403, [region.smo1_l1, region.smo1_l3]),
         (404, [region.mo1_user, region.ministry_user])],
    )  # fmt: skip


@pytest.mark.django_db
def test_a_bad_form_posted_changes_nothing_and_says_why(client, region):
    client.force_login(region.smo1_l2)
    before = Questionnaire.objects.count()
    bad = json.dumps([{"code": "a", "text": "x", "kind": "single", "options": []}])
    response = client.post(reverse("surveys:form_create"), {"title": "Т", "purpose": "OTHER", "questions": bad})
    assert response.status_code == 400
    assert "Вопрос 1, поле «options»" in response.content.decode()
    assert Questionnaire.objects.count() == before
    response = client.post(reverse("surveys:form_create"), {"title": "Т", "purpose": "OTHER", "questions": "[{"})
    assert "не прочитаны как JSON" in response.content.decode()
    ok = client.post(reverse("surveys:form_create"), {"title": "Т", "purpose": "OTHER", "questions": json.dumps(Q)})
    assert ok.status_code == 302
