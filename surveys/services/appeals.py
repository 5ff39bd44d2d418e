"""Appeals: registered by level 1, answered there or routed to level 2 or 3 with a deadline, answered, and the
person informed of the result (the informing app's "results of an appeal" kind) [L1, L2, L3, domain §7].

The deadline of a written appeal (letter, e-mail, the portal) is ``appeal_written_days`` (30, a regional parameter)
calendar days from its receipt; an oral one answered at once has none, and gets the same term from the day it is
routed on. A calendar deadline that falls on a day off moves to the next working day [domain §3].
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.regional import regional_rules
from omsportal.workdays import first_working_day_on_or_after
from participants.models import Person, Role, User
from surveys.models import WRITTEN_CHANNELS, Appeal, AppealChannel, AppealStatus, AppealTopic

LEVEL_OF_ROLE = {Role.SMO_L1: 1, Role.SMO_L2: 2, Role.SMO_L3: 3}
MAX_TEXT = 10_000


class AppealError(ValueError):
    """A registration, routing or answer that cannot be recorded: the Russian message names the field."""


def appeal_due(start: datetime.date) -> datetime.date:
    return first_working_day_on_or_after(start + datetime.timedelta(days=regional_rules().appeal_written_days))


def _level(user: User) -> int:
    level = LEVEL_OF_ROLE.get(user.role)
    if level is None or not user.organization_id:
        raise PermissionError("SMO representatives work appeals")
    return level


@transaction.atomic
def appeal_register(
    *,
    user: User,
    channel: str,
    topic: AppealTopic,
    text: str,
    received_on: datetime.date | None = None,
    enp: str = "",
    applicant: str = "",
    contact: str = "",
    request=None,
) -> Appeal:
    """A new appeal of the user's SMO at level 1 (any representative may register what reaches them)."""
    _level(user)
    text = (text or "").strip()
    if channel not in AppealChannel.values:
        raise AppealError(_("Канал: один из предложенных."))
    if not text:
        raise AppealError(_("Содержание обращения обязательно."))
    if len(text) > MAX_TEXT:
        raise AppealError(_("Содержание: не больше %(n)s знаков.") % {"n": MAX_TEXT})
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today or received_on < today - datetime.timedelta(days=366):
        raise AppealError(_("Дата поступления: не позже сегодняшней и не раньше года назад."))
    person = None
    if enp:
        if not (len(enp) == 16 and enp.isascii() and enp.isdigit()):
            raise AppealError(_("ЕНП: 16 цифр."))
        person = Person.objects.filter(enp=enp).first()
        if person is None:
            raise AppealError(
                _("Застрахованный с таким ЕНП не найден; оставьте поле пустым, если лицо не установлено.")
            )
    appeal = Appeal.objects.create(
        smo_id=user.organization_id, channel=channel, topic=topic, text=text, person=person,
        applicant=(applicant or "")[:300], contact=(contact or "")[:200], received_on=received_on,
        registered_by=user, level=1, assignee=user if user.role == Role.SMO_L1 else None,
        due_on=appeal_due(received_on) if channel in WRITTEN_CHANNELS else None,
    )  # fmt: skip
    if person is not None:
        audit_record(
            user=user, action=AuditAction.UPDATE, person_ids=[person.pk], query={"appeal": appeal.pk},
            request=request, object_type="appeal",
        )  # fmt: skip
    return appeal


def _check_turn(user: User, appeal: Appeal) -> None:
    if appeal.smo_id != user.organization_id or appeal.level != _level(user):
        raise AppealError(_("Обращение сейчас на %(level)s уровне.") % {"level": appeal.level})
    if appeal.status == AppealStatus.ANSWERED:
        raise AppealError(_("На обращение уже дан ответ."))


@transaction.atomic
def appeal_route(*, user: User, appeal: Appeal, level: int, assignee: User | None = None) -> Appeal:
    """Pass the appeal on to level 2 or 3 (from a lower level), to a representative of that level if named."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    _check_turn(user, appeal)
    if level not in (2, 3) or level <= appeal.level:
        raise AppealError(_("Передать можно только на более высокий уровень: 2 или 3."))
    if assignee is not None and (
        assignee.organization_id != appeal.smo_id or LEVEL_OF_ROLE.get(assignee.role) != level
    ):
        raise AppealError(_("Ответственный — представитель этой СМО нужного уровня."))
    appeal.level, appeal.assignee, appeal.status = level, assignee, AppealStatus.ROUTED
    appeal.due_on = appeal.due_on or appeal_due(timezone.localdate())
    appeal.save(update_fields=["level", "assignee", "status", "due_on"])
    return appeal


@transaction.atomic
def appeal_answer(
    *, user: User, appeal: Appeal, answer: str, inform_channel: str = "", request=None
) -> Appeal:
    """Answer the appeal at its level; with ``inform_channel`` and an identified person, the informing of the result
    is recorded as a documented fact of the "results of an appeal" kind."""
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("person", "smo").get(pk=appeal.pk)
    _check_turn(user, appeal)
    answer = (answer or "").strip()
    if not answer:
        raise AppealError(_("Текст ответа обязателен."))
    if len(answer) > MAX_TEXT:
        raise AppealError(_("Ответ: не больше %(n)s знаков.") % {"n": MAX_TEXT})
    now = timezone.now()
    appeal.answer, appeal.answered_at, appeal.answered_by, appeal.status = answer, now, user, AppealStatus.ANSWERED
    fields = ["answer", "answered_at", "answered_by", "status"]
    if inform_channel:
        if appeal.person is None:
            raise AppealError(_("Заявитель не установлен: уведомление о результате записать нельзя."))
        _inform_result(appeal, user, inform_channel, request)
        appeal.result_informed_on = timezone.localdate(now)
        fields.append("result_informed_on")
    appeal.save(update_fields=fields)
    return appeal


def _inform_result(appeal: Appeal, user: User, channel: str, request) -> None:
    """The informing app's documented fact: kind APPEAL, the channel used, today, the appeal as the reference."""
    from informing.services.facts import FactInput, facts_record

    facts_record(
        facts=[
            FactInput(
                person_id=appeal.person_id, kind="APPEAL", channel=channel, date=timezone.localdate(),
                outcome="DELIVERED", reference=f"appeal-{appeal.pk}",
            )
        ],
        smo=appeal.smo, acting_user=user, source="MANUAL",
    )  # fmt: skip
