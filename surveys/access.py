"""Who may do what with questionnaires, call lists, surveys and appeals, and how each surveys model is scoped
[domain §2, §7; R II.14, L1, L2, L3].

- SMO level 1 (operators): take the next call of their SMO's open lists, see the person of the item they hold,
  fill the survey; register appeals and answer those at level 1;
- SMO level 2: builds forms and call lists, sees its SMO's lists, items, answers and the operators' progress,
  files the quarterly survey report; answers appeals routed to level 2;
- SMO level 3: reads its SMO's survey results, answers appeals routed to level 3;
- MO staff: the survey results of their MO, counts only (no persons' names);
- the Fund: every form (it builds the shared ones), every result and report, every appeal (read);
- the Ministry and administrators: none of it.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.access import Capability, MenuItem, declare_menu, declare_scope
from omsportal.roles import SMO_ROLES
from participants.models import Role
from surveys.models import (
    Appeal,
    AppealTopic,
    CallAttempt,
    CallItem,
    CallList,
    ItemState,
    Questionnaire,
    QuestionnaireVersion,
    SurveyReport,
    SurveyResponse,
)

# --- Capabilities ---------------------------------------------------------------------------------------------

READ_FORMS = Capability("surveys.read_forms", {*SMO_ROLES, Role.FUND}, _("Видит анкеты опросов"))
EDIT_FORMS = Capability("surveys.edit_forms", {Role.SMO_L2, Role.FUND}, _("Составляет анкеты опросов"))
READ_CALL_LISTS = Capability("surveys.read_call_lists", {Role.SMO_L2, Role.FUND}, _("Видит квоты и списки обзвона"))
BUILD_CALL_LISTS = Capability(
    "surveys.build_call_lists", {Role.SMO_L2}, _("Формирует списки обзвона"), needs_organization=True
)
WORK_CALLS = Capability("surveys.work_calls", {Role.SMO_L1}, _("Обзванивает по спискам"), needs_organization=True)
SUPERVISE_CALLS = Capability("surveys.supervise_calls", {Role.SMO_L2}, _("Следит за работой операторов"))
READ_RESULTS = Capability(
    "surveys.read_results",
    {Role.MO_STAFF, Role.SMO_L2, Role.SMO_L3, Role.FUND},
    _("Видит результаты опросов"),
)
READ_SURVEY_REPORTS = Capability("surveys.read_reports", {Role.SMO_L2, Role.FUND}, _("Видит отчёты об опросах"))
FILE_SURVEY_REPORTS = Capability(
    "surveys.file_reports", {Role.SMO_L2}, _("Представляет отчёт об опросах"), needs_organization=True
)
READ_APPEALS = Capability("surveys.read_appeals", {*SMO_ROLES, Role.FUND}, _("Видит обращения"))
WORK_APPEALS = Capability("surveys.work_appeals", SMO_ROLES, _("Регистрирует обращения и отвечает на них"))


# --- Scopes ---------------------------------------------------------------------------------------------------


def _smo_of(user) -> int | None:
    return user.organization_id if user.role in SMO_ROLES and user.organization_id else None


def questionnaire_scope(user, *, field: str = "owner") -> Q | None:
    """The Fund every form; an SMO the shared forms (no owner) and its own."""
    if user.role == Role.FUND:
        return Q()
    smo = _smo_of(user)
    if smo is None:
        return None
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}_id": smo})


def questionnaire_version_scope(user) -> Q | None:
    return questionnaire_scope(user, field="questionnaire__owner")


def call_list_scope(user) -> Q | None:
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.SMO_L2 and user.organization_id:
        return Q(smo_id=user.organization_id)
    return None


def call_item_scope(user) -> Q | None:
    """Level 2 its SMO's items; an operator only the item they hold now (the person they are calling); the Fund all."""
    if user.role == Role.SMO_L1 and user.organization_id:
        return Q(smo_id=user.organization_id, claimed_by=user, state=ItemState.CLAIMED)
    return call_list_scope(user)


def call_attempt_scope(user) -> Q | None:
    if user.role == Role.SMO_L1:
        return Q(operator=user)
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.SMO_L2 and user.organization_id:
        return Q(item__smo_id=user.organization_id)
    return None


def survey_response_scope(user) -> Q | None:
    """SMO L2/L3 its SMO's answers; MO staff those about its MO (read as counts only); the Fund all."""
    if user.role == Role.FUND:
        return Q()
    if user.role in (Role.SMO_L2, Role.SMO_L3) and user.organization_id:
        return Q(smo_id=user.organization_id)
    if user.role == Role.MO_STAFF and user.organization_id:
        return Q(mo_id=user.organization_id)
    return None


def survey_report_scope(user) -> Q | None:
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.SMO_L2 and user.organization_id:
        return Q(smo_id=user.organization_id)
    return None


def appeal_scope(user) -> Q | None:
    """An SMO's representatives its appeals (level 1: those at level 1 or that it registered); the Fund all."""
    if user.role == Role.FUND:
        return Q()
    smo = _smo_of(user)
    if smo is None:
        return None
    if user.role == Role.SMO_L1:
        return Q(smo_id=smo) & (Q(level=1) | Q(registered_by=user))
    return Q(smo_id=smo)


def topic_scope(user) -> Q | None:
    return Q()


def operator_person_scope(user, day):
    """How surveys widens the person scope (omsportal.scoping hooks): an operator sees the person of the item they
    hold now."""
    if user.role != Role.SMO_L1 or not user.organization_id:
        return None
    return CallItem.objects.filter(claimed_by=user, state=ItemState.CLAIMED).order_by().values("person_id")


def _person_ids(rows) -> list[int]:
    return [row.person_id for row in rows if row.person_id]


declare_scope(Questionnaire, questionnaire_scope)
declare_scope(QuestionnaireVersion, questionnaire_version_scope)
declare_scope(CallList, call_list_scope)
declare_scope(CallItem, call_item_scope, personal=_person_ids, object_type="call_item")
declare_scope(CallAttempt, call_attempt_scope)
declare_scope(SurveyResponse, survey_response_scope, personal=_person_ids, object_type="survey")
declare_scope(SurveyReport, survey_report_scope)
declare_scope(Appeal, appeal_scope, personal=_person_ids, object_type="appeal")
declare_scope(AppealTopic, topic_scope)


# --- Menu -----------------------------------------------------------------------------------------------------

declare_menu(
    MenuItem(_("Анкеты"), "surveys:forms", READ_FORMS, "ui-checks", order=53),
)
