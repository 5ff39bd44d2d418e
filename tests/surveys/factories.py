"""Test data of surveys: many insured persons at once, their passing (stage events) and informing facts."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from participants.identifiers import enp_with_check
from participants.models import AttachmentPeriod, Person, PolicyPeriod
from screening.models import EventBatch, StageEvent
from surveys.models import Questionnaire

_numbers = itertools.count(1)


def people(n: int, *, smo, mo, phone: str = "+79141234567", **fields) -> list[Person]:
    """``n`` persons insured by ``smo`` and attached to ``mo`` (bulk; ENPs far from the factories' and files')."""
    start = next(_numbers) * 100_000
    last_name = fields.pop("last_name", "Опросова")
    persons = Person.objects.bulk_create(
        [
            Person(
                enp=enp_with_check(f"27{8 * 10**12 + start + i:013d}"), last_name=last_name, first_name=f"Анна{i}",
                name_key=f"{last_name.upper()}|АННА{i}|", sex=2, birth_date=datetime.date(1970, 1, 1), phone=phone,
                **fields,
            )
            for i in range(n)
        ]
    )  # fmt: skip
    PolicyPeriod.objects.bulk_create(
        [PolicyPeriod(person=p, smo=smo, smo_code=smo.code, date_from=datetime.date(2015, 1, 1)) for p in persons]
    )
    AttachmentPeriod.objects.bulk_create(
        [AttachmentPeriod(person=p, mo=mo, mo_code=mo.code, date_from=datetime.date(2015, 1, 1)) for p in persons]
    )
    return persons


def passed(persons, *, mo, day: datetime.date, posted_by, measure: str = "DVN") -> None:
    """Each person finished stage 1 (or the exam) at ``mo`` on ``day``: the "passed" of screening's selector."""
    batch = EventBatch.objects.create(mo=mo, posted_by=posted_by, source="API", status="DONE")
    StageEvent.objects.bulk_create(
        [StageEvent(batch=batch, mo=mo, person=p, measure=measure, event="END1", date=day) for p in persons]
    )


def informed(persons, *, smo, mo, day: datetime.date, outcome: str = "DELIVERED", kind: str = "INVITE") -> None:
    """A documented individual informing of each person by ``smo`` about ``mo`` on ``day``."""
    from informing.models import InformingFact

    InformingFact.objects.bulk_create(
        [
            InformingFact(person=p, smo=smo, mo=mo, kind=kind, channel="SMS", date=day, outcome=outcome,
                          reference=f"m{p.pk}", posted_at=timezone.now())
            for p in persons
        ]
    )  # fmt: skip


def survey_version():
    return Questionnaire.objects.get(code="why-not-passed").versions.get(number=1)


def own_form(smo, *, code: str = "smo-own", title: str = "Анкета другой СМО: тайный вопрос"):
    """A form owned by ``smo`` (version 1, the questions of the shipped why-not-passed form)."""
    from surveys.models import QuestionnaireVersion

    questionnaire = Questionnaire.objects.create(code=code, title=title, owner=smo)
    return QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1,
                                               questions=survey_version().questions)  # fmt: skip
