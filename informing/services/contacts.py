"""Opt-outs and wrong recipients [FAQ, domain §6]: both take effect at once, both keep their history, both audited.

- :func:`opt_out_record`: the person's refusal of informing (recorded by a representative, or the unsubscribe
  link); the register's ``Person.informing_opt_out`` flag says it from now on (due sets and batches read it), the
  :class:`~informing.models.OptOut` row is the history; messages of batches not yet sent are skipped.
- :func:`wrong_recipient_report`: a phone, e-mail or address that reached someone else (or no one) is removed from
  the person; the :class:`~informing.models.ContactCorrection` row keeps the old value, and channel choice skips
  that value even if a register reload brings it back;
- :func:`channel_preference_set`: the channel the person asked to be informed by (or none); batches try it first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.scoping import persons_visible_to
from participants.models import Organization, Person, User

from ..models import (
    BatchMessage,
    BatchStatus,
    Channel,
    ChannelPreference,
    ContactCorrection,
    ContactKind,
    CorrectionReason,
    MessageStatus,
    OptOut,
    OptOutSource,
)
from .batches import CHANNEL_ORDER

# The channels a batch can pick for a person: what a preference may name.
PREFERABLE_CHANNELS = CHANNEL_ORDER
# Batches whose messages have not left yet: an opt-out or a removed contact still changes them.
UNSENT_BATCH_STATUSES = (BatchStatus.PENDING, BatchStatus.RUNNING, BatchStatus.DONE)
CONTACT_FIELDS = {ContactKind.PHONE: "phone", ContactKind.EMAIL: "email", ContactKind.ADDRESS: "address"}
CONTACT_CHANNELS = {
    ContactKind.PHONE: (Channel.SMS, Channel.PHONE, Channel.MESSENGER),
    ContactKind.EMAIL: (Channel.EMAIL,),
    ContactKind.ADDRESS: (Channel.POST,),
}


def _unsent_messages():
    return BatchMessage.objects.filter(status=MessageStatus.RENDERED, batch__status__in=UNSENT_BATCH_STATUSES)


@transaction.atomic
def opt_out_record(
    *,
    person: Person,
    acting_user: User | None,
    source: str = OptOutSource.REPRESENTATIVE,
    date: datetime.date | None = None,
    smo: Organization | None = None,
    note: str = "",
    request=None,
) -> OptOut:
    """Record the person's refusal of informing; it takes effect at once (an active one is returned as it is)."""
    existing = OptOut.objects.filter(person=person, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    date = date or timezone.localdate()
    if smo is None and acting_user is not None and acting_user.organization_id:
        smo = acting_user.organization
    opt_out = OptOut.objects.create(
        person=person, smo=smo, source=source, date=date, recorded_by=acting_user, note=note[:500]
    )
    # The register's flag is the current state the due rules and batches read (set-based, one column).
    Person.objects.filter(pk=person.pk).update(informing_opt_out=True, opt_out_date=date)
    skipped = _unsent_messages().filter(person_id=person.pk).update(status=MessageStatus.SKIPPED)
    if acting_user is not None:
        audit_record(
            user=acting_user,
            action=AuditAction.UPDATE,
            person_ids=[person.pk],
            query={"opt_out": source, "messages_skipped": skipped},
            request=request,
            object_type="opt_out",
        )
    return opt_out


@transaction.atomic
def opt_out_revoke(*, person: Person, acting_user: User, request=None) -> int:
    """The person agrees to be informed again: the active opt-out is closed (kept), the flag cleared."""
    revoked = OptOut.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    Person.objects.filter(pk=person.pk).update(informing_opt_out=False, opt_out_date=None)
    audit_record(
        user=acting_user,
        action=AuditAction.UPDATE,
        person_ids=[person.pk],
        query={"opt_out": "revoked"},
        request=request,
        object_type="opt_out",
    )
    return revoked


@transaction.atomic
def wrong_recipient_report(
    *,
    person: Person,
    contact: str,
    acting_user: User | None,
    value: str | None = None,
    reason: str = CorrectionReason.WRONG_RECIPIENT,
    smo: Organization | None = None,
    note: str = "",
    request=None,
) -> ContactCorrection:
    """Remove a phone, e-mail or address that reached the wrong person (or nobody) from ``person``.

    ``value`` is the contact as it was used (default: the person's current one); the person's field is cleared
    when it still holds that value. Messages not yet sent to that address are dropped from their batches.
    """
    if contact not in CONTACT_FIELDS:
        raise ValueError(f"unknown contact kind {contact!r}")
    field_name = CONTACT_FIELDS[contact]
    current = Person.objects.filter(pk=person.pk).values_list(field_name, flat=True).first() or ""
    reported = current if value is None else value
    if smo is None and acting_user is not None and acting_user.organization_id:
        smo = acting_user.organization
    correction = ContactCorrection.objects.create(
        person=person,
        contact=contact,
        old_value=reported[:500],
        new_value="",
        reason=reason,
        smo=smo,
        recorded_by=acting_user,
        note=note[:500],
    )
    if reported and current == reported:
        Person.objects.filter(pk=person.pk).update(**{field_name: ""})
    if reported:
        addresses = {reported, reported.strip()}
        if contact == ContactKind.PHONE:
            from .batches import _mobile  # the message holds the phone as +7 and 10 digits

            addresses.add(_mobile(reported))
        _unsent_messages().filter(
            person_id=person.pk, channel__in=CONTACT_CHANNELS[contact], address__in=addresses - {""}
        ).update(status=MessageStatus.UNREACHABLE)
    if acting_user is not None:
        audit_record(
            user=acting_user,
            action=AuditAction.UPDATE,
            person_ids=[person.pk],
            query={"wrong_recipient": contact, "reason": reason},
            request=request,
            object_type="contact",
        )
    return correction


def wrong_phones_report(
    *, pairs: Iterable[tuple[int, str]], acting_user: User | None, smo: Organization | None, reason: str
) -> int:
    """Set-based :func:`wrong_recipient_report` for phones (delivery reports: UNKNOWN_NUMBER): (person id, phone)
    pairs; returns how many corrections were written. The caller's transaction holds it."""
    pairs = list(dict.fromkeys((int(pid), phone) for pid, phone in pairs if phone))
    if not pairs:
        return 0
    ContactCorrection.objects.bulk_create(
        [
            ContactCorrection(
                person_id=pid, contact=ContactKind.PHONE, old_value=phone, reason=reason, smo=smo,
                recorded_by=acting_user,
            )
            for pid, phone in pairs
        ],
        batch_size=5000,
    )  # fmt: skip
    # Chunks keep the OR list short; a delivery report names few unknown numbers.
    for start in range(0, len(pairs), 500):
        chunk = Q()
        for pid, phone in pairs[start : start + 500]:
            chunk |= Q(pk=pid, phone=phone)
        Person.objects.filter(chunk).update(phone="")
    if acting_user is not None:
        audit_record(
            user=acting_user,
            action=AuditAction.UPDATE,
            person_ids=[pid for pid, _ in pairs],
            query={"wrong_recipient": ContactKind.PHONE, "reason": reason},
            object_type="contact",
        )
    return len(pairs)


def removed_contact_values(person_ids=None):
    """(person id, contact kind, value) rows reported wrong: channel choice skips them."""
    removed = (CorrectionReason.WRONG_RECIPIENT, CorrectionReason.UNKNOWN_NUMBER)
    qs = ContactCorrection.objects.filter(reason__in=removed)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return qs.values_list("person_id", "contact", "old_value")


@transaction.atomic
def channel_preference_set(
    *, person: Person, channel: str, acting_user: User | None, request=None
) -> ChannelPreference | None:
    """Record the channel ``person`` prefers to be informed by (``""``: no preference, the row goes); batches
    built from now on try it before the default order when the person has that contact [domain §6].

    Scoped as every write about a person: ``acting_user`` must see the person today (else PermissionDenied);
    audited (UPDATE, object ``contact``). Batches already built keep their channel.
    """
    channel = channel or ""
    if channel and channel not in PREFERABLE_CHANNELS:
        raise ValidationError(_("Этот канал нельзя выбрать предпочтительным."))
    if acting_user is not None and not persons_visible_to(acting_user).filter(pk=person.pk).exists():
        raise PermissionDenied("person outside the user's scope")
    if channel:
        preference, _created = ChannelPreference.objects.update_or_create(
            person=person, defaults={"channel": channel, "recorded_by": acting_user}
        )
    else:
        ChannelPreference.objects.filter(person=person).delete()
        preference = None
    if acting_user is not None:
        audit_record(
            user=acting_user,
            action=AuditAction.UPDATE,
            person_ids=[person.pk],
            query={"channel_preference": channel or None},
            request=request,
            object_type="contact",
        )
    return preference
