"""Each rule of who is due at its boundaries [R II.11, II.18, R I.7.2 b]."""

from __future__ import annotations

import datetime

import pytest

from informing.due import due_counts, due_kinds_for_person, due_person_rows
from informing.models import Kind
from informing.services import opt_out_record
from omsportal.models import RegionalParameters
from participants.models import Person
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, entry, record_fact

pytestmark = pytest.mark.django_db

D = datetime.date


def due(region, kind, on):
    return {(pid, deadline) for pid, _mo, deadline in due_person_rows(smo_id=region.smo1.pk, on=on, kind=kind)}


def set_working_days(n: int) -> None:
    RegionalParameters.objects.update_or_create(pk=1, defaults={"informing_working_days": n})


@pytest.mark.parametrize(("n", "deadline"), [(10, D(2026, 5, 12)), (15, D(2026, 5, 19))])
def test_q1_invitation_counts_working_days_from_acceptance_across_the_may_holidays(region, n, deadline):
    # Accepted on Friday 24 April 2026: 1 May and 11 May (for 9 May) are days off.
    set_working_days(n)
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2026, 4, 24))
    entry(upload, region.p1, smo=region.smo1, month=2)
    assert due(region, Kind.INVITE, D(2026, 4, 23)) == set()  # before the list was accepted
    assert due(region, Kind.INVITE, D(2026, 4, 24)) == {(region.p1.pk, deadline)}
    counts = due_counts(smo_id=region.smo1.pk, on=deadline, kinds=(Kind.INVITE,))
    assert [(c.due, c.overdue) for c in counts] == [(1, 0)]
    counts = due_counts(smo_id=region.smo1.pk, on=deadline + datetime.timedelta(days=1), kinds=(Kind.INVITE,))
    assert [(c.mo_id, c.due, c.overdue) for c in counts] == [(region.mo1.pk, 1, 1)]


@pytest.mark.parametrize(("n", "deadline"), [(10, D(2026, 4, 14)), (15, D(2026, 4, 21))])
def test_later_quarters_are_due_within_the_first_working_days_of_the_quarter(region, n, deadline):
    set_working_days(n)
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=5)
    assert due(region, Kind.INVITE, D(2026, 3, 31)) == set()
    assert due(region, Kind.INVITE, D(2026, 4, 1)) == {(region.p1.pk, deadline)}
    record_fact(region.smo1, region.p1, date=D(2026, 4, 2))
    assert due(region, Kind.INVITE, D(2026, 4, 3)) == set()


def test_repeat_invitation_not_later_than_three_months_after_the_first(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=4)
    record_fact(region.smo1, region.p1, date=D(2026, 3, 31))
    record_fact(region.smo1, region.p1, date=D(2026, 4, 10), ref="second")  # the first one counts
    # 31 March + 3 months = 30 June (a Tuesday).
    assert due(region, Kind.REPEAT, D(2026, 6, 30)) == {(region.p1.pk, D(2026, 6, 30))}
    late = due_counts(smo_id=region.smo1.pk, on=D(2026, 7, 1), kinds=(Kind.REPEAT,))
    assert [(c.due, c.overdue) for c in late] == [(1, 1)]
    record_fact(region.smo1, region.p1, kind=Kind.REPEAT, date=D(2026, 6, 1))
    assert due(region, Kind.REPEAT, D(2026, 7, 1)) == set()


def test_a_started_person_is_due_neither_invitation_nor_repeat(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=4, state="STARTED", state_date=D(2026, 4, 2))
    record_fact(region.smo1, region.p1, date=D(2026, 3, 31))
    assert due(region, Kind.INVITE, D(2026, 4, 10)) == set()
    assert due(region, Kind.REPEAT, D(2026, 6, 30)) == set()


def test_stage2_notice_three_months_after_referral_without_stage2(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=3, state="STAGE2_SENT", state_date=D(2026, 3, 31))
    assert due(region, Kind.STAGE2, D(2026, 6, 29)) == set()
    assert due(region, Kind.STAGE2, D(2026, 6, 30)) == {(region.p1.pk, D(2026, 6, 30))}
    record_fact(region.smo1, region.p1, kind=Kind.STAGE2, date=D(2026, 7, 1))
    assert due(region, Kind.STAGE2, D(2026, 7, 2)) == set()


