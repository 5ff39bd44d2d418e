"""Who may do what with the register and the organizations, and how each of their models is scoped [domain §2].

Read by the HTML base views, the API and the menu (omsportal.access explains the declarations).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.access import SIGNED_IN, Capability, MenuItem, declare_menu, declare_scope
from omsportal.roles import FUND_ONLY, PERSON_ROLES
from omsportal.scoping import person_scope_q
from participants.models import Organization, Person, RegisterImport

# Person search and cards: every role that works with persons; the Ministry sees aggregates only and an
# administrator configures the portal [domain §2, §10].
SEE_PERSONS = Capability("participants.see_persons", PERSON_ROLES, _("Ищет застрахованных и открывает их карточки"))
# Loading the register is the Fund's duty.
LOAD_REGISTER = Capability("participants.load_register", FUND_ONLY, _("Загружает регистр застрахованных лиц"))
# The directory of participants is public to every portal user [R II.24].
READ_DIRECTORY = SIGNED_IN


def person_scope(user) -> Q | None:
    """The person rules of omsportal.scoping (insured by the SMO, attached to or listed by the MO, the region)."""
    return person_scope_q(user)


def organization_scope(user) -> Q | None:
    """The directory is open to every signed-in user [R II.24]."""
    return Q()


def register_import_scope(user) -> Q | None:
    return Q() if LOAD_REGISTER.allows(user) else None


declare_scope(Person, person_scope, personal=lambda persons: [person.pk for person in persons], object_type="person")
declare_scope(Organization, organization_scope)
declare_scope(RegisterImport, register_import_scope)

declare_menu(
    MenuItem(_("Главная"), "home", SIGNED_IN, "house", order=0),
    MenuItem(_("Застрахованные лица"), "persons:search", SEE_PERSONS, "people", order=10, section="register"),
    MenuItem(_("Загрузка регистра"), "register:imports", LOAD_REGISTER, "database-up", order=80, section="register"),
    MenuItem(_("Организации"), "organizations", READ_DIRECTORY, "building", order=100, section="register"),
)


def _declare_audit() -> None:
    from django.urls import reverse

    from omsportal.audit_display import AuditParam, declare_audit_param

    declare_audit_param(
        AuditParam(
            "register_import",
            _("загрузка регистра"),
            link=lambda value: reverse("register:detail", args=[value]) if isinstance(value, int) else "",
        )
    )


_declare_audit()
