"""Building call lists from a rule: the quota sample, the recorded seed, left-outs counted, one open list per
purpose, the level-2 page."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from omsportal.jobs.runner import run_job
from surveys.models import CallItem, CallList, CallOutcome, CallPurpose, ItemState, SurveyResponse
from surveys.selectors.calls import quota_lines
from surveys.services.call_lists import (
    CALL_LIST_BUILD,
    CallListError,
    call_list_close,
    call_list_create,
    call_list_sample,
)
from surveys.services.calls import call_next, call_outcome_record
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
    # While its items wait to be called they count as taken: a second quota list of the quarter takes nobody more.
    assert build(region, mo=region.mo1).items_created == 0
    line = quota_lines(YEAR, QUARTER, smo_id=region.smo1.pk)[0]
    assert (line.listed_total, line.surveyed_passed, line.surveyed_informed, line.met) == (7, 0, 0, False)
    # Once every person is surveyed the quota is met and a later list, the first one closed, takes nobody.
    for item in items:
        survey(region, item)
    call_list_close(user=region.smo1_l2, call_list=call_list)
    line = quota_lines(YEAR, QUARTER, smo_id=region.smo1.pk)[0]
    assert (line.surveyed_passed, line.surveyed_informed, line.met) == (2, 5, True)
    assert build(region, mo=region.mo1).items_created == 0


def survey(region, item, answers=None) -> None:
    """The item closed with its survey completed, as the operator's outcome records it."""
    CallItem.objects.filter(pk=item.pk).update(state=ItemState.DONE, outcome=CallOutcome.REACHED, is_open=item.is_open)
    SurveyResponse.objects.create(
        version=survey_version(), item=item, person_id=item.person_id, smo_id=item.smo_id, mo_id=item.mo_id,
        year=YEAR, quarter=QUARTER, stratum=item.stratum, answers=answers or {"informed": "no", "came": "yes"},
        operator=region.smo1_l1,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_refused_persons_do_not_use_up_the_quota(region, quarter_data):
    first = build(region, mo=region.mo1)
    refused = set(first.items.values_list("person_id", flat=True))
    first.items.update(state=ItemState.DONE, outcome=CallOutcome.REFUSED, closed_at=timezone.now())
    # The quota still lacks all 7: new persons are drawn (the refused ones are still on the open first list).
    second = build(region, mo=region.mo1)
    drawn = {s: set(second.items.filter(stratum=s).values_list("person_id", flat=True)) for s in ("PASSED", "INFORMED")}
    assert len(drawn["PASSED"]) == 2 and len(drawn["INFORMED"]) == 2  # 7 informed eligible, 5 on the open list
    assert not (drawn["PASSED"] | drawn["INFORMED"]) & refused
    assert second.left_out_on_open_list == 5 + 2  # every refused person: on the open first list
    # Both lists closed: a person whose item closed without a survey may be drawn again in a later build.
    second.items.update(state=ItemState.DONE, outcome=CallOutcome.REFUSED, closed_at=timezone.now())
    call_list_close(user=region.smo1_l2, call_list=first)
    call_list_close(user=region.smo1_l2, call_list=second)
    third = build(region, mo=region.mo1)
    assert third.items.filter(stratum="INFORMED").count() == 5
    assert third.items.filter(person_id__in=refused).exists()


@pytest.mark.django_db(transaction=True)
def test_a_survey_from_the_not_reached_list_counts_towards_the_quota(region, quarter_data):
    quota_list = build(region, mo=region.mo1)
    lost = quota_list.items.filter(stratum="INFORMED").first()
    CallItem.objects.filter(pk=lost.pk).update(state=ItemState.DONE, outcome=CallOutcome.NOT_REACHED, tries=3)
    retry = build(region, purpose=CallPurpose.NOT_REACHED)
    assert list(retry.items.values_list("person_id", "stratum")) == [(lost.person_id, "INFORMED")]
    call_list_close(user=region.smo1_l2, call_list=quota_list)  # only the re-call is handed out
    item = call_next(operator=region.smo1_l1)
    assert item.call_list_id == retry.pk
    call_outcome_record(operator=region.smo1_l1, item_id=item.pk, outcome=CallOutcome.REACHED,
                        answers={"informed": "no", "came": "yes"})  # fmt: skip
    line = quota_lines(YEAR, QUARTER, smo_id=region.smo1.pk)[0]
    assert (line.surveyed_passed, line.surveyed_informed) == (0, 1)
    # The next quota build takes what is still lacking: 2 passed, 5 - 1 informed.
    again = build(region, mo=region.mo1)
    assert (again.items.filter(stratum="PASSED").count(), again.items.filter(stratum="INFORMED").count()) == (2, 4)
    assert not again.items.filter(person_id=lost.person_id).exists()  # surveyed: not drawn again
    # A person not reached on one list and surveyed from another is not called again by a later re-call list.
    other = again.items.filter(stratum="INFORMED").first()
    CallItem.objects.filter(pk=other.pk).update(state=ItemState.DONE, outcome=CallOutcome.NOT_REACHED)
    call_list_close(user=region.smo1_l2, call_list=retry)
    later = build(region, purpose=CallPurpose.NOT_REACHED)
    assert list(later.items.values_list("person_id", flat=True)) == [other.person_id]


@pytest.mark.django_db(transaction=True)
def test_the_seed_rebuilds_the_same_sample(region, quarter_data):
    first = build(region, mo=region.mo1)
    chosen = sorted(first.items.values_list("person_id", flat=True))
    assert call_list_sample(first) == chosen  # the audit redraw
    for item in first.items.all()[:3]:  # worked: the list's own surveys do not change its redraw
        survey(region, item)
    assert call_list_sample(first) == chosen
    SurveyResponse.objects.all().delete()
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


@pytest.mark.django_db(transaction=True)
def test_quota_page_columns_in_call_lists_surveys_completed_and_met(client, region, quarter_data):
    import re

    url = reverse("surveys:quotas") + f"?year={YEAR}&quarter={QUARTER}"
    client.force_login(region.smo1_l2)

    def cells() -> tuple[list[str], bool]:
        page = client.get(url).content.decode()
        row = re.search(r'<tr class="(table-warning)?">\s*<td class="text-start">270001.*?</tr>', page, re.S)
        values = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
        return values[1:7], "квота выполнена" in row.group(0) and not row.group(1)

    # passed, quota 0.5 %, informed not passed, quota 50 %, quota in all, in call lists (surveyed: "passed + informed")
    assert cells() == (["400", "2", "10", "5", "7", "0"], False)
    call_list = build(region, mo=region.mo1)
    items = list(call_list.items.order_by("stratum", "id"))  # 5 INFORMED, then 2 PASSED
    for item in items[:4] + items[5:]:
        survey(region, item)
    assert cells() == (["400", "2", "10", "5", "7", "7"], False)
    page = client.get(url).content.decode()
    assert "2 + 4" in page and f"call-lists/new/?mo={region.mo1.pk}" in page  # not met: build another list
    survey(region, items[4])
    assert cells()[1] is True and "2 + 5" in client.get(url).content.decode()


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


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_list_puts_each_person_in_their_quota_part_and_their_survey_counts(region):
    """A phone mailing's follow-up list: a person who passed in the quarter is in the passed part, one informed who
    did not pass in the informed part, anyone else in neither; a survey of them counts toward the MO's quota."""
    from informing.models import Batch, BatchMessage

    came, informed_only, neither = people(3, smo=region.smo1, mo=region.mo1)
    passed([came], mo=region.mo1, day=DAY, posted_by=region.mo1_user)
    informed([informed_only], smo=region.smo1, mo=region.mo1, day=DAY)
    batch = Batch.objects.create(smo=region.smo1, kind="INVITE", year=YEAR, due_on=DAY, status="SENT")
    BatchMessage.objects.bulk_create(
        [BatchMessage(batch=batch, person=p, mo=region.mo1, channel="PHONE", status="SENT")
         for p in (came, informed_only, neither)]
    )  # fmt: skip
    call_list = build(region, purpose=CallPurpose.FOLLOWUP, rule={"batch": batch.pk})
    assert call_list.status == "DONE", call_list.message
    strata = dict(call_list.items.values_list("person_id", "stratum"))
    assert strata == {came.pk: "PASSED", informed_only.pk: "INFORMED", neither.pk: "OTHER"}
    operator = region.smo1_l1
    for _ in range(3):
        item = call_next(operator=operator)
        call_outcome_record(operator=operator, item_id=item.pk, outcome=CallOutcome.REACHED,
                            answers={"informed": "no", "came": "yes"})  # fmt: skip
    line = quota_lines(YEAR, QUARTER, smo_id=region.smo1.pk)[0]
    assert (line.surveyed_passed, line.surveyed_informed) == (1, 1)  # the third counts toward neither part


@pytest.mark.django_db
def test_the_service_refuses_another_smos_form(region):
    with pytest.raises(CallListError):
        call_list_create(user=region.smo1_l2, purpose=CallPurpose.QUOTA, year=YEAR, quarter=QUARTER,
                         version=own_form(region.smo2))  # fmt: skip
    assert not CallList.objects.exists()
