"""The one DRF permission of the API: the view's capabilities, the same declarations the HTML pages read [domain §2].

A permission answers "may this role do this kind of thing at all" (403); *which rows* a user sees is the scoping
of ``omsportal.api.base.ScopedAPIMixin`` (404 outside). A view declares::

    capability = READ_CALLS          # who may read (GET, HEAD, OPTIONS)
    write_capability = WORK_CALLS    # who may write (POST, PUT, PATCH, DELETE); default: nobody

and :class:`CapabilityPermission` (the default of the scoped API base) checks them. ``HasRole``, ``ReadOnlyOrRole``
and ``ReadOnly`` build the same permission from role lists, for views that need a fixed rule.

Every check refuses anonymous and inactive users, so DRF answers them 401 (with the token challenge).
Administrators and superusers get no implicit pass: an administrator configures the portal and does not
read personal data [domain §2].
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from omsportal.access import SIGNED_IN, Capability


class CapabilityPermission(BasePermission):
    """Reads need the view's ``capability``; writes its ``write_capability`` (a reader without it gets 403)."""

    message = _("Ваша роль не даёт доступа к этому разделу.")
    read_only_message = _("Ваша роль позволяет только просмотр.")

    # Set on the classes built below; views leave them None and declare capabilities on themselves.
    read: Capability | None = None
    write: Capability | None = None

    def _capabilities(self, view) -> tuple[Capability | None, Capability | None]:
        read = self.read if self.read is not None else getattr(view, "capability", None)
        write = self.write if self.write is not None else getattr(view, "write_capability", None)
        return read, write

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        read, write = self._capabilities(view)
        if read is None:
            return False  # a view that says nothing serves nobody
        if not read.allows(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        if not hasattr(view, request.method.lower()):
            return True  # no handler for the method: DRF answers 405, not a refusal
        if write is None or not write.allows(user):
            self.message = self.read_only_message if self.read_only_message else self.message
            return False
        return True


def _permission(name: str, read: Capability, write: Capability | None, message) -> type[BasePermission]:
    cls = type(name, (CapabilityPermission,), {"read": read, "write": write, "message": message})
    cls.__qualname__ = name
    return cls


def _role_names(roles: tuple) -> str:
    return ",".join(str(role) for role in roles)


def HasRole(*roles) -> type[BasePermission]:
    """A permission class letting through only users of ``roles`` (any method)."""
    if not roles:
        raise ValueError("HasRole() needs at least one role")
    only = Capability(f"api.has_role[{_role_names(roles)}]", roles)
    return _permission(f"HasRole[{_role_names(roles)}]", only, only, _("Ваша роль не даёт доступа к этому разделу."))


def ReadOnlyOrRole(*roles) -> type[BasePermission]:
    """A permission class: every signed-in user reads; only users of ``roles`` write (others get 403)."""
    if not roles:
        raise ValueError("ReadOnlyOrRole() needs at least one role")
    writers = Capability(f"api.writes[{_role_names(roles)}]", roles)
    return _permission(
        f"ReadOnlyOrRole[{_role_names(roles)}]", SIGNED_IN, writers, _("Ваша роль позволяет только просмотр.")
    )


class ReadOnly(CapabilityPermission):
    """Only GET, HEAD and OPTIONS, for any signed-in user."""

    message = _("Через этот адрес данные можно только читать.")
    read_only_message = None
    read = SIGNED_IN
    write = None

    def _capabilities(self, view):
        return SIGNED_IN, None
