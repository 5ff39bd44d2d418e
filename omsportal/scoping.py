"""The one mechanism that decides which rows a user may see: :func:`restrict`, and the person rules under it.

Every query that returns persons starts from :func:`persons_visible_to` or goes through :func:`restrict` (as
the HTML base views of omsportal.views.base and the API base of omsportal.api.base do), which applies the scope
each app declares for its models in its ``access.py`` (omsportal.access). An object outside the scope is
answered with 404, the same as one that does not exist [domain §2, §10; conventions "One way to scope data"].

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

from omsportal.access import model_access
from participants.models import (
    AttachmentPeriod,
    Person,
    PersonUserObjectPermission,
    PolicyPeriod,
    Role,
    User,
)

# Other apps add ways in which an MO or an L1 operator comes to see a person
# (a list entry, a call-list item). Each hook takes (user, today) and returns a
# queryset of person ids (``.values("person_id")``), or None. Registered from the apps' ready().
PersonIds = QuerySet
_person_scope_hooks: list[Callable[[User, datetime.date], PersonIds | None]] = []


def register_person_scope_hook(hook: Callable[[User, datetime.date], PersonIds | None]) -> None:
    if hook not in _person_scope_hooks:
        _person_scope_hooks.append(hook)


def today() -> datetime.date:
    return timezone.localdate()


def active_on(day: datetime.date) -> Q:
    """Period filter: started on or before ``day`` and not ended before it."""
    return Q(date_from__lte=day) & (Q(date_to__isnull=True) | Q(date_to__gte=day))


def insured_by(smo_id: int, day: datetime.date) -> PersonIds:
    """Ids of the persons the SMO insures on ``day``."""
    return PolicyPeriod.objects.filter(active_on(day), smo_id=smo_id).order_by().values("person_id")


def attached_to(mo_id: int, day: datetime.date) -> PersonIds:
    """Ids of the persons attached to the MO on ``day``."""
    return AttachmentPeriod.objects.filter(active_on(day), mo_id=mo_id).order_by().values("person_id")


def granted_to(user: User) -> PersonIds:
    """Ids of the single persons granted to ``user`` with django-guardian (``view_person``)."""
    return (
        PersonUserObjectPermission.objects.filter(user=user, permission__codename="view_person")
        .order_by()
        .values("content_object_id")
    )


def _id_sources(user: User, day: datetime.date) -> list[PersonIds]:
    """Every way ``user`` comes to see persons, each as a subquery of person ids (empty list: nobody)."""
    sources: list[PersonIds] = []
    if user.role in (Role.SMO_L2, Role.SMO_L3) and user.organization_id:
        sources.append(insured_by(user.organization_id, day))
    elif user.role == Role.MO_STAFF and user.organization_id:
        sources.append(attached_to(user.organization_id, day))
    for hook in _person_scope_hooks:
        extra = hook(user, day)
        if extra is not None:
            sources.append(extra)
    # Single grants are rare: asked for only when the user has one, so the usual scope stays one subquery.
    if PersonUserObjectPermission.objects.filter(user=user).exists():
        sources.append(granted_to(user))
    return sources


def person_scope_q(user: User, *, day: datetime.date | None = None, field: str = "pk") -> Q | None:
    """The filter for ``user`` over Person (``field="pk"``) or over a model's person FK (``field="person_id"``):
    ``Q()`` for everything, None for nothing.

    How it is written matters at region scale (an SMO insures ~450,000 of 1,000,000). One source (an SMO, the
    usual case) is one ``IN (subquery)``: PostgreSQL plans it as a semi-join from real statistics, for a search
    as for a whole list. Several sources (an MO: attached or on its lists; a single grant) are ORed correlated
    ``EXISTS``, each an index probe per candidate row: fast for searches and cards, linear (never worse) for
    long lists. Not ``IN (… UNION …)`` (the planner has no statistics for a union and loops over all its ids)
    nor ORed ``IN`` (hashed only while the ids fit in work_mem, a rescan per row beyond).
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.FUND:
        return Q()
    sources = _id_sources(user, day or today())
    if not sources:
        return Q(pk__in=[])
    if len(sources) == 1:
        return Q(**{f"{field}__in": sources[0]})
    combined = Q()
    for ids in sources:
        column = ids.query.values_select[0]
        combined |= Q(Exists(ids.filter(**{column: OuterRef(field)})))
    return combined


def persons_visible_to(user: User, *, day: datetime.date | None = None) -> QuerySet[Person]:
    """All persons ``user`` may see on ``day`` (today by default)."""
    scope = person_scope_q(user, day=day)
    if scope is None:
        return Person.objects.none()
    return Person.objects.filter(scope)


def get_person_for_user(user: User, pk: int) -> Person:
    """The person with ``pk`` if ``user`` may see it, else 404."""
    try:
        return persons_visible_to(user).get(pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404("Person not found") from exc


def restrict(queryset: QuerySet, user: User) -> QuerySet:
    """Scope any queryset by its model's declared access (``declare_scope`` in the app's access.py)."""
    scope = model_access(queryset.model).q(user)
    return queryset.none() if scope is None else queryset.filter(scope)


def get_for_user(queryset: QuerySet, user: User, **lookup):
    """One object of ``queryset`` within the user's scope, else 404 (the same answer as "does not exist")."""
    try:
        return restrict(queryset, user).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404(f"{queryset.model.__name__} not found") from exc
