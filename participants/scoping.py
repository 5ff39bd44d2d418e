"""The one mechanism that decides which persons and organizations a user may see.

Every query that returns persons starts from :func:`persons_visible_to` (or goes
through :class:`ScopedQuerysetMixin` / ``participants.api.base.ScopedViewSet``,
which call it). An object outside the scope is answered with 404, the same as one
that does not exist [domain §2, §10; conventions "One way to scope data"].

Rules:
- SMO L2/L3: persons insured by the user's SMO on the current register date;
- SMO L1: persons on call-list items assigned to the user (call lists arrive with
  the surveys app; until then none);
- MO staff: persons attached to the user's MO today, or on the MO's lists;
- Fund: the whole region; Ministry and administrators: no person cards;
- plus single persons granted with django-guardian (``view_person``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import (
    AttachmentPeriod,
    Organization,
    Person,
    PersonUserObjectPermission,
    PolicyPeriod,
    Role,
    User,
)

# Other apps add ways in which an MO or an L1 operator comes to see a person
# (a list entry, a call-list item). Each hook takes (user, today) and returns a Q
# over Person, or None. Registered from the apps' ready().
_person_scope_hooks: list[Callable[[User, datetime.date], Q | None]] = []


def register_person_scope_hook(hook: Callable[[User, datetime.date], Q | None]) -> None:
    if hook not in _person_scope_hooks:
        _person_scope_hooks.append(hook)


def today() -> datetime.date:
    return timezone.localdate()


def active_on(day: datetime.date) -> Q:
    """Period filter: started on or before ``day`` and not ended before it."""
    return Q(date_from__lte=day) & (Q(date_to__isnull=True) | Q(date_to__gte=day))


def insured_by(smo_id: int, day: datetime.date) -> Q:
    # "pk IN (...)" rather than a correlated EXISTS: OR-ed with other clauses, PostgreSQL turns an EXISTS into
    # a per-person check over the whole register (5–10 s for an SMO at 1M), the IN list into one hashed subplan.
    return Q(pk__in=PolicyPeriod.objects.filter(active_on(day), smo_id=smo_id).values("person_id"))


def attached_to(mo_id: int, day: datetime.date) -> Q:
    return Q(pk__in=AttachmentPeriod.objects.filter(active_on(day), mo_id=mo_id).values("person_id"))


def person_scope_q(user: User, *, day: datetime.date | None = None) -> Q | None:
    """The filter over Person for ``user``; ``Q()`` for everything, None for nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    day = day or today()
    role = user.role
    if role == Role.FUND:
        return Q()
    clauses: list[Q] = []
    if role in (Role.SMO_L2, Role.SMO_L3) and user.organization_id:
        clauses.append(insured_by(user.organization_id, day))
    elif role == Role.MO_STAFF and user.organization_id:
        clauses.append(attached_to(user.organization_id, day))
    for hook in _person_scope_hooks:
        extra = hook(user, day)
        if extra is not None:
            clauses.append(extra)
    clauses.append(
        Q(
            Exists(
                PersonUserObjectPermission.objects.filter(
                    user=user, content_object=OuterRef("pk"), permission__codename="view_person"
                )
            )
        )
    )
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def persons_visible_to(user: User, *, day: datetime.date | None = None) -> QuerySet[Person]:
    """All persons ``user`` may see on ``day`` (today by default)."""
    scope = person_scope_q(user, day=day)
    if scope is None:
        return Person.objects.none()
    return Person.objects.filter(scope)


def can_see_persons(user: User) -> bool:
    """Whether the role works with person cards at all (the Ministry sees aggregates only)."""
    return user.is_authenticated and user.role not in (Role.MINISTRY, Role.ADMIN)


def get_person_for_user(user: User, pk: int) -> Person:
    """The person with ``pk`` if ``user`` may see it, else 404."""
    try:
        return persons_visible_to(user).get(pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404("Person not found") from exc


def organizations_visible_to(user: User) -> QuerySet[Organization]:
    """Organizations are public directory data for every portal user (contacts, hours) [R II.24]."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.all()


def own_organization_q(user: User, field: str = "organization") -> Q | None:
    """Filter for rows owned by the user's organization; Fund and Ministry see all, None for nothing."""
    if user.role in (Role.FUND, Role.MINISTRY):
        return Q()
    if user.organization_id:
        return Q(**{f"{field}_id": user.organization_id})
    return None


def restrict(queryset: QuerySet, user: User) -> QuerySet:
    """Scope any queryset whose model declares how (``scope_for_user``); Person goes through the rules above."""
    model = queryset.model
    if model is Person:
        scope = person_scope_q(user)
        return queryset.none() if scope is None else queryset.filter(scope)
    scoper = getattr(model, "scope_for_user", None)
    if scoper is None:
        raise TypeError(f"{model.__name__} does not declare scope_for_user(); it cannot be served scoped")
    scope = scoper(user)
    return queryset.none() if scope is None else queryset.filter(scope)


class ScopedQuerysetMixin:
    """View mixin: ``get_queryset`` is always passed through :func:`restrict` for the request user."""

    def get_queryset(self):  # type: ignore[override]
        return restrict(super().get_queryset(), self.request.user)  # type: ignore[misc]
