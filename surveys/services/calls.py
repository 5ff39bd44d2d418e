"""The operators' calls: "next call" claims one item in the database, an outcome closes or reschedules it [L1].

**Next call** is one SQL statement, one round trip, in autocommit (:data:`CLAIM_SQL`): it finds the item the
operator holds (claimed and not timed out) and returns it; else it picks the first due item of the operator's SMO
by ``due_at, id`` with ``FOR UPDATE SKIP LOCKED`` over the partial index ``callitem_claim`` (the open, not closed
items by SMO and due time: exactly the filter and the order of the pick), marks it CLAIMED by the operator until
``call_claim_minutes`` (the regional parameter, read in the statement) have passed, writes the audit row of the
personal data read, and returns the item joined with its person, MO, list and form. The pick locks the row it
takes and skips rows other sessions are locking right now, so two operators pressing the button at once get two
different items and neither waits. A claimed item's ``due_at`` is the end of the claim, so an item whose operator
went away is due again then, and the next "next call" of anyone takes it back: no sweeper is needed
(healthchecks' alert claim). The statement is prepared once per database session (planning its joins cost more
than running them). The pick steps over the index entries of the items claimed since the table was last vacuumed;
index scans mark them dead and skip them, but only once no transaction anywhere on the server is older than the
claims, so the item table wants frequent vacuuming (a queue table: README, the surveys benchmark).

**Outcomes** (the operator must still hold the item; one that timed out and went to someone else is refused):
reached (with the survey's answers, kept with the form's version), refused, wrong number (the informing app's
wrong-recipient correction removes the phone), asked not to be informed again (its opt-out), no answer / busy (the
try is counted; the item comes back at another time of day — morning, afternoon, evening — until ``call_tries``
are used, then it closes as not reached), a callback at an agreed time (due then, no try counted). The call's
attempt row, the item's update and the audit row are one statement (:data:`CLOSE_SQL`) whose ``WHERE`` is the
"still yours" check; a retry reads the item's tries first (locked), the survey and the informing corrections run
in the same transaction, and an outcome that needs none of these is that one statement alone.
"""

from __future__ import annotations

import datetime
import json
import weakref

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.audit import client_ip
from omsportal.models import AuditAction, AuditLog, RegionalParameters
from omsportal.regional import regional_rules
from participants.models import Organization, Person, Role, User
from surveys.models import (
    CallItem,
    CallList,
    CallOutcome,
    ItemState,
    Questionnaire,
    QuestionnaireVersion,
    SurveyResponse,
)
from surveys.questionnaires import clean_answers
from surveys.quotas import quarter_of

# Times of day of a retry (local hours [start, end)): a retry after no answer goes to a slot not yet tried.
SLOTS = (("M", 9, 13), ("A", 13, 17), ("E", 17, 21))
RETRY_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY)
CLOSING_OUTCOMES = (CallOutcome.REACHED, CallOutcome.REFUSED, CallOutcome.WRONG_NUMBER, CallOutcome.OPTED_OUT)


