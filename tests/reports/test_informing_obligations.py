"""O9, O15, O16 and O19 as of the run's day, counted from each owed person's own informing fact: overdue, then informed
one working day late -> met late by 1; on time -> met; "as of" a past day reads only the facts posted by then; on the
2026 and 2027 production calendars [domain §3, R II.11, II.18, R I.7.2 b]."""

from __future__ import annotations

import datetime

import pytest

from informing.models import Kind
from informing.obligations import invitation_due, month_end_due
from omsportal.obligations import MONTH, QUARTER, Period
from omsportal.regional import regional_rules
from omsportal.workdays import add_working_days, is_working_day, working_days_between
from reports.engine import evaluate, run, states_as_of
from reports.models import NonCompliance, State
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, entry, record_fact

pytestmark = pytest.mark.django_db

D = datetime.date


def result(code, smo, key, as_of):
    (found,) = [r for r in evaluate(as_of, codes=[code]) if r.organization_id == smo.pk and r.key[2] == key]
    return found.state, found.late_days, found.met_on


def next_wd(day):
    return add_working_days(day, 1)


# --- the deadlines the cases below stand on (the working-days module) ------------------------------------------------


def test_the_deadlines_of_the_cases_on_the_2026_and_2027_calendars():
    rules = regional_rules()
    # O19 of May 2026: 31 May is a Sunday -> Monday 1 June; one working day late is 2 June.
    assert month_end_due(Period(MONTH, 2026, 5), rules) == D(2026, 6, 1)
    # O19 of April 2027: 30 April 2027 a Friday; 1 May (Saturday) a holiday, Monday 3 May its transferred day off.
    assert month_end_due(Period(MONTH, 2027, 4), rules) == D(2027, 4, 30)
    assert not is_working_day(D(2027, 5, 3)) and next_wd(D(2027, 4, 30)) == D(2027, 5, 4)
    # O9 of Q1 2027: the lists' deadline is 30 December 2026 (31 December a transferred day off), then the New-Year
    # holidays up to 10 January: the 10th working day is 22 January 2027.
    assert not is_working_day(D(2026, 12, 31))
    assert invitation_due(Period(QUARTER, 2027, 1), rules) == add_working_days(D(2026, 12, 30), 10) == D(2027, 1, 22)


# --- O19, R I.7.2 b: turning 18 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("born", "key", "due"), [(D(2008, 5, 31), "2026-05", D(2026, 6, 1)),
                                                  (D(2009, 4, 30), "2027-04", D(2027, 4, 30))])  # fmt: skip
def test_o19_overdue_then_informed_one_working_day_late_is_met_late_by_one(region, born, key, due):
    person = insured_person(smo=region.smo1, mo=region.mo1, birth_date=born)
    late = next_wd(due)
    assert result("O19", region.smo1, key, due) == (State.NOT_DUE, None, None)
    run(late)
    assert states_as_of(late).get(code="O19", organization=region.smo1, period_key=key).state == State.OVERDUE
    assert NonCompliance.objects.filter(code="O19", organization=region.smo1, period_key=key).exists()
    record_fact(region.smo1, person, kind=Kind.AGE18, date=late)
    run(late)
    row = states_as_of(late).get(code="O19", organization=region.smo1, period_key=key)
    assert (row.state, row.late_days, row.met_on) == (State.MET_LATE, 1, late)
    # As of the due day (the fact was posted the day after): not due yet, not met on time.
    assert result("O19", region.smo1, key, due) == (State.NOT_DUE, None, None)


def test_o19_informed_on_the_deadline_is_met_on_time_and_a_later_fact_does_not_meet_a_past_day(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, birth_date=D(2008, 5, 10))
    other = insured_person(smo=region.smo1, mo=region.mo1, birth_date=D(2008, 5, 20))
    record_fact(region.smo1, person, kind=Kind.AGE18, date=D(2026, 5, 12))
    record_fact(region.smo1, other, kind=Kind.AGE18, date=D(2026, 6, 1))  # the deadline itself (31 May a Sunday)
    assert result("O19", region.smo1, "2026-05", D(2026, 6, 3)) == (State.MET, None, D(2026, 6, 1))
    # As of 1 June before the other was informed? The fact was posted on 1 June: met that day too.
    assert result("O19", region.smo1, "2026-05", D(2026, 6, 1))[0] == State.MET
    # An SMO that owes nobody that month: met, not overdue; the other SMO owes nothing.
    assert result("O19", region.smo2, "2026-05", D(2026, 6, 3))[0] == State.MET


def test_o19_judged_as_of_a_past_day_reads_only_facts_posted_by_then(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, birth_date=D(2008, 5, 10))
    record_fact(region.smo1, person, kind=Kind.AGE18, date=D(2026, 6, 5))  # 4 working days late
    assert result("O19", region.smo1, "2026-05", D(2026, 6, 4)) == (State.OVERDUE, 3, None)
    assert result("O19", region.smo1, "2026-05", D(2026, 6, 5)) == (State.MET_LATE, 4, D(2026, 6, 5))


# --- O15, R II.18: the repeat invitation ---------------------------------------------------------------------------


