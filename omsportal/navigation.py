"""The main menu: which pages each role sees. Entries whose URL is not installed yet are skipped."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from participants.models import Role

ALL = frozenset(Role.values)
PERSON_ROLES = frozenset({Role.MO_STAFF, Role.SMO_L1, Role.SMO_L2, Role.SMO_L3, Role.FUND})
MO_FUND = frozenset({Role.MO_STAFF, Role.FUND})
LIST_READERS = frozenset({Role.SMO_L2, Role.SMO_L3, Role.FUND, Role.MINISTRY})


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    roles: frozenset
    icon: str = "circle"


MENU: list[MenuItem] = [
    MenuItem(_("Главная"), "home", ALL, "house"),
    MenuItem(_("Застрахованные лица"), "persons:search", PERSON_ROLES, "people"),
    # Plans, schedules and routing are read by every SMO level [R II.24]: a level-1 operator tells people where to go.
    MenuItem(_("Планы"), "screening:plans", ALL - {Role.ADMIN}, "calendar3"),
    MenuItem(_("Списки и протоколы"), "screening:uploads", MO_FUND, "file-earmark-arrow-up"),
    MenuItem(_("Списки по МО"), "screening:lists", LIST_READERS, "list-check"),
    MenuItem(_("События этапов"), "screening:events", MO_FUND, "activity"),
    MenuItem(_("Ход осмотров"), "screening:events_progress", LIST_READERS - {Role.FUND}, "bar-chart-steps"),
    MenuItem(_("Загрузка регистра"), "register:imports", frozenset({Role.FUND}), "database-up"),
    MenuItem(_("Журнал доступа"), "audit:log", frozenset({Role.FUND}), "shield-lock"),
    MenuItem(_("Организации"), "organizations", ALL, "building"),
]


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for item in MENU:
        if user.role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon})
    return items
