"""The surveys API: the operator's next call and outcome, call lists, quotas, results, appeals, by role."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Appeal, CallItem, CallList, CallPurpose, SurveyResponse
from tests.scoping_base import assert_statuses
from tests.surveys.factories import own_form, people, survey_version

API = "/api/v1/surveys"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, method, url, data=None):
    def fetch(user):
        api.force_authenticate(user)
        return getattr(api, method)(url, data or {}, format="json")

    return fetch


def one_item(region):
    call_list = CallList.objects.create(smo=region.smo1, mo=region.mo1, year=2026, quarter=2, purpose=CallPurpose.QUOTA,
                                        seed=1, status="DONE", version=survey_version())  # fmt: skip
    person = people(1, smo=region.smo1, mo=region.mo1)[0]
    return CallItem.objects.create(call_list=call_list, person=person, mo=region.mo1, smo=region.smo1,
                                   purpose=CallPurpose.QUOTA, phone=person.phone,
                                   due_at=timezone.now() - datetime.timedelta(seconds=1))  # fmt: skip


@pytest.mark.django_db
def test_an_operator_takes_the_next_call_and_records_the_survey(api, region):
    item = one_item(region)
    api.force_authenticate(region.smo1_l1)
    response = api.post(f"{API}/calls/next/")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == item.pk and response.json()["questionnaire"]["number"] == 1
    bad = api.post(f"{API}/calls/{item.pk}/outcome/", {"outcome": "REACHED", "answers": {"informed": "no"}},
                   format="json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["answers"]["came"] == "Обязательный вопрос."
    ok = api.post(f"{API}/calls/{item.pk}/outcome/",
                  {"outcome": "REACHED", "answers": {"informed": "no", "came": "yes"}}, format="json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["state"] == "DONE"
    assert SurveyResponse.objects.get().answers == {"informed": "no", "came": "yes"}
    assert api.post(f"{API}/calls/next/").status_code == 204


@pytest.mark.django_db
def test_call_endpoints_by_role(api, region):
    one_item(region)
    assert_statuses(None, as_user(api, "post", f"{API}/calls/next/"),
                    [(403, [region.smo1_l2, region.fund_user, region.mo1_user, region.ministry_user])])  # fmt: skip
    assert_statuses(None, as_user(api, "get", f"{API}/quotas/?year=2026&quarter=2"),
                    [(200, [region.smo1_l2, region.fund_user]), (403, [region.smo1_l1, region.mo1_user])])  # fmt: skip
    assert_statuses(None, as_user(api, "get", f"{API}/results/?year=2026&quarter=2"),
                    [(200, [region.mo1_user, region.smo1_l2, region.fund_user]),
                     (403, [region.smo1_l1, region.ministry_user])])  # fmt: skip
    lists = assert_statuses(None, as_user(api, "get", f"{API}/call-lists/"),
                            [(200, [region.smo1_l2, region.smo2_l2, region.fund_user])])  # fmt: skip
    assert lists[region.smo2_l2].json()["count"] == 0 and lists[region.smo1_l2].json()["count"] == 1


@pytest.mark.django_db
def test_a_call_list_is_built_through_the_api(api, region):
    api.force_authenticate(region.smo1_l2)
    response = api.post(f"{API}/call-lists/", {"purpose": "QUOTA", "year": 2026, "quarter": 2,
                                               "version": survey_version().pk}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert CallList.objects.get(pk=response.json()["id"]).seed == response.json()["seed"]
    api.force_authenticate(region.fund_user)
    denied = api.post(f"{API}/call-lists/", {"purpose": "QUOTA", "year": 2026, "quarter": 2,
                                             "version": survey_version().pk}, format="json")  # fmt: skip
    assert denied.status_code == 403


@pytest.mark.django_db
def test_appeals_through_the_api(api, region):
    api.force_authenticate(region.smo1_l1)
    created = api.post(f"{API}/appeals/", {"channel": "WRITTEN", "topic": "05", "text": "Взяли деньги за анализы",
                                           "enp": region.p1.enp}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["due_on"] is not None
    assert api.post(f"{API}/appeals/", {"channel": "WRITTEN", "topic": "ZZ", "text": "x"},
                    format="json").status_code == 400  # fmt: skip
    routed = api.post(f"{API}/appeals/{pk}/route/", {"level": 3}, format="json")
    assert routed.status_code == 200 and routed.json()["level"] == 3
    api.force_authenticate(region.smo1_l3)
    answered = api.post(f"{API}/appeals/{pk}/answer/", {"answer": "Деньги возвращены", "inform_channel": "POST"},
                        format="json")  # fmt: skip
    assert answered.status_code == 200 and answered.json()["status"] == "ANSWERED"
    api.force_authenticate(region.smo2_l2)
    assert api.get(f"{API}/appeals/{pk}/").status_code == 404
    assert Appeal.objects.get().result_informed_on == timezone.localdate()


@pytest.mark.django_db
def test_a_call_list_cannot_use_another_smos_form(api, region):
    foreign = own_form(region.smo2)
    api.force_authenticate(region.smo1_l2)
    response = api.post(f"{API}/call-lists/", {"purpose": "QUOTA", "year": 2026, "quarter": 2,
                                               "version": foreign.pk}, format="json")  # fmt: skip
    assert response.status_code == 400 and "version" in response.json()
    assert not CallList.objects.exists()
    # Its own form and the shared ones are accepted.
    mine = own_form(region.smo1, code="smo1-own", title="Своя анкета")
    assert api.post(f"{API}/call-lists/", {"purpose": "QUOTA", "year": 2026, "quarter": 2, "version": mine.pk},
                    format="json").status_code == 201  # fmt: skip


@pytest.mark.django_db
def test_results_by_form_follow_the_forms_the_user_may_read(api, region):
    foreign = own_form(region.smo2, code="smo2-secret").questionnaire
    api.force_authenticate(region.smo1_l2)
    response = api.get(f"{API}/results/?year=2026&quarter=2&questionnaire={foreign.code}")
    assert response.status_code == 200 and response.json()["questionnaire"] == "why-not-passed"
    api.force_authenticate(region.smo2_l2)
    assert api.get(f"{API}/results/?year=2026&quarter=2&questionnaire={foreign.code}").json()["questionnaire"] == (
        "smo2-secret"
    )
    # An MO reads the results of an SMO's own form its MO was surveyed with (counts), not of one it was not.
    person = people(1, smo=region.smo2, mo=region.mo2)[0]
    SurveyResponse.objects.create(version=foreign.versions.get(), person=person, smo=region.smo2, mo=region.mo2,
                                  year=2026, quarter=2, stratum="INFORMED", answers={"informed": "no"},
                                  operator=region.smo1_l1)  # fmt: skip
    api.force_authenticate(region.mo2_user)
    seen = api.get(f"{API}/results/?year=2026&quarter=2&questionnaire={foreign.code}").json()
    assert (seen["questionnaire"], seen["responses"]) == ("smo2-secret", 1)
    api.force_authenticate(region.mo1_user)
    assert api.get(f"{API}/results/?year=2026&quarter=2&questionnaire={foreign.code}").json()["questionnaire"] == (
        "why-not-passed"
    )
