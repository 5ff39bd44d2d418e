"""Each obligation of O1–O8 and O13 at its deadline boundaries on the 2026 and the 2027 production calendars; O18 is
"no data" on both [domain §3, "Counting a deadline"].

For every case: the deadline day itself with the evidence dated on it (met on time), the next working day with the
evidence dated on it (met late by one working day), and the deadline without evidence (not due yet on the day,
overdue by one working day the next). Where the deadline is a calendar date that falls on a day off, or is moved by
a transferred day off, the expected date is the moved one.

The expected dates are worked out by hand from the rules of domain §3 and the production calendars of the
``holidays`` package (the project adds no corrections of its own for 2026–2028):

- 2026: 1–11 January off (9 January transferred from Saturday 3 January), 23 February, 9 March (8 March a Sunday),
  1 and 11 May (9 May a Saturday), 12 June, 4 November, 31 December (transferred from Sunday 4 January); no working
  Saturday.
- 2027: 1–10 January off, 22 February (transferred from Saturday 20 February, which is worked), 23 February,
  8 March, 3 and 10 May, 14 June, 4 and 5 November (5 November transferred from Saturday 2 January), 31 December
  (transferred from Sunday 3 January).
- 2028 (only for the day after 30 December 2027): 1–8 January holidays, the 9th a Sunday: 10 January.
"""

from __future__ import annotations

import datetime

import pytest

from omsportal.models import RegionalParameters
from reports.engine import evaluate, period_key
from reports.models import Filing, State
from screening.models import EventBatch, ListEntry, ListKind, ListUpload, PlanChange, StageEvent, YearPlan
from tests.reports.helpers import at, upload_on

D = datetime.date


# --- the evidence of each obligation, dated on a chosen day -----------------------------------------------------


def _year(key: str) -> int:
    return int(key[:4])


def _plan_approved(region, key, day):
    plan, _ = YearPlan.objects.get_or_create(year=_year(key))
    row = PlanChange.objects.create(user=region.ministry_user, object_type="YearPlan", object_id=plan.pk,
                                    action="approve")  # fmt: skip
    PlanChange.objects.filter(pk=row.pk).update(at=at(day))


def _yearly_list(region, key, day):
    upload_on(region, day, year=_year(key), kind=ListKind.YEARLY)


def _upload_of_the_key_day(region, key):
    """The upload whose day is the period (its protocol's time is set by the caller)."""
    return upload_on(region, D.fromisoformat(key), year=_year(key))


def _protocol_issued(region, key, day):
    row = _upload_of_the_key_day(region, key)
    ListUpload.objects.filter(pk=row.pk).update(protocol_issued_at=at(day, 15))


def _rejecting_protocol(region, key):
    upload_on(region, D.fromisoformat(key), year=_year(key), rejected=2)


def _corrected(region, key, day):
    upload_on(region, day, year=_year(key))


def _quarter_update(region, key, day):
    upload_on(region, day, year=_year(key), kind=ListKind.UPDATE)


def _persons_on_lists(region, key):
    upload = upload_on(region, D(_year(key), 1, 5), year=_year(key))
    ListEntry.objects.create(upload=upload, mo=region.mo1, year=_year(key), measure="DVN", month=1,
                             person=region.p1, smo=region.smo1, smo_code=region.smo1.code, n_zap=1)  # fmt: skip


def _events_of_the_day(region, key, day):
    """A batch posted on ``day`` with a stage event of the period's day."""
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status="DONE", source="API")
    EventBatch.objects.filter(pk=batch.pk).update(created_at=at(day))
    StageEvent.objects.create(batch=batch, mo=region.mo1, person=region.p1, measure="DVN", event="START1",
                              date=D.fromisoformat(key))  # fmt: skip


def _filing(code, org_name):
    def make(region, key, day):
        Filing.objects.create(code=code, organization=getattr(region, org_name), period_key=key, filed_at=at(day))

    return make


