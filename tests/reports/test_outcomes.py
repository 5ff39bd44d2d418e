"""Every listed person accounted for: exactly one outcome of the year each, "never informed" per SMO and MO, and each
completion credited to the channel and representative level that informed last before it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from informing.models import InformingFact
from participants.models import PolicyPeriod
from reports.models import ChannelCredit, YearOutcome
from reports.selectors.outcomes import entry_outcomes
from reports.services.outcomes import OUTCOMES, refresh_outcomes
from screening.models import EntryState, ListEntry, StageEvent
from tests.factories import insured_person
from tests.reports.helpers import batch_on, upload_on

TODAY = datetime.date.today()
YEAR = TODAY.year


def fact(region, person, day, channel="SMS", outcome="DELIVERED", agent=None):
    return InformingFact.objects.create(
        person=person, smo=region.smo1, mo=region.mo1, kind="INVITE", channel=channel, date=day, outcome=outcome,
        agent=agent, posted_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def listed(region):
    upload = upload_on(region, datetime.date(YEAR, 1, 12), year=YEAR)
    people = {}
    for n, name in enumerate(("passed", "stage2", "died", "moved", "refused", "opted", "informed", "never"), 1):
        person = insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Лицо{n}")
        people[name] = person
        ListEntry.objects.create(upload=upload, mo=region.mo1, smo=region.smo1, smo_code=region.smo1.code,
                                 person=person, year=YEAR, measure="DVN", month=2, n_zap=n)  # fmt: skip
    batch = batch_on(region, datetime.date(YEAR, 3, 3))
    march = datetime.date(YEAR, 3, 3)
    fact(region, people["passed"], datetime.date(YEAR, 2, 2), channel="POST", agent=region.smo1_l1)
    fact(region, people["passed"], datetime.date(YEAR, 2, 20), channel="SMS", agent=region.smo1_l2)  # the last one
    fact(region, people["passed"], datetime.date(YEAR, 3, 20), channel="PHONE", agent=region.smo1_l1)  # after it
    StageEvent.objects.create(batch=batch, mo=region.mo1, person=people["passed"], measure="DVN", event="END1",
                              date=march, result=1)  # fmt: skip
    ListEntry.objects.filter(person=people["stage2"]).update(state=EntryState.STAGE2_SENT)
    people["died"].death_date = datetime.date(YEAR, 4, 1)
    people["died"].save()
    PolicyPeriod.objects.filter(person=people["moved"]).update(date_to=datetime.date(YEAR, 5, 31))
    PolicyPeriod.objects.create(person=people["moved"], smo=region.smo2, smo_code=region.smo2.code,
                                date_from=datetime.date(YEAR, 6, 1))  # fmt: skip
    ListEntry.objects.filter(person=people["refused"]).update(state=EntryState.REFUSED)
    people["opted"].informing_opt_out = True
    people["opted"].save()
    fact(region, people["informed"], datetime.date(YEAR, 2, 5))
    fact(region, people["never"], datetime.date(YEAR, 2, 5), outcome="NOT_DELIVERED")  # not delivered: not informed
    return people


@pytest.mark.django_db
def test_each_listed_person_has_exactly_one_outcome(region, listed):
    outcomes = entry_outcomes(YEAR)
    by_person = {entry.person_id: outcomes[entry.pk] for entry in ListEntry.objects.filter(year=YEAR)}
    assert {name: by_person[p.pk] for name, p in listed.items()} == {
        "passed": "PASSED", "stage2": "STAGE2_PENDING", "died": "DIED", "moved": "MOVED", "refused": "REFUSED",
        "opted": "OPTED_OUT", "informed": "INFORMED_NO_SHOW", "never": "NEVER_INFORMED",
    }  # fmt: skip
    assert set(by_person.values()) == set(OUTCOMES)
    refresh_outcomes(YEAR)
    rows = YearOutcome.objects.filter(year=YEAR)
    assert sum(r.persons for r in rows) == ListEntry.objects.filter(year=YEAR).count()  # nobody twice, nobody lost
    assert all(r.persons == 1 for r in rows)


@pytest.mark.django_db
def test_completion_is_credited_to_the_last_informing_before_it(region, listed):
    refresh_outcomes(YEAR)
    credit = ChannelCredit.objects.get(year=YEAR)
    assert (credit.channel, credit.level, credit.persons, credit.smo_id) == ("SMS", "SMO_L2", 1, region.smo1.pk)


@pytest.mark.django_db
def test_the_fund_sees_never_informed_per_smo_and_mo(client, region, listed):
    refresh_outcomes(YEAR)
    client.force_login(region.fund_user)
    page = client.get(reverse("reports:dashboard"), {"year": YEAR}).content.decode()
    assert "Итоги года по лицам в списках" in page
    response = client.get(reverse("reports:dashboard_export", args=["outcomes_mo", "csv"]), {"year": YEAR})
    lines = response.content.decode("utf-8-sig").splitlines()
    row = next(line for line in lines if line.startswith(region.mo1.code)).split(";")
    header = lines[0].split(";")
    assert row[header.index("не проинформированы")] == "1" and row[header.index("всего")] == "8"
    channels = client.get(reverse("reports:dashboard_export", args=["channels", "csv"]), {"year": YEAR})
    assert "SMS" in channels.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_the_fund_sees_who_was_not_invited_by_the_invitation_deadline_per_mo_and_smo(client, region, listed):
    """The list was accepted on 12 January; the invitation is due on the 10th working day after it (informing.due's
    O9 deadline). Only a delivered invitation by then counts; one later ("passed" on 2 February, "informed" on
    5 February) does not, though the person was informed; who opted out of informing is not counted."""
    from omsportal.regional import regional_rules
    from omsportal.workdays import add_working_days

    deadline = add_working_days(datetime.date(YEAR, 1, 12), regional_rules().informing_working_days)
    other = insured_person(smo=region.smo1, mo=region.mo1, last_name="Вовремя")
    ListEntry.objects.create(upload=ListEntry.objects.first().upload, mo=region.mo1, smo=region.smo1,
                             smo_code=region.smo1.code, person=other, year=YEAR, measure="DVN", month=2,
                             n_zap=9)  # fmt: skip
    from informing.due import due_counts

    due = {c.deadline for c in due_counts(smo_id=region.smo1.pk, on=datetime.date(YEAR, 1, 13), kinds=("INVITE",))}
    assert due == {deadline}  # the deadline of the due rule itself
    fact(region, other, min(due))  # invited on the deadline day: in time
    refresh_outcomes(YEAR)
    late = sum(YearOutcome.objects.filter(year=YEAR, mo=region.mo1).values_list("not_invited_by_deadline", flat=True))
    assert late == 8 - 1  # the eight of the fixture but the one who opted out; not the one invited in time
    assert YearOutcome.objects.get(year=YEAR, outcome="OPTED_OUT").not_invited_by_deadline == 0
    client.force_login(region.fund_user)
    for table, code in (("outcomes_mo", region.mo1.code), ("outcomes_smo", region.smo1.code)):
        lines = client.get(reverse("reports:dashboard_export", args=[table, "csv"]), {"year": YEAR}).content
        lines = lines.decode("utf-8-sig").splitlines()
        header = lines[0].split(";")
        row = next(line for line in lines if line.startswith(code)).split(";")
        assert row[header.index("не приглашены в срок")] == "7", table
    page = client.get(reverse("reports:dashboard"), {"year": YEAR}).content.decode()
    assert f'data-not-invited="{region.mo1.code}"><strong class="text-danger">7<' in page


@pytest.mark.django_db
def test_outcomes_and_channel_credits_follow_the_month_mo_smo_and_measure_filters(client, region, listed):
    refresh_outcomes(YEAR)
    client.force_login(region.fund_user)

    def total(**params):
        lines = client.get(reverse("reports:dashboard_export", args=["outcomes_mo", "csv"]), {"year": YEAR, **params})
        lines = lines.content.decode("utf-8-sig").splitlines()
        header = lines[0].split(";")
        return {line.split(";")[0]: int(line.split(";")[header.index("всего")]) for line in lines[1:]}

    def channels(**params):
        response = client.get(reverse("reports:dashboard_export", args=["channels", "csv"]), {"year": YEAR, **params})
        return response.content.decode("utf-8-sig").splitlines()[1:]

    assert total()[region.mo1.code] == 8 and total(**{"from": 2, "to": 2})[region.mo1.code] == 8
    assert total(**{"from": 3, "to": 12})[region.mo1.code] == 0  # the entries are planned for February
    assert total(measure="PMO")[region.mo1.code] == 0 and total(measure="DVN")[region.mo1.code] == 8
    assert total(smo=region.smo2.pk)[region.mo1.code] == 0 and total(smo=region.smo1.pk)[region.mo1.code] == 8
    assert set(total(mo=region.mo2.pk)) == {region.mo2.code}  # the MO filter: that MO's row alone
    assert len(channels()) == 1 and channels(smo=region.smo2.pk) == [] and channels(mo=region.mo2.pk) == []
    assert channels(**{"from": 4, "to": 12}) == [] and channels(measure="PMO") == []
