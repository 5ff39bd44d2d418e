"""The informing core other apps build on: bulk facts, opt-out, wrong recipients, the informed / opted-out reads."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from informing.models import (
    Batch,
    BatchMessage,
    BatchStatus,
    Channel,
    ContactCorrection,
    InformingFact,
    Kind,
    MessageStatus,
    OptOut,
    Outcome,
)
from informing.selectors import informed_counts, informed_person_ids, informed_persons, opted_out_persons
from informing.services import FactInput, facts_record, opt_out_record, wrong_recipient_report
from omsportal.models import AuditLog
from omsportal.scoping import restrict
from omsportal.workdays import add_working_days
from participants.models import Person

pytestmark = pytest.mark.django_db


def fact(person, n=1, **kw) -> FactInput:
    values = {
        "kind": Kind.INVITE,
        "channel": Channel.SMS,
        "date": timezone.localdate(),
        "outcome": Outcome.DELIVERED,
        "reference": f"m{n}",
        "agent_login": "",
    }
    values.update(kw)
    return FactInput(n=n, enp=person.enp if person is not None else kw.pop("enp", ""), **values)


def test_facts_are_recorded_once_and_bad_records_get_a_reason(region):
    today = timezone.localdate()
    facts = [
        fact(region.p1, 1),
        fact(region.p1, 2, reference="m1"),  # the same fact again in the same load
        fact(region.p2, 3),  # insured by SMO 2
        FactInput(n=4, enp="2700000000000000", kind=Kind.INVITE, channel=Channel.SMS, date=today,
                  outcome=Outcome.DELIVERED),
        fact(region.p1, 5, kind="NOPE"),
        fact(region.p1, 6, date=today + datetime.timedelta(days=1)),
    ]  # fmt: skip
    result = facts_record(smo=region.smo1, facts=facts, acting_user=region.smo1_l2)
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, 4)
    reasons = {e["n"]: (e["field"], e["reason"]) for e in result.errors}
    assert reasons[3] == ("ENP", "лицо не застраховано в вашей СМО на дату информирования")
    assert reasons[4] == ("ENP", "лицо не найдено в регистре")
    assert reasons[5][0] == "KIND"
    assert reasons[6] == ("DATE", "дата информирования в будущем")
    row = InformingFact.objects.get()
    assert (row.person_id, row.smo_id, row.mo_id, row.agent_id) == (region.p1.pk, region.smo1.pk, region.mo1.pk,
                                                                    region.smo1_l2.pk)  # fmt: skip
    again = facts_record(smo=region.smo1, facts=[fact(region.p1, 1)], acting_user=region.smo1_l2)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert InformingFact.objects.count() == 1


def test_a_fact_posted_more_than_one_working_day_after_its_date_is_late(region):
    day = datetime.date(2026, 5, 7)  # Thursday; 8 May a working day? the calendar says
    deadline = add_working_days(day, 1)
    on_time = timezone.make_aware(datetime.datetime.combine(deadline, datetime.time(12)))
    late = timezone.make_aware(datetime.datetime.combine(deadline + datetime.timedelta(days=1), datetime.time(12)))
    r1 = facts_record(smo=region.smo1, facts=[fact(region.p1, 1, date=day)], acting_user=None, posted_at=on_time)
    r2 = facts_record(
        smo=region.smo1, facts=[fact(region.p1, 2, date=day, reference="x")], acting_user=None, posted_at=late
    )
    assert (r1.late, r2.late) == (0, 1)
    assert list(InformingFact.objects.order_by("reference").values_list("reference", "is_late")) == [
        ("m1", False),
        ("x", True),
    ]


def test_informed_reads_by_kind_period_smo_and_mo(region):
    today = timezone.localdate()
    facts_record(smo=region.smo1, facts=[fact(region.p1, 1)], acting_user=None)
    facts_record(smo=region.smo2, facts=[fact(region.p2, 1, outcome=Outcome.NOT_DELIVERED)], acting_user=None)
    assert list(informed_person_ids(kind=Kind.INVITE, date_from=today, date_to=today)) == [
        {"person_id": region.p1.pk}
    ]
    assert not informed_person_ids(kind=Kind.REPEAT).exists()
    assert not informed_person_ids(mo_id=region.mo2.pk).exists()
    assert informed_person_ids(mo_id=region.mo2.pk, outcomes=None).exists()
    assert list(informed_persons(user=region.smo1_l2)) == [region.p1]
    assert list(informed_persons(user=region.smo2_l2)) == []
    assert informed_counts(user=region.mo1_user) == [{"mo_id": region.mo1.pk, "persons": 1, "facts": 1}]
    assert informed_counts(user=region.mo2_user) == []


def _batch_with_message(region, person) -> BatchMessage:
    batch = Batch.objects.create(
        smo=region.smo1, kind=Kind.INVITE, year=2026, due_on=timezone.localdate(), status=BatchStatus.DONE
    )
    return BatchMessage.objects.create(
        batch=batch, person=person, channel=Channel.SMS, address="+79141234567", status=MessageStatus.RENDERED
    )


def test_opt_out_takes_effect_at_once_and_is_audited(region):
    message = _batch_with_message(region, region.p1)
    opt_out_record(person=region.p1, acting_user=region.smo1_l2)
    message.refresh_from_db()
    assert message.status == MessageStatus.SKIPPED
    assert Person.objects.get(pk=region.p1.pk).informing_opt_out
    assert list(opted_out_persons(user=region.smo1_l2)) == [region.p1]
    assert list(opted_out_persons(user=region.smo2_l2)) == []
    # Twice is once.
    opt_out_record(person=region.p1, acting_user=region.smo1_l2)
    assert OptOut.objects.count() == 1
    assert AuditLog.objects.filter(object_type="opt_out", person_ids__contains=[region.p1.pk]).count() == 1


def test_wrong_recipient_removes_the_contact_and_keeps_history(region):
    Person.objects.filter(pk=region.p1.pk).update(phone="+79141234567")
    region.p1.refresh_from_db()
    message = _batch_with_message(region, region.p1)
    wrong_recipient_report(person=region.p1, contact="PHONE", acting_user=region.smo1_l2)
    assert Person.objects.get(pk=region.p1.pk).phone == ""
    correction = ContactCorrection.objects.get()
    assert (correction.old_value, correction.reason) == ("+79141234567", "WRONG")
    message.refresh_from_db()
    assert message.status == MessageStatus.UNREACHABLE
    assert AuditLog.objects.filter(object_type="contact", action="UPDATE").exists()


def test_scopes_of_informing_rows(region):
    facts_record(smo=region.smo1, facts=[fact(region.p1, 1)], acting_user=None)
    qs = InformingFact.objects.all()
    assert restrict(qs, region.smo1_l2).count() == 1
    assert restrict(qs, region.smo1_l3).count() == 1
    assert restrict(qs, region.smo2_l2).count() == 0
    assert restrict(qs, region.fund_user).count() == 1
    for user in (region.mo1_user, region.ministry_user, region.smo1_l1, region.admin_user):
        assert restrict(qs, user).count() == 0
