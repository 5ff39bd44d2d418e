"""Role-based permission classes for API views [domain §2].

Permissions answer "may this role do this kind of thing at all" (403); *which rows* a user sees is the scoping
of ``omsportal.api.base.ScopedAPIMixin`` (404 outside). Typical use in a later app::

    permission_classes = [HasRole(Role.MO_STAFF, Role.FUND)]          # only these roles, any method
    permission_classes = [ReadOnlyOrRole(Role.MO_STAFF)]              # everyone signed in reads, MO staff writes
    permission_classes = [IsAuthenticated, ReadOnly]                  # nobody writes through this endpoint

Every class here refuses anonymous requests, so DRF answers them 401 (with the token challenge).
Administrators and superusers get no implicit pass: an administrator configures the portal and does not
read personal data [domain §2].
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from participants.models import Role


def _signed_in(request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_active)


class ReadOnly(BasePermission):
    """Only GET, HEAD and OPTIONS, for any signed-in user."""

    message = _("Через этот адрес данные можно только читать.")

    def has_permission(self, request, view) -> bool:
        return _signed_in(request) and request.method in SAFE_METHODS


def _role_names(roles: tuple[str, ...]) -> str:
    return ",".join(str(role) for role in roles)


def HasRole(*roles: Role | str) -> type[BasePermission]:
    """A permission class letting through only users of ``roles`` (any method)."""
    if not roles:
        raise ValueError("HasRole() needs at least one role")
    allowed = frozenset(str(role) for role in roles)

    class _HasRole(BasePermission):
        message = _("Ваша роль не даёт доступа к этому разделу.")

        def has_permission(self, request, view) -> bool:
            return _signed_in(request) and request.user.role in allowed

    _HasRole.__name__ = _HasRole.__qualname__ = f"HasRole[{_role_names(roles)}]"
    return _HasRole


def ReadOnlyOrRole(*roles: Role | str) -> type[BasePermission]:
    """A permission class: every signed-in user reads; only users of ``roles`` write (others get 403)."""
    if not roles:
        raise ValueError("ReadOnlyOrRole() needs at least one role")
    allowed = frozenset(str(role) for role in roles)

    class _ReadOnlyOrRole(BasePermission):
        message = _("Ваша роль позволяет только просмотр.")

        def has_permission(self, request, view) -> bool:
            if not _signed_in(request):
                return False
            return request.method in SAFE_METHODS or request.user.role in allowed

    _ReadOnlyOrRole.__name__ = _ReadOnlyOrRole.__qualname__ = f"ReadOnlyOrRole[{_role_names(roles)}]"
    return _ReadOnlyOrRole
