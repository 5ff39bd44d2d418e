"""Plan → listed → done per MO and month (MO: its own; the Fund and the Ministry: all), chart and XLSX; home pages."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from omsportal.navigation import menu_for
from screening.selectors.progress import plan_progress
from screening.services.plans import year_plan_approve, year_plan_line_set
from tests.factories import insured_person
from tests.screening.test_events import YEAR, day, ev, post, put_on_list

pytestmark = pytest.mark.django_db
URL = reverse("screening:plan_progress")
EXPORT = reverse("screening:plan_progress_export")


@pytest.fixture
def year(region):
    """MO1: plan DVN 5 in March, 4 in May; two listed in March (one done in March), one in May. MO2: plan 7 in March."""
    r = region
    year_plan_line_set(user=r.ministry_user, year=YEAR, mo=r.mo1, values={("DVN", 3): 5, ("DVN", 5): 4})
    year_plan_line_set(user=r.ministry_user, year=YEAR, mo=r.mo2, values={("DVN", 3): 7, ("PMO", 3): 2})
    put_on_list(r.p1, r.mo1, user=r.mo1_user, smo=r.smo1, month=3)
    r.p3 = insured_person(smo=r.smo1, mo=r.mo1, last_name="Сидорова")
    put_on_list(r.p3, r.mo1, user=r.mo1_user, smo=r.smo1, month=3)
    r.p4 = insured_person(smo=r.smo1, mo=r.mo1, last_name="Кузнецова")
    put_on_list(r.p4, r.mo1, user=r.mo1_user, smo=r.smo1, month=5)
    post(r, [ev(r.p1, "START1", day(3, 2)), ev(r.p1, "END1", day(3, 4), rslt=317), ev(r.p3, "START1", day(3, 5))])
    return r


def test_the_figures_per_mo_and_month(year):
    progress = plan_progress(user=year.fund_user, year=YEAR, measure="DVN")
    rows = {row.mo.code: row for row in progress.rows}
    mo1 = rows[year.mo1.code]
    assert (mo1.plan[2], mo1.listed[2], mo1.done[2]) == (5, 2, 1)
    assert (mo1.plan[4], mo1.listed[4], mo1.done[4]) == (4, 1, 0)
    assert mo1.totals == {"plan": 9, "listed": 3, "done": 1} and mo1.listed_share == 33
    assert rows[year.mo2.code].totals == {"plan": 7, "listed": 0, "done": 0}
    assert progress.total.totals == {"plan": 16, "listed": 3, "done": 1}
    both = plan_progress(user=year.fund_user, year=YEAR)
    assert both.total.totals["plan"] == 18  # DVN and PMO together


def test_the_mo_sees_only_its_own_and_the_ministry_all(year):
    assert [row.mo for row in plan_progress(user=year.mo1_user, year=YEAR).rows] == [year.mo1]
    assert {row.mo for row in plan_progress(user=year.ministry_user, year=YEAR).rows} >= {year.mo1, year.mo2}
    assert plan_progress(user=year.smo1_l2, year=YEAR).rows == []


def test_the_page_shows_the_chart_and_the_tables(client, year):
    client.force_login(year.ministry_user)
    response = client.get(URL, {"year": YEAR, "measure": "DVN"})
    page = response.content.decode()
    assert response.status_code == 200
    chart = json.loads(re.search(r'id="plan-progress-chart-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert [d["label"] for d in chart["datasets"]] == ["план", "в списках", "прошли"]
    assert chart["datasets"][0]["data"][2] == 12 and chart["datasets"][2]["data"][2] == 1
    assert 'data-testid="progress-mos"' in page and year.mo2.code in page
    assert 'data-testid="plan-not-approved"' in page
    year_plan_approve(user=year.ministry_user, year=YEAR)
    assert "plan-not-approved" not in client.get(URL, {"year": YEAR}).content.decode()
    one = client.get(URL, {"year": YEAR, "measure": "DVN", "mo": year.mo1.pk}).content.decode()
    assert 'data-testid="progress-mos"' not in one and year.mo1.display_name in one


def test_the_mo_page_is_its_own(client, year):
    client.force_login(year.mo1_user)
    page = client.get(URL, {"year": YEAR, "mo": year.mo2.pk}).content.decode()  # no MO field for the MO
    assert year.mo2.code not in page
    for who in (year.smo1_l1, year.smo1_l2, year.admin_user):
        client.force_login(who)
        assert client.get(URL).status_code == 404


def test_a_bad_year_shows_the_form_error(client, year):
    client.force_login(year.fund_user)
    response = client.get(URL, {"year": "1900"})
    page = response.content.decode()
    assert response.status_code == 400 and "2000" in page and "text-danger" in page


def test_the_xlsx_download(client, year):
    client.force_login(year.fund_user)
    response = client.get(EXPORT, {"year": YEAR, "measure": "DVN"})
    assert response.status_code == 200 and "plan_progress_" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    months = list(book.worksheets[0].iter_rows(values_only=True))
    assert months[0][:3] == ("Код МО", "МО", "Месяц")
    assert (year.mo1.code, year.mo1.display_name, 3, 5, 2, 1) in months
    totals = list(book.worksheets[1].iter_rows(values_only=True))
    assert (year.mo1.code, year.mo1.display_name, 9, 3, 1) in totals


# --- Home pages: what the role can do today, from the menu and capability declarations ------------------------


ROLES = ["mo1_user", "smo1_l1", "smo1_l2", "smo1_l3", "fund_user", "ministry_user", "admin_user"]


@pytest.mark.parametrize("who", ROLES)
def test_the_home_page_lists_exactly_the_menu_with_what_the_role_does_there(client, region, who):
    user = getattr(region, who)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    menu = [item for item in menu_for(user) if item["url"] != reverse("home")]
    assert menu
    for item in menu:
        assert f'href="{item["url"]}"' in page, (who, item["url"])
        for duty in item["duties"]:
            assert duty in page
    # The old promises of work that did not exist yet are gone.
    assert "Работает с назначенными ему строками обзвона" not in page
    assert "Получает сводные показатели и отчёты о нарушениях сроков" not in page


def test_the_home_pages_say_what_each_role_does(client, region):
    client.force_login(region.fund_user)
    fund = client.get(reverse("home")).content.decode()
    assert "Загружает регистр застрахованных лиц" in fund and "Читает журнал доступа" in fund
    client.force_login(region.mo1_user)
    mo = client.get(reverse("home")).content.decode()
    assert "Загружает списки и исправления" in mo and "Передаёт события этапов" in mo
    assert "Сравнивает план с принятыми списками" in mo
    client.force_login(region.ministry_user)
    assert "Ведёт и утверждает годовой план" in client.get(reverse("home")).content.decode()


# --- Entries of a MIS that plans by quarter (ProMed Perm QUART) or not at all (Ufa) ------------------------------


@pytest.fixture
def quarterly(region, settings, tmp_path):
    """MO1's plan DVN 2 in Jan, 1 in Feb, 3 in Apr; its Perm list: one person in Q1 and two in Q2, no month."""
    from tests.screening.factories import next_year, rec, upload
    from tests.screening.promed import perm_xml

    settings.MEDIA_ROOT = tmp_path
    r = region
    r.year = next_year()
    year_plan_line_set(user=r.ministry_user, year=r.year, mo=r.mo1, values={("DVN", 1): 2, ("DVN", 2): 1,
                                                                            ("DVN", 4): 3})  # fmt: skip
    others = [insured_person(smo=r.smo1, mo=r.mo1, last_name=f"Квартальная{i}", first_name="Ольга") for i in (1, 2)]
    records = [rec(r.p1, 1, month=2), rec(others[0], 2, month=5), rec(others[1], 3, month=6)]
    u = upload(r, perm_xml(records, [5_900_000_000_123, 5_900_000_000_190, 5_900_000_001_004]),
               name="PROF_M270001T59_26121.xml")  # fmt: skip
    assert u.dialect == "promed_perm" and u.records_accepted == 3, u.message
    return r


