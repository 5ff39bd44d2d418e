"""The SMO's and the Fund's obligations (O10, O11, O12, O14, O17) and O20 at their deadline boundaries on the 2026 and
2027 production calendars: the deadline day itself met on time, one working day later met late by 1, a deadline on a
transferred day off (9 January 2026, 31 December 2025 and 2026) [domain §3, "Counting a deadline"]."""

from __future__ import annotations

import datetime

import pytest

from informing.models import ChannelReport, ControlRun, InformingFact, Kind, Outcome
from omsportal.models import RegionalParameters
from omsportal.obligations import obligation
from omsportal.workdays import add_working_days, is_working_day
from reports.engine import evaluate, period_from_key
from reports.models import Filing, State
from screening.models import PlanChange
from surveys.models import ReportState, SurveyReport
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

D = datetime.date


def judged(code, organization, key, as_of):
    (found,) = [
        r for r in evaluate(as_of, codes=[code]) if r.organization_id == organization.pk and r.key[2] == key
    ]
    return found.state, found.late_days


def due(code, kind, key):
    return obligation(code).due_on(period_from_key(kind, key))


def test_the_transferred_days_off_the_cases_stand_on():
    assert not is_working_day(D(2026, 1, 9)) and not is_working_day(D(2026, 12, 31))
    assert not is_working_day(D(2025, 12, 31)) and is_working_day(D(2027, 2, 20))  # a working Saturday


# --- O11, R II.13: the Fund's monthly control --------------------------------------------------------------------


@pytest.mark.parametrize(("key", "deadline"), [("2026-12", D(2027, 1, 11)), ("2026-01", D(2026, 2, 2)),
                                               ("2027-10", D(2027, 11, 1))])  # fmt: skip
@pytest.mark.parametrize("late", [0, 1])
def test_o11_control_on_the_deadline_or_one_working_day_later(region, key, deadline, late):
    # December 2026 ends on a transferred day off, then the New-Year holidays: 11 January 2027.
    assert due("O11", "month", key) == deadline
    year, month = map(int, key.split("-"))
    day = add_working_days(deadline, late)
    row = ControlRun.objects.create(year=year, month=month, run_by=region.fund_user)
    ControlRun.objects.filter(pk=row.pk).update(run_at=at(day))
    assert judged("O11", region.fund, key, day) == ((State.MET, None) if not late else (State.MET_LATE, 1))
    assert judged("O11", region.fund, key, deadline)[0] == (State.MET if not late else State.NOT_DUE)


# --- O12, R II.10: the quarterly channel report by the 30th of the month after -----------------------------------


@pytest.mark.parametrize(("day_param", "key", "deadline"), [
    (30, "2026-Q4", D(2027, 2, 1)),  # 30 January 2027 a Saturday
    (9, "2025-Q4", D(2026, 1, 12)),  # 9 January 2026 a transferred day off
    (8, "2026-Q4", D(2027, 1, 11)),  # 8 January 2027 a holiday, 9-10 the weekend
    (30, "2027-Q1", D(2027, 4, 30)),
])  # fmt: skip
@pytest.mark.parametrize("late", [0, 1])
def test_o12_channel_report_on_the_deadline_or_one_working_day_later(region, day_param, key, deadline, late):
    RegionalParameters.objects.update_or_create(pk=1, defaults={"channel_report_day": day_param})
    assert due("O12", "quarter", key) == deadline
    year, quarter = key.split("-Q")
    day = add_working_days(deadline, late)
    row = ChannelReport.objects.create(smo=region.smo1, year=int(year), quarter=int(quarter), filed_by=region.smo1_l2)
    ChannelReport.objects.filter(pk=row.pk).update(filed_at=at(day))
    assert judged("O12", region.smo1, key, day) == ((State.MET, None) if not late else (State.MET_LATE, 1))
    assert judged("O12", region.smo2, key, day) == ((State.OVERDUE, 1) if late else (State.NOT_DUE, None))


# --- O14, R II.14: the quarter's survey quotas by its end ----------------------------------------------------------


@pytest.mark.parametrize(("key", "deadline"), [("2026-Q4", D(2027, 1, 11)), ("2026-Q1", D(2026, 3, 31)),
                                               ("2027-Q2", D(2027, 6, 30))])  # fmt: skip