class _Columns:
    """The columns of a model selected under an alias, and the instance built back from them (the fields' own
    converters applied, as the ORM does; the fields not selected are deferred)."""

    def __init__(self, model, alias: str, attnames: tuple[str, ...] | None = None):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if attnames is None or f.attname in attnames]
        self.names = [f.attname for f in self.fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self.converters = [(n, f.from_db_value, f) for n, f in enumerate(self.fields) if hasattr(f, "from_db_value")]

    def __len__(self) -> int:
        return len(self.fields)

    def build(self, values):
        if values[0] is None:  # a LEFT JOIN that found nothing (the pk is the first column)
            return None
        values = list(values)
        for n, convert, field in self.converters:
            values[n] = convert(values[n], field, connection)
        return self.model.from_db(connection.alias, self.names, values)


_ITEM = _Columns(CallItem, "i")
_PERSON = _Columns(Person, "p")
_MO = _Columns(Organization, "m")
# The list's fields the workspace, the API and the outcome read (not its job log).
_LIST = _Columns(CallList, "l", ("id", "smo_id", "mo_id", "year", "quarter", "purpose", "version_id", "is_open"))
_VERSION = _Columns(QuestionnaireVersion, "v")
_FORM = _Columns(Questionnaire, "q")
_JOINED = (_ITEM, _PERSON, _MO, _LIST, _VERSION, _FORM)

_AUDIT_INSERT = (
    f"INSERT INTO {AuditLog._meta.db_table} (at, user_id, organization_id, action, object_type, person_ids,"
    " person_count, query, path, ip, channel, reason)"
)

# The claim: the held item, else the pick, the claim and its audit row, then the item with what the page shows.
# The audit row is the one omsportal.audit.audit_record writes for a read of the item's person (a test keeps them
# equal). The claim's length is the regional parameter (its row, else the model's default), read here so that the
# claim stays one round trip; ``minutes`` overrides it (a test, the bench's --claim-minutes).
CLAIM_SQL = f"""
    WITH held AS (
        SELECT id FROM surveys_callitem
        WHERE claimed_by_id = %(operator)s AND state = 'CLAIMED' AND due_at > %(now)s
        ORDER BY claimed_at LIMIT 1
    ), pick AS (
        SELECT id FROM surveys_callitem
        WHERE smo_id = %(smo)s AND is_open AND state <> 'DONE' AND due_at <= %(now)s
          AND NOT EXISTS (SELECT FROM held)
        ORDER BY due_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE surveys_callitem c SET state = 'CLAIMED', claimed_by_id = %(operator)s, claimed_at = %(now)s,
            due_at = %(now)s + make_interval(mins => COALESCE(%(minutes)s::int,
                (SELECT call_claim_minutes FROM {RegionalParameters._meta.db_table} WHERE id = 1),
                %(default_minutes)s))
        FROM pick WHERE c.id = pick.id
        RETURNING c.*
    ), audit AS (
        {_AUDIT_INSERT}
        SELECT %(now)s, %(operator)s, %(smo)s, %(action)s, 'call_item', ARRAY[person_id], 1, '{{}}'::jsonb, '',
            NULL, 'web', ''
        FROM claimed
    )
    SELECT {", ".join(c.sql for c in _JOINED)}
    FROM (SELECT * FROM claimed UNION ALL SELECT s.* FROM surveys_callitem s JOIN held ON held.id = s.id) i
    JOIN participants_person p ON p.id = i.person_id
    LEFT JOIN participants_organization m ON m.id = i.mo_id
    JOIN surveys_calllist l ON l.id = i.call_list_id
    LEFT JOIN surveys_questionnaireversion v ON v.id = l.version_id
    LEFT JOIN surveys_questionnaire q ON q.id = v.questionnaire_id
"""  # noqa: S608  # nosec B608 - names from the models' _meta, every value a parameter
_DEFAULT_CLAIM_MINUTES = RegionalParameters._meta.get_field("call_claim_minutes").default


# The statements each database session has prepared, by the driver's connection (a new connection has none).
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Prepared:
    """A statement prepared once per database session (``PREPARE``, then ``EXECUTE`` at every call): the claim joins
    six tables in six parts, and planning it took longer than running it (0.5 ms against 0.3). Prepared statements
    outlive a rolled-back transaction and end with their session, so what a session has prepared is kept by its
    driver connection, weakly: a new connection prepares again."""

    def __init__(self, name: str, sql: str, params: dict[str, str]):
        positional = sql
        for number, param in enumerate(params, 1):
            positional = positional.replace(f"%({param})s", f"${number}")
        self.name = name
        self.params = tuple(params)
        self.prepare = f"PREPARE {name} ({', '.join(params.values())}) AS {positional}"
        self.execute = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})"

    def run(self, cursor, values: dict) -> None:
        raw = cursor.db.connection
        prepared = _PREPARED.get(raw)
        if prepared is None:
            prepared = _PREPARED[raw] = set()
        if self.name not in prepared:
            cursor.execute(self.prepare)
            prepared.add(self.name)
        cursor.execute(self.execute, [values[name] for name in self.params])


_CLAIM = _Prepared(
    "surveys_call_claim",
    CLAIM_SQL,
    {"operator": "bigint", "smo": "bigint", "now": "timestamptz", "minutes": "int", "default_minutes": "int",
     "action": "varchar"},
)  # fmt: skip


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


