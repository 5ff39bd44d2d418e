"""The access layer: what each role may do (capabilities), how each model is scoped for a user, and the menu.

Every app says it once, in its ``<app>/access.py``; the HTML base views (omsportal.views.base), the API permission
and base viewsets (omsportal.api) and the main menu (omsportal.navigation) all read these declarations, so a page,
an endpoint and a menu entry cannot disagree about who may use them.

An app's ``access.py``::

    from omsportal.access import Capability, MenuItem, declare_menu, declare_scope

    READ_CALLS = Capability("surveys.read_calls", {Role.SMO_L1, Role.SMO_L2}, _("Читает строки обзвона"))
    WORK_CALLS = Capability("surveys.work_calls", {Role.SMO_L1})

    def call_item_scope(user) -> Q | None:        # Q() = everything, None = nothing, else a filter
        if user.role == Role.SMO_L1:
            return Q(operator=user)
        ...

    declare_scope(CallItem, call_item_scope, personal=lambda items: [i.person_id for i in items],
                  object_type="call_item")
    declare_menu(MenuItem(_("Обзвон"), "surveys:calls", READ_CALLS, "telephone"))

``personal`` marks a model whose rows show persons' data: the base views write the read audit for it by
themselves (a list page is a LIST entry with the ids on the page, a detail page a VIEW). A model nobody declared
cannot be served by the base views nor the API (a TypeError when the view class is built).

The kit finds every app's declarations by importing the installed apps' ``access`` modules once, lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from omsportal.registry import Registry
from participants.models import Role

ScopeFn = Callable[..., "Q | None"]
PersonIds = Callable[[Sequence[Model]], list[int]]


@dataclass(frozen=True)
class Capability:
    """Something a role may do on the portal: a name, the roles that may, and what it means in Russian."""

    code: str
    roles: frozenset[str]
    label: str = ""
    needs_organization: bool = False  # the user must belong to an organization (an MO that uploads its own lists)

    def __init__(self, code: str, roles: Iterable[str], label: str = "", *, needs_organization: bool = False):
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "roles", frozenset(str(role) for role in roles))
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "needs_organization", needs_organization)
        if not self.roles:
            raise ValueError(f"capability {code} names no role")
        unknown = self.roles - set(Role.values)
        if unknown:
            raise ValueError(f"capability {code}: unknown roles {sorted(unknown)}")

    def allows(self, user) -> bool:
        if not (user is not None and user.is_authenticated and user.is_active):
            return False
        if user.role not in self.roles:
            return False
        return not self.needs_organization or user.organization_id is not None

    def __or__(self, other: Capability) -> Capability:
        return Capability(f"{self.code}|{other.code}", self.roles | other.roles, self.label or other.label)


# Every signed-in portal user: the directory of organizations, the home page, the list templates.
SIGNED_IN = Capability("omsportal.signed_in", Role.values, _("Пользователь портала"))


@dataclass(frozen=True)
class ModelAccess:
    """How one model is scoped for a user, and whether its rows show persons' data (then reads are audited)."""

    model: type[Model]
    scope: ScopeFn
    personal: PersonIds | None = None
    object_type: str = "person"

    @property
    def holds_personal_data(self) -> bool:
        return self.personal is not None

    def q(self, user) -> Q | None:
        if not (user is not None and user.is_authenticated and user.is_active):
            return None
        return self.scope(user)


@dataclass(frozen=True)
class MenuItem:
    """An entry of the main menu, shown to the users the capability allows (minus ``hidden_for``)."""

    label: str
    url_name: str
    capability: Capability
    icon: str = "circle"
    hidden_for: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    section: str = ""  # a MenuSection key: where the entry goes when a role's menu is too long for one row

    def shown_to(self, user) -> bool:
        return self.capability.allows(user) and user.role not in self.hidden_for


@dataclass(frozen=True)
class MenuSection:
    """A dropdown of the main menu: when a role sees more entries than fit a 1366-pixel row, the entries of a
    section it sees more than one of fold into it (omsportal/navigation.py)."""

    key: str
    label: str
    icon: str = "folder"
    order: int = 100


