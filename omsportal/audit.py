"""Writing the audit log of reads, searches and exports of personal data [R II.25, domain §10]."""

from __future__ import annotations

from collections.abc import Iterable

from omsportal.models import AuditAction, AuditLog
from participants.models import User

# Person ids kept per entry; larger reads (exports) keep the count and the query.
MAX_IDS_PER_ENTRY = 10_000


def client_ip(request) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    user: User,
    action: AuditAction | str,
    person_ids: Iterable[int] = (),
    person_count: int | None = None,
    query: dict | None = None,
    request=None,
    channel: str = "web",
    object_type: str = "person",
    reason: str = "",
) -> AuditLog:
    """Write one audit entry: who (user and organization), when, which persons, from where."""
    ids = list(person_ids)
    return AuditLog.objects.create(
        user=user if user.is_authenticated else None,
        organization_id=getattr(user, "organization_id", None),
        action=action,
        object_type=object_type,
        person_ids=ids[:MAX_IDS_PER_ENTRY],
        person_count=len(ids) if person_count is None else person_count,
        query=query or {},
        path=(request.get_full_path()[:500] if request is not None else ""),
        ip=client_ip(request),
        channel=channel,
        reason=reason,
    )
