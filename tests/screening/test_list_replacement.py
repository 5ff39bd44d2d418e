"""A re-upload never loses a list by mistake: an all-rejected file never empties a list, and a file that would remove
more than OMS_LIST_REPLACE_CONFIRM_SHARE of the current list waits (HELD) for the MO's confirmation — on the page,
through the API or with ``upload_list --confirm-replace``."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from screening.models import ListEntry, ListUpload, UploadStatus
from screening.services.list_upload import list_upload_confirm_replace
from tests.factories import insured_person
from tests.screening.factories import rec, upload, zl_list_xml

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(region):
    return [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Лицо{i}") for i in range(10)]


def listed() -> set[int]:
    return set(ListEntry.objects.values_list("person_id", flat=True))


def test_an_all_rejected_file_never_empties_the_list(region, people):
    first = upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    assert len(listed()) == 10
    # Six records, every one rejected (102: sex "7").
    bad = upload(region, zl_list_xml([rec(p, n, W="7") for n, p in enumerate(people[:6], start=1)]))
    assert bad.status == UploadStatus.DONE and bad.records_accepted == 0 and bad.records_rejected == 6
    assert len(listed()) == 10 and not bad.is_current and bad.measures == []
    assert "Ни одна запись ДВН не принята" in bad.message and "не изменён" in bad.message
    first.refresh_from_db()
    assert first.is_current


def test_a_measure_with_no_accepted_record_keeps_its_list_while_the_others_are_replaced(region, people):
    dn = [{"DISP": "ДН", "KV": "1", "IDDOKT": "12345678964"}]
    upload(region, zl_list_xml([rec(people[0], 1), rec(people[1], 2, measures=dn)]))
    again = upload(region, zl_list_xml([rec(people[0], 1), rec(people[1], 2, measures=[{**dn[0], "KV": "9"}])]))
    assert again.measures == ["DVN"]
    assert set(ListEntry.objects.values_list("person_id", "measure")) == {(people[0].pk, "DVN"), (people[1].pk, "DN")}


def test_a_reupload_removing_more_than_the_share_waits_for_confirmation(region, people):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    before = set(ListEntry.objects.values_list("id", "person_id"))
    held = upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people[:4], start=1)]))  # removes 6 of 10
    assert held.status == UploadStatus.HELD and not held.is_current
    assert set(ListEntry.objects.values_list("id", "person_id")) == before  # nothing changed yet
    assert held.replacement["measures"]["DVN"] == {
        "current": 10,
        "kept": 4,
        "accepted": 4,
        "applied": False,
        "over_share": True,
    }
    assert "6 из 10" in held.message and "60 %" in held.message and "OMS_LIST_REPLACE_CONFIRM_SHARE" in held.message
    assert held.protocol_issued_at is not None  # the protocol is there to read and download

    confirmed = list_upload_confirm_replace(upload_id=held.pk, user=region.mo1_user, run_async=False)
    assert confirmed.status == UploadStatus.DONE and confirmed.is_current and confirmed.replace_confirmed
    assert listed() == {p.pk for p in people[:4]}
    assert confirmed.replacement["confirmed_by"] == region.mo1_user.username


def test_a_small_change_replaces_at_once_and_the_share_is_a_setting(region, people, settings):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    small = upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people[:6], start=1)]))  # removes 40 %
    assert small.status == UploadStatus.DONE and listed() == {p.pk for p in people[:6]}
    settings.OMS_LIST_REPLACE_CONFIRM_SHARE = 0.1
    strict = upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people[:5], start=1)]))  # 1 of 6: 16 %
    assert strict.status == UploadStatus.HELD


def test_confirm_replace_at_upload_applies_at_once(region, people):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    direct = upload(region, zl_list_xml([rec(people[9], 1)]), confirm_replace=True)
    assert direct.status == UploadStatus.DONE and listed() == {people[9].pk}


def test_only_the_uploading_mo_confirms_and_a_later_list_cannot_be_undone(region, people):
    from django.core.exceptions import PermissionDenied, ValidationError

    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    held = upload(region, zl_list_xml([rec(people[0], 1)]))
    for outsider in (region.fund_user, region.mo2_user):
        with pytest.raises(PermissionDenied):
            list_upload_confirm_replace(upload_id=held.pk, user=outsider, run_async=False)
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people[:8], start=1)]))  # a later corrected list
    with pytest.raises(ValidationError):
        list_upload_confirm_replace(upload_id=held.pk, user=region.mo1_user, run_async=False)
    done = ListUpload.objects.filter(status=UploadStatus.DONE).latest("id")
    with pytest.raises(ValidationError):
        list_upload_confirm_replace(upload_id=done.pk, user=region.mo1_user, run_async=False)


def test_the_page_shows_the_held_upload_and_the_mo_confirms_there(
    client, region, people, django_capture_on_commit_callbacks
):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    held = upload(region, zl_list_xml([rec(people[0], 1)]))
    client.force_login(region.mo1_user)
    page = client.get(reverse("screening:upload_detail", args=[held.pk])).content.decode()
    assert 'data-testid="replace-held"' in page and 'data-testid="confirm-replace"' in page
    assert 'data-testid="replacement-table"' in page and "90 %" in page
    assert 'data-testid="download-xlsx"' in page  # the protocol is downloadable while it waits
    client.force_login(region.fund_user)
    fund_page = client.get(reverse("screening:upload_detail", args=[held.pk])).content.decode()
    assert 'data-testid="replace-held"' in fund_page and 'data-testid="confirm-replace"' not in fund_page
    assert client.post(reverse("screening:upload_confirm_replace", args=[held.pk])).status_code == 403  # reads only
    assert ListUpload.objects.get(pk=held.pk).status == UploadStatus.HELD
    client.force_login(region.mo2_user)
    assert client.post(reverse("screening:upload_confirm_replace", args=[held.pk])).status_code == 404
    client.force_login(region.mo1_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:upload_confirm_replace", args=[held.pk]))
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == UploadStatus.DONE and listed() == {people[0].pk}


def test_the_api_confirms_a_held_upload(region, people, django_capture_on_commit_callbacks):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    held = upload(region, zl_list_xml([rec(people[0], 1)]))
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    body = api.get(f"/api/v1/uploads/{held.pk}/").json()
    assert body["status"] == "HELD" and body["replacement"]["measures"]["DVN"]["current"] == 10
    url = body["links"]["confirm_replace"]
    api.force_authenticate(region.mo2_user)
    assert api.post(url).status_code == 404
    api.force_authenticate(region.fund_user)
    assert api.post(url).status_code == 403
    api.force_authenticate(region.mo1_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url)
    assert response.status_code == 202 and response.json()["status"] == "PENDING"  # queued: processed again
    assert api.get(f"/api/v1/uploads/{held.pk}/").json()["status"] == "DONE"
    assert api.post(url).status_code == 400  # nothing waits any more
    assert listed() == {people[0].pk}


def test_the_command_line_waits_without_the_flag_and_replaces_with_it(region, people, tmp_path, capsys):
    upload(region, zl_list_xml([rec(p, n) for n, p in enumerate(people, start=1)]))
    path = tmp_path / "PROF_M270001.xml"
    path.write_bytes(zl_list_xml([rec(people[0], 1)]))
    call_command("upload_list", str(path), "--mo", region.mo1.code)
    assert "--confirm-replace" in capsys.readouterr().out and len(listed()) == 10
    call_command("upload_list", str(path), "--mo", region.mo1.code, "--confirm-replace")
    assert listed() == {people[0].pk}
