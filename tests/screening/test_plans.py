"""Services and selectors of plans [R II.1, II.2, II.24]: the yearly plan and its XLSX file, approval and
re-approval, the MO's district plan, brigades, special days, routing, schedule, edit history and scoping."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from omsportal.scoping import restrict
from omsportal.workdays import last_working_day_of_year
from screening.formats.plans import PlanFileError
from screening.models import (
    BrigadeTrip,
    DistrictPlan,
    PlanChange,
    PlanStatus,
    PreventionSchedule,
    RoutingRule,
    YearPlan,
    YearPlanLine,
)
from screening.selectors.plans import (
    approved_plan_totals,
    describe_change,
    mo_plan_compliance_rows,
    year_plan_grid,
    year_plan_status,
    year_plan_template_xlsx,
)
from screening.services.plans import (
    brigade_trip_create,
    brigade_trip_delete,
    brigade_trip_update,
    district_plan_set,
    prevention_schedule_set,
    routing_rule_create,
    special_day_create,
    year_plan_approve,
    year_plan_line_set,
    year_plan_reopen,
    year_plan_upload_xlsx,
)
from tests.factories import DistrictFactory

YEAR = 2027
HEADER = ["CODE_MO", "DISP", *(f"M{m}" for m in range(1, 13))]


def xlsx(rows: list[list], header: list | None = None) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header if header is not None else HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def cells(plan_year: int = YEAR) -> dict:
    return {
        (mo, measure, month): quantity
        for mo, measure, month, quantity in YearPlanLine.objects.filter(plan__year=plan_year).values_list(
            "mo__code", "measure", "month", "quantity"
        )
    }


@pytest.fixture
def plan(region):
    """A draft plan with MO1's DVN for January–March."""
    year_plan_line_set(
        user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 10, ("DVN", 2): 20, ("DVN", 3): 30}
    )
    return YearPlan.objects.get(year=YEAR)


# --- the yearly plan by form --------------------------------------------------------------------------------------


def test_line_set_writes_cells_and_history(region, plan):
    assert cells() == {("270001", "DVN", 1): 10, ("270001", "DVN", 2): 20, ("270001", "DVN", 3): 30}
    change = PlanChange.objects.get(object_type="YearPlanLine")
    assert change.user == region.ministry_user
    assert change.mo == region.mo1
    assert change.changes["year"] == YEAR
    assert {"measure": "DVN", "month": 2, "old": None, "new": 20} in change.changes["cells"]
    assert "ДВН, февраль: — → 20" in describe_change(change)


def test_empty_cell_removes_the_month_and_zero_is_kept(region, plan):
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): None, ("DVN", 2): 0})
    assert cells() == {("270001", "DVN", 2): 0, ("270001", "DVN", 3): 30}
    latest = PlanChange.objects.filter(object_type="YearPlanLine").order_by("-pk").first()
    assert {"measure": "DVN", "month": 1, "old": 10, "new": None} in latest.changes["cells"]


def test_unchanged_values_write_no_history(region, plan):
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 10})
    assert PlanChange.objects.filter(object_type="YearPlanLine").count() == 1


@pytest.mark.parametrize("who", ["mo1_user", "fund_user", "smo1_l2"])
def test_only_the_ministry_sets_the_yearly_plan(region, who):
    with pytest.raises(PermissionDenied):
        year_plan_line_set(user=getattr(region, who), year=YEAR, mo=region.mo1, values={("DVN", 1): 5})
    assert not YearPlanLine.objects.exists()


def test_dn_is_not_a_plan_measure_and_negative_is_refused(region):
    with pytest.raises(ValidationError):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DN", 1): 5})
    with pytest.raises(ValidationError):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("PMO", 1): -1})
    assert not YearPlanLine.objects.exists()


# --- the yearly plan by XLSX file ---------------------------------------------------------------------------------


