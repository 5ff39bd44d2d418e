"""The obligations engine on the 2026 and 2027 production calendars: deadlines at their boundaries (a transferred
day off, met late by one working day), an idempotent rerun, states "as of" a past day, the command's output, the
run as a job of the kit (by hand, nightly, after an upload) [domain §3]."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import call_command

from omsportal.models import RegionalParameters
from omsportal.obligations import MONTH, Period, obligation
from omsportal.regional import regional_rules
from reports.catalogue import DOMAIN_OBLIGATIONS
from reports.engine import evaluate, run, states_as_of
from reports.models import Filing, NonCompliance, ObligationRun, ObligationState, State
from reports.services.runs import start_run
from reports.tasks import nightly_task
from screening.models import ListKind
from tests.reports.helpers import at, upload_on

D = datetime.date


def state(code, org, key, day):
    return states_as_of(day).get(code=code, organization=org, period_key=key)


# --- deadlines given as calendar dates move off days off; working-day deadlines never move ------------------------


@pytest.mark.django_db
def test_calendar_date_deadlines_move_to_the_next_working_day():
    rules = regional_rules()
    # O7: "not later than the 1st of the quarter's month": 1 January is a holiday in both years.
    assert obligation("O7").due_on(Period.of_quarter(2026, 1)) == D(2026, 1, 12)
    assert obligation("O7").due_on(Period.of_quarter(2027, 1)) == D(2027, 1, 11)
    assert obligation("O7").due_on(Period.of_quarter(2026, 2)) == D(2026, 4, 1)  # a Wednesday: stays
    # O1 / O5: 15 January (a Thursday in 2026, a Friday in 2027; a Saturday in 2028 -> Monday 17th).
    assert obligation("O1").due_on(Period.of_year(2027)) == D(2027, 1, 15)
    assert obligation("O5").due_on(Period.of_year(2028)) == D(2028, 1, 17)
    # O13: the 25th of the second month after: 25 April 2026 is a Saturday -> Monday 27 April.
    assert obligation("O13").due_on(Period(MONTH, 2026, 2), rules) == D(2026, 4, 27)
    # O2: the last working day of the year before (31 December 2026 is a transferred day off): never moves.
    assert obligation("O2").due_on(Period.of_year(2027)) == D(2026, 12, 30)


@pytest.mark.django_db
def test_the_lists_and_the_schedule_deadlines_follow_their_parameters():
    # Working days before the last working day of the year before (30 December 2026, a Wednesday; 2027: Thursday 30th).
    RegionalParameters.objects.update_or_create(
        pk=1, defaults={"lists_due_working_days_before": 2, "schedule_due_working_days_before": 1}
    )
    assert obligation("O2").due_on(Period.of_year(2027)) == D(2026, 12, 28)
    assert obligation("O20").due_on(Period.of_year(2027)) == D(2026, 12, 29)
    assert obligation("O20").due_on(Period.of_year(2028)) == D(2027, 12, 29)


@pytest.mark.django_db
def test_a_calendar_deadline_on_a_transferred_day_off_moves_past_it():
    # 22 February 2027 is the day off transferred from Saturday 20 February; 23 February a holiday.
    RegionalParameters.objects.update_or_create(pk=1, defaults={"accounting_day": 22})
    assert obligation("O13").due_on(Period(MONTH, 2026, 12)) == D(2027, 2, 24)
    # 31 December 2026, the day off transferred from 4 January: the 31st of December moves into 2027.
    RegionalParameters.objects.update_or_create(pk=1, defaults={"accounting_day": 31})
    assert obligation("O13").due_on(Period(MONTH, 2026, 10)) == D(2027, 1, 11)


@pytest.mark.django_db
def test_corrections_across_the_new_year_holidays_met_late_by_one_working_day(region):
    # Protocol on Monday 28.12.2026 with rejected records; 5 working days: 29, 30 Dec, 11, 12, 13 Jan 2027.
    upload_on(region, D(2026, 12, 28), year=2027, rejected=3)
    assert obligation("O4").due_on(Period.protocol(D(2026, 12, 28))) == D(2027, 1, 13)
    run(D(2027, 1, 13))
    assert state("O4", region.mo1, "2026-12-28", D(2027, 1, 13)).state == State.NOT_DUE
    run(D(2027, 1, 14))
    overdue = state("O4", region.mo1, "2026-12-28", D(2027, 1, 14))
    assert (overdue.state, overdue.late_days) == (State.OVERDUE, 1)
    record = NonCompliance.objects.get(code="O4", organization=region.mo1, period_key="2026-12-28")
    assert record.clause == "R II.6" and record.due_on == D(2027, 1, 13)
    assert record.evidence["uploads"][0]["rejected"] == 3  # the upload behind it, with its counts
    # The corrected list on 14 January: met late by one working day.
    upload_on(region, D(2027, 1, 14), year=2027, kind=ListKind.YEARLY)
    run(D(2027, 1, 15))
    late = state("O4", region.mo1, "2026-12-28", D(2027, 1, 15))
    assert (late.state, late.met_on, late.late_days) == (State.MET_LATE, D(2027, 1, 14), 1)
    record.refresh_from_db()
    assert record.met_on == D(2027, 1, 14) and record.late_days == 1
    # The upload of 14 January had no rejected records: no corrections are owed after it.
    assert state("O4", region.mo1, "2027-01-14", D(2027, 1, 15)).state == State.NOT_APPLICABLE
    # Two uploads of one day are one protocol day (one state per MO and day).
    upload_on(region, D(2027, 1, 14), year=2027, kind=ListKind.UPDATE)
    run(D(2027, 1, 15))
    # The protocol itself was issued at once (O3, the Fund's, counted per MO upload).
    assert state("O3", region.mo1, "2026-12-28", D(2027, 1, 15)).state == State.MET


@pytest.mark.django_db
def test_a_working_saturday_counts_and_a_transferred_monday_does_not(region):
    # Friday 19.02.2027: Sat 20 (working), Tue 24, Wed 25, Thu 26, Mon 1 March: the 5th working day.
    upload_on(region, D(2027, 2, 19), year=2027, rejected=1)
    assert obligation("O4").due_on(Period.protocol(D(2027, 2, 19))) == D(2027, 3, 1)
    upload_on(region, D(2027, 3, 1), year=2027)
    run(D(2027, 3, 2))
    assert state("O4", region.mo1, "2027-02-19", D(2027, 3, 2)).state == State.MET


@pytest.mark.django_db
def test_quarterly_update_due_on_the_first_working_day_of_2026(region):
    upload_on(region, D(2026, 1, 12), year=2026, kind=ListKind.UPDATE)  # the due day itself: on time
    upload_on(region, D(2026, 1, 13), mo=region.mo2, year=2026, kind=ListKind.UPDATE)  # a day late
    run(D(2026, 1, 20))
    assert state("O7", region.mo1, "2026-Q1", D(2026, 1, 20)).state == State.MET
    late = state("O7", region.mo2, "2026-Q1", D(2026, 1, 20))
    assert (late.state, late.late_days) == (State.MET_LATE, 1)
    # Q2's update is met early by January's upload (counted since the quarter before began); Q3's is tracked from
    # April, when it becomes "not due yet".
    assert state("O7", region.mo1, "2026-Q2", D(2026, 1, 20)).state == State.MET
    assert not states_as_of(D(2026, 1, 20)).filter(code="O7", period_key="2026-Q3").exists()
    run(D(2026, 4, 2))
    assert state("O7", region.mo1, "2026-Q3", D(2026, 4, 2)).state == State.NOT_DUE


# --- history: idempotent, as of a past day ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rerun_changes_nothing_and_past_states_stay_readable(region):
    upload_on(region, D(2026, 12, 28), year=2027, rejected=3)
    first = run(D(2027, 1, 13))
    rows = list(ObligationState.objects.order_by("pk").values())
    assert first["changed"] > 0
    again = run(D(2027, 1, 13))
    assert again["changed"] == 0 and again["noncompliance_created"] == 0
    assert list(ObligationState.objects.order_by("pk").values()) == rows
    run(D(2027, 1, 20))
    run(D(2027, 1, 20))
    assert NonCompliance.objects.filter(code="O4").count() == 1
    # As of the 13th the correction was not due; as of the 20th it is overdue by 5 working days.
    assert state("O4", region.mo1, "2026-12-28", D(2027, 1, 13)).state == State.NOT_DUE
    assert state("O4", region.mo1, "2026-12-28", D(2027, 1, 20)).late_days == 5
    # A run for a day before history already written does not rewrite it.
    run(D(2027, 1, 10))
    assert state("O4", region.mo1, "2026-12-28", D(2027, 1, 20)).state == State.OVERDUE


@pytest.mark.django_db
def test_evidence_after_the_day_of_the_run_does_not_count(region):
    upload_on(region, D(2026, 12, 28), year=2027, rejected=3)
    upload_on(region, D(2027, 1, 12), year=2027)  # the correction, made on the 12th
    results = {(r.code, r.organization_id, str(r.period.day)): r for r in evaluate(D(2027, 1, 11))}
    assert results[("O4", region.mo1.pk, "2026-12-28")].state == State.NOT_DUE  # on the 11th it did not exist yet


@pytest.mark.django_db
def test_filed_reports_meet_the_smos_and_the_funds_obligations(region):
    Filing.objects.create(code="O5", organization=region.smo1, period_key="2027", filed_at=at(D(2027, 1, 14)))
    run(D(2027, 1, 18))
    assert state("O5", region.smo1, "2027", D(2027, 1, 18)).state == State.MET
    assert state("O5", region.smo2, "2027", D(2027, 1, 18)).state == State.OVERDUE
    # O18 needs the invoice registers: declared without a judge, it is "no data", never met.
    assert state("O18", region.smo1, "2027-01", D(2027, 1, 18)).state == State.NO_DATA


# --- the command -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_prints_each_obligation_with_the_organizations_per_state(region):
    upload_on(region, D(2026, 12, 28), year=2027, rejected=3)
    out = io.StringIO()
    call_command("run_obligations", "--date", "2027-01-20", stdout=out)
    text = out.getvalue()
    assert "O4 (R II.6)" in text and "O20 (R II.24)" in text
    o4 = text.split("O4 (R II.6)")[1].split("\nO5 ")[0]
    assert "просрочено (1): 270001" in o4
    # Every obligation of domain §3, in order, with its clause and the organizations in at least one state.
    headers = re.findall(r"^(O\d+) \((R [^)]+)\)", text, flags=re.MULTILINE)
    assert headers == [(code, clause) for code, (clause, _kind) in DOMAIN_OBLIGATIONS.items()]
    assert [code for code, _clause in headers] == [f"O{n}" for n in range(1, 21)]
    blocks = dict(zip([c for c, _ in headers], re.split(r"^O\d+ \(R [^)]+\).*$", text, flags=re.MULTILINE)[1:]))
    for code, block in blocks.items():
        assert re.search(r"^  \S.* \(\d+\): \d+", block, flags=re.MULTILINE), code  # state (n): org codes
    # O18 has no judge yet (the invoice registers' DN visits): no data for every SMO, never met.
    assert "нет данных (2): 27001, 27002" in blocks["O18"] and "исполнено" not in blocks["O18"]
    with pytest.raises(Exception, match="ГГГГ-ММ-ДД"):
        call_command("run_obligations", "--date", "20.01.2027")


# --- as a job of the kit ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_runs_through_the_job_kit_nightly_and_after_an_upload(
    region, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        run_row = start_run(as_of=D(2027, 1, 20))
    run_row.refresh_from_db()
    assert run_row.status == "DONE" and run_row.states_changed > 0
    assert "reports.nightly" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    with django_capture_on_commit_callbacks(execute=True):
        nightly_task()
    assert ObligationRun.objects.filter(trigger="nightly", status="DONE").exists()
    # A list upload that finishes starts a run of its own.
    settings.OMS_OBLIGATIONS_AFTER_JOBS = True
    from tests.screening.factories import rec, upload, zl_list_xml

    with django_capture_on_commit_callbacks(execute=True):
        upload(region, zl_list_xml([rec(region.p1, 1)]))
    assert ObligationRun.objects.filter(trigger="screening.list_upload", status="DONE").exists()


@pytest.mark.django_db
def test_a_run_reads_what_many_records_share_once(region, settings, tmp_path):
    """Every overdue day of O8 files a record with the MO's persons on lists and its last batch, and every month of an
    SMO is judged against the persons due today: a run reads each of those once, not once per record or period."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.screening.factories import rec, upload, zl_list_xml

    settings.MEDIA_ROOT = tmp_path
    year = datetime.date.today().year
    upload(region, zl_list_xml([rec(region.p1, 1, month=1)], year=year), year=year)
    with CaptureQueriesContext(connection) as queries:
        counts = run(datetime.date.today())
    o8 = NonCompliance.objects.filter(code="O8", organization=region.mo1)
    assert counts["noncompliance_created"] and o8.count() > 10  # no events posted on any working day of the year
    assert {record.evidence["counts"]["entries"] for record in o8} == {1}
    sql = [query["sql"] for query in queries.captured_queries]
    entries_counts = [q for q in sql if q.startswith('SELECT COUNT(*) AS "__count" FROM "screening_listentry"')]
    assert entries_counts and len(entries_counts) == len(set(entries_counts))  # each MO's and year's once
    owed = [q for q in sql if "informed_by_deadline" in q]
    smos = len({state.organization_id for state in ObligationState.objects.filter(code="O15")})
    # per SMO and kind (O9, O15, O16, O19), not per month or quarter
    assert smos and 0 < len(owed) <= smos * 4
    assert not [q for q in sql if 'MAX("informing_informingfact"."date")' in q]  # the days of facts, read once
    # the administrator's calendar corrections: once for the run, not once per deadline (omsportal.workdays)
    assert len([q for q in sql if 'FROM "participants_calendarday"' in q]) == 1


