"""The operators' calls: "next call" claims one item in the database, an outcome closes or reschedules it [L1].

**Next call** is one statement: ``UPDATE … WHERE id = (SELECT id … WHERE due_at <= now() ORDER BY due_at, id
LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id``. The inner select locks the row it picks and skips rows other
sessions are locking right now, so two operators pressing the button at once get two different items and neither
waits; the update marks the item CLAIMED by the operator until ``call_claim_minutes`` (a regional parameter) have
passed. A claimed item's ``due_at`` is the end of the claim, so an item whose operator went away is due again
then, and the next "next call" of anyone takes it back: no sweeper is needed (healthchecks' alert claim).

**Outcomes** (the operator must still hold the item; one that timed out and went to someone else is refused):
reached (with the survey's answers, kept with the form's version), refused, wrong number (the informing app's
wrong-recipient correction removes the phone), asked not to be informed again (its opt-out), no answer / busy (the
try is counted; the item comes back at another time of day — morning, afternoon, evening — until ``call_tries``
are used, then it closes as not reached), a callback at an agreed time (due then, no try counted).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.regional import regional_rules
from participants.models import Role, User
from surveys.models import CallAttempt, CallItem, CallOutcome, ItemState, SurveyResponse
from surveys.questionnaires import clean_answers
from surveys.quotas import quarter_of

# Times of day of a retry (local hours [start, end)): a retry after no answer goes to a slot not yet tried.
SLOTS = (("M", 9, 13), ("A", 13, 17), ("E", 17, 21))
RETRY_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY)
CLOSING_OUTCOMES = (CallOutcome.REACHED, CallOutcome.REFUSED, CallOutcome.WRONG_NUMBER, CallOutcome.OPTED_OUT)

CLAIM_SQL = """
    UPDATE surveys_callitem SET state = 'CLAIMED', claimed_by_id = %(operator)s, claimed_at = %(now)s,
        due_at = %(now)s + make_interval(mins => %(minutes)s)
    WHERE id = (
        SELECT id FROM surveys_callitem
        WHERE smo_id = %(smo)s AND is_open AND state <> 'DONE' AND due_at <= %(now)s
        ORDER BY due_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


class CallError(ValueError):
    """An outcome that cannot be recorded (Russian message)."""


def _check_operator(operator: User) -> None:
    if operator.role != Role.SMO_L1 or not operator.organization_id:
        raise PermissionError("level-1 operators of an SMO take calls")


def held_item(operator: User) -> CallItem | None:
    """The item the operator holds now (claimed and not timed out), if any."""
    return (
        CallItem.objects.filter(claimed_by=operator, state=ItemState.CLAIMED, due_at__gt=timezone.now())
        .order_by("claimed_at")
        .first()
    )


def call_next(*, operator: User, claim_minutes: int | None = None) -> CallItem | None:
    """The operator's item: the one they hold, else one claimed now from their SMO's open lists (None: none due)."""
    _check_operator(operator)
    held = held_item(operator)
    if held is not None:
        return held
    minutes = regional_rules().call_claim_minutes if claim_minutes is None else claim_minutes
    with transaction.atomic(), connection.cursor() as cursor:
        # The time is this call's (not the transaction's start, as now() would be inside a longer transaction).
        params = {"operator": operator.pk, "minutes": minutes, "smo": operator.organization_id, "now": timezone.now()}
        cursor.execute(CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    item = CallItem.objects.select_related("person", "mo", "call_list__version__questionnaire").get(pk=row[0])
    audit_record(user=operator, action=AuditAction.VIEW, person_ids=[item.person_id], object_type="call_item")
    return item


def slot_of(moment: datetime.datetime) -> str:
    hour = timezone.localtime(moment).hour
    for code, start, end in SLOTS:
        if start <= hour < end:
            return code
    return "E" if hour >= SLOTS[-1][2] else "M"


def next_try_at(now: datetime.datetime, tried: str) -> datetime.datetime:
    """The start of the next time-of-day slot not tried yet (today or a following day; all tried: the next slot)."""
    local = timezone.localtime(now)
    untried = [slot for slot in SLOTS if slot[0] not in tried] or list(SLOTS)
    for days in range(0, 3):
        day = local.date() + datetime.timedelta(days=days)
        for _code, start, _end in untried:
            moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(start)), local.tzinfo)
            if moment > local:
                return moment
    return local + datetime.timedelta(days=1)


