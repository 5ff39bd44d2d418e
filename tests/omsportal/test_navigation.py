"""The main menu: every link it shows a role opens for that role, and the pages a role may use are in its menu."""

import pytest
from django.urls import reverse

from omsportal.navigation import menu_for

USERS = ("mo1_user", "smo1_l1", "smo1_l2", "smo1_l3", "fund_user", "ministry_user", "admin_user")


@pytest.mark.django_db
@pytest.mark.parametrize("who", USERS)
def test_every_menu_link_opens_for_the_role_that_sees_it(client, region, who):
    user = getattr(region, who)
    client.force_login(user)
    items = menu_for(user)
    assert items, who
    for item in items:
        response = client.get(item["url"], follow=True)
        assert response.status_code == 200, (who, item["url"], response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "url_name", "shown"),
    [
        ("smo1_l1", "screening:plans", True),  # level 1 tells people where and when to go
        ("smo1_l2", "screening:events_progress", True),
        ("ministry_user", "screening:events_progress", True),
        ("mo1_user", "screening:events_progress", False),  # MO staff reach it from their events page
        ("smo1_l1", "screening:lists", False),
        ("admin_user", "screening:plans", False),
    ],
)
def test_the_menu_shows_each_role_its_pages(region, who, url_name, shown):
    urls = {item["url"] for item in menu_for(getattr(region, who))}
    assert (reverse(url_name) in urls) is shown


@pytest.mark.django_db
def test_a_long_menu_folds_into_sections_and_a_short_one_stays_a_row(region):
    from omsportal.navigation import FLAT_MAX, menu_bar

    fund = menu_for(region.fund_user)
    assert len(fund) > FLAT_MAX
    bar = menu_bar(fund)
    assert len(bar) <= FLAT_MAX
    sections = {entry["label"]: [child["label"] for child in entry["children"]] for entry in bar if "children" in entry}
    assert "Журнал доступа" not in sections.get("Контроль", [])  # a section of one entry stays a plain link
    assert {"Застрахованные лица", "Загрузка регистра", "Организации"} <= set(sections["Регистр"])
    assert "Планы" in sections["Профилактика"]
    flat = [e["url"] for e in bar if "children" not in e] + [c["url"] for e in bar for c in e.get("children", [])]
    # Every entry once; the home entry goes when the row is still full with every section folded (the brand links
    # home), as the Fund's is since reports and surveys came.
    assert "/" not in flat
    assert sorted(flat) == sorted(item["url"] for item in fund if item["url"] != "/")
    # The MO keeps its daily pages in the row; the directory (persons, organizations) folds first.
    mo_bar = menu_bar(menu_for(region.mo1_user))
    assert len(mo_bar) <= FLAT_MAX
    assert [e["section"] for e in mo_bar if "children" in e] == ["register"]
    assert "Списки и протоколы" in [e["label"] for e in mo_bar]
    short = menu_for(region.ministry_user)[:FLAT_MAX]
    assert menu_bar(short) == short  # what fits is left as it is


@pytest.mark.django_db
def test_the_navbar_shows_the_sections_as_dropdowns(client, region):
    client.force_login(region.fund_user)
    html = client.get("/").content.decode()
    assert 'data-section="register"' in html and 'data-section="screening"' in html
    client.force_login(region.mo1_user)
    html = client.get("/").content.decode()
    assert 'data-section="register"' in html and 'data-section="screening"' not in html