SCOPES: Registry[type[Model], ModelAccess] = Registry("access", "scope of the model")
MENU: Registry[str, MenuItem] = Registry("access", "menu entry")
SECTIONS: Registry[str, MenuSection] = Registry("access", "menu section")


def declare_scope(
    model: type[Model], scope: ScopeFn, *, personal: PersonIds | None = None, object_type: str = "person"
) -> ModelAccess:
    """Declare how ``model`` is scoped: ``scope(user) -> Q | None``; ``personal(rows) -> person ids`` if it shows
    persons' data."""
    return SCOPES.add(model, ModelAccess(model=model, scope=scope, personal=personal, object_type=object_type))


def declare_menu(*items: MenuItem) -> None:
    for item in items:
        MENU.add(item.url_name, item)


def declare_menu_section(*sections: MenuSection) -> None:
    for section in sections:
        SECTIONS.add(section.key, section)


def menu_section(key: str) -> MenuSection | None:
    return SECTIONS.find(key)


def model_access(model: type[Model]) -> ModelAccess:
    """The declared access of ``model`` (or its concrete parent); TypeError if nobody declared it."""
    for candidate in (model, *model._meta.get_parent_list()):
        access = SCOPES.find(candidate)
        if access is not None:
            return access
    raise TypeError(
        f"{model.__name__} declares no scope (scope_for_user): add declare_scope({model.__name__}, ...) to its app's "
        "access.py; it cannot be served scoped"
    )


def is_declared(model: type[Model]) -> bool:
    try:
        model_access(model)
    except TypeError:
        return False
    return True


def menu_items() -> list[MenuItem]:
    return sorted(MENU.values(), key=lambda item: item.order)


def guard_scoped_class(cls, model: type[Model] | None) -> None:
    """For the scoped bases of pages and endpoints: refuse, when the class is built, a view that replaces the
    scoped ``get_queryset()`` or serves a model nobody scoped."""
    if "get_queryset" in vars(cls):
        raise TypeError(
            f"{cls.__name__} overrides get_queryset(); override get_base_queryset() instead, "
            "so that omsportal.scoping.restrict() still applies"
        )
    if model is not None:
        model_access(model)


def organization_scope(user, *, field: str = "mo", all_roles: Iterable[str] = (Role.FUND, Role.MINISTRY)) -> Q | None:
    """Rows of the user's own organization (``field`` names the FK); ``all_roles`` see every row; others nothing."""
    if user.role in all_roles:
        return Q()
    if user.organization_id:
        return Q(**{f"{field}_id": user.organization_id})
    return None


# --- The kit's own pages ---------------------------------------------------------------------------------------
# Declared here, at the end of the machinery, because the kit is an app like the others: the audit log of
# personal-data access is the Fund's control tool [R II.25].

READ_AUDIT_LOG = Capability("omsportal.read_audit_log", {Role.FUND}, _("Читает журнал доступа к персональным данным"))


def _audit_log_scope(user) -> Q | None:
    return Q() if READ_AUDIT_LOG.allows(user) else None


def _declare_kit() -> None:
    from omsportal.models import AuditLog

    declare_scope(AuditLog, _audit_log_scope)
    # The sections of the main menu, one per area of work; an app's entries name theirs (section="informing").
    declare_menu_section(
        MenuSection("register", _("Регистр"), "people", order=10),
        MenuSection("screening", _("Профилактика"), "clipboard2-pulse", order=20),
        MenuSection("informing", _("Информирование"), "megaphone", order=30),
        MenuSection("surveys", _("Обзвон и опросы"), "telephone", order=40),
        MenuSection("reports", _("Отчёты"), "file-earmark-bar-graph", order=50),
        MenuSection("control", _("Контроль"), "shield-check", order=60),
    )
    declare_menu(
        MenuItem(_("Журнал доступа"), "audit:log", READ_AUDIT_LOG, "shield-lock", order=90, section="control")
    )


_declare_kit()