# code -> (the organization that owes it, what must exist for the period to be owed, the evidence on a day)
OBLIGATIONS = {
    "O1": ("ministry", None, _plan_approved),
    "O2": ("mo1", None, _yearly_list),
    "O3": ("mo1", None, _protocol_issued),
    "O4": ("mo1", _rejecting_protocol, _corrected),
    "O5": ("smo1", None, _filing("O5", "smo1")),
    "O6": ("fund", None, _filing("O6", "fund")),
    "O7": ("mo1", None, _quarter_update),
    "O8": ("mo1", _persons_on_lists, _events_of_the_day),
    "O13": ("smo1", None, _filing("O13", "smo1")),
}

# 22 February: a transferred day off in 2027; in 2026 a Sunday before the 23 February holiday
PLAN_FEB22 = {"year_plan_due_month": 2, "year_plan_due_day": 22}
O5_FEB22 = {"missing_lists_report_due_month": 2, "missing_lists_report_due_day": 22}

# (code, period key, regional parameters, the deadline, the next working day after it)
CASES = [
    # O1, R II.1: 15 January of the plan year, a calendar date.
    ("O1", "2026", {}, D(2026, 1, 15), D(2026, 1, 16)),  # a Thursday
    ("O1", "2027", {}, D(2027, 1, 15), D(2027, 1, 18)),  # a Friday: late by one is the Monday
    # ... set to 22 February: moves past the transferred day off and the holiday to Wednesday 24th (both years)
    ("O1", "2027", PLAN_FEB22, D(2027, 2, 24), D(2027, 2, 25)),
    ("O1", "2026", PLAN_FEB22, D(2026, 2, 24), D(2026, 2, 25)),
    # ... set to 9 January: the day off transferred from 3 January 2026 moves it to Monday 12th
    ("O1", "2026", {"year_plan_due_day": 9}, D(2026, 1, 12), D(2026, 1, 13)),
    # ... set to 20 February: a working Saturday in 2027, the deadline stays, the day after is Wednesday 24th
    ("O1", "2027", {"year_plan_due_month": 2, "year_plan_due_day": 20}, D(2027, 2, 20), D(2027, 2, 24)),
    # O2, R II.2: the last working day of the year before; 31 December is a transferred day off in 2026 and 2027.
    ("O2", "2027", {}, D(2026, 12, 30), D(2027, 1, 11)),
    ("O2", "2028", {}, D(2027, 12, 30), D(2028, 1, 10)),
    # O3, R II.5: the protocol on the upload's day.
    ("O3", "2026-12-30", {}, D(2026, 12, 30), D(2027, 1, 11)),  # over the New Year holidays
    ("O3", "2026-05-08", {}, D(2026, 5, 8), D(2026, 5, 12)),  # 11 May 2026 a day off (9 May a Saturday)
    ("O3", "2027-02-19", {}, D(2027, 2, 19), D(2027, 2, 20)),  # the next working day is a Saturday
    ("O3", "2027-11-03", {}, D(2027, 11, 3), D(2027, 11, 8)),  # 4 November and the transferred 5th
    # O4, R II.6: 5 working days after the protocol's day.
    ("O4", "2026-05-08", {}, D(2026, 5, 18), D(2026, 5, 19)),  # 11 May off: 12, 13, 14, 15, 18
    ("O4", "2026-12-25", {}, D(2027, 1, 12), D(2027, 1, 13)),  # 28, 29, 30 Dec; 31 Dec–10 Jan off; 11, 12 Jan
    ("O4", "2027-02-19", {}, D(2027, 3, 1), D(2027, 3, 2)),  # Sat 20 works, 22 and 23 off: 20, 24, 25, 26, 1 Mar
    ("O4", "2027-11-01", {}, D(2027, 11, 10), D(2027, 11, 11)),  # 2, 3; 4 and the transferred 5th off; 8, 9, 10
    # O5, R II.7: 15 January, a calendar date (the same parameters as O1's, of their own).
    ("O5", "2026", {}, D(2026, 1, 15), D(2026, 1, 16)),
    ("O5", "2027", {}, D(2027, 1, 15), D(2027, 1, 18)),
    ("O5", "2026", {"missing_lists_report_due_day": 9}, D(2026, 1, 12), D(2026, 1, 13)),
    ("O5", "2027", O5_FEB22, D(2027, 2, 24), D(2027, 2, 25)),
    # O6, R II.8: 10 working days (the default) after the SMOs' O5 deadline.
    ("O6", "2026", {}, D(2026, 1, 29), D(2026, 1, 30)),
    ("O6", "2027", {}, D(2027, 1, 29), D(2027, 2, 1)),
    # ... after an O5 deadline moved to 24 February: 8 March 2027 and 9 March 2026 are days off, so the 11th
    ("O6", "2026", O5_FEB22, D(2026, 3, 11), D(2026, 3, 12)),
    ("O6", "2027", O5_FEB22, D(2027, 3, 11), D(2027, 3, 12)),
    # O7, R II.9: the 1st of the quarter's first month, a calendar date: 1 January moves past the holidays.
    ("O7", "2026-Q1", {}, D(2026, 1, 12), D(2026, 1, 13)),
    ("O7", "2027-Q1", {}, D(2027, 1, 11), D(2027, 1, 12)),
    ("O7", "2026-Q2", {}, D(2026, 4, 1), D(2026, 4, 2)),  # a Wednesday: stays
    ("O7", "2027-Q4", {}, D(2027, 10, 1), D(2027, 10, 4)),  # a Friday: late by one is the Monday
    # O8, R II.9: the events of each working day, on that day.
    ("O8", "2026-05-08", {}, D(2026, 5, 8), D(2026, 5, 12)),
    ("O8", "2027-02-19", {}, D(2027, 2, 19), D(2027, 2, 20)),
    ("O8", "2027-02-20", {}, D(2027, 2, 20), D(2027, 2, 24)),  # the working Saturday is a day of its own
    # O13, R II.14: the 25th of the second month after the reporting month, a calendar date.
    ("O13", "2026-01", {}, D(2026, 3, 25), D(2026, 3, 26)),
    ("O13", "2026-02", {}, D(2026, 4, 27), D(2026, 4, 28)),  # 25 April 2026 a Saturday
    ("O13", "2027-07", {}, D(2027, 9, 27), D(2027, 9, 28)),  # 25 September 2027 a Saturday
    ("O13", "2027-01", {}, D(2027, 3, 25), D(2027, 3, 26)),
    ("O13", "2025-11", {"accounting_day": 9}, D(2026, 1, 12), D(2026, 1, 13)),  # 9 Jan 2026, transferred from 3 Jan
    ("O13", "2026-12", {"accounting_day": 22}, D(2027, 2, 24), D(2027, 2, 25)),  # 22 Feb 2027, transferred
    ("O13", "2026-10", {"accounting_day": 31}, D(2027, 1, 11), D(2027, 1, 12)),  # 31 Dec 2026, transferred from 4 Jan
]
IDS = [f"{code}-{key}-{'-'.join(str(v) for v in params.values()) or 'default'}" for code, key, params, *_ in CASES]