def test_turning_18_on_the_first_and_last_day_of_the_month(region):
    born = {
        b: insured_person(smo=region.smo1, mo=region.mo1, birth_date=b)
        for b in (D(2008, 4, 30), D(2008, 5, 1), D(2008, 5, 31), D(2008, 6, 1))
    }
    # 31 May 2026 is a Sunday: the deadline moves to Monday 1 June.
    got = due(region, Kind.AGE18, D(2026, 5, 15))
    assert got == {(born[D(2008, 5, 1)].pk, D(2026, 6, 1)), (born[D(2008, 5, 31)].pk, D(2026, 6, 1))}
    assert {pid for pid, _ in due(region, Kind.AGE18, D(2026, 6, 1))} == {born[D(2008, 6, 1)].pk}


def test_dn_reminder_in_the_planned_quarter(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, measure="DN", quarter=3)
    assert due(region, Kind.DN, D(2026, 6, 30)) == set()
    assert {pid for pid, _ in due(region, Kind.DN, D(2026, 7, 1))} == {region.p1.pk}
    assert due(region, Kind.DN, D(2026, 10, 1)) == set()


def test_opted_out_dead_and_departed_persons_are_never_due(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    dead = insured_person(smo=region.smo1, mo=region.mo1, death_date=D(2026, 3, 1))
    refused = insured_person(smo=region.smo1, mo=region.mo1)
    for n, person in enumerate((region.p1, dead, refused, region.p2), start=1):
        entry(upload, person, smo=region.smo1, month=5, n=n)
    opt_out_record(person=refused, acting_user=region.smo1_l2)
    assert {pid for pid, _ in due(region, Kind.INVITE, D(2026, 4, 1))} == {region.p1.pk}
    assert Person.objects.get(pk=refused.pk).informing_opt_out
    assert due_kinds_for_person(person_id=region.p1.pk, smo_id=region.smo1.pk, on=D(2026, 4, 1)) == {
        Kind.INVITE: D(2026, 4, 14)
    }
    assert due_kinds_for_person(person_id=refused.pk, smo_id=region.smo1.pk, on=D(2026, 4, 1)) == {}


def test_the_counts_of_every_kind_at_once_are_the_drill_down_of_each_kind(region):
    """The counts of the level-2 page and the command (every kind at once) are exactly the persons the drill-down
    of each kind lists, and what one kind alone counts; the dead, the opted-out and another SMO's insured are in
    none of them."""
    from collections import Counter

    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    dead = insured_person(smo=region.smo1, mo=region.mo1, death_date=D(2026, 3, 1))
    refused = insured_person(smo=region.smo1, mo=region.mo1)
    people = [insured_person(smo=region.smo1, mo=region.mo2 if i % 2 else region.mo1) for i in range(6)]
    for n, person in enumerate((region.p1, dead, refused, region.p2, *people[:3]), start=1):
        entry(upload, person, smo=region.smo1, month=1 + n % 6, n=n)  # Q1 and Q2, one of another SMO
    entry(upload, people[3], smo=region.smo1, month=3, state="STAGE2_SENT", state_date=D(2026, 1, 20), n=20)
    entry(upload, people[4], smo=region.smo1, measure="DN", quarter=2, n=21)
    entry(upload, dead, smo=region.smo1, measure="DN", quarter=2, n=22)
    entry(upload, people[5], smo=region.smo1, month=2, n=23)
    record_fact(region.smo1, people[5], date=D(2026, 1, 12))  # invited: due a repeat, not an invitation
    insured_person(smo=region.smo1, mo=region.mo1, birth_date=D(2008, 5, 3))
    opt_out_record(person=refused, acting_user=region.smo1_l2)
    on = D(2026, 5, 15)
    every = due_counts(smo_id=region.smo1.pk, on=on)
    kinds = {c.kind for c in every}
    assert {Kind.INVITE, Kind.REPEAT, Kind.STAGE2, Kind.DN, Kind.AGE18} <= kinds
    for kind in kinds:
        counted = Counter({(c.mo_id, c.deadline): c.due for c in every if c.kind == kind})
        listed = Counter((mo, deadline) for _pid, mo, deadline in due_person_rows(smo_id=region.smo1.pk, on=on,
                                                                                   kind=kind))  # fmt: skip
        alone = Counter({(c.mo_id, c.deadline): c.due for c in due_counts(smo_id=region.smo1.pk, on=on,
                                                                          kinds=(kind,))})  # fmt: skip
        assert counted == listed == alone, kind
    assert not {dead.pk, refused.pk, region.p2.pk} & {
        pid for kind in kinds for pid, _mo, _d in due_person_rows(smo_id=region.smo1.pk, on=on, kind=kind)
    }
