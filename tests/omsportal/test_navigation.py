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
