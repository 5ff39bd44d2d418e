"""Eligibility for DVN and PMO under order 404n at its cycle boundaries (501); the rule set is a parameter."""

import pytest
from django.db import connection

from screening.eligibility import (
    ORDER_404N,
    ORDER_869N,
    RULE_SETS,
    age_in_year,
    ineligibility_reason,
    is_due_dvn,
    is_eligible,
    sql_ineligibility_reason,
)
from screening.models import ListEntry
from tests.factories import insured_person
from tests.screening.factories import birth_for_age, next_year, rec, upload, zl_list_xml


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("age", "dvn", "pmo"),
    [
        (17, False, False),
        (18, True, False),  # first DVN at 18; due DVN means no PMO
        (19, False, True),  # PMO only
        (20, False, True),
        (21, True, False),
        (36, True, False),
        (38, False, True),
        (39, True, False),  # the last three-yearly DVN
        (40, True, False),  # from 40 every year
        (41, True, False),
        (87, True, False),
    ],
)
def test_404n_cycles_at_the_boundaries(age, dvn, pmo):
    assert is_due_dvn(age, ORDER_404N) is dvn
    assert (ineligibility_reason("DVN", age, 2027, ORDER_404N) is None) is dvn
    assert (ineligibility_reason("PMO", age, 2027, ORDER_404N) is None) is pmo


def test_age_is_the_age_reached_in_the_year_of_the_measure():
    import datetime

    assert age_in_year(datetime.date(2009, 12, 31), 2027) == 18
    assert is_eligible("DVN", datetime.date(2009, 12, 31), 2027)  # turns 18 on 31 December: DVN that year
    assert not is_eligible("DVN", datetime.date(2010, 1, 1), 2027)


def test_the_rule_set_is_a_parameter_869n_starts_dvn_at_21_with_no_yearly_dvn():
    assert not is_due_dvn(18, ORDER_869N) and is_due_dvn(21, ORDER_869N)
    assert not is_due_dvn(40, ORDER_869N) and is_due_dvn(42, ORDER_869N)
    assert ineligibility_reason("PMO", 18, 2027, ORDER_869N) is None
    assert ineligibility_reason("PMO", 18, 2027, ORDER_404N) is not None


def test_dn_is_never_age_restricted():
    assert ineligibility_reason("DN", 5, 2027, ORDER_404N) is None


@pytest.mark.django_db
@pytest.mark.parametrize("rules_name", sorted(RULE_SETS))
def test_the_sql_form_agrees_with_the_python_form_for_every_age(rules_name):
    rules = RULE_SETS[rules_name]
    expression = sql_ineligibility_reason("m", "a", "2027", rules)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT m, a, {expression} FROM unnest(ARRAY['DVN','PMO','DN']) m, generate_series(0, 110) a")
        rows = cursor.fetchall()
    assert len(rows) == 3 * 111
    for measure, age, reason in rows:
        assert reason == ineligibility_reason(measure, age, 2027, rules), (measure, age)


# --- 501 in the protocol ---------------------------------------------------------------------------------------------


def _person(region, age, name):
    return insured_person(smo=region.smo1, mo=region.mo1, last_name=name, birth_date=birth_for_age(age))


@pytest.mark.django_db
def test_501_in_the_protocol_at_the_404n_boundaries(region):
    people = {age: _person(region, age, f"Возраст{age}") for age in (17, 18, 19, 39, 40)}
    records = []
    n = 0
    for age, person in people.items():
        for disp in ("ДВН", "ПМО"):
            n += 1
            records.append(rec(person, n, disp=disp))
    u = upload(region, zl_list_xml(records))
    rejected = {(e.n_zap, e.code) for e in u.protocol_errors.all()}
    by_record = {}
    n = 0
    for age in people:
        for measure in ("DVN", "PMO"):
            n += 1
            by_record[(age, measure)] = (n, 501) in rejected
    assert by_record == {
        (17, "DVN"): True,
        (17, "PMO"): True,  # 17 is not eligible for anything
        (18, "DVN"): False,
        (18, "PMO"): True,
        (19, "DVN"): True,
        (19, "PMO"): False,  # 19: PMO only
        (39, "DVN"): False,
        (39, "PMO"): True,  # due DVN → 501 on PMO
        (40, "DVN"): False,
        (40, "PMO"): True,
    }
    assert {e.field for e in u.protocol_errors.all()} == {"DISP"}
    assert set(ListEntry.objects.values_list("person__last_name", "measure")) == {
        ("Возраст18", "DVN"),
        ("Возраст19", "PMO"),
        ("Возраст39", "DVN"),
        ("Возраст40", "DVN"),
    }
    pmo_39 = u.protocol_errors.get(n_zap=8)
    assert pmo_39.comment == f"В {next_year()} г. положена ДВН, а не ПМО (возраст 39)"
    assert pmo_39.measure == "PMO"


@pytest.mark.django_db
def test_501_follows_the_configured_rule_set(region, settings):
    settings.OMS_ELIGIBILITY_RULES = "869n"
    person = _person(region, 18, "Молодая")
    u = upload(region, zl_list_xml([rec(person, 1, disp="ПМО")]))
    assert not u.protocol_errors.exists()