def _joined_item(row) -> CallItem:
    """The item of a CLAIM_SQL row with its person, MO, list, form version and form in place (no more queries)."""
    parts, start = [], 0
    for columns in _JOINED:
        parts.append(columns.build(row[start : start + len(columns)]))
        start += len(columns)
    item, person, mo, call_list, version, form = parts
    if version is not None:
        version.questionnaire = form
    call_list.version = version
    item.person, item.mo, item.call_list = person, mo, call_list
    return item


def call_next(*, operator: User, claim_minutes: int | None = None) -> CallItem | None:
    """The operator's item: the one they hold, else one claimed now from their SMO's open lists (None: none due).

    One statement (CLAIM_SQL, prepared once per session), in autocommit: the claim and the audit row of the read
    commit together."""
    _check_operator(operator)
    # The time is this call's (not a transaction's start, as now() would be inside a longer transaction).
    params = {
        "operator": operator.pk, "smo": operator.organization_id, "now": timezone.now(), "minutes": claim_minutes,
        "default_minutes": _DEFAULT_CLAIM_MINUTES, "action": AuditAction.VIEW.value,
    }  # fmt: skip
    with connection.cursor() as cursor:
        _CLAIM.run(cursor, params)
        row = cursor.fetchone()
    return None if row is None else _joined_item(row)


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


# The item's columns an outcome may set (values of the outcome's changes, in this order) and their types.
_CHANGED = {
    "state": "varchar", "outcome": "varchar", "tries": "int", "tried_slots": "varchar", "due_at": "timestamptz",
    "callback_at": "timestamptz", "closed_at": "timestamptz",
}  # fmt: skip
_CLOSE_PARAMS = {
    "item": "bigint", "smo": "bigint", "operator": "bigint", "now": "timestamptz", "outcome": "varchar",
    "note": "varchar", "action": "varchar", "query": "jsonb", "path": "varchar", "ip": "inet",
}  # fmt: skip

# The outcome: the item's update (its WHERE is the "the operator still holds it" check, re-evaluated on the row's
# newest version under its lock), the attempt and the audit row, one statement.
CLOSE_SQL = f"""
    WITH closed AS (
        UPDATE surveys_callitem SET claimed_by_id = NULL, claimed_at = NULL, {{changes}}
        WHERE id = %(item)s AND smo_id = %(smo)s AND state = 'CLAIMED' AND claimed_by_id = %(operator)s
        RETURNING *
    ), attempt AS (
        INSERT INTO surveys_callattempt (item_id, operator_id, at, outcome, note)
        SELECT id, %(operator)s, %(now)s, %(outcome)s, %(note)s FROM closed
    ), audit AS (
        {_AUDIT_INSERT}
        SELECT %(now)s, %(operator)s, %(smo)s, %(action)s, 'call_item', ARRAY[person_id], 1, %(query)s::jsonb,
            %(path)s, %(ip)s::inet, 'web', ''
        FROM closed
    )
    SELECT {_Columns(CallItem, "closed").sql} FROM closed
"""  # noqa: S608  # nosec B608 - names from the models' _meta, every value a parameter


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
    decline the survey and still be reached). Errors (CallError, Russian) change nothing.

    Refused, reached without the survey and a callback are one statement (CLOSE_SQL) in autocommit; a retry reads
    the item's tries under its lock first, and the survey and the informing corrections run after the statement in
    its transaction (an error there rolls it back)."""
    _check_operator(operator)
    if outcome not in CallOutcome.values or outcome == CallOutcome.NOT_REACHED:
        raise CallError(_("Итог звонка: один из предложенных."))
    now = timezone.now()
    if outcome == CallOutcome.CALLBACK:
        if callback_at is None or callback_at <= now:
            raise CallError(_("Укажите будущие дату и время перезвона."))
        if callback_at > now + datetime.timedelta(days=92):
            raise CallError(_("Перезвон — не позднее чем через три месяца."))
    survey = outcome == CallOutcome.REACHED and answers is not None
    alone = outcome in (CallOutcome.REFUSED, CallOutcome.REACHED, CallOutcome.CALLBACK) and not survey
    if alone:
        return _close(operator, item_id, outcome, note, _changes(outcome, now, callback_at, None), now, survey, request)
    with transaction.atomic():
        held = None
        if outcome in RETRY_OUTCOMES:
            held = (
                CallItem.objects.select_for_update(of=("self",))
                .filter(pk=item_id, smo_id=operator.organization_id, state=ItemState.CLAIMED, claimed_by=operator)
                .values("tries", "tried_slots")
                .first()
            )
            if held is None:
                raise _not_yours()
        changes = _changes(outcome, now, callback_at, held)
        item = _close(operator, item_id, outcome, note, changes, now, survey, request)
        if survey:
            _survey_response(item, operator, answers)
        if outcome == CallOutcome.WRONG_NUMBER:
            _wrong_number(item, operator, request)
        elif outcome == CallOutcome.OPTED_OUT:
            _opted_out(item, operator, request)
    return item


def _not_yours() -> CallError:
    return CallError(_("Эта строка уже не у вас: время работы с ней истекло или она закрыта. Возьмите следующую."))


def _changes(outcome: str, now, callback_at, held: dict | None) -> dict:
    """The item's new values for the outcome (``held``: its tries and tried slots, for a retry)."""
    if outcome in CLOSING_OUTCOMES:
        return {"state": ItemState.DONE, "outcome": outcome, "closed_at": now, "due_at": now}
    if outcome == CallOutcome.CALLBACK:
        return {"state": ItemState.READY, "outcome": outcome, "due_at": callback_at, "callback_at": callback_at}
    # no answer, busy
    tries = held["tries"] + 1
    tried = "".join(sorted(set(held["tried_slots"] + slot_of(now))))
    changes = {"tries": tries, "tried_slots": tried, "outcome": outcome}
    if tries >= regional_rules().call_tries:
        changes.update(state=ItemState.DONE, outcome=CallOutcome.NOT_REACHED, closed_at=now, due_at=now)
    else:
        changes.update(state=ItemState.READY, due_at=next_try_at(now, tried))
    return changes


