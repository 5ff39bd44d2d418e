"""Plan pages and the plan API [R II.1, II.2, II.24]: each role's overview, the XLSX upload page, approval,
edit pages, lists, history on the pages, and role isolation (owner / read-only member / outsider)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.test import APIClient

from screening.models import (
    BrigadeTrip,
    DistrictPlan,
    PlanChange,
    PlanStatus,
    PreventionSchedule,
    YearPlan,
    YearPlanLine,
)
from screening.services.plans import (
    brigade_trip_create,
    prevention_schedule_set,
    routing_rule_create,
    special_day_create,
    year_plan_line_set,
)
from tests.factories import DistrictFactory
from tests.scoping_base import as_user, assert_login_required, assert_read_only, assert_scoped

YEAR = 2027
HEADER = ["CODE_MO", "DISP", *(f"M{m}" for m in range(1, 13))]


def xlsx_upload(rows: list[list], name: str = "plan.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def list_part(page: str) -> str:
    """The list table of a page, without the history block (which names the same objects)."""
    return page.split('data-testid="plan-list"', 1)[1].split('data-testid="plan-history"', 1)[0]


def readers(region):
    return [region.mo1_user, region.smo1_l2, region.smo2_l2, region.fund_user, region.ministry_user]


@pytest.fixture
def trip(region):
    return brigade_trip_create(
        user=region.mo1_user,
        mo=region.mo1,
        kind=BrigadeTrip.Kind.BRIGADE,
        date_from=datetime.date(YEAR, 5, 12),
        date_to=datetime.date(YEAR, 5, 14),
        settlement="с. Бичевая",
        measures=["DVN"],
    )


# --- overview per role --------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestOverview:
    def test_anonymous_is_sent_to_login(self, client, region):
        assert_login_required(client, reverse("screening:plans"))

    def test_ministry_gets_the_yearly_plan_grid_with_due_date(self, client, region):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("PMO", 4): 321})
        client.force_login(region.ministry_user)
        page = client.get(reverse("screening:plans"), {"year": YEAR}).content.decode()
        assert 'data-testid="year-plan-grid"' in page
        assert "321" in page and "270001" in page and "270002" in page
        assert "15.01.2027" in page
        assert "Утвердить план" in page
        assert "chart.umd.min.js" in page  # the plan by month is drawn with the vendored Chart.js

    def test_mo_gets_its_own_plans_and_not_other_mos_lines(self, client, region):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 111})
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("DVN", 1): 999})
        client.force_login(region.mo1_user)
        page = client.get(reverse("screening:plans"), {"year": YEAR}).content.decode()
        assert 'data-testid="mo-plan-lines"' in page and "111" in page and "999" not in page
        assert "план по участкам не размещён" in page
        grid = client.get(reverse("screening:plan_year", args=[YEAR])).content.decode()
        assert "111" in grid and "999" not in grid and "270002" not in grid
        assert "Утвердить" not in grid

    def test_smo_gets_a_read_only_directory_with_phones(self, client, region):
        prevention_schedule_set(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            working_hours="Пн–Пт 8:00–20:00",
            booking="по телефону 122",
            responsible_name="Сидорова А. В.",
            responsible_phone="+7 4212 55-55-55",
        )
        client.force_login(region.smo1_l2)
        page = client.get(reverse("screening:plans"), {"year": YEAR}).content.decode()
        assert 'data-testid="mo-directory"' in page
        assert "+7 4212 55-55-55" in page and "Сидорова А. В." in page
        mo_page = client.get(reverse("screening:plan_mo", args=[region.mo1.pk]), {"year": YEAR}).content.decode()
        assert "только просмотр" in mo_page
        assert reverse("screening:plan_schedule_edit", args=[region.mo1.pk, YEAR]) not in mo_page

    def test_fund_sees_which_mos_have_not_posted(self, client, region):
        prevention_schedule_set(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            working_hours="8–20",
            responsible_name="А",
            responsible_phone="1",
        )
        client.force_login(region.fund_user)
        page = client.get(reverse("screening:plans"), {"year": YEAR}).content.decode()
        assert 'data-testid="plan-compliance"' in page
        assert 'data-testid="missing-schedule">1<' in page
        assert 'data-testid="missing-district">2<' in page

    def test_roles_without_plans_get_404(self, client, region):
        assert_scoped(
            client, reverse("screening:plans"), allowed_users=readers(region), denied_users=[region.admin_user]
        )


# --- the yearly plan: upload, approval, per-MO editing ------------------------------------------------------------


@pytest.mark.django_db
class TestYearPlanPages:
    def test_good_file_is_loaded(self, client, region):
        client.force_login(region.ministry_user)
        response = client.post(
            reverse("screening:plan_year_upload", args=[YEAR]),
            {"file": xlsx_upload([["270001", "ДВН", *range(1, 13)], ["270002", "ПМО", *[5] * 12]])},
        )
        assert response.status_code == 302
        assert YearPlanLine.objects.filter(plan__year=YEAR).count() == 24
        page = client.get(response["Location"]).content.decode()
        assert "Файл принят" in page and "загружено из файла" in page

    def test_bad_file_shows_row_and_column_and_saves_nothing(self, client, region):
        client.force_login(region.ministry_user)
        response = client.post(
            reverse("screening:plan_year_upload", args=[YEAR]),
            {"file": xlsx_upload([["270001", "ДВН", *range(1, 13)], ["270002", "ПМО", 1, "x", *[1] * 10]])},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Файл отклонён, план не изменён" in page
        assert "Строка 3, столбец D (M2)" in page
        assert not YearPlanLine.objects.exists()
        assert not PlanChange.objects.exists()

    def test_a_non_xlsx_name_is_refused_by_the_form(self, client, region):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(region.ministry_user)
        response = client.post(
            reverse("screening:plan_year_upload", args=[YEAR]), {"file": SimpleUploadedFile("plan.csv", b"a;b")}
        )
        assert response.status_code == 400
        assert "xlsx" in response.content.decode()

    def test_only_the_ministry_uploads(self, client, region):
        def post(user):
            client.logout()
            client.force_login(user)
            return client.post(
                reverse("screening:plan_year_upload", args=[YEAR]),
                {"file": xlsx_upload([["270001", "ДВН", *[1] * 12]])},
            )

        assert_read_only(
            None,
            post,
            owners=[region.ministry_user],
            read_only_users=[region.mo1_user, region.fund_user, region.smo1_l2],
            outsiders=[region.admin_user],
            owner_status=302,
        )
        assert set(YearPlanLine.objects.values_list("mo__code", flat=True)) == {"270001"}

    def test_template_download(self, client, region):
        url = reverse("screening:plan_year_template", args=[YEAR])
        responses = assert_read_only(
            client,
            url,
            owners=[region.ministry_user, region.fund_user, region.smo1_l2],
            read_only_users=[region.mo1_user],
            outsiders=[region.admin_user],
        )
        response = responses[region.ministry_user]
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="plan_2027.xlsx"' in response["Content-Disposition"]

    def test_approve_then_change_needs_reapproval(self, client, region):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 10})
        approve = reverse("screening:plan_year_approve", args=[YEAR])
        # MO staff, the Fund and SMOs cannot approve; an administrator does not see plans at all.
        assert_read_only(
            client,
            as_user(client, approve, method="post"),
            read_only_users=[region.mo1_user, region.fund_user, region.smo1_l2],
            outsiders=[region.admin_user],
        )
        assert YearPlan.objects.get(year=YEAR).status == PlanStatus.DRAFT

        client.force_login(region.ministry_user)
        assert client.post(approve).status_code == 302
        assert YearPlan.objects.get(year=YEAR).status == PlanStatus.APPROVED
        page = client.get(reverse("screening:plan_year", args=[YEAR])).content.decode()
        assert "Открыть для изменений" in page and "план утверждён" in page

        # Frozen: the per-MO form refuses the change.
        edit = reverse("screening:plan_year_mo_edit", args=[YEAR, region.mo1.pk])
        response = client.post(edit, {"DVN_1": "12"})
        assert response.status_code == 200 and "заморожен" in response.content.decode()
        assert YearPlanLine.objects.get(mo=region.mo1, month=1).quantity == 10

        client.post(reverse("screening:plan_year_reopen", args=[YEAR]), {"reason": "уточнение объёмов"})
        assert client.post(edit, {"DVN_1": "12"}).status_code == 302
        page = client.get(reverse("screening:plan_year", args=[YEAR])).content.decode()
        assert "требуется повторное утверждение" in page and "Утвердить повторно" in page
        assert "ДВН, январь: 10 → 12" in page  # the history on the page
        client.post(approve)
        assert YearPlan.objects.get(year=YEAR).status == PlanStatus.APPROVED
        assert "план утверждён повторно" in client.get(reverse("screening:plan_year", args=[YEAR])).content.decode()

    def test_per_mo_edit_page_is_the_ministrys(self, client, region):
        edit = reverse("screening:plan_year_mo_edit", args=[YEAR, region.mo1.pk])
        assert_read_only(
            client,
            edit,
            owners=[region.ministry_user],
            read_only_users=[region.mo1_user, region.fund_user, region.smo1_l2],
            outsiders=[region.mo2_user, region.admin_user],
        )
        client.force_login(region.ministry_user)
        response = client.post(edit, {"DVN_3": "40", "PMO_12": "0"})
        assert response.status_code == 302
        assert dict(YearPlanLine.objects.values_list("measure", "quantity")) == {"DVN": 40, "PMO": 0}
        response = client.post(edit, {"DVN_3": "-1"})
        assert response.status_code == 200 and YearPlanLine.objects.get(measure="DVN").quantity == 40


# --- the MO's own pages: isolation --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestMoPagesIsolation:
    def test_mo_page_and_lists_are_read_by_readers_and_404_for_another_mo(self, client, region, trip):
        for name in ("plan_mo", "plan_brigades", "plan_special_days", "plan_routing"):
            assert_scoped(
                client,
                reverse(f"screening:{name}", args=[region.mo1.pk]),
                allowed_users=[region.mo1_user, region.smo1_l2, region.fund_user, region.ministry_user],
                denied_users=[region.mo2_user, region.admin_user],
            )
        assert_scoped(
            client,
            reverse("screening:plan_districts", args=[region.mo1.pk, YEAR]),
            allowed_users=[region.mo1_user, region.smo2_l2, region.fund_user],
            denied_users=[region.mo2_user],
        )

    def test_create_pages_owner_read_only_outsider(self, client, region):
        for name in ("plan_brigade_create", "plan_special_day_create", "plan_routing_create"):
            assert_read_only(
                client,
                reverse(f"screening:{name}", args=[region.mo1.pk]),
                owners=[region.mo1_user],
                read_only_users=[region.smo1_l2, region.fund_user, region.ministry_user],
                outsiders=[region.mo2_user],
            )
        assert_read_only(
            client,
            reverse("screening:plan_schedule_edit", args=[region.mo1.pk, YEAR]),
            owners=[region.mo1_user],
            read_only_users=[region.smo1_l2, region.fund_user],
            outsiders=[region.mo2_user],
        )
        assert_read_only(
            client,
            reverse("screening:plan_districts_edit", args=[region.mo1.pk, YEAR, "DVN"]),
            owners=[region.mo1_user],
            read_only_users=[region.smo1_l2, region.fund_user],
            outsiders=[region.mo2_user],
        )

    def test_edit_and_delete_of_a_trip(self, client, region, trip):
        edit = reverse("screening:plan_brigade_edit", args=[trip.pk])
        data = {"kind": "BRIGADE", "date_from": "2027-05-12", "date_to": "2027-05-15", "settlement": "с. Бичевая"}
        assert_read_only(
            client,
            as_user(client, edit, method="post", data=data),
            owners=[region.mo1_user],
            read_only_users=[region.smo1_l2, region.fund_user, region.ministry_user],
            outsiders=[region.mo2_user, region.admin_user],
            owner_status=302,
        )
        trip.refresh_from_db()
        assert trip.date_to == datetime.date(YEAR, 5, 15)
        delete = reverse("screening:plan_brigade_delete", args=[trip.pk])
        assert_read_only(
            client,
            as_user(client, delete, method="post"),
            read_only_users=[region.smo1_l2, region.fund_user],
            outsiders=[region.mo2_user],
        )
        assert BrigadeTrip.objects.exists()
        client.force_login(region.mo1_user)
        assert client.get(delete).status_code == 200
        assert client.post(delete).status_code == 302
        assert not BrigadeTrip.objects.exists()
        assert list(PlanChange.objects.filter(object_type="BrigadeTrip").values_list("action", flat=True)) == [
            "delete",
            "update",
            "create",
        ]

    def test_a_routing_rule_performed_by_another_mo_is_readable_there_but_not_editable(self, client, region):
        rule = routing_rule_create(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            measure="DVN",
            examination="Маммография",
            performer=region.mo2,
            contract="№ 15",
        )
        client.force_login(region.mo2_user)
        page = client.get(reverse("screening:plan_mo", args=[region.mo2.pk]), {"year": YEAR}).content.decode()
        assert "Маммография" in page  # "performed for other MOs by contract"
        assert client.get(reverse("screening:plan_routing_edit", args=[rule.pk])).status_code == 404
        assert client.post(reverse("screening:plan_routing_delete", args=[rule.pk])).status_code == 404


# --- the MO's own pages: forms, history, lists --------------------------------------------------------------------


@pytest.mark.django_db
class TestMoPages:
    def test_brigade_form_validates_and_history_shows_on_the_list(self, client, region):
        client.force_login(region.mo1_user)
        url = reverse("screening:plan_brigade_create", args=[region.mo1.pk])
        bad = {"kind": "BRIGADE", "date_from": "2027-05-12", "date_to": "2027-05-01", "settlement": "с. Бичевая"}
        response = client.post(url, bad)
        assert response.status_code == 200 and "раньше даты начала" in response.content.decode()
        good = {**bad, "date_to": "2027-05-13", "measures": ["DVN", "PMO"]}
        response = client.post(url, good)
        assert response.status_code == 302
        assert BrigadeTrip.objects.get().measures == ["DVN", "PMO"]
        page = client.get(response["Location"]).content.decode()
        assert "с. Бичевая" in page
        assert 'data-testid="plan-history"' in page and "выезд мобильной бригады: добавлено" in page
        assert region.mo1_user.display_name in page

    def test_brigade_list_is_sorted_and_paginated(self, client, region):
        for day in range(1, 29):
            brigade_trip_create(
                user=region.mo1_user,
                mo=region.mo1,
                kind="BRIGADE",
                date_from=datetime.date(YEAR, 2, day),
                date_to=datetime.date(YEAR, 2, day),
                settlement=f"Посёлок {day:02d}",
                measures=[],
            )
        client.force_login(region.fund_user)
        url = reverse("screening:plan_brigades", args=[region.mo1.pk])
        first = list_part(client.get(url, {"year": YEAR}).content.decode())
        assert "Посёлок 01" in first and "Посёлок 28" not in first and "страница 1 из 2" in first
        desc = list_part(client.get(url, {"year": YEAR, "sort": "-settlement"}).content.decode())
        assert "Посёлок 28" in desc and "Посёлок 01" not in desc
        second = list_part(client.get(url, {"year": YEAR, "page": 2}).content.decode())
        assert "Посёлок 28" in second
        assert "Посёлок 01" not in list_part(client.get(url, {"year": YEAR - 1}).content.decode())

    def test_special_day_and_routing_forms(self, client, region):
        client.force_login(region.mo1_user)
        response = client.post(
            reverse("screening:plan_special_day_create", args=[region.mo1.pk]),
            {"date": "2027-04-10", "time_from": "09:00", "time_to": "14:00", "description": "Суббота здоровья"},
        )
        assert response.status_code == 302
        url = reverse("screening:plan_routing_create", args=[region.mo1.pk])
        response = client.post(url, {"year": YEAR, "measure": "DVN", "examination": "ФЛГ", "performer": region.mo2.pk})
        assert response.status_code == 200 and "Укажите договор" in response.content.decode()
        response = client.post(
            url,
            {"year": YEAR, "measure": "DVN", "examination": "ФЛГ", "performer": region.mo2.pk, "contract": "№ 7"},
        )
        assert response.status_code == 302
        page = client.get(reverse("screening:plan_mo", args=[region.mo1.pk]), {"year": YEAR}).content.decode()
        assert "Суббота здоровья" in page and "ФЛГ" in page and "№ 7" in page

    def test_district_plan_edit(self, client, region):
        d1 = DistrictFactory(mo=region.mo1, number="12")
        client.force_login(region.mo1_user)
        url = reverse("screening:plan_districts_edit", args=[region.mo1.pk, YEAR, "PMO"])
        assert 'data-testid="district-plan-form"' in client.get(url).content.decode()
        response = client.post(url, {f"d{d1.pk}_m3": "25", f"d{d1.pk}_m4": ""})
        assert response.status_code == 302
        assert list(DistrictPlan.objects.values_list("district__number", "measure", "month", "quantity")) == [
            ("12", "PMO", 3, 25)
        ]
        page = client.get(reverse("screening:plan_districts", args=[region.mo1.pk, YEAR])).content.decode()
        assert "участок 12, ПМО, март: — → 25" in page
        assert client.get(reverse("screening:plan_districts_edit", args=[region.mo1.pk, YEAR, "DN"])).status_code == 404

    def test_schedule_form_prefills_directory_contacts_and_saves(self, client, region):
        region.mo1.responsible_name, region.mo1.responsible_phone = "Орлова Е. И.", "+7 4212 11-22-33"
        region.mo1.save()
        client.force_login(region.mo1_user)
        url = reverse("screening:plan_schedule_edit", args=[region.mo1.pk, YEAR])
        assert "+7 4212 11-22-33" in client.get(url).content.decode()
        response = client.post(
            url,
            {
                "working_hours": "Пн–Пт 8–20",
                "booking": "Госуслуги",
                "responsible_name": "Орлова Е. И.",
                "responsible_phone": "+7 4212 11-22-33",
            },
        )
        assert response.status_code == 302
        assert PreventionSchedule.objects.get(mo=region.mo1, year=YEAR).booking == "Госуслуги"

    def test_full_history_page_is_scoped(self, client, region, trip):
        brigade_trip_create(
            user=region.mo2_user,
            mo=region.mo2,
            kind="DELIVERY",
            date_from=datetime.date(YEAR, 6, 1),
            date_to=datetime.date(YEAR, 6, 1),
            settlement="с. Другое",
            measures=[],
        )
        url = reverse("screening:plan_history")
        client.force_login(region.mo1_user)
        page = client.get(url).content.decode()
        assert "с. Бичевая" in page and "с. Другое" not in page
        assert client.get(url, {"mo": region.mo2.pk}).status_code == 404
        client.force_login(region.fund_user)
        page = client.get(url, {"type": "BrigadeTrip"}).content.decode()
        assert "с. Бичевая" in page and "с. Другое" in page


# --- API ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestPlanAPI:
    @pytest.fixture
    def api(self):
        return APIClient()

    def fetch(self, api, url, params=None):
        def go(user):
            api.force_authenticate(user)
            return api.get(url, params or {})

        return go

    def test_year_plan_lines_are_scoped(self, api, region):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 10})
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("PMO", 2): 20})
        url = reverse("screening_api:plan-year", args=[YEAR])
        responses = assert_scoped(
            None, self.fetch(api, url), allowed_users=readers(region), denied_users=[region.admin_user]
        )
        mo_view = responses[region.mo1_user].json()
        assert mo_view["lines"] == [{"mo_code": "270001", "measure": "DVN", "month": 1, "quantity": 10}]
        assert mo_view["status"] == "DRAFT" and mo_view["due_date"] == "2027-01-15"
        assert len(responses[region.fund_user].json()["lines"]) == 2
        only_mo2 = self.fetch(api, url, {"mo": "270002"})(region.smo1_l2).json()
        assert [line["mo_code"] for line in only_mo2["lines"]] == ["270002"]
        api.force_authenticate(None)
        assert api.get(url).status_code == 401

    def test_schedules_routing_and_brigades_are_scoped(self, api, region, trip):
        prevention_schedule_set(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            working_hours="8–20",
            responsible_name="А",
            responsible_phone="1",
        )
        prevention_schedule_set(
            user=region.mo2_user,
            mo=region.mo2,
            year=YEAR,
            working_hours="9–18",
            responsible_name="Б",
            responsible_phone="2",
        )
        special_day_create(user=region.mo2_user, mo=region.mo2, date=datetime.date(YEAR, 4, 10), description="День")
        schedules = reverse("screening_api:plan-schedules", args=[YEAR])
        assert [r["mo_code"] for r in self.fetch(api, schedules)(region.mo1_user).json()["results"]] == ["270001"]
        assert [r["mo_code"] for r in self.fetch(api, schedules)(region.smo1_l2).json()["results"]] == [
            "270001",
            "270002",
        ]
        assert self.fetch(api, schedules, {"mo": "270002"})(region.fund_user).json()["count"] == 1
        assert self.fetch(api, schedules)(region.admin_user).json()["count"] == 0
        brigades = reverse("screening_api:plan-brigades", args=[YEAR])
        assert self.fetch(api, brigades)(region.mo2_user).json()["count"] == 0
        assert self.fetch(api, brigades)(region.smo2_l2).json()["results"][0]["settlement"] == "с. Бичевая"
        days = reverse("screening_api:plan-special-days", args=[YEAR])
        assert self.fetch(api, days)(region.mo1_user).json()["count"] == 0
        assert self.fetch(api, days)(region.fund_user).json()["count"] == 1
        for name in ("plan-routing", "plan-districts"):
            response = self.fetch(api, reverse(f"screening_api:{name}", args=[YEAR]))(region.ministry_user)
            assert response.status_code == 200 and response.json()["count"] == 0