def test_upload_good_file_sets_rows_and_leaves_other_pairs(region, plan):
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("PMO", 5): 7})
    file = xlsx(
        [
            ["270001", "ДВН", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            ["270001", "pmo", 5.0, "6", None, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # Latin, a float, a string, an empty cell
            [None, None, None, None, None, None, None, None, None, None, None, None, None, None],  # blank line
        ]
    )
    result = year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=file, original_name="plan.xlsx")
    got = cells()
    assert [got[("270001", "DVN", m)] for m in range(1, 13)] == list(range(1, 13))
    assert [got[("270001", "PMO", m)] for m in range(1, 4)] == [5, 6, 0]
    assert got[("270002", "PMO", 5)] == 7  # not in the file: unchanged
    assert result.rows == 2 and result.mos == 1
    upload_rows = PlanChange.objects.filter(action="upload")
    assert upload_rows.filter(object_type="YearPlan", mo=None).get().changes["file"] == "plan.xlsx"
    assert upload_rows.filter(object_type="YearPlanLine", mo=region.mo1).count() == 1


def test_bad_file_names_row_and_column_in_russian_and_changes_nothing(region, plan):
    before_cells, before_history = cells(), PlanChange.objects.count()
    file = xlsx(
        [
            ["270001", "ДВН", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # a good row: must not be saved either
            ["27001", "ДВН", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            ["270002", "ПМО", 1, 1, "много", 1, 1, 1, 1, 1, 1, 1, 1, 1],
            ["270099", "ДН", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2.5],
            ["270001", "DVN", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            ["270002", "ПМО", -3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        ]
    )
    with pytest.raises(PlanFileError) as caught:
        year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=file, original_name="bad.xlsx")
    errors = caught.value.messages
    assert any(e.startswith("Строка 3, столбец A (CODE_MO)") and "6 цифр" in e for e in errors), errors
    assert any(e.startswith("Строка 4, столбец E (M3)") and "«много»" in e for e in errors), errors
    assert any(e.startswith("Строка 5, столбец A (CODE_MO)") and "нет в справочнике" in e for e in errors), errors
    assert any(e.startswith("Строка 5, столбец B (DISP)") and "ДН" in e for e in errors), errors
    assert any(e.startswith("Строка 5, столбец N (M12)") for e in errors), errors
    assert any(e.startswith("Строка 6:") and "уже указаны в строке 2" in e for e in errors), errors
    assert any(e.startswith("Строка 7, столбец C (M1)") for e in errors), errors
    assert cells() == before_cells
    assert PlanChange.objects.count() == before_history


def test_header_errors_name_the_missing_columns(region):
    file = xlsx([["270001", "ДВН", 1]], header=["CODE_MO", "DISP", "M1", "M1"])
    with pytest.raises(PlanFileError) as caught:
        year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=file)
    text = " ".join(caught.value.messages)
    assert "Строка 1, столбец D: столбец «M1» повторяется" in text
    assert "нет столбцов M2, M3" in text
    assert not YearPlanLine.objects.exists()


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored(region):
    header = ["NAME_MO", *reversed(HEADER)]
    row = ["Поликлиника", *reversed(["270002", "ПМО", *range(1, 13)])]
    year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=xlsx([row], header=header))
    assert cells()[("270002", "PMO", 12)] == 12


def test_not_an_xlsx_file_is_rejected_in_russian(region):
    with pytest.raises(PlanFileError) as caught:
        year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=io.BytesIO(b"CODE_MO;DISP\n270001;DVN"))
    assert "XLSX" in caught.value.messages[0]


def test_empty_file_is_rejected(region):
    with pytest.raises(PlanFileError) as caught:
        year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=xlsx([]))
    assert "нет ни одной строки" in caught.value.messages[0]


def test_template_lists_the_region_mos_with_current_values_and_uploads_back(region, plan):
    content = year_plan_template_xlsx(user=region.ministry_user, year=YEAR)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:14]) == HEADER
    assert tuple(rows[1][:5]) == ("270001", "ДВН", 10, 20, 30)
    assert {r[0] for r in rows[1:]} == {"270001", "270002"}
    before = cells()
    result = year_plan_upload_xlsx(user=region.ministry_user, year=YEAR, file=io.BytesIO(content))
    # Empty months of the template read as 0: the round trip adds explicit zeros, never changes a number.
    assert {k: v for k, v in cells().items() if v} == before
    assert result.rows == 4


def test_template_is_not_for_mo_staff(region):
    with pytest.raises(PermissionDenied):
        year_plan_template_xlsx(user=region.mo1_user, year=YEAR)


# --- approval, freezing, re-approval ------------------------------------------------------------------------------