# CLOSE_SQL prepared per set of changed columns (four: closing, callback, retry, last retry), named by the set.
_CLOSES: dict[tuple[str, ...], _Prepared] = {}


def _close_statement(names: tuple[str, ...]) -> _Prepared:
    statement = _CLOSES.get(names)
    if statement is None:
        sql = CLOSE_SQL.format(changes=", ".join(f"{name} = %(set_{name})s" for name in names))
        types = {**{f"set_{name}": _CHANGED[name] for name in names}, **_CLOSE_PARAMS}
        mask = sum(1 << n for n, name in enumerate(_CHANGED) if name in names)
        statement = _CLOSES[names] = _Prepared(f"surveys_call_close_{mask}", sql, types)
    return statement


def _close(operator: User, item_id: int, outcome: str, note: str, changes: dict, now, survey: bool, request):
    """CLOSE_SQL: the item updated with ``changes`` if the operator still holds it (else CallError), its attempt and
    the audit row (as omsportal.audit.audit_record writes it); the item as it is now."""
    names = tuple(name for name in _CHANGED if name in changes)
    params = {
        **{f"set_{name}": changes[name] for name in names},
        "item": item_id, "smo": operator.organization_id, "operator": operator.pk, "now": now, "outcome": outcome,
        "note": (note or "")[:500], "action": AuditAction.UPDATE.value,
        "query": json.dumps({"call_outcome": outcome, "survey": survey}),
        "path": request.get_full_path()[:500] if request is not None else "", "ip": client_ip(request),
    }  # fmt: skip
    with connection.cursor() as cursor:
        _close_statement(names).run(cursor, params)
        row = cursor.fetchone()
    if row is None:
        raise _not_yours()
    return _ITEM.build(row)


def _survey_response(item: CallItem, operator: User, answers: dict) -> SurveyResponse:
    """The survey's answers, checked against the list's form version (errors: SurveyAnswersError)."""
    call_list = CallList.objects.select_related("version").only("year", "quarter", "version").get(pk=item.call_list_id)
    version = call_list.version
    if version is None:
        raise CallError(_("К списку не привязана анкета."))
    clean, errors = clean_answers(version.questions, answers)
    if errors:
        raise SurveyAnswersError(errors)
    return SurveyResponse.objects.create(
        version=version, item=item, person_id=item.person_id, smo_id=item.smo_id, mo_id=item.mo_id,
        year=call_list.year, quarter=call_list.quarter, stratum=item.stratum, answers=clean, operator=operator,
    )  # fmt: skip


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
