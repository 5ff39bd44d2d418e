"""How screening widens the person scope: MO staff also see the persons on their MO's lists."""

from __future__ import annotations

import datetime

from participants.models import Role


def mo_list_scope(user, day: datetime.date):
    """Ids of the persons on the lists of the user's MO (any year), or None for other roles."""
    if user.role != Role.MO_STAFF or not user.organization_id:
        return None
    from .models import ListEntry

    return ListEntry.objects.filter(mo_id=user.organization_id).order_by().values("person_id")
