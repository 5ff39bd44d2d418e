"""Reads of the appeals register: the user's appeals with filters, overdue ones per representative."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from omsportal.scoping import get_for_user, restrict
from participants.models import User
from surveys.models import Appeal, AppealStatus


def overdue_q(today=None) -> Q:
    """Not answered and past the deadline."""
    return ~Q(status=AppealStatus.ANSWERED) & Q(due_on__lt=today or timezone.localdate())


def appeals_for_user(
    user: User, *, status: str = "", mine: bool = False, overdue: bool = False, level: int | None = None
) -> QuerySet[Appeal]:
    qs = restrict(Appeal.objects.select_related("topic", "person", "assignee", "registered_by", "smo"), user)
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True, registered_by=user))
    if overdue:
        qs = qs.filter(overdue_q())
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("due_on", "-registered_at")


def appeal_for_user(user: User, pk: int) -> Appeal:
    return get_for_user(Appeal.objects.select_related("topic", "person", "assignee", "registered_by"), user, pk=pk)


def overdue_by_representative(user: User) -> list[dict]:
    """For the SMO's head: per representative (the assignee, else who registered it) the open and overdue appeals."""
    today = timezone.localdate()
    rows = (
        restrict(Appeal.objects.exclude(status=AppealStatus.ANSWERED), user)
        .order_by()
        .values("smo_id", "level", "assignee_id", "registered_by_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue_q(today)))
    )
    merged: dict[tuple, dict] = {}
    for row in rows:
        who = row["assignee_id"] or (row["registered_by_id"] if row["level"] == 1 else None)
        key = (row["smo_id"], row["level"], who)
        line = merged.setdefault(key, {"smo_id": row["smo_id"], "level": row["level"], "user_id": who, "open": 0,
                                       "overdue": 0})  # fmt: skip
        line["open"] += row["open"]
        line["overdue"] += row["overdue"]
    users = User.objects.in_bulk([line["user_id"] for line in merged.values() if line["user_id"]])
    for line in merged.values():
        line["user"] = users.get(line["user_id"])
    return sorted(merged.values(), key=lambda line: (-line["overdue"], line["level"], line["user_id"] or 0))
