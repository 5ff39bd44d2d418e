"""Reads of questionnaires: the forms a user may use, the current version of each."""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from omsportal.scoping import get_for_user, restrict
from participants.models import Role, User
from surveys.models import Questionnaire, QuestionnaireVersion, SurveyResponse


def questionnaires_for_user(user: User) -> QuerySet[Questionnaire]:
    return restrict(Questionnaire.objects.annotate(last_version=Max("versions__number")), user).order_by("title")


def result_questionnaires_for_user(user: User) -> QuerySet[Questionnaire]:
    """The forms whose results the user may pick: the forms they may use (the Fund all; an SMO the shared ones and
    its own); MO staff the shared ones and those its MO was surveyed with (no other SMO's form otherwise)."""
    if user.role == Role.MO_STAFF and user.organization_id:
        asked = restrict(SurveyResponse.objects.all(), user).values("version__questionnaire_id")  # its MO's
        return Questionnaire.objects.filter(Q(owner__isnull=True) | Q(pk__in=asked)).order_by("title")
    return restrict(Questionnaire.objects.all(), user).order_by("title")


def questionnaire_for_user(user: User, pk: int) -> Questionnaire:
    return get_for_user(Questionnaire.objects.all(), user, pk=pk)


def current_version(questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    return questionnaire.versions.order_by("-number").first()


def current_versions_for_user(user: User) -> list[QuestionnaireVersion]:
    """The latest version of each active form the user may use (for a call list's survey form)."""
    versions = restrict(QuestionnaireVersion.objects.select_related("questionnaire"), user).filter(
        questionnaire__is_active=True
    )
    latest: dict[int, QuestionnaireVersion] = {}
    for version in versions.order_by("questionnaire_id", "-number"):
        latest.setdefault(version.questionnaire_id, version)
    return sorted(latest.values(), key=lambda v: v.questionnaire.title)


def can_edit(user: User, questionnaire: Questionnaire) -> bool:
    if user.role == Role.FUND:
        return True
    return (
        user.role == Role.SMO_L2
        and questionnaire.owner_id is not None
        and questionnaire.owner_id == user.organization_id
    )
