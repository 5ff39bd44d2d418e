"""Who may do what with informing, and how each informing model is scoped [domain §2, §6; issue "Who sees what"].

- SMO level 2 and 3: their own insured (as the register says today), their templates, batches, facts, reports;
  level 2 writes (templates, batches, facts, opt-outs, wrong recipients);
- SMO level 1: the phone batches assigned to them, and the persons on them;
- the Fund: everything, read-only, and approves texts; the O11 control;
- MO staff: counts of informed persons on its lists, no contacts; the Ministry: counts.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.access import Capability, MenuItem, declare_menu, declare_scope
from omsportal.roles import FUND_ONLY, SMO_INSURED_ROLES
from omsportal.scoping import person_scope_q
from participants.models import Role

from .models import (
    Batch,
    BatchMessage,
    ChannelPreference,
    ChannelReport,
    ContactCorrection,
    ControlRun,
    InformingFact,
    InformUpload,
    OptOut,
    Template,
    TemplateVersion,
)

# --- Capabilities ---------------------------------------------------------------------------------------------

# Reading an SMO's informing work: its texts, batches, facts, due sets; the Fund reads every SMO's.
READ_INFORMING = Capability(
    "informing.read", {*SMO_INSURED_ROLES, Role.FUND}, _("Видит тексты, рассылки и факты информирования")
)
# Doing it: level 2 writes texts, makes batches, records facts, opt-outs and wrong recipients [L2].
WORK_INFORMING = Capability(
    "informing.work", {Role.SMO_L2}, _("Готовит тексты и рассылки, вносит факты информирования"),
    needs_organization=True,
)  # fmt: skip
# The channel a person prefers to be informed by: level 2 (informing) and level 3 (individual follow-up, R II.21)
# record it for their SMO's insured.
SET_CHANNEL_PREFERENCE = Capability(
    "informing.channel_preference", SMO_INSURED_ROLES, _("Записывает предпочтительный канал информирования"),
    needs_organization=True,
)  # fmt: skip
# The Fund approves or returns texts [R II.10].
APPROVE_TEXTS = Capability("informing.approve", FUND_ONLY, _("Согласует тексты информирования"))
# The Fund's monthly control of informing [R II.13].
CONTROL_INFORMING = Capability("informing.control", FUND_ONLY, _("Контролирует информирование СМО"))
# Level 1 works the phone batches assigned to it (the call-list workspace is the surveys issue's).
WORK_PHONE_BATCHES = Capability("informing.phone_batches", {Role.SMO_L1}, _("Обзванивает назначенные рассылки"))
READ_BATCHES = READ_INFORMING | WORK_PHONE_BATCHES
# Counts of informed persons: MOs (on their lists) and the Ministry too, no contacts.
READ_INFORMED_COUNTS = Capability(
    "informing.counts",
    {Role.MO_STAFF, *SMO_INSURED_ROLES, Role.FUND, Role.MINISTRY},
    _("Видит численность проинформированных"),
)


# --- Scopes ---------------------------------------------------------------------------------------------------


def smo_scope(user, *, field: str = "smo") -> Q | None:
    """SMO L2/L3: rows of their SMO; the Fund: all; nobody else."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.FUND:
        return Q()
    if user.role in SMO_INSURED_ROLES and user.organization_id:
        return Q(**{f"{field}_id": user.organization_id})
    return None


def template_version_scope(user) -> Q | None:
    return smo_scope(user, field="template__smo")


def person_row_scope(user) -> Q | None:
    """Rows naming a person (facts, opt-outs, corrections): the persons the user sees today [R I.6, FAQ].

    SMO L2/L3 see their insured whoever recorded the row (a person who changed insurer moves with their history);
    the Fund all; nobody else."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.FUND:
        return Q()
    if user.role in SMO_INSURED_ROLES and user.organization_id:
        return person_scope_q(user, field="person_id")
    return None


def batch_scope(user) -> Q | None:
    """SMO L2/L3: their SMO's batches; L1: phone batches assigned to them; the Fund: all."""
    if user.is_authenticated and user.is_active and user.role == Role.SMO_L1:
        return Q(assigned_to_id=user.pk, smo_id=user.organization_id)
    return smo_scope(user)


def batch_message_scope(user) -> Q | None:
    """Messages of the batches the user sees, of persons the user sees (L1: the phone messages of its batches)."""
    if user.is_authenticated and user.is_active and user.role == Role.SMO_L1:
        return Q(batch__assigned_to_id=user.pk, batch__smo_id=user.organization_id, channel="PHONE")
    batches = smo_scope(user, field="batch__smo")
    persons = person_row_scope(user)
    if batches is None or persons is None:
        return None
    return batches & persons


def assigned_phone_persons(user, day):
    """How informing widens the person scope (omsportal.scoping hooks): an L1 operator sees the persons of the
    phone messages of batches assigned to them."""
    if user.role != Role.SMO_L1:
        return None
    return BatchMessage.objects.filter(batch__assigned_to_id=user.pk, channel="PHONE").order_by().values("person_id")


def _person_ids(rows) -> list[int]:
    return [row.person_id for row in rows]


declare_scope(Template, smo_scope)
declare_scope(TemplateVersion, template_version_scope)
declare_scope(InformingFact, person_row_scope, personal=_person_ids, object_type="informing_fact")
declare_scope(ChannelPreference, person_row_scope, personal=_person_ids, object_type="contact")
declare_scope(OptOut, person_row_scope, personal=_person_ids, object_type="opt_out")
declare_scope(ContactCorrection, person_row_scope, personal=_person_ids, object_type="contact")
declare_scope(Batch, batch_scope)
declare_scope(BatchMessage, batch_message_scope, personal=_person_ids, object_type="batch_message")
declare_scope(InformUpload, smo_scope)
declare_scope(ChannelReport, smo_scope)
declare_scope(ControlRun, lambda user: Q() if CONTROL_INFORMING.allows(user) else None)

declare_menu(
    MenuItem(_("Информирование"), "informing:due", READ_INFORMING, "megaphone", order=65, section="informing"),
    MenuItem(
        _("Рассылки"), "informing:batches", WORK_PHONE_BATCHES, "telephone-outbound", order=66, section="informing"
    ),
    MenuItem(
        _("Проинформированные"),
        "informing:counts",
        READ_INFORMED_COUNTS,
        "people",
        # MO staff keep a one-row menu (omsportal.navigation): they open the counts at /informing/counts/.
        hidden_for=frozenset({Role.MO_STAFF, Role.SMO_L2, Role.SMO_L3, Role.FUND}),
        order=67,
        section="informing",
    ),
)
