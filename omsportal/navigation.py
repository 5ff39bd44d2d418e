"""The main menu: the entries the apps declare in their access modules, shown to the roles their capability
allows. Entries whose URL is not installed yet are skipped.

A role that sees more entries than fit one row of a 1366-pixel screen (:data:`FLAT_MAX`, checked by
tests/test_page_widths.py) gets them folded by section, the directory first (``MenuSection.fold``): the entries of a
section it sees two or more of become one dropdown; entries without a section, and the only entry of one, stay."""

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
        duties = item.duties_for(user)
        items.append({"label": item.label, "url": url, "icon": item.icon, "section": item.section, "duties": duties})
    return items


def home_sections(items: list[dict]) -> list[dict]:
    """The home page's map of what the user can do today: the menu's entries (less the home page) by section, each
    with what the user does there. It grows by itself as apps declare pages and capabilities."""
    sections: dict[str, dict] = {}
    for item in items:
        if item["url"] == reverse("home"):
            continue
        key = item["section"]
        if key not in sections:
            section = menu_section(key) if key else None
            sections[key] = {
                "key": key,
                "label": section.label if section else "",
                "icon": section.icon if section else "grid",
                "order": section.order if section else 1000,
                "items": [],
            }
        sections[key]["items"].append(item)
    return sorted(sections.values(), key=lambda s: s["order"])


def menu_bar(items: list[dict]) -> list[dict]:
    """The entries of the navbar: ``items`` as they are when they fit, else folded into section dropdowns (an entry
    with ``children`` is a dropdown), one section at a time — the one that folds first (``MenuSection.fold``: the
    directory before the daily work) — until the row fits."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item["section"]] = counts.get(item["section"], 0) + 1
    candidates = sorted(
        (section for key in counts if key and counts[key] >= 2 and (section := menu_section(key)) is not None),
        key=lambda section: section.fold,
    )
    folded: set[str] = set()
    length = len(items)
    for section in candidates:
        if length <= FLAT_MAX:
            break
        folded.add(section.key)
        length -= counts[section.key] - 1
    if length > FLAT_MAX:  # still too long with every section folded: the brand links home, the entry may go
        home = reverse("home")
        items = [item for item in items if item.get("url") != home or item.get("children")]
    bar: list[dict] = []
    groups: dict[str, dict] = {}
    for item in items:
        key = item["section"]
        if key not in folded:
            bar.append(item)
            continue
        if key not in groups:
            section = menu_section(key)
            groups[key] = {"label": section.label, "icon": section.icon, "section": key, "children": []}
            bar.append(groups[key])
        groups[key]["children"].append(item)
    return bar
