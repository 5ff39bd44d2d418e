"""The one "passed" selector: the end of stage 1 or of the exam passes the measure of its year."""

from __future__ import annotations

import datetime

from django.db import connection

from screening.models import StageEvent
from screening.selectors.passed import PASSED_EVENTS, passed_entries, passed_events, passed_sql
from tests.screening.test_events import YEAR, ev, listed, post

__all__ = ["listed"]


def _passed_rows():
    with connection.cursor() as cur:
        cur.execute(passed_sql())
        return cur.fetchall()


def test_end_of_stage_one_passes_and_start_does_not(listed):
    post(listed, [ev(listed.p1, "START1", f"{YEAR}-03-02"), ev(listed.p3, "START1", f"{YEAR}-05-04", disp="ПМО")])
    assert not passed_entries().exists()
    assert _passed_rows() == []

    post(listed, [ev(listed.p1, "END1", f"{YEAR}-03-10", rslt=317)])
    assert list(passed_entries()) == [listed.e1]
    assert list(passed_events().values_list("person_id", flat=True)) == [listed.p1.pk]
    assert _passed_rows() == [(listed.p1.pk, listed.mo1.pk, "DVN", YEAR, datetime.date(YEAR, 3, 10))]


def test_date_window_and_measure(listed):
    post(listed, [ev(listed.p3, "START1", f"{YEAR}-05-04", disp="ПМО"), ev(listed.p3, "END1", f"{YEAR}-05-20",
                                                                       disp="ПМО", rslt=343)])
    assert list(passed_entries()) == [listed.e3]  # the PMO entry; p1's DVN entry did not pass
    assert not passed_entries(date_from=datetime.date(YEAR, 6, 1)).exists()
    assert list(passed_entries(date_to=datetime.date(YEAR, 5, 20))) == [listed.e3]
    assert not passed_entries(date_to=datetime.date(YEAR, 5, 19)).exists()


def test_sql_names_the_same_events_and_table():
    assert StageEvent._meta.db_table in passed_sql()
    assert "IN (" + ", ".join(f"'{code}'" for code in PASSED_EVENTS) + ")" in passed_sql()