def test_approval_freezes_the_plan(region, plan):
    assert approved_plan_totals(region.mo1, YEAR) == {}  # a draft is not the approved plan
    year_plan_approve(user=region.ministry_user, year=YEAR)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == region.ministry_user
    assert approved_plan_totals(region.mo1, YEAR) == {("DVN", 1): 10, ("DVN", 2): 20, ("DVN", 3): 30}
    with pytest.raises(ValidationError, match="утверждён"):
        year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 11})
    with pytest.raises(ValidationError, match="утверждён"):
        year_plan_upload_xlsx(
            user=region.ministry_user, year=YEAR, file=xlsx([["270001", "ДВН", *[1] * 12]]), original_name="x.xlsx"
        )
    assert cells()[("270001", "DVN", 1)] == 10
    with pytest.raises(ValidationError, match="уже утверждён"):
        year_plan_approve(user=region.ministry_user, year=YEAR)


def test_a_change_after_approval_needs_reapproval(region, plan):
    year_plan_approve(user=region.ministry_user, year=YEAR)
    with pytest.raises(ValidationError):
        year_plan_reopen(user=region.ministry_user, year=YEAR, reason="  ")
    year_plan_reopen(user=region.ministry_user, year=YEAR, reason="перераспределение объёмов")
    status = year_plan_status(user=region.fund_user, year=YEAR)
    assert not status.is_approved and status.needs_reapproval
    assert approved_plan_totals(region.mo1, YEAR) == {}
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values={("DVN", 1): 15})
    year_plan_approve(user=region.ministry_user, year=YEAR)
    status = year_plan_status(user=region.fund_user, year=YEAR)
    assert status.is_approved and not status.needs_reapproval
    assert approved_plan_totals(region.mo1, YEAR)[("DVN", 1)] == 15
    approvals = PlanChange.objects.filter(action="approve").order_by("pk")
    assert [a.changes["reapproval"] for a in approvals] == [False, True]
    reopen = PlanChange.objects.get(action="reopen")
    assert reopen.changes["reason"] == "перераспределение объёмов" and reopen.mo is None


@pytest.mark.parametrize("who", ["mo1_user", "fund_user", "smo1_l2"])
def test_only_the_ministry_approves(region, plan, who):
    with pytest.raises(PermissionDenied):
        year_plan_approve(user=getattr(region, who), year=YEAR)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_an_empty_plan_cannot_be_approved(region):
    with pytest.raises(ValidationError, match="пуст"):
        year_plan_approve(user=region.ministry_user, year=YEAR)


def test_due_date_is_15_january_and_lateness_follows_the_first_approval(region):
    this_year = timezone.localdate().year
    future = this_year + 1
    year_plan_line_set(user=region.ministry_user, year=future, mo=region.mo1, values={("PMO", 1): 1})
    status = year_plan_status(user=region.mo1_user, year=future)
    assert status.due == datetime.date(future, 1, 15)
    assert not status.is_late and status.approved_on is None
    year_plan_approve(user=region.ministry_user, year=future)
    assert not year_plan_status(user=region.mo1_user, year=future).is_late  # approved before 15 January

    past = this_year - 1
    year_plan_line_set(user=region.ministry_user, year=past, mo=region.mo1, values={("PMO", 1): 1})
    assert year_plan_status(user=region.mo1_user, year=past).is_late  # not approved and the due date is gone
    year_plan_approve(user=region.ministry_user, year=past)
    late = year_plan_status(user=region.mo1_user, year=past)
    assert late.is_late and late.days_late > 300
    # Approved in time, then reopened and approved again late: the obligation was met on the first approval.
    first = PlanChange.objects.get(action="approve", changes__year=past)
    PlanChange.objects.filter(pk=first.pk).update(at=timezone.make_aware(datetime.datetime(past, 1, 10, 12)))
    year_plan_reopen(user=region.ministry_user, year=past, reason="исправление")
    year_plan_approve(user=region.ministry_user, year=past)
    again = year_plan_status(user=region.mo1_user, year=past)
    assert again.approved_on == datetime.date(past, 1, 10) and not again.is_late


# --- scoping of the plan ------------------------------------------------------------------------------------------


