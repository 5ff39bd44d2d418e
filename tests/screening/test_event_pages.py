"""Pages of stage events: upload and batch history, progress by month, the person-card partial; role isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from omsportal.jobs.models import JobStatus
from screening.formats.events import events_xml_bytes
from screening.models import EntryState, EventBatch, StageEvent
from screening.selectors.events import person_stage_history, state_counts_by_month
from tests.factories import MOFactory, insured_person
from tests.scoping_base import assert_login_required, assert_read_only, assert_scoped, assert_statuses
from tests.screening.test_events import TODAY, YEAR, day, ev, post, put_on_list


@pytest.fixture
def lists(region):
    """MO1: p1 (SMO1) DVN in March, p3 (SMO2) DVN in March, p4 (SMO1) DVN in May; MO2: p2 (SMO2) DVN in March."""
    r = region
    r.e1 = put_on_list(r.p1, r.mo1, user=r.mo1_user, smo=r.smo1, month=3)
    r.p3 = insured_person(smo=r.smo2, mo=r.mo1, last_name="Сидоров", sex=1)
    r.e3 = put_on_list(r.p3, r.mo1, user=r.mo1_user, smo=r.smo2, month=3)
    r.p4 = insured_person(smo=r.smo1, mo=r.mo1, last_name="Кузнецова")
    r.e4 = put_on_list(r.p4, r.mo1, user=r.mo1_user, smo=r.smo1, month=5)
    r.e2 = put_on_list(r.p2, r.mo2, user=r.mo2_user, smo=r.smo2, month=3)
    post(r, [ev(r.p1, "END1", day(3, 5), rslt=352), ev(r.p3, "START1", day(3, 6)), ev(r.p1, "bogus", day(3, 6))])
    post(r, [ev(r.p2, "END1", day(3, 7), rslt=317)], user=r.mo2_user)
    r.batch1 = EventBatch.objects.get(mo=r.mo1)
    r.batch2 = EventBatch.objects.get(mo=r.mo2)
    return r


def progress_url(**params) -> str:
    params.setdefault("year", YEAR)
    params.setdefault("measure", "DVN")
    return reverse("screening:events_progress") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


# --- Counts by state per month (selector) -------------------------------------------------------------------------


def column(counts, state):
    i = counts.states.index(state)
    return {row.month: row.counts[i] for row in counts.rows}


@pytest.mark.django_db
def test_counts_by_state_per_month_for_the_mo(lists):
    counts = state_counts_by_month(user=lists.mo1_user, year=YEAR, measure="DVN")
    assert counts.total == 3
    assert column(counts, EntryState.STAGE2_SENT)[3] == 1
    assert column(counts, EntryState.STARTED)[3] == 1
    assert column(counts, EntryState.LISTED) == {m: (1 if m == 5 else 0) for m in range(1, 13)}
    assert [row.month for row in counts.rows] == list(range(1, 13))
    assert counts.column_totals[counts.states.index(EntryState.STAGE1_DONE)] == 0  # MO2's p2 is not counted


@pytest.mark.django_db
def test_counts_are_scoped_per_role(lists):
    def total(user, **kwargs):
        return state_counts_by_month(user=user, year=YEAR, measure="DVN", **kwargs).total

    assert total(lists.fund_user) == 4
    assert total(lists.ministry_user) == 4
    assert total(lists.fund_user, mo=lists.mo2) == 1
    assert total(lists.smo1_l2) == 2  # p1 and p4, its insured
    assert total(lists.smo1_l3, mo=lists.mo1) == 2
    assert total(lists.smo2_l2) == 2  # p3 (at MO1) and p2 (at MO2)
    assert total(lists.smo2_l2, mo=lists.mo1) == 1
    assert total(lists.mo2_user, mo=lists.mo1) == 0  # an MO's own scope wins over the MO asked for
    assert total(lists.smo1_l1) == 0
    assert total(lists.admin_user) == 0


@pytest.mark.django_db
def test_pmo_counts_use_pmo_states(lists):
    p5 = insured_person(smo=lists.smo1, mo=lists.mo1, last_name="Орлов", sex=1)
    put_on_list(p5, lists.mo1, user=lists.mo1_user, measure="PMO", month=7)
    post(lists, [ev(p5, "END1", day(7, 1), disp="ПМО", rslt=343)])
    counts = state_counts_by_month(user=lists.mo1_user, year=YEAR, measure="PMO")
    assert counts.states == ["LISTED", "PMO_STARTED", "PMO_DONE", "REFUSED"]
    assert column(counts, EntryState.PMO_DONE)[7] == 1


@pytest.mark.django_db
def test_the_counts_are_one_query(lists, django_assert_num_queries):
    with django_assert_num_queries(1):
        state_counts_by_month(user=lists.fund_user, year=YEAR, measure="DVN")


# --- Pages ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_progress_page_shows_the_table_and_chart_data(client, lists):
    client.force_login(lists.mo1_user)
    response = client.get(progress_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="progress-table"' in content
    assert "направлен на 2 этап" in content
    chart = response.context["chart"]
    assert len(chart["labels"]) == 12
    sent = next(d for d in chart["datasets"] if d["label"] == "направлен на 2 этап")
    assert sent["data"][2] == 1
    assert 'id="progress-chart-data"' in content
    assert 'name="mo"' not in content  # an MO does not choose another MO


@pytest.mark.django_db
def test_progress_page_roles(client, lists):
    url = progress_url()
    assert_scoped(
        client,
        url,
        allowed_users=[lists.mo1_user, lists.smo1_l2, lists.smo1_l3, lists.fund_user, lists.ministry_user],
        denied_users=[lists.smo1_l1, lists.admin_user],
    )
    assert_login_required(client, url)


@pytest.mark.django_db
def test_smo_progress_is_its_insured_per_mo(client, lists):
    client.force_login(lists.smo2_l2)
    response = client.get(progress_url(mo=lists.mo1.pk))
    assert response.context["counts"].total == 1
    assert 'name="mo"' in response.content.decode()


@pytest.mark.django_db
def test_events_page_roles(client, lists):
    url = reverse("screening:events")
    assert_scoped(client, url, allowed_users=[lists.mo1_user, lists.fund_user], denied_users=[lists.smo1_l1])
    # Roles that see only progress are sent there.
    assert_statuses(client, url, [(302, [lists.smo1_l2, lists.smo1_l3, lists.ministry_user])])


@pytest.mark.django_db
def test_events_page_lists_only_the_mos_batches(client, lists):
    client.force_login(lists.mo1_user)
    response = client.get(reverse("screening:events"))
    assert list(response.context["batches"]) == [lists.batch1]
    assert 'data-testid="events-upload-form"' in response.content.decode()
    client.force_login(lists.fund_user)
    response = client.get(reverse("screening:events"))
    assert set(response.context["batches"]) == {lists.batch1, lists.batch2}
    assert 'data-testid="events-upload-form"' not in response.content.decode()


@pytest.mark.django_db
def test_batch_detail_owner_read_only_and_outsider(client, lists):
    url = reverse("screening:event_batch", args=[lists.batch1.pk])
    results = assert_scoped(
        client,
        url,
        allowed_users=[lists.mo1_user, lists.fund_user],
        denied_users=[lists.mo2_user, lists.smo1_l2, lists.ministry_user, lists.smo1_l1],
    )
    content = results[lists.mo1_user].content.decode()
    assert 'data-testid="batch-errors"' in content
    assert "Недопустимое событие" in content
    status_url = reverse("screening:event_batch_status", args=[lists.batch1.pk])
    assert_scoped(client, status_url, allowed_users=[lists.mo1_user], denied_users=[lists.mo2_user])


@pytest.mark.django_db
def test_uploading_a_file_on_the_page_processes_it(
    client, lists, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    data = events_xml_bytes(
        code_mo=lists.mo1.code,
        filename="EV_M270001",
        date=TODAY,
        records=[{"enp": lists.p4.enp, "disp": "ДВН", "event": "START1", "date": day(5, 3)}],
    )
    client.force_login(lists.mo1_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("screening:events"), {"file": SimpleUploadedFile("EV_M270001.xml", data, "application/xml")}
        )
    batch = EventBatch.objects.filter(mo=lists.mo1).latest("created_at")
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:event_batch", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.records_accepted) == (JobStatus.DONE, 1)
    lists.e4.refresh_from_db()
    assert lists.e4.state == EntryState.STARTED


@pytest.mark.django_db
def test_upload_is_for_mo_staff_only(client, lists):
    url = reverse("screening:events")

    def post_file(user):
        client.logout()
        client.force_login(user)
        return client.post(url, {"file": SimpleUploadedFile("ev.xml", b"<EVENTS/>", "application/xml")})

    assert_read_only(
        client,
        post_file,
        owners=[lists.mo1_user],
        read_only_users=[lists.fund_user],
        outsiders=[lists.smo1_l2, lists.ministry_user],
        owner_status=302,
    )


@pytest.mark.django_db
def test_a_wrong_file_type_is_refused_in_the_form(client, lists):
    client.force_login(lists.mo1_user)
    response = client.post(reverse("screening:events"), {"file": SimpleUploadedFile("ev.pdf", b"%PDF", "x")})
    assert response.status_code == 400
    assert "Допустимы файлы XML, CSV, XLSX или ZIP" in response.content.decode()
    assert not EventBatch.objects.filter(source="FILE").exists()


# --- Person stage partial -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_person_stage_history_per_role(lists):
    from django.http import Http404

    history = person_stage_history(user=lists.smo1_l3, person=lists.p1)
    assert [e.pk for e in history.entries] == [lists.e1.pk]
    assert [e.event for e in history.events] == ["END1"]
    assert person_stage_history(user=lists.mo1_user, person=lists.p1).events
    assert person_stage_history(user=lists.fund_user, person=lists.p1).entries
    for outsider in (lists.smo2_l2, lists.mo2_user, lists.ministry_user):
        with pytest.raises(Http404):
            person_stage_history(user=outsider, person=lists.p1)


@pytest.mark.django_db
def test_mo_staff_see_only_their_mos_entries_and_events_of_a_person(lists):
    other_mo = MOFactory(code="270009")
    # p1 is also on another MO's PMO list with an event posted there.
    put_on_list(lists.p1, other_mo, user=lists.mo1_user, measure="PMO")
    StageEvent.objects.create(
        batch=lists.batch2, mo=other_mo, person=lists.p1, measure="PMO", event="START1", date=TODAY
    )
    history = person_stage_history(user=lists.mo1_user, person=lists.p1)
    assert {e.mo_id for e in history.entries} == {lists.mo1.pk}
    assert {e.mo_id for e in history.events} == {lists.mo1.pk}
    fund = person_stage_history(user=lists.fund_user, person=lists.p1)
    assert len(fund.entries) == 2 and len(fund.events) == 2


@pytest.mark.django_db
def test_the_partial_renders_the_entries_and_events(lists):
    history = person_stage_history(user=lists.fund_user, person=lists.p1)
    html = render_to_string("screening/_person_stage.html", {"stage": history})
    assert "направлен на 2 этап" in html
    assert 'data-testid="person-stage-events"' in html
    assert "352" in html
    assert render_to_string("screening/_person_stage.html", {"stage": None}).strip() == ""


@pytest.mark.django_db
def test_the_person_card_shows_the_lists_and_stage_events_to_those_who_see_them(client, lists):
    card = reverse("persons:detail", args=[lists.p1.pk])
    for user in (lists.mo1_user, lists.smo1_l3, lists.fund_user):
        client.force_login(user)
        html = client.get(card).content.decode()
        assert 'data-testid="person-stage-entries"' in html, user.username
        assert 'data-testid="person-stage-events"' in html, user.username
    client.force_login(lists.smo1_l1)  # level 1 works call lists, not stage data; p1 is not on one of theirs: 404
    assert client.get(card).status_code == 404
    client.force_login(lists.smo2_l2)
    assert client.get(card).status_code == 404
