"""Every menu page of every role fits a 1366 × 768 screen: nothing scrolls sideways, the menu's last entry and the
user menu (logout) are on screen, and no table hides columns behind a scroll bar of its own.

Runs headless Chromium (tests/browser.py) against pytest-django's live server, on a small demo region seeded with
its year in motion (``seed_demo``), so the pages carry real figures: plans, lists with protocols, events.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from participants.models import Organization, Role, User
from screening.models import EventBatch, ListEntry, ListUpload
from tests.screening.test_e2e_upload import browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 768

# What spills over: the page itself, the navbar's entries, and tables cut by their own scroll box.
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) problems.push(`page is ${doc.scrollWidth}px wide`);
  for (const el of document.querySelectorAll('nav .nav-link, nav .navbar-brand')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      problems.push(`menu entry "${el.textContent.trim()}" ends at ${Math.round(box.right)}px`);
    }
  }
  for (const box of document.querySelectorAll('.table-responsive')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const head = box.querySelector('th:last-child');
      const last = head ? head.textContent.trim() : '';
      problems.push(`table cut: ${box.scrollWidth}px in ${box.clientWidth}px (last column "${last}")`);
    }
  }
  return problems;
}
"""

MENU_LINKS_JS = """
() => Array.from(document.querySelectorAll('#mainnav a[href]'))
  .map((a) => a.getAttribute('href')).filter((href) => href && href.startsWith('/'))
"""


@pytest.fixture
def demo_region(settings):
    settings.DEMO_PASSWORD = "pw"
    call_command("seed_demo", persons=1200, mos=3, smos=2, seed=4, stdout=io.StringIO())


def _extra_pages(user: User) -> list[str]:
    """Pages a role reaches from its menu pages, which carry the widest tables."""
    year = timezone.localdate().year
    own = {"mo": user.organization} if user.role == Role.MO_STAFF else {}
    pages = []
    if user.role in (Role.MINISTRY, Role.FUND):  # next year's plan is a draft: the Ministry's edit column shows
        pages += [reverse("screening:plan_year", args=[year]), reverse("screening:plan_year", args=[year + 1])]
    if user.role in (Role.MO_STAFF, Role.FUND):
        pages += [reverse("screening:upload_detail", args=[u.pk])
                  for u in ListUpload.objects.filter(**own).order_by("-records_rejected")[:1]]  # fmt: skip
        pages += [reverse("screening:event_batch", args=[b.pk])
                  for b in EventBatch.objects.filter(**own).order_by("-records_rejected")[:1]]  # fmt: skip
    if user.role == Role.MO_STAFF:
        pages.append(reverse("screening:plan_mo", args=[user.organization_id]))
    if user.role in (Role.SMO_L2, Role.FUND, Role.MO_STAFF):
        pages.append(reverse("screening:list_entries") + f"?year={year}")
    if user.role in (Role.SMO_L2, Role.FUND):
        entry = ListEntry.objects.filter(**({"smo": user.organization} if user.role == Role.SMO_L2 else {}))
        person = entry.filter(events__isnull=False).values_list("person_id", flat=True).first()
        if person:
            pages.append(reverse("persons:detail", args=[person]))
    return pages


def _users() -> list[User]:
    mo = Organization.objects.filter(kind="MO").order_by("code").first()
    smo = Organization.objects.filter(kind="SMO").order_by("code").first()
    names = ["admin", "fund", "ministry", f"mo_{mo.code}"] + [f"smo_{smo.code}_l{n}" for n in (1, 2, 3)]
    return [User.objects.get(username=name) for name in names]


def test_every_menu_page_of_every_role_fits_1366_pixels(browser, live_server, demo_region):  # noqa: F811
    problems: list[str] = []
    opened = 0
    for user in _users():
        context = browser.new_context(locale="ru-RU", viewport={"width": WIDTH, "height": HEIGHT},
                                      base_url=live_server.url)  # fmt: skip
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        links = list(dict.fromkeys(page.evaluate(MENU_LINKS_JS) + _extra_pages(user)))
        assert links, user.username
        for url in links:
            response = page.goto(url)
            assert response is not None and response.status < 400, (user.username, url)
            page.wait_for_load_state("load")
            opened += 1
            for problem in page.evaluate(OVERFLOW_JS):
                problems.append(f"{user.username} {url}: {problem}")
        context.close()
    assert opened >= 20
    assert not problems, "\n".join(problems)