def test_mo_staff_see_their_own_lines_others_all(region, plan):
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("PMO", 1): 3})
    lines = YearPlanLine.objects.all()
    assert set(restrict(lines, region.mo1_user).values_list("mo__code", flat=True)) == {"270001"}
    assert set(restrict(lines, region.mo2_user).values_list("mo__code", flat=True)) == {"270002"}
    for reader in (region.fund_user, region.ministry_user, region.smo1_l2, region.smo2_l2):
        assert restrict(lines, reader).count() == 4
    assert restrict(lines, region.admin_user).count() == 0
    grid = year_plan_grid(user=region.mo1_user, year=YEAR)
    assert [row.mo.code for row in grid["rows"]] == ["270001"]
    assert grid["totals"]["DVN"] == 60 and grid["totals"]["PMO"] == 0


def test_mo_sees_approval_history_but_not_other_mos_changes(region, plan):
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo2, values={("PMO", 1): 3})
    year_plan_approve(user=region.ministry_user, year=YEAR)
    seen = restrict(PlanChange.objects.all(), region.mo1_user)
    assert set(seen.values_list("action", "mo_id")) == {("update", region.mo1.pk), ("approve", None)}
    assert restrict(PlanChange.objects.all(), region.smo1_l2).count() == 3


# --- the MO's own plans -------------------------------------------------------------------------------------------


def test_district_plan_set_writes_cells_and_history(region):
    d1, d2 = DistrictFactory(mo=region.mo1, number="1"), DistrictFactory(mo=region.mo1, number="2")
    changed = district_plan_set(
        user=region.mo1_user, mo=region.mo1, year=YEAR, measure="DVN", values={(d1.pk, 1): 5, (d2.pk, 1): 7}
    )
    assert changed == 2
    assert DistrictPlan.objects.filter(mo=region.mo1, year=YEAR, measure="DVN").count() == 2
    changed = district_plan_set(
        user=region.mo1_user, mo=region.mo1, year=YEAR, measure="DVN", values={(d1.pk, 1): 6, (d2.pk, 1): None}
    )
    assert changed == 2
    assert list(DistrictPlan.objects.values_list("district__number", "quantity")) == [("1", 6)]
    change = PlanChange.objects.filter(object_type="DistrictPlan").order_by("-pk").first()
    assert change.user == region.mo1_user and change.mo == region.mo1
    assert "участок 1, ДВН, январь: 5 → 6" in describe_change(change)


def test_district_plan_of_another_mo_is_refused(region):
    foreign = DistrictFactory(mo=region.mo2, number="9")
    with pytest.raises(ValidationError):
        district_plan_set(user=region.mo1_user, mo=region.mo1, year=YEAR, measure="DVN", values={(foreign.pk, 1): 5})
    with pytest.raises(PermissionDenied):
        district_plan_set(user=region.mo1_user, mo=region.mo2, year=YEAR, measure="DVN", values={(foreign.pk, 1): 5})
    with pytest.raises(PermissionDenied):
        district_plan_set(user=region.fund_user, mo=region.mo2, year=YEAR, measure="DVN", values={(foreign.pk, 1): 5})
    assert not DistrictPlan.objects.exists()


def test_brigade_trip_lifecycle_is_in_the_history(region):
    trip = brigade_trip_create(
        user=region.mo1_user,
        mo=region.mo1,
        kind=BrigadeTrip.Kind.BRIGADE,
        date_from=datetime.date(YEAR, 3, 1),
        date_to=datetime.date(YEAR, 3, 3),
        settlement="с. Бичевая",
        measures=["PMO", "DVN"],
    )
    assert trip.measures == ["DVN", "PMO"]
    brigade_trip_update(user=region.mo1_user, trip=trip, data={"settlement": "с. Гвасюги"})
    with pytest.raises(ValidationError):
        brigade_trip_update(user=region.mo1_user, trip=trip, data={"date_to": datetime.date(YEAR, 2, 1)})
    with pytest.raises(PermissionDenied):
        brigade_trip_update(user=region.mo2_user, trip=trip, data={"settlement": "x"})
    with pytest.raises(PermissionDenied):
        brigade_trip_delete(user=region.smo1_l2, trip=trip)
    brigade_trip_delete(user=region.mo1_user, trip=trip)
    assert not BrigadeTrip.objects.exists()
    history = list(PlanChange.objects.filter(object_type="BrigadeTrip").order_by("pk"))
    assert [h.action for h in history] == ["create", "update", "delete"]
    assert history[1].changes["fields"] == {"settlement": ["с. Бичевая", "с. Гвасюги"]}
    assert "населённый пункт: с. Бичевая → с. Гвасюги" in describe_change(history[1])
    created = describe_change(history[0])  # labels of choices, dates as on the page, empty fields left out
    assert created[:3] == ["вид: выезд мобильной бригады", "с: 01.03.2027", "по: 03.03.2027"]
    assert "мероприятия: ДВН, ПМО" in created
    assert not any(line.startswith("примечание") for line in created)
    assert history[2].changes["fields"]["settlement"] == ["с. Гвасюги", None]