@pytest.mark.parametrize("late", [0, 1])
def test_o14_survey_report_on_the_deadline_or_one_working_day_later(region, key, deadline, late):
    # The fourth quarter of 2026 ends on 31 December, a transferred day off: the next working day is 11 January.
    assert due("O14", "quarter", key) == deadline
    year, quarter = key.split("-Q")
    day = add_working_days(deadline, late)
    SurveyReport.objects.create(smo=region.smo1, year=int(year), quarter=int(quarter), state=ReportState.FILED,
                                quotas_met=True, filed_at=at(day))  # fmt: skip
    assert judged("O14", region.smo1, key, day) == ((State.MET, None) if not late else (State.MET_LATE, 1))


# --- O17, R II.19–20: the analytic register by the last working day of the month after ------------------------------


@pytest.mark.parametrize(("key", "deadline"), [("2026-11", D(2026, 12, 30)), ("2027-04", D(2027, 5, 31)),
                                               ("2027-01", D(2027, 2, 26))])  # fmt: skip
@pytest.mark.parametrize("late", [0, 1])
def test_o17_analytic_register_on_the_deadline_or_one_working_day_later(region, key, deadline, late):
    # "The last working day of December 2026" is the 30th (the 31st a transferred day off); it never moves.
    assert due("O17", "month", key) == deadline
    day = add_working_days(deadline, late)
    Filing.objects.create(code="O17", organization=region.smo1, period_key=key, filed_at=at(day))
    assert judged("O17", region.smo1, key, day) == ((State.MET, None) if not late else (State.MET_LATE, 1))


# --- O10, R II.12: the month's facts each posted by the working day after their date --------------------------------


def _fact(region, day, posted, n=1):
    InformingFact.objects.create(person=region.p1, smo=region.smo1, mo=region.mo1, kind=Kind.INVITE, channel="SMS",
                                 date=day, outcome=Outcome.DELIVERED, posted_at=at(posted), reference=f"r{n}",
                                 is_late=posted > add_working_days(day, 1))  # fmt: skip


def test_o10_the_months_facts_posted_by_the_deadline_are_met_on_time(region):
    # December 2026: a fact of the 31st (a transferred day off) is due on 11 January 2027, the month's due date too.
    assert due("O10", "month", "2026-12") == D(2027, 1, 11)
    _fact(region, D(2026, 12, 30), D(2026, 12, 30))
    _fact(region, D(2026, 12, 31), D(2027, 1, 11), n=2)
    assert judged("O10", region.smo1, "2026-12", D(2027, 1, 11)) == (State.MET, None)
    assert judged("O10", region.smo1, "2026-12", D(2027, 1, 10)) == (State.NOT_DUE, None)


@pytest.mark.parametrize(("day", "posted", "as_of"), [
    (D(2026, 12, 31), D(2027, 1, 12), D(2027, 1, 12)),  # the month's last fact a working day late
    (D(2027, 2, 19), D(2027, 2, 24), D(2027, 3, 3)),  # due on Saturday 20 February (a working day): 24th is 1 late
])  # fmt: skip
def test_o10_a_fact_posted_one_working_day_after_its_own_deadline_is_met_late_by_one(region, day, posted, as_of):
    _fact(region, day, posted)
    key = f"{day.year}-{day.month:02d}"
    assert judged("O10", region.smo1, key, as_of) == (State.MET_LATE, 1)


def test_o10_as_of_a_day_reads_only_the_facts_posted_by_then(region):
    _fact(region, D(2026, 11, 2), D(2026, 11, 2))
    _fact(region, D(2026, 11, 30), D(2026, 12, 3), n=2)  # due 1 December: late by 2
    assert judged("O10", region.smo1, "2026-11", D(2026, 12, 1)) == (State.MET, None)
    assert judged("O10", region.smo1, "2026-11", D(2026, 12, 3)) == (State.MET_LATE, 2)


# --- O20, R II.24: the MO's schedule before the year ---------------------------------------------------------------


@pytest.mark.parametrize(("year", "deadline"), [(2027, D(2026, 12, 30)), (2026, D(2025, 12, 30))])
@pytest.mark.parametrize("late", [0, 1])
def test_o20_schedule_on_the_deadline_or_one_working_day_later(region, year, deadline, late):
    # The last working day of 2025 and of 2026 is the 30th: the 31st is a transferred day off both years.
    assert due("O20", "year", str(year)) == deadline
    day = add_working_days(deadline, late)
    row = PlanChange.objects.create(user=region.mo1_user, mo=region.mo1, object_type="PreventionSchedule",
                                    action="create", changes={"year": year})  # fmt: skip
    PlanChange.objects.filter(pk=row.pk).update(at=at(day))
    assert judged("O20", region.mo1, str(year), day) == ((State.MET, None) if not late else (State.MET_LATE, 1))
