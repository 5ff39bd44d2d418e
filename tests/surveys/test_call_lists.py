"""Building call lists from a rule: the quota sample, the recorded seed, left-outs counted, one open list per
purpose, the level-2 page."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from omsportal.jobs.runner import run_job
from surveys.models import CallItem, CallList, CallOutcome, CallPurpose, ItemState
from surveys.services.call_lists import (
    CALL_LIST_BUILD,
    CallListError,
    call_list_close,
    call_list_create,
    call_list_sample,
)
from tests.scoping_base import assert_statuses
from tests.surveys.factories import informed, own_form, passed, people, survey_version

YEAR, QUARTER = 2026, 2
DAY = datetime.date(YEAR, 5, 5)


@pytest.fixture
def quarter_data(region):
    """MO1 / SMO1: 400 passed (quota 2) and 10 informed, not passed (quota 5): 2 opted out, 1 without a phone."""
    passed_persons = people(400, smo=region.smo1, mo=region.mo1)
    passed(passed_persons, mo=region.mo1, day=DAY, posted_by=region.mo1_user)
    informed_persons = people(7, smo=region.smo1, mo=region.mo1)
    informed_persons += people(2, smo=region.smo1, mo=region.mo1, informing_opt_out=True)
    informed_persons += people(1, smo=region.smo1, mo=region.mo1, phone="")
    informed(informed_persons, smo=region.smo1, mo=region.mo1, day=DAY)
    other = people(3, smo=region.smo2, mo=region.mo1)  # another SMO's: never on SMO1's lists
    passed(other, mo=region.mo1, day=DAY, posted_by=region.mo1_user)
    return {"passed": passed_persons, "informed": informed_persons, "other": other}


def build(region, **kwargs) -> CallList:
    options = {"purpose": CallPurpose.QUOTA, "year": YEAR, "quarter": QUARTER, "version": survey_version()}
    options.update(kwargs)
    call_list = call_list_create(user=region.smo1_l2, **options)  # the eager job runs on commit
    call_list.refresh_from_db()
    return call_list


@pytest.mark.django_db(transaction=True)
def test_the_quota_sample_takes_what_the_quota_lacks_and_counts_the_left_out(region, quarter_data):
    call_list = build(region, mo=region.mo1)
    assert call_list.status == "DONE", call_list.message
    items = CallItem.objects.filter(call_list=call_list)
    by_stratum = {s: items.filter(stratum=s).count() for s in ("PASSED", "INFORMED")}
    assert by_stratum == {"PASSED": 2, "INFORMED": 5}  # ceil(0.5 % × 400), ceil(50 % × 10)
    assert (call_list.left_out_opted_out, call_list.left_out_no_phone) == (2, 1)
    assert set(items.values_list("smo_id", flat=True)) == {region.smo1.pk}
    assert not items.filter(person__informing_opt_out=True).exists()
    assert all(item.phone for item in items)
    # The quota is met by this list: a second quota list of the quarter takes nobody more.
    call_list_close(user=region.smo1_l2, call_list=call_list)
    again = build(region, mo=region.mo1)
    assert again.items_created == 0


@pytest.mark.django_db(transaction=True)
def test_the_seed_rebuilds_the_same_sample(region, quarter_data):
    first = build(region, mo=region.mo1)
    chosen = sorted(first.items.values_list("person_id", flat=True))
    assert call_list_sample(first) == chosen  # the audit redraw
    # The same seed on the same data, as a new list once the first is gone, draws the same persons.
    seed = first.seed
    first.items.all().delete()
    first.delete()
    rebuilt = build(region, mo=region.mo1, seed=seed)
    assert sorted(rebuilt.items.values_list("person_id", flat=True)) == chosen
    rebuilt.items.all().delete()
    rebuilt.delete()
    other = build(region, mo=region.mo1, seed=seed + 1)
    assert sorted(other.items.values_list("person_id", flat=True)) != chosen


@pytest.mark.django_db(transaction=True)
def test_a_person_is_never_on_two_open_lists_of_the_same_purpose(region, quarter_data):
    first = build(region, purpose=CallPurpose.QUOTA, mo=region.mo1)
    item = first.items.first()
    # The database itself refuses a second open item of the same purpose.
    with pytest.raises(IntegrityError), transaction.atomic():
        CallItem.objects.create(
            call_list=first, person_id=item.person_id, mo=region.mo1, smo=region.smo1, purpose=CallPurpose.QUOTA,
            phone="1", due_at=item.due_at,
        )  # fmt: skip
    # Persons not reached on the first list go on a NOT_REACHED list (another purpose) while the first is open.
    first.items.filter(pk=item.pk).update(state=ItemState.DONE, outcome=CallOutcome.NOT_REACHED)
    retry = build(region, purpose=CallPurpose.NOT_REACHED)
    assert list(retry.items.values_list("person_id", flat=True)) == [item.person_id]
    again = build(region, purpose=CallPurpose.NOT_REACHED)
    assert again.items_created == 0 and again.left_out_on_open_list == 1


@pytest.mark.django_db
def test_quota_page_per_mo_by_role(client, region, quarter_data):
    url = reverse("surveys:quotas") + f"?year={YEAR}&quarter={QUARTER}"
    responses = assert_statuses(
        client, url,
        [(200, [region.smo1_l2, region.fund_user]),
         (404, [region.smo1_l1, region.smo1_l3, region.mo1_user, region.ministry_user])],
    )  # fmt: skip
    page = responses[region.smo1_l2].content.decode()
    assert "270001" in page
    lines = responses[region.smo1_l2].context["lines"]
    assert [(line.passed, line.quota_passed, line.informed_not_passed, line.quota_informed) for line in lines] == [
        (400, 2, 10, 5)
    ]
    fund_lines = responses[region.fund_user].context["lines"]
    assert sorted((line.smo_id, line.passed) for line in fund_lines) == [(region.smo1.pk, 400), (region.smo2.pk, 3)]


@pytest.mark.django_db
def test_a_lost_build_runs_again_to_the_same_result(region, quarter_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        call_list = call_list_create(
            user=region.smo1_l2, purpose=CallPurpose.QUOTA, year=YEAR, quarter=QUARTER, version=survey_version()
        )
    assert CallList.objects.get(pk=call_list.pk).status == "PENDING"
    run_job(CALL_LIST_BUILD, call_list.pk)
    call_list.refresh_from_db()
    assert (call_list.status, call_list.items_created) == ("DONE", 7)


@pytest.mark.django_db(transaction=True)
def test_follow_ups_of_a_phone_mailing(region):
    from informing.models import Batch, BatchMessage

    persons = people(3, smo=region.smo1, mo=region.mo1)
    batch = Batch.objects.create(smo=region.smo1, kind="INVITE", year=YEAR, due_on=DAY, status="SENT")
    BatchMessage.objects.bulk_create(
        [BatchMessage(batch=batch, person=p, mo=region.mo1, channel="PHONE", status="SENT") for p in persons[:2]]
        + [BatchMessage(batch=batch, person=persons[2], mo=region.mo1, channel="SMS", status="SENT")]
    )
    call_list = build(region, purpose=CallPurpose.FOLLOWUP, rule={"batch": batch.pk})
    assert call_list.status == "DONE", call_list.message
    assert sorted(call_list.items.values_list("person_id", flat=True)) == sorted(p.pk for p in persons[:2])
    other_smo = Batch.objects.create(smo=region.smo2, kind="INVITE", year=YEAR, due_on=DAY, status="SENT")
    refused = build(region, purpose=CallPurpose.FOLLOWUP, rule={"batch": other_smo.pk})
    assert refused.status == "REJECTED" and "не найдена" in refused.message


@pytest.mark.django_db
def test_the_service_refuses_another_smos_form(region):
    with pytest.raises(CallListError):
        call_list_create(user=region.smo1_l2, purpose=CallPurpose.QUOTA, year=YEAR, quarter=QUARTER,
                         version=own_form(region.smo2))  # fmt: skip
    assert not CallList.objects.exists()