def test_special_day_times_must_be_ordered(region):
    with pytest.raises(ValidationError):
        special_day_create(
            user=region.mo1_user,
            mo=region.mo1,
            date=datetime.date(YEAR, 4, 6),
            description="Суббота здоровья",
            time_from=datetime.time(14),
            time_to=datetime.time(9),
        )
    day = special_day_create(
        user=region.mo1_user, mo=region.mo1, date=datetime.date(YEAR, 4, 6), description="Суббота здоровья"
    )
    assert PlanChange.objects.get(object_type="SpecialDay").object_id == day.pk


def test_routing_to_another_mo_needs_a_contract(region):
    with pytest.raises(ValidationError) as caught:
        routing_rule_create(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            measure="DVN",
            examination="Маммография",
            performer=region.mo2,
        )
    assert "contract" in caught.value.message_dict
    with pytest.raises(ValidationError):
        routing_rule_create(
            user=region.mo1_user,
            mo=region.mo1,
            year=YEAR,
            measure="DVN",
            examination="Маммография",
            performer=region.mo1,
            contract="1",
        )
    rule = routing_rule_create(
        user=region.mo1_user,
        mo=region.mo1,
        year=YEAR,
        measure="DVN",
        examination="Маммография",
        performer=region.mo2,
        contract="№ 15 от 10.12.2026",
    )
    # The performing MO reads the rule that sends patients to it; a third MO would not.
    assert restrict(RoutingRule.objects.all(), region.mo2_user).get() == rule
    assert restrict(RoutingRule.objects.all(), region.mo1_user).get() == rule


def test_schedule_set_creates_then_updates_with_history(region):
    prevention_schedule_set(
        user=region.mo1_user,
        mo=region.mo1,
        year=YEAR,
        working_hours="Пн–Пт 8:00–20:00, Сб 9:00–14:00",
        responsible_name="Сидорова А. В.",
        responsible_phone="+7 4212 00-00-01",
    )
    prevention_schedule_set(
        user=region.mo1_user,
        mo=region.mo1,
        year=YEAR,
        working_hours="Пн–Пт 8:00–20:00, Сб 9:00–14:00",
        responsible_name="Сидорова А. В.",
        responsible_phone="+7 4212 00-00-02",
    )
    assert PreventionSchedule.objects.get().responsible_phone == "+7 4212 00-00-02"
    history = list(PlanChange.objects.filter(object_type="PreventionSchedule").order_by("pk"))
    assert [h.action for h in history] == ["create", "update"]
    assert history[1].changes["fields"] == {"responsible_phone": ["+7 4212 00-00-01", "+7 4212 00-00-02"]}
    with pytest.raises(PermissionDenied):
        prevention_schedule_set(
            user=region.smo1_l2,
            mo=region.mo1,
            year=YEAR,
            working_hours="x",
            responsible_name="x",
            responsible_phone="1",
        )


def test_compliance_counts_mos_that_have_not_posted(region):
    prevention_schedule_set(
        user=region.mo1_user,
        mo=region.mo1,
        year=YEAR,
        working_hours="8–20",
        responsible_name="А",
        responsible_phone="1",
    )
    data = mo_plan_compliance_rows(user=region.fund_user, year=YEAR)
    by_code = {row["mo"].code: row for row in data["rows"]}
    assert by_code["270001"]["has_schedule"] and not by_code["270002"]["has_schedule"]
    assert data["missing"] == {"district_plan": 2, "schedule": 1, "routing": 2}
    assert data["due"] == last_working_day_of_year(YEAR - 1)
    with pytest.raises(PermissionDenied):
        mo_plan_compliance_rows(user=region.mo1_user, year=YEAR)
