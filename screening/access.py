"""Who may do what with plans, lists, protocols and stage events, and how each screening model is scoped [domain §2].

Read by the HTML base views, the API and the menu (omsportal.access explains the declarations). Roles:
- MO staff: its own MO's plans, uploads, lists and events; edits its own plans; uploads lists and events;
- SMO L2/L3: plans of every MO; list entries and events of the persons their SMO insures on the current register;
- SMO L1: plans, schedules and routing (a level-1 operator tells people where and when to go);
- the Fund: everything, read-only; the Ministry: the yearly plan (edits and approves it), counts, no persons;
- administrators: none of it.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.access import Capability, MenuItem, declare_menu, declare_scope, organization_scope
from omsportal.roles import (
    FUND_ONLY,
    MINISTRY_ONLY,
    MO_AND_FUND,
    MO_ONLY,
    PARTICIPANT_ROLES,
    REGION_ROLES,
    SMO_INSURED_ROLES,
    SMO_ROLES,
)
from omsportal.scoping import person_scope_q
from participants.models import Role
from screening.models import (
    BrigadeTrip,
    DistrictPlan,
    EventBatch,
    ListEntry,
    ListUpload,
    PlanChange,
    PreventionSchedule,
    RoutingRule,
    SpecialDay,
    StageEvent,
    YearPlan,
    YearPlanLine,
)

# --- Capabilities ---------------------------------------------------------------------------------------------

# Plans, schedules and routing [R II.1, II.2, II.24].
READ_PLANS = Capability("screening.read_plans", PARTICIPANT_ROLES, _("Читает планы, графики и маршрутизацию"))
EDIT_YEAR_PLAN = Capability("screening.edit_year_plan", MINISTRY_ONLY, _("Ведёт и утверждает годовой план"))
# An MO edits its own plans only: the object check is can_edit_mo_plans() in selectors.plans.
EDIT_MO_PLANS = Capability("screening.edit_mo_plans", MO_ONLY, _("Ведёт планы, графики и маршрутизацию своей МО"))
# Uploads and protocols name persons as the MO wrote them: MO staff (its own) and the Fund (all, read-only).
WORK_WITH_UPLOADS = Capability("screening.uploads", MO_AND_FUND, _("Видит загрузки списков и протоколы"))
UPLOAD_LISTS = Capability(
    "screening.upload_lists", MO_ONLY, _("Загружает списки и исправления"), needs_organization=True
)
# The accepted lists: counts for every list reader (the Ministry included), persons for those who may see them.
READ_LIST_COUNTS = Capability(
    "screening.list_counts", {Role.MO_STAFF, *SMO_INSURED_ROLES, *REGION_ROLES}, _("Видит численность списков")
)
READ_LIST_PERSONS = Capability(
    "screening.list_persons", {Role.MO_STAFF, *SMO_INSURED_ROLES, Role.FUND}, _("Видит лиц в списках и их этапы")
)
# Stage events [R II.9]: MO staff post them; batches are read by MO staff (own) and the Fund.
POST_EVENTS = Capability("screening.post_events", MO_ONLY, _("Передаёт события этапов"), needs_organization=True)
READ_EVENT_BATCHES = Capability("screening.event_batches", MO_AND_FUND, _("Видит пакеты событий"))
# Who sees the list the Fund and the Ministry compare against: MOs without a list for the year [R II.7, II.8].
READ_MISSING_LISTS = Capability("screening.missing_lists", REGION_ROLES, _("Видит МО без принятых списков"))
# The Fund's control view of every MO's plans.
CONTROL_PLANS = Capability("screening.control_plans", FUND_ONLY, _("Контролирует планы всех МО"))


# --- Scopes ---------------------------------------------------------------------------------------------------


def plan_read_scope(user, *, mo_fields: tuple[str, ...] = ("mo",)) -> Q | None:
    """Who reads plans, schedules and routing [R II.1, II.2, II.24]: the Fund, the Ministry and the region's SMOs
    all of them; MO staff the rows of their MO (``mo_fields``: the FKs naming an MO); nobody else."""
    if not READ_PLANS.allows(user):
        return None
    if user.role in REGION_ROLES or user.role in SMO_ROLES:
        return Q()
    if user.role == Role.MO_STAFF and user.organization_id:
        scope = Q()
        for field in mo_fields:
            scope |= Q(**{f"{field}_id": user.organization_id})
        return scope
    return None


def year_plan_scope(user) -> Q | None:
    """Every plan reader sees the plan header; its lines are scoped per MO."""
    return None if plan_read_scope(user) is None else Q()


def routing_scope(user) -> Q | None:
    """An MO also reads the rules that route other MOs' patients to it by contract."""
    return plan_read_scope(user, mo_fields=("mo", "performer"))


def plan_change_scope(user) -> Q | None:
    """MO staff read the history of their MO and of the plan as a whole (approval); other readers all."""
    scope = plan_read_scope(user)
    if scope is not None and user.role == Role.MO_STAFF:
        scope |= Q(mo__isnull=True, object_type="YearPlan")
    return scope


def upload_scope(user) -> Q | None:
    """MO staff their own MO's uploads; the Fund and the Ministry all (the Ministry sees counts only)."""
    if user.role not in (Role.MO_STAFF, *REGION_ROLES):
        return None
    return organization_scope(user)