@pytest.mark.django_db
def test_the_persons_owed_informing_are_the_same_inside_a_run(region):
    """What a run reads once (each SMO's persons owed a kind, with their first fact) answers each period as a query
    of it would, on the run's day."""
    from informing.models import Kind
    from informing.obligations import _informed_rows, invited_on, one_run
    from omsportal.obligations import QUARTER
    from tests.informing.helpers import accepted_upload, entry, record_fact

    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 31))
    entry(upload, region.p1, smo=region.smo1, month=2)
    record_fact(region.smo1, region.p1, date=D(2026, 1, 26))
    cases = [(smo.pk, kind, day) for smo in (region.smo1, region.smo2) for kind in (Kind.INVITE, Kind.REPEAT)
             for day in (D(2026, 1, 23), D(2026, 1, 26))]  # fmt: skip
    alone = [_informed_rows(*case) for case in cases]
    with one_run():
        together = [_informed_rows(*case) for case in cases]
    assert together == alone
    assert alone[:2] == [[(D(2026, 1, 23), None)], [(D(2026, 1, 23), D(2026, 1, 26))]]
    with one_run(D(2026, 1, 23)):  # judged on the run's day, not today
        assert invited_on(region.smo1.pk, Period(QUARTER, 2026, 1)) is None
    with one_run(D(2026, 1, 26)):
        assert invited_on(region.smo1.pk, Period(QUARTER, 2026, 1)) == D(2026, 1, 26)


