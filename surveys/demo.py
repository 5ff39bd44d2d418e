"""The surveys' part of the demo year (omsportal.demo): call lists built by level 2, calls made by the operators with
the survey filled, appeals registered, routed and answered — each through the surveys services, as its user.

For each SMO: level 2 builds the quota call list of the current quarter (the job runs as it would for the user);
its operator takes calls one after another ("next call") and records outcomes of the usual mix, filling the
survey when the person is reached (random answers that respect the form's conditions); level 1 registers a few
appeals, one routed to level 2 and answered with the informing of the result, one written one already overdue.
"""

from __future__ import annotations

import datetime
import random
import time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.demo import DemoContext, DemoStep, declare_demo_step
from omsportal.jobs.runner import run_job
from participants.models import OrganizationKind, Role
from surveys.models import AppealTopic, CallList, CallOutcome, CallPurpose, QuestionKind, Questionnaire
from surveys.questionnaires import is_asked
from surveys.quotas import quarter_of
from surveys.services.appeals import appeal_answer, appeal_register, appeal_route
from surveys.services.call_lists import CALL_LIST_BUILD, call_list_create
from surveys.services.calls import CallError, call_next, call_outcome_record
from surveys.shipped import ensure_loaded

CALLS_PER_SMO = 40
OUTCOMES = [(CallOutcome.REACHED, 55), (CallOutcome.NO_ANSWER, 20), (CallOutcome.BUSY, 8), (CallOutcome.REFUSED, 8),
            (CallOutcome.WRONG_NUMBER, 4), (CallOutcome.OPTED_OUT, 2), (CallOutcome.CALLBACK, 3)]  # fmt: skip


def _pick(rng: random.Random, weighted):
    return rng.choices([value for value, _w in weighted], weights=[w for _v, w in weighted])[0]


def random_answers(rng: random.Random, questions: list[dict]) -> dict:
    """Answers a person might give: every asked question answered (a free text now and then)."""
    answers: dict = {}
    for question in questions:
        if not is_asked(question, answers):
            continue
        kind = question["kind"]
        if kind == QuestionKind.SINGLE:
            answers[question["code"]] = rng.choice(question["options"])[0]
        elif kind == QuestionKind.MULTI:
            values = [value for value, _label in question["options"]]
            answers[question["code"]] = rng.sample(values, k=rng.randint(1, min(2, len(values))))
        elif kind == QuestionKind.SCALE:
            answers[question["code"]] = str(rng.randint(question["min"], question["max"]))
        elif question.get("required") or rng.random() < 0.2:
            answers[question["code"]] = rng.choice(["Неудобное время приёма", "Всё хорошо", "Долго ждали анализы"])
    return answers


def _wait_built(call_list: CallList, seconds: float = 120) -> CallList:
    """The build runs as a job; here it is run at once (or waited for, if a worker took it first)."""
    run_job(CALL_LIST_BUILD, call_list.pk)
    deadline = time.monotonic() + seconds
    while True:
        call_list.refresh_from_db()
        if call_list.is_finished or time.monotonic() > deadline:
            return call_list
        time.sleep(0.5)


def calls_step(ctx: DemoContext) -> str:
    rng = ctx.rng("surveys.calls")
    ensure_loaded()  # the shipped forms (a database flushed since its migration lacks them)
    year, quarter = quarter_of(ctx.today)
    version = Questionnaire.objects.get(code="why-not-passed").versions.order_by("-number").first()
    lists = items = calls = surveys = 0
    for smo in ctx.organizations(OrganizationKind.SMO):
        try:
            level2, operator = ctx.user(Role.SMO_L2, smo), ctx.user(Role.SMO_L1, smo)
        except LookupError:
            continue
        call_list = call_list_create(
            user=level2, purpose=CallPurpose.QUOTA, year=year, quarter=quarter, version=version,
            seed=rng.randrange(2**62),
        )  # fmt: skip
        call_list = _wait_built(call_list)
        lists += 1
        items += call_list.items_created
        for _n in range(CALLS_PER_SMO):
            item = call_next(operator=operator)
            if item is None:
                break
            outcome = _pick(rng, OUTCOMES)
            options = {}
            if outcome == CallOutcome.REACHED:
                options["answers"] = random_answers(rng, version.questions)
            elif outcome == CallOutcome.CALLBACK:
                options["callback_at"] = timezone.now() + datetime.timedelta(hours=rng.randint(2, 48))
            try:
                call_outcome_record(operator=operator, item_id=item.pk, outcome=outcome, **options)
            except CallError:
                continue
            calls += 1
            surveys += outcome == CallOutcome.REACHED
    return f"обзвон: {lists} списков, {items} строк, {calls} звонков, {surveys} анкет"


def appeals_step(ctx: DemoContext) -> str:
    rng = ctx.rng("surveys.appeals")
    ensure_loaded()
    topics = list(AppealTopic.objects.filter(is_active=True))
    registered = answered = 0
    texts = ["Не могу записаться на диспансеризацию", "Отказали в приёме без прикрепления",
             "Предложили платно сдать анализы", "Не пришло приглашение", "Вопрос о смене СМО"]  # fmt: skip
    for smo in ctx.organizations(OrganizationKind.SMO):
        try:
            level1, level2 = ctx.user(Role.SMO_L1, smo), ctx.user(Role.SMO_L2, smo)
        except LookupError:
            continue
        for n in range(4):
            written = n == 3
            appeal = appeal_register(
                user=level1, channel="WRITTEN" if written else "PHONE", topic=rng.choice(topics),
                text=rng.choice(texts), applicant="Заявитель", contact="+7 900 000-00-00",
                received_on=ctx.today - datetime.timedelta(days=40 if written else rng.randint(0, 10)),
            )  # fmt: skip
            registered += 1
            if n == 0:
                appeal_answer(user=level1, appeal=appeal, answer="Дана консультация по телефону")
                answered += 1
            elif n == 1:
                appeal = appeal_route(user=level1, appeal=appeal, level=2, assignee=level2)
                appeal_answer(user=level2, appeal=appeal, answer="Вопрос решён с МО, заявитель записан на приём")
                answered += 1
    return f"обращения: {registered} зарегистрировано, {answered} с ответом"


declare_demo_step(DemoStep("surveys.calls", 600, calls_step, _("Списки обзвона и опросы")))
declare_demo_step(DemoStep("surveys.appeals", 650, appeals_step, _("Обращения застрахованных")))