def judged(code, organization, key, as_of):
    """The engine's state of ``code`` for one organization and period as of ``as_of``."""
    found = [
        result
        for result in evaluate(as_of, codes=[code])
        if result.organization_id == organization.pk and period_key(result.period) == key
    ]
    assert len(found) == 1, f"{code} {key} of {organization} is not judged as of {as_of}"
    return found[0]


def prepare(region, code, key, params):
    if params:
        RegionalParameters.objects.update_or_create(pk=1, defaults=params)
    owner, setup, evidence = OBLIGATIONS[code]
    if setup:
        setup(region, key)
    return getattr(region, owner), evidence


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "key", "params", "due", "next_day"), CASES, ids=IDS)
def test_evidence_on_the_deadline_itself_is_met_on_time(region, code, key, params, due, next_day):
    organization, evidence = prepare(region, code, key, params)
    evidence(region, key, due)
    result = judged(code, organization, key, due)
    assert (result.due_on, result.state, result.met_on, result.late_days) == (due, State.MET, due, None)


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "key", "params", "due", "next_day"), CASES, ids=IDS)
def test_evidence_one_working_day_after_is_met_late_by_one(region, code, key, params, due, next_day):
    organization, evidence = prepare(region, code, key, params)
    evidence(region, key, next_day)
    result = judged(code, organization, key, next_day)
    assert (result.due_on, result.state, result.met_on, result.late_days) == (due, State.MET_LATE, next_day, 1)


