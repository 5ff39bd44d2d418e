"""O14 quotas per MO and quarter: a known data set, rounding up, Python and SQL giving the same numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from surveys.quotas import (
    QuotaRow,
    hundredths,
    quarter_bounds,
    quota,
    quota_rows,
    sql_quota,
)
from tests.surveys.factories import informed, passed, people

YEAR = 2026


@pytest.mark.parametrize(
    ("count", "percent", "expected"),
    [(0, "0.5", 0), (1, "0.5", 1), (200, "0.5", 1), (201, "0.5", 2), (400, "0.5", 2), (401, "0.5", 3),
     (0, "50", 0), (1, "50", 1), (3, "50", 2), (4, "50", 2), (1_000_000, "0.5", 5000), (1_000_001, "0.5", 5001),
     (7, "0.25", 1), (7, "33.33", 3)],
)  # fmt: skip
def test_quota_rounds_up_to_a_whole_person(count, percent, expected):
    assert quota(count, Decimal(percent)) == expected


@pytest.mark.django_db
def test_python_and_sql_rules_agree_on_every_count():
    counts = [*range(0, 1200), 9999, 10_000, 10_001, 123_457, 999_999]
    for percent in (Decimal("0.50"), Decimal("50.00"), Decimal("0.01"), Decimal("12.34"), Decimal("100")):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT n, {sql_quota('n', percent)} FROM unnest(%s::int[]) AS n ORDER BY n",
                [counts],
            )
            sql = dict(cursor.fetchall())
        assert {n: quota(n, percent) for n in counts} == sql, percent
    assert hundredths(Decimal("0.50")) == 50


def test_quarter_bounds():
    assert quarter_bounds(2026, 1) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert quarter_bounds(2026, 4) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))


@pytest.mark.django_db
def test_quotas_per_mo_and_quarter_on_a_known_data_set(region):
    # MO1 / SMO1: 201 passed in Q2 (quota 2), 3 informed in Q2 who did not pass (quota 2); 1 informed who passed
    # later in the quarter does not count as "not passed"; passing in Q1 or informing in Q3 is another quarter.
    a = people(201, smo=region.smo1, mo=region.mo1)
    passed(a, mo=region.mo1, day=datetime.date(YEAR, 5, 5), posted_by=region.mo1_user)
    b = people(4, smo=region.smo1, mo=region.mo1)
    informed(b, smo=region.smo1, mo=region.mo1, day=datetime.date(YEAR, 4, 2))
    passed(b[:1], mo=region.mo1, day=datetime.date(YEAR, 6, 30), posted_by=region.mo1_user)  # b0 passed: 202 now
    c = people(5, smo=region.smo1, mo=region.mo1)
    passed(c, mo=region.mo1, day=datetime.date(YEAR, 3, 31), posted_by=region.mo1_user)  # Q1
    informed(c, smo=region.smo1, mo=region.mo1, day=datetime.date(YEAR, 7, 1))  # Q3
    not_delivered = people(2, smo=region.smo1, mo=region.mo1)
    informed(not_delivered, smo=region.smo1, mo=region.mo1, day=datetime.date(YEAR, 4, 3), outcome="NOT_DELIVERED")
    # MO2 / SMO2: 1 passed, 1 informed not passed.
    d = people(2, smo=region.smo2, mo=region.mo2)
    passed(d[:1], mo=region.mo2, day=datetime.date(YEAR, 4, 10), posted_by=region.mo2_user)
    informed(d[1:], smo=region.smo2, mo=region.mo2, day=datetime.date(YEAR, 4, 10))

    rows = quota_rows(YEAR, 2)
    assert rows == [
        QuotaRow(region.mo1.pk, region.smo1.pk, passed=202, informed_not_passed=3, quota_passed=2, quota_informed=2),
        QuotaRow(region.mo2.pk, region.smo2.pk, passed=1, informed_not_passed=1, quota_passed=1, quota_informed=1),
    ]
    assert quota_rows(YEAR, 2, smo_id=region.smo2.pk) == rows[1:]
    # Each number is the Python rule applied to the counts.
    for row in rows:
        assert row.quota_passed == quota(row.passed, Decimal("0.5"))
        assert row.quota_informed == quota(row.informed_not_passed, Decimal("50"))
    q1 = quota_rows(YEAR, 1)
    assert [(r.passed, r.quota_passed) for r in q1] == [(5, 1)]


@pytest.mark.django_db
def test_only_informing_about_the_check_up_counts_for_the_quota(region):
    """The 50 % base: persons individually notified about the check-up (invitation, reminder, repeat invitation,
    stage-2 notice); an appeal's result, a DN reminder or the turning-18 notice is informing of another matter."""
    day = datetime.date(YEAR, 4, 7)
    for kind in ("INVITE", "REMIND", "REPEAT", "STAGE2", "APPEAL", "DN", "AGE18"):
        informed(people(1, smo=region.smo1, mo=region.mo1), smo=region.smo1, mo=region.mo1, day=day, kind=kind)
    appeal_only = people(3, smo=region.smo2, mo=region.mo2)
    informed(appeal_only, smo=region.smo2, mo=region.mo2, day=day, kind="APPEAL")
    rows = quota_rows(YEAR, 2)
    assert [(r.mo_id, r.informed_not_passed, r.quota_informed) for r in rows] == [(region.mo1.pk, 4, 2)]
