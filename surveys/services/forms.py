"""Questionnaires: a new form and a new version of one; a saved version is never edited [R II.14, R I.7.2 g]."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from participants.models import Role, User
from surveys.models import FormPurpose, Questionnaire, QuestionnaireVersion
from surveys.questionnaires import QuestionsError, check_questions


def _owner_for(user: User):
    """The Fund's forms are shared (no owner); an SMO's level 2 builds forms of its SMO."""
    if user.role == Role.FUND:
        return None
    if user.role == Role.SMO_L2 and user.organization_id:
        return user.organization
    raise PermissionError("only the Fund and SMO level 2 build forms")


@transaction.atomic
def questionnaire_create(*, user: User, title: str, purpose: str, questions) -> Questionnaire:
    """A new form with its first version; QuestionsError (Russian, per question and field) leaves nothing."""
    title = (title or "").strip()
    if not title:
        raise QuestionsError([_("Название анкеты обязательно.")])
    if purpose not in FormPurpose.values:
        raise QuestionsError([_("Назначение анкеты: одно из предложенных.")])
    clean = check_questions(questions)
    owner = _owner_for(user)
    base = slugify(title, allow_unicode=False)[:30] or "form"
    code, n = base, 1
    while Questionnaire.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    questionnaire = Questionnaire.objects.create(code=code, title=title, purpose=purpose, owner=owner)
    QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1, questions=clean, created_by=user)
    return questionnaire


@transaction.atomic
def questionnaire_version_create(*, user: User, questionnaire: Questionnaire, questions) -> QuestionnaireVersion:
    """The next version of ``questionnaire``; answers already given keep the version they were given for."""
    if user.role != Role.FUND and questionnaire.owner_id != user.organization_id:
        raise PermissionError("an SMO changes only its own forms")
    clean = check_questions(questions)
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()  # one new number at a time
    last = questionnaire.versions.aggregate(n=Max("number"))["n"] or 0
    return QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=last + 1, questions=clean, created_by=user
    )