# O3's period exists only once the protocol is issued (the protocol's day is when the Fund judges it).
WITHOUT_EVIDENCE = [(case, name) for case, name in zip(CASES, IDS, strict=True) if case[0] != "O3"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "key", "params", "due", "next_day"), [c for c, _ in WITHOUT_EVIDENCE], ids=[n for _, n in WITHOUT_EVIDENCE]
)
def test_without_evidence_not_due_on_the_deadline_and_overdue_by_one_the_next_working_day(
    region, code, key, params, due, next_day
):
    organization, _evidence = prepare(region, code, key, params)
    on_the_day = judged(code, organization, key, due)
    assert (on_the_day.due_on, on_the_day.state) == (due, State.NOT_DUE)
    after = judged(code, organization, key, next_day)
    assert (after.state, after.late_days) == (State.OVERDUE, 1)


@pytest.mark.django_db
def test_a_first_quarter_update_made_before_the_new_year_is_on_time(region):
    """The Q1 update is due on the first working day of January; one uploaded in the last days of December, for the
    new year, is early, not missing (the window opens with the quarter before, as it does for Q2–Q4)."""
    upload_on(region, D(2026, 12, 30), year=2027, kind=ListKind.UPDATE)
    result = judged("O7", region.mo1, "2027-Q1", D(2027, 1, 12))
    assert (result.state, result.met_on) == (State.MET, D(2026, 12, 30))
    # An update of the year before does not count for the new year's quarter.
    upload_on(region, D(2026, 12, 29), mo=region.mo2, year=2026, kind=ListKind.UPDATE)
    assert judged("O7", region.mo2, "2027-Q1", D(2027, 1, 12)).state == State.OVERDUE


@pytest.mark.django_db
def test_a_later_batch_without_the_days_events_does_not_meet_it(region):
    """O8: a batch posted later meets an earlier day only when it carries that day's events."""
    _persons_on_lists(region, "2027-02-19")
    _events_of_the_day(region, "2027-02-20", D(2027, 2, 20))  # Saturday's own events
    result = judged("O8", region.mo1, "2027-02-19", D(2027, 2, 24))
    assert (result.state, result.late_days) == (State.OVERDUE, 2)
    assert judged("O8", region.mo1, "2027-02-20", D(2027, 2, 24)).state == State.MET


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "due"), [("2026-12", D(2026, 12, 30)), ("2027-12", D(2027, 12, 30))])
def test_o18_shows_no_data_on_both_calendars(region, key, due):
    """O18 needs the invoice registers' DN visits: "no data" at its due day and after, never met or overdue."""
    for as_of in (due, D(int(key[:4]) + 1, 1, 20)):
        result = judged("O18", region.smo1, key, as_of)
        assert (result.due_on, result.state, result.late_days) == (due, State.NO_DATA, None)


@pytest.mark.django_db
def test_a_december_day_posted_in_january_is_met_late_across_the_new_year(region):
    """The last working day of 2026 (30 December) whose events come in a batch of 11 January 2027, the first working
    day after the holidays: judged in the new year too, met late by one working day (it stayed overdue for ever
    when the days of the year before were no longer judged after 1 January)."""
    _persons_on_lists(region, "2026-12-30")
    _events_of_the_day(region, "2026-12-30", D(2027, 1, 11))
    result = judged("O8", region.mo1, "2026-12-30", D(2027, 1, 11))
    assert (result.state, result.met_on, result.late_days) == (State.MET_LATE, D(2027, 1, 11), 1)
