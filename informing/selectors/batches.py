"""Reads of the batch pages: the batches, one batch's counts, what the make-a-batch form offers, what a file
download is audited with. The views scope what they show (omsportal.views.base); these only read."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from omsportal.scoping import restrict
from participants.models import Organization, OrganizationKind, Role, User

from ..models import Batch, BatchMessage, MessageStatus, TemplateVersion, VersionStatus

AUDITED_IDS = 10_000  # person ids kept in a download's audit entry (the count is exact)


def batches_newest_first() -> QuerySet[Batch]:
    return Batch.objects.select_related("smo", "created_by").order_by("-created_at")


def batch_status_counts(batch: Batch) -> dict[str, int]:
    """Messages of the batch per status."""
    return dict(BatchMessage.objects.filter(batch=batch).order_by().values_list("status").annotate(n=Count("id")))


def batch_arm_counts(batch: Batch) -> list[dict]:
    """Reached messages per arm and channel: [{"arm", "channel", "n"}]."""
    return list(
        BatchMessage.objects.filter(batch=batch).exclude(status=MessageStatus.UNREACHABLE).order_by("arm")
        .values("arm", "channel").annotate(n=Count("id"))
    )  # fmt: skip


def batch_file_persons(batch: Batch, channel: str) -> tuple[list[int], int]:
    """The persons a file of the batch names, for its audit entry: (the first AUDITED_IDS ids, the count)."""
    messages = BatchMessage.objects.filter(batch=batch, channel=channel)
    return list(messages.values_list("person_id", flat=True)[:AUDITED_IDS]), messages.count()


def mos_by_code() -> QuerySet[Organization]:
    """Every MO of the region, by code (a batch may be limited to some)."""
    return Organization.objects.filter(kind=OrganizationKind.MO).order_by("code")


def approved_versions(smo: Organization) -> list[TemplateVersion]:
    """The SMO's approved text versions (what a batch may use), with their templates."""
    return list(
        TemplateVersion.objects.filter(template__smo=smo, status=VersionStatus.APPROVED).select_related("template")
    )


def phone_operators(smo: Organization) -> QuerySet[User]:
    """The SMO's active level-1 operators (a phone batch is assigned to one)."""
    return User.objects.filter(organization=smo, role=Role.SMO_L1, is_active=True)


def sent_batches(smo: Organization) -> QuerySet[Batch]:
    """The SMO's sent batches, latest first."""
    return Batch.objects.filter(smo=smo, sent_at__isnull=False).order_by("-sent_at")


def batch_unreachable_messages(batch: Batch, *, user: User) -> QuerySet[BatchMessage]:
    """The batch's messages of persons no channel reached (no usable contact, or its contact reported wrong), with
    the person and the MO, by name; within ``user``'s scope."""
    return (
        restrict(BatchMessage.objects.filter(batch=batch, status=MessageStatus.UNREACHABLE), user)
        .select_related("person", "mo")
        .order_by("person__last_name", "person__first_name", "person__patronymic", "person_id")
    )
