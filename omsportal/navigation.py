"""The main menu: the entries the apps declare in their access modules, shown to the roles their capability
allows. Entries whose URL is not installed yet are skipped."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from omsportal.access import menu_items


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for item in menu_items():
        if not item.shown_to(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon})
    return items
