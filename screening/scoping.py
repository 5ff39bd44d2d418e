"""How screening widens the person scope: MO staff also see the persons on their MO's lists."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from participants.models import Role


def mo_list_scope(user, day: datetime.date) -> Q | None:
    if user.role != Role.MO_STAFF or not user.organization_id:
        return None
    from .models import ListEntry

    return Q(Exists(ListEntry.objects.filter(person=OuterRef("pk"), mo_id=user.organization_id)))