def test_quarter_only_entries_count_in_their_quarter(quarterly):
    r = quarterly
    mo1 = plan_progress(user=r.fund_user, year=r.year, measure="DVN", mo=r.mo1).rows[0]
    assert mo1.listed == [0] * 12 and mo1.listed_quarter == [1, 2, 0, 0]
    assert mo1.totals == {"plan": 6, "listed": 3, "done": 0} and mo1.listed_share == 50
    assert [(q["plan"], q["listed"], q["quarter_only"]) for q in mo1.quarters()] == [(3, 1, 1), (3, 2, 2), (0, 0, 0),
                                                                                     (0, 0, 0)]  # fmt: skip
    assert plan_progress(user=r.fund_user, year=r.year, measure="DVN").total.listed_quarter == [1, 2, 0, 0]


def test_the_page_and_the_xlsx_show_quarter_only_entries_by_quarter(client, quarterly):
    r = quarterly
    client.force_login(r.mo1_user)
    page = client.get(URL, {"year": r.year, "measure": "DVN"}).content.decode()
    chart = json.loads(re.search(r'id="plan-progress-chart-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert chart["labels"] == ["I квартал", "II квартал", "III квартал", "IV квартал"]
    assert [d["data"] for d in chart["datasets"]] == [[3, 3, 0, 0], [1, 2, 0, 0], [0, 0, 0, 0]]
    quarters = re.search(r'data-testid="progress-quarters".*?</table>', page, re.S).group(0)
    assert re.search(r"II квартал</th><td>3</td><td>2</td><td>2</td>", quarters)
    assert 'data-testid="progress-quarter-note"' in page and "в своём квартале" in page
    response = client.get(EXPORT, {"year": r.year, "measure": "DVN"})
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert (r.mo1.code, r.mo1.display_name, 6, 3, 0) in list(book.worksheets[1].iter_rows(values_only=True))
    rows = list(book.worksheets[2].iter_rows(values_only=True))
    assert rows[0][2:] == ("Квартал", "план", "в списках", "из них без месяца", "прошли")
    assert (r.mo1.code, r.mo1.display_name, "I квартал", 3, 1, 1, 0) in rows


def test_entries_with_no_period_are_counted_and_shown_apart(client, region):
    r = region
    put_on_list(r.p1, r.mo1, user=r.mo1_user, smo=r.smo1, month=None)
    mo1 = plan_progress(user=r.fund_user, year=YEAR, measure="DVN", mo=r.mo1).rows[0]
    assert (mo1.listed_free, mo1.totals["listed"], sum(mo1.listed), mo1.listed_quarter) == (1, 1, 0, [0, 0, 0, 0])
    client.force_login(r.mo1_user)
    page = client.get(URL, {"year": YEAR, "measure": "DVN"}).content.decode()
    assert re.search(r'data-testid="progress-no-period"><th[^>]*>без периода</th><td>—</td><td>1</td>', page)
    book = load_workbook(io.BytesIO(client.get(EXPORT, {"year": YEAR, "measure": "DVN"}).content), read_only=True)
    quarters = list(book.worksheets[2].iter_rows(values_only=True))
    assert (r.mo1.code, r.mo1.display_name, "без периода", None, 1, 1, None) in quarters
