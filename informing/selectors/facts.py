"""Reads of documented facts and opt-outs that other apps build on (call lists, reports, obligations).

Two shapes of each read: ``*_person_ids(...)`` — an unscoped subquery of person ids for set-based work of the
portal itself (a job, the obligations engine: ``Person.objects.filter(pk__in=informed_person_ids(...))``), and
``*_persons(user=…, ...)`` — the persons the user may see, through omsportal.scoping.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from omsportal.scoping import persons_visible_to
from participants.models import Person, User

from ..models import InformingFact, OptOut, Outcome

# A person counts as informed with a delivered fact [R II.12, domain §6]; callers may widen it (e.g. refused).
INFORMED_OUTCOMES: tuple[str, ...] = (Outcome.DELIVERED,)


def facts_filter(
    *,
    kind: str | Iterable[str] | None = None,
    channel: str | Iterable[str] | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    smo_id: int | None = None,
    mo_id: int | None = None,
    outcomes: Iterable[str] | None = INFORMED_OUTCOMES,
) -> Q:
    """The filter over InformingFact for a kind (or kinds), channel, period [date_from, date_to], SMO, MO."""
    q = Q()
    if kind:
        q &= Q(kind=kind) if isinstance(kind, str) else Q(kind__in=list(kind))
    if channel:
        q &= Q(channel=channel) if isinstance(channel, str) else Q(channel__in=list(channel))
    if date_from is not None:
        q &= Q(date__gte=date_from)
    if date_to is not None:
        q &= Q(date__lte=date_to)
    if smo_id is not None:
        q &= Q(smo_id=smo_id)
    if mo_id is not None:
        q &= Q(mo_id=mo_id)
    if outcomes is not None:
        q &= Q(outcome__in=list(outcomes))
    return q


def informed_person_ids(**criteria) -> QuerySet:
    """Ids of the persons with a fact matching ``criteria`` (see :func:`facts_filter`): a subquery, unscoped."""
    return InformingFact.objects.filter(facts_filter(**criteria)).order_by().values("person_id").distinct()


def informed_persons(*, user: User, **criteria) -> QuerySet[Person]:
    """The persons ``user`` may see who were informed as ``criteria`` say (kind, period, SMO, MO, outcomes)."""
    return persons_visible_to(user).filter(pk__in=informed_person_ids(**criteria))


def first_fact_dates(**criteria) -> QuerySet:
    """Per person, the date of the first matching fact: rows ``{"person_id", "first"}`` (unscoped)."""
    from django.db.models import Min

    return (
        InformingFact.objects.filter(facts_filter(**criteria))
        .order_by()
        .values("person_id")
        .annotate(first=Min("date"))
    )


def informed_counts(*, user: User, by: tuple[str, ...] = ("mo_id",), **criteria) -> list[dict]:
    """Counts of informed persons grouped by ``by`` (fact fields: mo_id, smo_id, kind, channel), as the user may
    see them: SMO L2/L3 their SMO's facts, MO staff the facts of persons on its lists, the Fund and the Ministry
    all; nobody's contacts. Rows ``{<by>..., "persons": n, "facts": n}``."""
    qs = InformingFact.objects.filter(facts_filter(**criteria))
    scope = informed_counts_scope(user)
    if scope is None:
        return []
    qs = qs.filter(scope)
    return list(
        qs.order_by().values(*by).annotate(persons=Count("person_id", distinct=True), facts=Count("id")).order_by(*by)
    )


def informed_counts_scope(user: User) -> Q | None:
    from participants.models import Role

    if not user.is_authenticated or not user.is_active:
        return None
    if user.role in (Role.FUND, Role.MINISTRY):
        return Q()
    if user.role in (Role.SMO_L2, Role.SMO_L3) and user.organization_id:
        return Q(smo_id=user.organization_id)
    if user.role == Role.MO_STAFF and user.organization_id:
        return Q(mo_id=user.organization_id)
    return None


def opted_out_person_ids(*, on: datetime.date | None = None) -> QuerySet:
    """Ids of the persons who refuse informing (now, or on ``on``: opted out on or before it and not revoked
    before it): a subquery, unscoped."""
    if on is None:
        return Person.objects.filter(informing_opt_out=True).order_by().values("pk")
    return (
        OptOut.objects.filter(Q(date__lte=on) & (Q(revoked_at__isnull=True) | Q(revoked_at__date__gt=on)))
        .order_by()
        .values("person_id")
    )


def opted_out_persons(*, user: User) -> QuerySet[Person]:
    """The persons ``user`` may see who refuse informing now."""
    return persons_visible_to(user).filter(informing_opt_out=True)


def is_opted_out(person: Person) -> bool:
    return Person.objects.filter(pk=person.pk, informing_opt_out=True).exists()


def person_informing_section(*, user: User, person: Person) -> tuple[str, dict] | None:
    """The person card's section of informing (participants.cards): the person's facts, refusal, contact history;
    for the roles that read informing (the card itself is already scoped and audited)."""
    from ..access import READ_INFORMING
    from ..models import ChannelPreference, ContactCorrection

    if not READ_INFORMING.allows(user):
        return None
    facts = list(InformingFact.objects.filter(person=person).order_by("-date", "-id")[:20])
    optout = OptOut.objects.filter(person=person, revoked_at__isnull=True).first()
    corrections = list(ContactCorrection.objects.filter(person=person).order_by("-at")[:10])
    preference = ChannelPreference.objects.filter(person=person).first()
    context = {"facts": facts, "optout": optout, "corrections": corrections, "person": person,
               "preference": preference}  # fmt: skip
    return "informing/_person_informing.html", context
