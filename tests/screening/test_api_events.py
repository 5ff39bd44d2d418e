"""API of stage events: POST a batch (MO staff), GET scoped events and batches; role isolation and audit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from omsportal.jobs.models import JobStatus
from omsportal.models import AuditAction, AuditLog
from screening.formats.events import events_xml_bytes
from screening.models import EntryState, EventBatch, StageEvent
from screening.services.events import API_MAX_RECORDS
from tests.factories import insured_person
from tests.scoping_base import assert_read_only, assert_scoped, assert_statuses
from tests.screening.test_events import TODAY, day, ev, post, put_on_list

URL = "/api/v1/events/"
BATCHES_URL = "/api/v1/event-batches/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def lists(region):
    """MO1: p1 (SMO1) and p3 (SMO2) on the DVN list; MO2: p2 (SMO2)."""
    r = region
    r.e1 = put_on_list(r.p1, r.mo1, user=r.mo1_user, smo=r.smo1)
    r.p3 = insured_person(smo=r.smo2, mo=r.mo1, last_name="Сидоров", sex=1)
    r.e3 = put_on_list(r.p3, r.mo1, user=r.mo1_user, smo=r.smo2)
    r.e2 = put_on_list(r.p2, r.mo2, user=r.mo2_user, smo=r.smo2)
    return r


def as_user(api, user, method, url, data=None, **kwargs):
    api.force_authenticate(user)
    return getattr(api, method)(url, data, format=kwargs.pop("format", "json"), **kwargs)


def body(*events):
    return {"events": list(events)}


# --- POST /events/ --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_post_loads_valid_events_and_lists_errors_by_index(api, lists):
    payload = body(
        {"enp": lists.p1.enp, "disp": "ДВН", "event": "END1", "date": day(3, 2), "rslt": 317, "ds": ["I10"]},
        {"enp": lists.p3.enp, "disp": "ДВН", "event": "END1", "date": day(3, 2)},
        {"enp": lists.p2.enp, "disp": "ДВН", "event": "START1", "date": day(3, 2)},
    )
    response = as_user(api, lists.mo1_user, "post", URL, payload)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["total"], data["accepted"], data["rejected"], data["written"]) == (3, 1, 2, 1)
    assert [(e["index"], e["field"]) for e in data["errors"]] == [(1, "RSLT"), (2, "ENP")]
    assert "обязателен результат RSLT" in data["errors"][0]["message"]
    assert "не включено в список вашей МО" in data["errors"][1]["message"]
    lists.e1.refresh_from_db()
    assert (lists.e1.state, lists.e1.health_group) == (EntryState.STAGE1_DONE, "I")


@pytest.mark.django_db
def test_reposting_answers_200_and_creates_no_duplicates(api, lists):
    payload = body(ev(lists.p1, "START1", day(3, 2)), ev(lists.p1, "END1", day(3, 3), rslt=358))
    first = as_user(api, lists.mo1_user, "post", URL, payload)
    second = as_user(api, lists.mo1_user, "post", URL, payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["accepted"] == 2 and second.json()["written"] == 0
    assert StageEvent.objects.count() == 2
    lists.e1.refresh_from_db()
    assert (lists.e1.state, lists.e1.health_group) == (EntryState.STAGE2_SENT, "IIIb")


@pytest.mark.django_db
def test_post_shape_errors_are_400(api, lists):
    for payload in ({}, {"events": []}, {"events": "x"}, {"events": [1, 2]}):
        response = as_user(api, lists.mo1_user, "post", URL, payload)
        assert response.status_code == 400, payload
    assert not EventBatch.objects.exists()


@pytest.mark.django_db
def test_post_over_the_limit_is_400(api, lists):
    payload = body(*([ev(lists.p1, "START1", day(3))] * (API_MAX_RECORDS + 1)))
    response = as_user(api, lists.mo1_user, "post", URL, payload)
    assert response.status_code == 400
    assert not EventBatch.objects.exists()


@pytest.mark.django_db
def test_only_mo_staff_post_events(api, lists):
    def post_events(user):
        return as_user(api, user, "post", URL, body(ev(lists.p1, "START1", day(3))))

    assert_read_only(
        None,
        post_events,
        owners=[lists.mo1_user],
        read_only_users=[lists.fund_user, lists.smo1_l2, lists.smo1_l3],
        owner_status=201,
    )
    assert_statuses(None, post_events, [(403, [lists.ministry_user, lists.smo1_l1, lists.admin_user])])
    api.force_authenticate(None)
    assert api.post(URL, body(), format="json").status_code == 401


# --- GET /events/ ---------------------------------------------------------------------------------------------------


@pytest.fixture
def posted(lists):
    post(lists, [ev(lists.p1, "START1", day(3, 2)), ev(lists.p3, "START1", day(3, 3))])
    post(lists, [ev(lists.p2, "END1", day(3, 4), rslt=318, ds=["I10"])], user=lists.mo2_user)
    return lists


def enps(response):
    return sorted(row["enp"] for row in response.json()["results"])


@pytest.mark.django_db
def test_get_is_scoped_per_role(api, posted):
    r = posted
    assert enps(as_user(api, r.mo1_user, "get", URL)) == sorted([r.p1.enp, r.p3.enp])
    assert enps(as_user(api, r.mo2_user, "get", URL)) == [r.p2.enp]
    assert enps(as_user(api, r.smo1_l2, "get", URL)) == [r.p1.enp]  # its insured only
    assert enps(as_user(api, r.smo2_l2, "get", URL)) == sorted([r.p2.enp, r.p3.enp])  # at both MOs
    assert len(as_user(api, r.fund_user, "get", URL).json()["results"]) == 3


@pytest.mark.django_db
def test_get_denies_roles_without_person_level_event_data(api, posted):
    assert_statuses(
        None,
        lambda user: as_user(api, user, "get", URL),
        [(403, [posted.ministry_user, posted.smo1_l1, posted.admin_user])],
    )


@pytest.mark.django_db
def test_event_detail_owner_and_outsider(api, posted):
    event = StageEvent.objects.get(person=posted.p1)
    assert_scoped(
        None,
        lambda user: as_user(api, user, "get", f"{URL}{event.pk}/"),
        allowed_users=[posted.mo1_user, posted.smo1_l2, posted.fund_user],
        denied_users=[posted.mo2_user, posted.smo2_l2],
    )


@pytest.mark.django_db
def test_get_filters_and_fields(api, posted):
    response = as_user(api, posted.fund_user, "get", URL, {"mo": posted.mo2.code, "event": "END1"}, format=None)
    rows = response.json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["enp"], row["mo"], row["measure"], row["event"], row["rslt"], row["health_group"], row["ds"]) == (
        posted.p2.enp,
        posted.mo2.code,
        "DVN",
        "END1",
        318,
        "II",
        ["I10"],
    )
    by_enp = as_user(api, posted.mo1_user, "get", URL, {"enp": posted.p2.enp}, format=None)
    assert by_enp.json()["results"] == []  # another MO's person stays invisible


@pytest.mark.django_db
def test_get_writes_the_audit(api, posted):
    as_user(api, posted.smo1_l2, "get", URL)
    entry = AuditLog.objects.get(user=posted.smo1_l2)
    assert entry.action == AuditAction.SEARCH
    assert entry.person_ids == [posted.p1.pk]
    assert entry.channel == "api"


# --- /event-batches/ ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_file_batches_through_the_api(api, lists, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    data = events_xml_bytes(
        code_mo=lists.mo1.code,
        filename="EV",
        date=TODAY,
        records=[{"enp": lists.p1.enp, "disp": "ДВН", "event": "START1", "date": day(3)}],
    )
    api.force_authenticate(lists.mo1_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(BATCHES_URL, {"file": SimpleUploadedFile("EV.xml", data)}, format="multipart")
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    detail = api.get(f"{BATCHES_URL}{batch_id}/").json()
    assert (detail["status"], detail["records_accepted"]) == (JobStatus.DONE, 1)


@pytest.mark.django_db
def test_batches_owner_read_only_outsider(api, posted):
    batch = EventBatch.objects.get(mo=posted.mo1)
    assert_scoped(
        None,
        lambda user: as_user(api, user, "get", f"{BATCHES_URL}{batch.pk}/"),
        allowed_users=[posted.mo1_user, posted.fund_user],
        denied_users=[posted.mo2_user],
    )
    assert_statuses(
        None,
        lambda user: as_user(api, user, "get", f"{BATCHES_URL}{batch.pk}/"),
        [(403, [posted.smo1_l2, posted.ministry_user])],
    )
    fund_post = as_user(api, posted.fund_user, "post", BATCHES_URL, {}, format="multipart")
    assert fund_post.status_code == 403