def _invited(region, first):
    upload = accepted_upload(region.mo1, region.mo1_user, year=first.year, accepted=D(first.year - 1, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=first.month)
    record_fact(region.smo1, region.p1, date=first)


@pytest.mark.parametrize(("first", "key", "due"), [(D(2026, 3, 31), "2026-06", D(2026, 6, 30)),
                                                   (D(2027, 1, 31), "2027-04", D(2027, 4, 30))])  # fmt: skip
def test_o15_repeat_one_working_day_late_is_met_late_by_one(region, first, key, due):
    _invited(region, first)  # 31 March + 3 months = 30 June; 31 January + 3 months = 30 April
    assert month_end_due(Period(MONTH, due.year, due.month), regional_rules()) == due
    late = next_wd(due)
    run(late)
    assert states_as_of(late).get(code="O15", organization=region.smo1, period_key=key).state == State.OVERDUE
    record_fact(region.smo1, region.p1, kind=Kind.REPEAT, date=late, ref="repeat")
    run(late)
    row = states_as_of(late).get(code="O15", organization=region.smo1, period_key=key)
    assert (row.state, row.late_days) == (State.MET_LATE, 1)
    record = NonCompliance.objects.get(code="O15", organization=region.smo1, period_key=key)
    assert (record.met_on, record.late_days) == (late, 1)  # the record is kept and says when it was met


def test_o15_repeat_on_time_is_met_and_not_before_the_month_is_over(region):
    _invited(region, D(2026, 3, 31))
    record_fact(region.smo1, region.p1, kind=Kind.REPEAT, date=D(2026, 6, 10), ref="repeat")
    assert result("O15", region.smo1, "2026-06", D(2026, 6, 15))[0] == State.NOT_DUE  # the month is not over
    assert result("O15", region.smo1, "2026-06", D(2026, 7, 3)) == (State.MET, None, D(2026, 6, 10))


def test_o15_a_repeat_after_the_persons_own_deadline_is_late_though_before_the_months_end(region):
    _invited(region, D(2026, 3, 10))  # the repeat is due by 10 June 2026 (a Wednesday)
    record_fact(region.smo1, region.p1, kind=Kind.REPEAT, date=D(2026, 6, 11), ref="repeat")
    assert result("O15", region.smo1, "2026-06", D(2026, 7, 1)) == (State.MET_LATE, 1, D(2026, 6, 11))


# --- O16, R II.18: the stage-2 notice ------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "key", "due"), [(D(2026, 3, 31), "2026-06", D(2026, 6, 30)),
                                                  (D(2027, 1, 30), "2027-04", D(2027, 4, 30))])  # fmt: skip
def test_o16_stage2_notice_late_on_time_and_as_of(region, sent, key, due):
    upload = accepted_upload(region.mo1, region.mo1_user, year=sent.year, accepted=D(sent.year - 1, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=sent.month, state="STAGE2_SENT", state_date=sent)
    late = next_wd(due)
    assert result("O16", region.smo1, key, late) == (State.OVERDUE, 1, None)
    record_fact(region.smo1, region.p1, kind=Kind.STAGE2, date=late)
    assert result("O16", region.smo1, key, late) == (State.MET_LATE, 1, late)
    assert result("O16", region.smo1, key, due) == (State.NOT_DUE, None, None)  # as of the due day


def test_o16_stage2_notice_on_the_deadline_is_met(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=3, state="STAGE2_SENT", state_date=D(2026, 3, 31))
    record_fact(region.smo1, region.p1, kind=Kind.STAGE2, date=D(2026, 6, 30))
    assert result("O16", region.smo1, "2026-06", D(2026, 7, 1)) == (State.MET, None, D(2026, 6, 30))


# --- O9, R II.11: the invitation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("accepted", "year"), [(D(2025, 12, 31), 2026), (D(2026, 12, 30), 2027)])
def test_o9_invitation_late_by_one_working_day_on_time_and_as_of(region, accepted, year):
    upload = accepted_upload(region.mo1, region.mo1_user, year=year, accepted=accepted)
    entry(upload, region.p1, smo=region.smo1, month=2)
    key = f"{year}-Q1"
    due = invitation_due(Period(QUARTER, year, 1), regional_rules())
    assert due == add_working_days(accepted, 10)  # the person's own deadline is the quarter's
    late = next_wd(due)
    run(late)
    assert states_as_of(late).get(code="O9", organization=region.smo1, period_key=key).state == State.OVERDUE
    record_fact(region.smo1, region.p1, date=late)
    run(late)
    row = states_as_of(late).get(code="O9", organization=region.smo1, period_key=key)
    assert (row.state, row.late_days, row.met_on) == (State.MET_LATE, 1, late)
    assert working_days_between(due, late) == 1
    assert result("O9", region.smo1, key, due) == (State.NOT_DUE, None, None)  # as of the due day


def test_o9_invitation_on_the_deadline_is_met(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2027, accepted=D(2026, 12, 30))
    entry(upload, region.p1, smo=region.smo1, month=2)
    record_fact(region.smo1, region.p1, date=D(2027, 1, 22))
    assert result("O9", region.smo1, "2027-Q1", D(2027, 1, 25)) == (State.MET, None, D(2027, 1, 22))