@transaction.atomic
def call_outcome_record(
    *,
    operator: User,
    item_id: int,
    outcome: str,
    note: str = "",
    callback_at: datetime.datetime | None = None,
    answers: dict | None = None,
    request=None,
) -> CallItem:
    """Record one call of the item the operator holds; the survey's answers with REACHED (optional: a person may
    decline the survey and still be reached). Errors (CallError, Russian) change nothing."""
    _check_operator(operator)
    if outcome not in CallOutcome.values or outcome == CallOutcome.NOT_REACHED:
        raise CallError(_("Итог звонка: один из предложенных."))
    item = (
        CallItem.objects.select_for_update()
        .select_related("call_list", "person")
        .filter(pk=item_id, smo_id=operator.organization_id)
        .first()
    )
    now = timezone.now()
    if item is None or item.state != ItemState.CLAIMED or item.claimed_by_id != operator.pk:
        raise CallError(_("Эта строка уже не у вас: время работы с ней истекло или она закрыта. Возьмите следующую."))
    response = None
    if outcome == CallOutcome.REACHED and answers is not None:
        version = item.call_list.version
        if version is None:
            raise CallError(_("К списку не привязана анкета."))
        clean, errors = clean_answers(version.questions, answers)
        if errors:
            raise SurveyAnswersError(errors)
        year, quarter = item.call_list.year, item.call_list.quarter
        response = SurveyResponse.objects.create(
            version=version, item=item, person=item.person, smo_id=item.smo_id, mo_id=item.mo_id, year=year,
            quarter=quarter, stratum=item.stratum, answers=clean, operator=operator,
        )  # fmt: skip
    if outcome == CallOutcome.CALLBACK:
        if callback_at is None or callback_at <= now:
            raise CallError(_("Укажите будущие дату и время перезвона."))
        if callback_at > now + datetime.timedelta(days=92):
            raise CallError(_("Перезвон — не позднее чем через три месяца."))
    CallAttempt.objects.create(item=item, operator=operator, outcome=outcome, note=(note or "")[:500])
    changes: dict = {"claimed_by": None, "claimed_at": None}
    if outcome in CLOSING_OUTCOMES:
        changes.update(state=ItemState.DONE, outcome=outcome, closed_at=now, due_at=now)
    elif outcome == CallOutcome.CALLBACK:
        changes.update(state=ItemState.READY, outcome=outcome, due_at=callback_at, callback_at=callback_at)
    else:  # no answer, busy
        tries = item.tries + 1
        tried = "".join(sorted(set(item.tried_slots + slot_of(now))))
        changes.update(tries=tries, tried_slots=tried, outcome=outcome)
        if tries >= regional_rules().call_tries:
            changes.update(state=ItemState.DONE, outcome=CallOutcome.NOT_REACHED, closed_at=now, due_at=now)
        else:
            changes.update(state=ItemState.READY, due_at=next_try_at(now, tried))
    CallItem.objects.filter(pk=item.pk).update(**changes)
    if outcome == CallOutcome.WRONG_NUMBER:
        _wrong_number(item, operator, request)
    elif outcome == CallOutcome.OPTED_OUT:
        _opted_out(item, operator, request)
    audit_record(
        user=operator,
        action=AuditAction.UPDATE,
        person_ids=[item.person_id],
        query={"call_outcome": outcome, "survey": bool(response)},
        request=request,
        object_type="call_item",
    )
    item.refresh_from_db()
    return item


class SurveyAnswersError(CallError):
    """The survey's answers are not valid: ``errors`` per question code (Russian)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Анкета заполнена не полностью или с ошибками."))
        self.errors = errors


def _wrong_number(item: CallItem, operator: User, request) -> None:
    """The informing app's wrong-recipient correction removes the phone the operator called."""
    from informing.models import ContactKind
    from informing.services.contacts import wrong_recipient_report

    wrong_recipient_report(
        person=item.person, contact=ContactKind.PHONE, value=item.phone, acting_user=operator, request=request,
        note=_("Ошибочный номер при обзвоне (список %(n)s)") % {"n": item.call_list_id},
    )  # fmt: skip


def _opted_out(item: CallItem, operator: User, request) -> None:
    """The informing app's opt-out: the person leaves every mailing and call list from now on."""
    from informing.services.contacts import opt_out_record

    opt_out_record(person=item.person, acting_user=operator, request=request, note=_("Отказ при обзвоне"))
    # Their other open items (another purpose) are not handed out any more.
    CallItem.objects.filter(person_id=item.person_id, is_open=True).exclude(state=ItemState.DONE).update(
        state=ItemState.DONE, outcome=CallOutcome.OPTED_OUT, closed_at=timezone.now(), claimed_by=None
    )


def quarter_now() -> tuple[int, int]:
    return quarter_of(timezone.localdate())
