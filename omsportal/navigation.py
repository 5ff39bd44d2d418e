"""The main menu: the entries the apps declare in their access modules, shown to the roles their capability
allows. Entries whose URL is not installed yet are skipped.

A role that sees more entries than fit one row of a 1366-pixel screen (:data:`FLAT_MAX`, checked by
tests/test_page_widths.py) gets them folded by section: the entries of a section it sees two or more of become one
dropdown named after the section; entries without a section, and the only entry of a section, stay in the row."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from omsportal.access import menu_items, menu_section

# Entries that fit one row beside the brand and the user menu at 1366 pixels (the longest labels measured).
FLAT_MAX = 6


def menu_for(user) -> list[dict]:
    """Every menu entry the user sees, in order: label, url, icon, section."""
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
        items.append({"label": item.label, "url": url, "icon": item.icon, "section": item.section})
    return items


def menu_bar(items: list[dict]) -> list[dict]:
    """The entries of the navbar: ``items`` as they are when they fit, else folded into section dropdowns
    (an entry with ``children`` is a dropdown)."""
    if len(items) <= FLAT_MAX:
        return items
    counts: dict[str, int] = {}
    for item in items:
        counts[item["section"]] = counts.get(item["section"], 0) + 1
    bar: list[dict] = []
    groups: dict[str, dict] = {}
    for item in items:
        key = item["section"]
        section = menu_section(key) if key else None
        if section is None or counts[key] < 2:
            bar.append(item)
            continue
        if key not in groups:
            groups[key] = {"label": section.label, "icon": section.icon, "section": key, "children": []}
            bar.append(groups[key])
        groups[key]["children"].append(item)
    return bar