def list_entry_scope(user, *, persons: bool = True, register: bool = True) -> Q | None:
    """Which list entries the user covers — the one rule for list pages, counts and progress [R I.6, II.5, FAQ].

    MO staff: its own MO's lists; SMO L2/L3: the persons it insures today (``register=False`` skips that check, for
    questions that show no data, such as which years have lists), whoever insured them when the list was
    accepted — the SMO's view follows the register; the Fund: all; the Ministry: all, but only with
    ``persons=False`` (counts); nobody else.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.MO_STAFF and user.organization_id:
        return Q(mo_id=user.organization_id)
    if user.role in SMO_INSURED_ROLES and user.organization_id:
        return person_scope_q(user, field="person_id") if register else Q()
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.MINISTRY and not persons:
        return Q()
    return None


def event_batch_scope(user) -> Q | None:
    return upload_scope(user)


def stage_event_scope(user) -> Q | None:
    """MO staff: events their MO posted; SMO L2/L3: events of the persons they see (their insured); Fund: all."""
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.MO_STAFF and user.organization_id:
        return Q(mo_id=user.organization_id)
    if user.role in SMO_INSURED_ROLES and user.organization_id:
        return person_scope_q(user, field="person_id")
    return None


def mo_list_person_scope(user, day):
    """How screening widens the person scope (omsportal.scoping hooks): MO staff also see the persons on their MO's
    lists, any year. Ids of those persons, or None for other roles."""
    if user.role != Role.MO_STAFF or not user.organization_id:
        return None
    return ListEntry.objects.filter(mo_id=user.organization_id).order_by().values("person_id")


def _person_ids(rows) -> list[int]:
    return [row.person_id for row in rows]


declare_scope(YearPlan, year_plan_scope)
for _model in (YearPlanLine, DistrictPlan, BrigadeTrip, SpecialDay, PreventionSchedule):
    declare_scope(_model, plan_read_scope)
declare_scope(RoutingRule, routing_scope)
declare_scope(PlanChange, plan_change_scope)
declare_scope(ListUpload, upload_scope)
declare_scope(EventBatch, event_batch_scope)
declare_scope(ListEntry, list_entry_scope, personal=_person_ids, object_type="list_entry")
declare_scope(StageEvent, stage_event_scope, personal=_person_ids, object_type="person")


# --- Menu -----------------------------------------------------------------------------------------------------

declare_menu(
    MenuItem(_("Планы"), "screening:plans", READ_PLANS, "calendar3", order=20, section="screening"),
    MenuItem(
        _("Списки и протоколы"),
        "screening:uploads",
        WORK_WITH_UPLOADS,
        "file-earmark-arrow-up",
        order=30,
        section="screening",
    ),
    # MO staff read their lists on the uploads page and the persons from the lists' links.
    MenuItem(
        _("Списки по МО"),
        "screening:lists",
        READ_LIST_COUNTS,
        "list-check",
        hidden_for=frozenset({Role.MO_STAFF}),
        order=40,
        section="screening",
    ),
    MenuItem(_("События этапов"), "screening:events", READ_EVENT_BATCHES, "activity", order=50, section="screening"),
    # MO staff and the Fund reach the progress from their events page.
    MenuItem(
        _("Ход осмотров"),
        "screening:events_progress",
        READ_LIST_COUNTS,
        "bar-chart-steps",
        hidden_for=frozenset(MO_AND_FUND),
        order=60,
        section="screening",
    ),
)


# --- How the audit log reads the entries about screening data (omsportal.audit_display) ------------------------


def _audit_uploads(ids: set) -> dict:
    uploads = ListUpload.objects.filter(pk__in=[v for v in ids if isinstance(v, int)]).select_related("mo")
    return {u.pk: f"№ {u.pk} {u.original_name} ({u.mo.code})" for u in uploads}


def _audit_mos(codes: set) -> dict:
    from participants.models import Organization

    mos = Organization.objects.filter(code__in=[str(c) for c in codes])
    return {o.code: f"{o.code} {o.display_name}" for o in mos}


def _audit_upload_link(value) -> str:
    from django.urls import reverse

    return reverse("screening:upload_detail", args=[value]) if isinstance(value, int) else ""


def _declare_audit() -> None:
    from omsportal.audit_display import AuditObject, AuditParam, declare_audit_object, declare_audit_param
    from screening.models import EntryState, Measure

    declare_audit_object(
        AuditObject("list_entry", _("строки списков МО")),
        AuditObject(
            "protocol",
            _("протокол идентификации списка"),
            count_label=_("строки протокола с лицами, как их записала МО в файле (номера строк — в параметрах)"),
        ),
    )
    declare_audit_param(
        AuditParam("upload", _("загрузка списка"), resolve=_audit_uploads, link=_audit_upload_link),
        AuditParam("mo", _("МО"), resolve=_audit_mos),
        AuditParam("year", _("год")),
        AuditParam("measure", _("мероприятие"), choices=dict(Measure.choices)),
        AuditParam("month", _("месяц")),
        AuditParam("district", _("участок")),
        AuditParam("state", _("состояние"), choices=dict(EntryState.choices)),
        AuditParam("code", _("код ошибки")),
        AuditParam("n_zap", _("запись N_ZAP")),
    )


_declare_audit()