@pytest.mark.django_db
def test_states_valid_on_a_day_are_read_without_the_closed_history(region):
    """The dashboard counts the states valid today on every view; the closed history grows every day. "Valid on a day"
    is (valid_to IS NULL OR valid_to > day): an index on valid_to serves both arms, so the closed rows are not read."""
    from django.db import connection
    from django.db.models import Count

    from reports.selectors.states import state_counts

    def row(key, state, valid_from, valid_to):
        return ObligationState(
            code="O8", organization=region.mo1, period_kind="day", period_key=key, period_year=2026,
            due_on=valid_from, state=state, valid_from=valid_from, valid_to=valid_to,
        )  # fmt: skip

    ObligationState.objects.bulk_create(
        [row(f"2026-11-{d:02}", State.NOT_DUE, D(2026, 11, d), D(2026, 11, d + 1)) for d in range(2, 20)]
        + [row(f"2026-11-{d:02}", State.OVERDUE, D(2026, 11, d + 1), None) for d in range(2, 20)]
    )
    assert state_counts(D(2026, 11, 25), [region.mo1.pk]) == {(region.mo1.pk, State.OVERDUE): 18}
    assert state_counts(D(2026, 11, 5), [region.mo1.pk]) == {
        (region.mo1.pk, State.OVERDUE): 3,  # 2, 3 and 4 November
        (region.mo1.pk, State.NOT_DUE): 1,  # 5 November, overdue from the 6th
    }
    rows = states_as_of(D(2026, 11, 25)).values("organization_id", "state").annotate(n=Count("id"))
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_obligationstate")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small: ask which index the plan takes
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "obstate_valid_to" in plan and "Index Cond: (valid_to IS NULL)" in plan, plan
