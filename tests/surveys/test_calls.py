"""The operators' "next call": one item per operator (real concurrent sessions), timeouts, retries, outcomes."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from omsportal.audit import audit_record
from omsportal.models import AuditAction, AuditLog, RegionalParameters
from participants.models import Role
from surveys.models import CallAttempt, CallItem, CallList, CallOutcome, CallPurpose, ItemState, SurveyResponse
from surveys.services.calls import (
    CallError,
    SurveyAnswersError,
    call_next,
    call_outcome_record,
    next_try_at,
    slot_of,
)
from tests.factories import UserFactory
from tests.surveys.factories import people, survey_version


def make_list(region, n: int, *, version=None) -> CallList:
    call_list = CallList.objects.create(
        smo=region.smo1, mo=region.mo1, year=2026, quarter=2, purpose=CallPurpose.QUOTA, seed=1, status="DONE",
        version=version or survey_version(), created_by=region.smo1_l2,
    )  # fmt: skip
    now = timezone.now() - datetime.timedelta(seconds=1)
    CallItem.objects.bulk_create(
        [
            CallItem(call_list=call_list, person=p, mo=region.mo1, smo=region.smo1, purpose=CallPurpose.QUOTA,
                     stratum="INFORMED", phone=p.phone, due_at=now)
            for p in people(n, smo=region.smo1, mo=region.mo1)
        ]
    )  # fmt: skip
    return call_list


def operators(region, n: int):
    return [UserFactory(username=f"op{i}", role=Role.SMO_L1, organization=region.smo1) for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_two_operators_pressing_next_call_at_once_never_get_the_same_item(region):
    make_list(region, 40)
    ops = operators(region, 8)
    got: dict[int, list[int]] = {}
    barrier = threading.Barrier(len(ops))
    errors = []

    def work(op):
        try:
            barrier.wait()
            mine = []
            for _ in range(5):  # each claims and closes: five items, each in its own transaction
                item = call_next(operator=op)
                mine.append(item.pk)
                call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.REFUSED)
            got[op.pk] = mine
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(op,)) for op in ops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    claimed = [pk for items in got.values() for pk in items]
    assert len(claimed) == 40 and len(set(claimed)) == 40  # every item once, none twice
    assert CallAttempt.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_two_sessions_with_an_open_claim_skip_each_others_row(region):
    make_list(region, 2)
    a, b = operators(region, 2)
    # Session A holds its claim's row lock (its transaction is open) while session B claims: B gets the other row.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(
                "SELECT id FROM surveys_callitem WHERE is_open AND state <> 'DONE' ORDER BY due_at, id LIMIT 1"
                " FOR UPDATE SKIP LOCKED"
            )
            locked = cur.fetchone()[0]
            item = call_next(operator=b)
            assert item is not None and item.pk != locked
            cur.execute("ROLLBACK")
    finally:
        other.close()
    assert call_next(operator=a).pk == locked


@pytest.mark.django_db
def test_a_timed_out_claim_returns_to_the_pool(region):
    make_list(region, 1)
    a, b = operators(region, 2)
    item = call_next(operator=a)
    assert call_next(operator=b) is None  # held by a
    CallItem.objects.filter(pk=item.pk).update(due_at=timezone.now() - datetime.timedelta(seconds=1))  # a went away
    taken = call_next(operator=b)
    assert taken.pk == item.pk and taken.claimed_by == b
    with pytest.raises(CallError):  # a's late outcome is refused: the item is b's now
        call_outcome_record(operator=a, item_id=item.pk, outcome=CallOutcome.REFUSED)


@pytest.mark.django_db
def test_no_answer_comes_back_at_another_time_of_day_until_the_tries_are_used(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    seen_slots = []
    for _ in range(3):  # call_tries = 3
        item = call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.NO_ANSWER)
        seen_slots.append(item.tried_slots)
        if item.state == ItemState.DONE:
            break
        assert item.state == ItemState.READY and item.due_at > timezone.now()
        CallItem.objects.filter(pk=item.pk).update(due_at=timezone.now())
        item = call_next(operator=op)
    assert item.state == ItemState.DONE and item.outcome == CallOutcome.NOT_REACHED and item.tries == 3


def set_call_tries(n: int) -> None:
    rules = RegionalParameters.objects.filter(pk=1).first() or RegionalParameters(pk=1)
    rules.call_tries = n
    rules.save()


@pytest.mark.parametrize("tries", [2, 4])
@pytest.mark.django_db
def test_no_answer_and_busy_retry_at_other_times_of_day_up_to_the_regional_tries(region, monkeypatch, tries):
    """The operator calls each time the item is due; the tries go to a time of day not tried yet, and the item
    closes as not reached after ``call_tries`` (a regional parameter) tries, whether no answer or busy."""
    set_call_tries(tries)
    clock = {"now": timezone.make_aware(datetime.datetime(2026, 5, 5, 10, 0))}  # a Tuesday morning
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    make_list(region, 1)
    (op,) = operators(region, 1)
    outcomes = [CallOutcome.NO_ANSWER, CallOutcome.BUSY] * tries
    for n in range(1, tries + 1):
        item = call_next(operator=op)
        assert item is not None, n
        item = call_outcome_record(operator=op, item_id=item.pk, outcome=outcomes[n - 1])
        assert item.tries == n
        if n < tries:
            assert (item.state, item.outcome) == (ItemState.READY, outcomes[n - 1])
            assert slot_of(item.due_at) not in item.tried_slots or len(item.tried_slots) == 3
            assert call_next(operator=op) is None  # not before it is due
            clock["now"] = item.due_at  # the operator calls again when it is due
    assert (item.state, item.outcome, item.tries) == (ItemState.DONE, CallOutcome.NOT_REACHED, tries)
    attempts = list(CallAttempt.objects.filter(item_id=item.pk).order_by("at"))
    slots = [slot_of(a.at) for a in attempts]
    assert slots == ["M", "A", "E", "M"][:tries]  # 10:00, 13:00, 17:00, the next morning 9:00
    assert len(set(slots[:3])) == len(slots[:3])  # each of the first tries at another time of day
    assert [a.outcome for a in attempts] == outcomes[:tries]  # busy is retried like no answer
    assert item.tried_slots == "".join(sorted(set(slots)))


def test_a_retry_goes_to_a_time_of_day_not_tried():
    tz = timezone.get_current_timezone()
    morning = datetime.datetime(2026, 5, 5, 10, 0, tzinfo=tz)
    assert next_try_at(morning, "M").hour == 13
    assert next_try_at(morning, "MA").hour == 17
    evening = datetime.datetime(2026, 5, 5, 18, 0, tzinfo=tz)
    nxt = next_try_at(evening, "E")
    assert (nxt.day, nxt.hour) == (6, 9)


@pytest.mark.django_db
def test_a_callback_is_due_at_the_agreed_time(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    with pytest.raises(CallError):
        call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.CALLBACK)
    at = timezone.now() + datetime.timedelta(hours=2)
    item = call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.CALLBACK, callback_at=at)
    assert (item.state, item.due_at, item.tries) == (ItemState.READY, at, 0)
    assert call_next(operator=op) is None


@pytest.mark.django_db
def test_reached_with_the_survey_keeps_the_answers_with_their_version(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    with pytest.raises(SurveyAnswersError) as caught:
        call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.REACHED, answers={"informed": "no"})
    assert caught.value.errors == {"came": "Обязательный вопрос."}
    assert not SurveyResponse.objects.exists() and CallAttempt.objects.count() == 0  # nothing written
    answers = {"informed": "no", "came": "no", "reason": ["queue", "far"], "will_come": "yes"}
    item = call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.REACHED, answers=answers)
    response = SurveyResponse.objects.get()
    assert response.version == survey_version() and response.answers["reason"] == ["queue", "far"]
    assert (response.mo, response.smo, response.stratum) == (region.mo1, region.smo1, "INFORMED")
    assert item.state == ItemState.DONE


@pytest.mark.django_db
def test_asked_not_to_be_informed_records_the_opt_out(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    # The person is also waiting on a follow-up list (another purpose); someone else is on it too.
    other_list = CallList.objects.create(smo=region.smo1, mo=region.mo1, year=2026, quarter=2, seed=2, status="DONE",
                                         purpose=CallPurpose.FOLLOWUP, version=survey_version())  # fmt: skip
    later = timezone.now() + datetime.timedelta(hours=1)
    theirs = CallItem.objects.create(call_list=other_list, person=item.person, mo=region.mo1, smo=region.smo1,
                                     purpose=CallPurpose.FOLLOWUP, phone="1", due_at=later)  # fmt: skip
    stranger = people(1, smo=region.smo1, mo=region.mo1)[0]
    kept = CallItem.objects.create(call_list=other_list, person=stranger, mo=region.mo1, smo=region.smo1,
                                   purpose=CallPurpose.FOLLOWUP, phone="1", due_at=later)  # fmt: skip
    call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.OPTED_OUT)
    item.person.refresh_from_db()
    assert item.person.informing_opt_out
    theirs.refresh_from_db()
    assert (theirs.state, theirs.outcome, theirs.closed_at is not None) == (ItemState.DONE, CallOutcome.OPTED_OUT, True)
    kept.refresh_from_db()
    assert (kept.state, kept.outcome) == (ItemState.READY, "")
    assert CallItem.objects.get(pk=item.pk).outcome == CallOutcome.OPTED_OUT


@pytest.mark.django_db
def test_wrong_number_removes_the_phone(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.WRONG_NUMBER)
    item.person.refresh_from_db()
    assert item.person.phone == ""


@pytest.mark.django_db
def test_the_workspace_shows_the_person_only_to_the_operator_holding_the_item(client, region):
    make_list(region, 1)
    client.force_login(region.smo1_l1)
    assert client.post(reverse("surveys:call_next")).status_code == 302
    page = client.get(reverse("surveys:workspace")).content.decode()
    item = CallItem.objects.get()
    assert item.person.first_name in page and item.phone in page
    assert "Почему Вы не прошли обследование?" in page  # the survey form
    client.force_login(UserFactory(username="op_other", role=Role.SMO_L1, organization=region.smo1))
    assert item.person.first_name not in client.get(reverse("surveys:workspace")).content.decode()


def _audit_fields(entry) -> dict:
    return {f: getattr(entry, f) for f in ("user_id", "organization_id", "action", "object_type", "person_ids",
                                           "person_count", "query", "path", "ip", "channel", "reason")}  # fmt: skip


@pytest.mark.django_db
def test_next_call_is_one_statement_with_the_person_form_and_the_audit_of_the_read(region, django_assert_num_queries):
    call_list = make_list(region, 3)
    first, op = operators(region, 2)
    call_next(operator=first)  # the session's first claim prepares the statement
    with django_assert_num_queries(1):  # the held item, the pick, the claim, the audit row and the joined item
        item = call_next(operator=op)
        # Everything the workspace and the API show came with it: no further query.
        shown = (item.person.first_name, item.phone, item.mo.name, item.call_list.get_purpose_display(),
                 item.call_list.version.questionnaire.title, item.call_list.version.questions)  # fmt: skip
    assert item.state == ItemState.CLAIMED and item.claimed_by_id == op.pk and item.call_list_id == call_list.pk
    assert shown[0] == CallItem.objects.get(pk=item.pk).person.first_name and shown[2] == region.mo1.name
    assert shown[4] == call_list.version.questionnaire.title and shown[5] == call_list.version.questions
    # The read is audited as omsportal.audit.audit_record writes it.
    entry = AuditLog.objects.get(user=op)
    expected = audit_record(user=op, action=AuditAction.VIEW, person_ids=[item.person_id], object_type="call_item")
    assert _audit_fields(entry) == _audit_fields(expected) and entry.person_ids == [item.person_id]
    assert abs((entry.at - item.claimed_at).total_seconds()) < 1
    # Pressing again gives the item held (no new claim, no second audit row of the claim).
    assert call_next(operator=op).pk == item.pk
    assert AuditLog.objects.filter(user=op).count() == 2
    assert CallItem.objects.filter(state=ItemState.CLAIMED, claimed_by=op).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_database_session_prepares_the_claim_again(region):
    make_list(region, 2)
    a, b = operators(region, 2)
    assert call_next(operator=a) is not None
    connections["default"].close()  # a new session: its prepared statements are gone
    item = call_next(operator=b)
    assert item is not None and item.claimed_by_id == b.pk


@pytest.mark.django_db
def test_the_claim_lasts_the_regional_parameter(region):
    make_list(region, 1)
    (op,) = operators(region, 1)
    rules = RegionalParameters.objects.filter(pk=1).first() or RegionalParameters(pk=1)
    rules.call_claim_minutes = 45
    rules.save()
    item = call_next(operator=op)
    assert item.due_at - item.claimed_at == datetime.timedelta(minutes=45)


@pytest.mark.django_db
def test_the_claim_lasts_the_default_without_the_regional_row(region):
    RegionalParameters.objects.all().delete()
    make_list(region, 1)
    (op,) = operators(region, 1)
    item = call_next(operator=op)
    default = RegionalParameters._meta.get_field("call_claim_minutes").default
    assert item.due_at - item.claimed_at == datetime.timedelta(minutes=default)


@pytest.mark.django_db
def test_a_refusal_is_one_statement_with_the_attempt_and_the_audit(region, django_assert_num_queries):
    make_list(region, 2)
    first, op = operators(region, 2)
    call_outcome_record(operator=first, item_id=call_next(operator=first).pk, outcome=CallOutcome.REFUSED)  # prepares
    item = call_next(operator=op)
    with django_assert_num_queries(1):
        item = call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.REFUSED, note="не хочет")
    assert (item.state, item.outcome, item.claimed_by_id) == (ItemState.DONE, CallOutcome.REFUSED, None)
    attempt = CallAttempt.objects.get(operator=op)
    assert (attempt.item_id, attempt.operator_id, attempt.outcome, attempt.note) == (
        item.pk, op.pk, CallOutcome.REFUSED, "не хочет"
    )  # fmt: skip
    entry = AuditLog.objects.filter(action=AuditAction.UPDATE, user=op).get()
    expected = audit_record(
        user=op, action=AuditAction.UPDATE, person_ids=[item.person_id], object_type="call_item",
        query={"call_outcome": "REFUSED", "survey": False},
    )  # fmt: skip
    assert _audit_fields(entry) == _audit_fields(expected)
    with pytest.raises(CallError):  # closed: not the operator's any more, and nothing more is written
        call_outcome_record(operator=op, item_id=item.pk, outcome=CallOutcome.REFUSED)
    assert CallAttempt.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_an_outcome_of_another_operators_item_writes_nothing(region):
    make_list(region, 1)
    a, b = operators(region, 2)
    item = call_next(operator=a)
    audits = AuditLog.objects.count()
    for outcome in (CallOutcome.REFUSED, CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER):
        with pytest.raises(CallError):
            call_outcome_record(operator=b, item_id=item.pk, outcome=outcome)
    assert not CallAttempt.objects.exists() and AuditLog.objects.count() == audits
    item.refresh_from_db()
    assert (item.state, item.claimed_by_id) == (ItemState.CLAIMED, a.pk)


@pytest.mark.django_db
def test_the_supervisor_sees_each_operators_progress_and_the_open_lists(client, region):
    from surveys.selectors.calls import operator_progress

    call_list = make_list(region, 3)
    a, b = operators(region, 2)
    item = call_next(operator=a)
    call_outcome_record(operator=a, item_id=item.pk, outcome=CallOutcome.REACHED,
                        answers={"informed": "no", "came": "yes"})  # fmt: skip
    item = call_next(operator=a)
    call_outcome_record(operator=a, item_id=item.pk, outcome=CallOutcome.NO_ANSWER)
    held = call_next(operator=b)
    other_smo_op = UserFactory(username="op_smo2", role=Role.SMO_L1, organization=region.smo2)
    progress = operator_progress(region.smo1_l2)
    lines = {
        line.operator.username: (line.calls, line.reached, line.surveys, line.holding) for line in progress["operators"]
    }
    assert lines == {a.username: (2, 1, 1, 0), b.username: (0, 0, 0, 1), region.smo1_l1.username: (0, 0, 0, 0)}
    assert other_smo_op.username not in lines
    assert [(lst.pk, lst.waiting, lst.held, lst.closed) for lst in progress["lists"]] == [(call_list.pk, 1, 1, 1)]
    assert held.claimed_by_id == b.pk
    assert operator_progress(region.smo2_l2)["lists"] == [] and operator_progress(region.smo1_l1)["operators"] == []
    client.force_login(region.smo1_l2)
    table = client.get(reverse("surveys:supervisor"), headers={"HX-Request": "true"})
    rows = table.content.decode()
    assert table.status_code == 200 and "op_smo2" not in rows
    assert f'<td class="text-start">{a.display_name}</td><td>2</td><td>1</td><td>1</td>' in rows
    assert f'<a href="{reverse("surveys:call_list", args=[call_list.pk])}">{call_list.pk}</a>' in rows
