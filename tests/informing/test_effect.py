"""Channel effectiveness (30/60/90 days), A/B arms with a 95 % interval, the quarterly report's state (O12), the
Fund's control (O11), the obligations, and ``manage.py informing_due``."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from informing.models import Batch, BatchMessage, ChannelReport, ControlRun
from informing.selectors.effectiveness import Arm, batch_arms, channel_effectiveness, compare, control_counts
from omsportal.obligations import Period, obligation
from screening.models import EventBatch, StageEvent
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, entry, record_fact

pytestmark = pytest.mark.django_db
D = datetime.date


def started(region, person, day):
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status="DONE")
    StageEvent.objects.create(batch=batch, mo=region.mo1, person=person, measure="DVN", event="START1", date=day)


def test_shares_who_came_within_30_60_90_days(region):
    people = [insured_person(smo=region.smo1, mo=region.mo1) for _ in range(4)]
    for n, person in enumerate(people):
        record_fact(region.smo1, person, date=D(2026, 4, 1), ref=f"r{n}")
    started(region, people[0], D(2026, 4, 20))  # 19 days
    started(region, people[1], D(2026, 5, 25))  # 54 days
    started(region, people[2], D(2026, 6, 29))  # 89 days
    rows = channel_effectiveness(smo_id=region.smo1.pk, date_from=D(2026, 4, 1), date_to=D(2026, 6, 30))
    assert [(r.channel, r.informed, r.came30, r.came60, r.came90) for r in rows] == [("SMS", 4, 1, 2, 3)]
    assert channel_effectiveness(smo_id=region.smo2.pk, date_from=D(2026, 4, 1), date_to=D(2026, 6, 30)) == []


def test_ab_arms_and_the_confidence_interval(region):
    batch = Batch.objects.create(smo=region.smo1, kind="INVITE", year=2026, due_on=D(2026, 4, 1), status="SENT",
                                 arms=[{"SMS": 1}, {"SMS": 2}])  # fmt: skip
    sent = timezone.make_aware(datetime.datetime(2026, 4, 1, 12))
    for arm in (0, 1):
        for n in range(4):
            person = insured_person(smo=region.smo1, mo=region.mo1)
            BatchMessage.objects.create(batch=batch, person=person, arm=arm, channel="SMS", status="SENT", sent_at=sent)
            if arm == 1 or n == 0:
                started(region, person, D(2026, 5, 1))
    arms = batch_arms(batch_id=batch.pk)
    assert [(a.arm, a.size, a.came) for a in arms] == [(0, 4, 1), (1, 4, 4)]
    c = compare(arms[1], arms[0])
    assert c.difference == pytest.approx(0.75)
    assert c.low == pytest.approx(0.75 - 1.959963984540054 * (0.25 * 0.75 / 4) ** 0.5)
    assert c.significant
    assert not compare(Arm(1, 10, 5), Arm(0, 10, 4)).significant


def test_the_quarterly_report_state_and_xlsx(client, region):
    o12 = obligation("O12")
    # The 30th of the month after Q1 2026: 30 April, a Thursday.
    assert o12.due_on(Period.of_quarter(2026, 1)) == D(2026, 4, 30)
    client.force_login(region.smo1_l2)
    url = reverse("informing:effectiveness")
    response = client.get(url, {"year": 2026, "quarter": 1})
    assert response.status_code == 200 and 'data-state="late"' in response.content.decode()
    assert client.post(url, {"year": 2026, "quarter": 1}).status_code == 302
    again = client.post(url, {"year": 2026, "quarter": 1}, follow=True)  # filed once: the figures stay as filed
    assert "уже представлен" in again.content.decode()
    report = ChannelReport.objects.get()
    assert o12.met_on(region.smo1.pk, Period.of_quarter(2026, 1)) == timezone.localdate(report.filed_at)
    response = client.get(url, {"year": 2026, "quarter": 1})
    assert 'data-state="filed_late"' in response.content.decode()
    xlsx = client.get(reverse("informing:effectiveness_report"), {"year": 2026, "quarter": 1})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert "30.04.2026" in sheet["A2"].value
    client.force_login(region.smo1_l3)
    assert client.post(url, {"year": 2026, "quarter": 2}).status_code == 403


def test_the_funds_control_counts_and_records_o11(client, region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=3)
    late = timezone.make_aware(datetime.datetime(2026, 3, 20, 12))
    from informing.services import FactInput, facts_record

    facts_record(smo=region.smo1, acting_user=None, posted_at=late, facts=[
        FactInput(enp=region.p1.enp, kind="INVITE", channel="SMS", date=D(2026, 3, 2), outcome="NOT_DELIVERED",
                  reference="x")])  # fmt: skip
    assert control_counts(year=2026, month=3) == [{"smo_id": region.smo1.pk, "facts": 1, "late": 1, "uninvited": 1}]
    client.force_login(region.fund_user)
    url = reverse("informing:control")
    assert client.get(url, {"year": 2026, "month": 3}).status_code == 200
    assert client.post(url, {"year": 2026, "month": 3}).status_code == 302
    run = ControlRun.objects.get()
    assert obligation("O11").met_on(None, Period.of_month(2026, 3)) == timezone.localdate(run.run_at)
    # A late fact: O10 met late, by its working days after its own deadline (3 March; 9 March a holiday).
    o10 = obligation("O10").met_on(region.smo1.pk, Period.of_month(2026, 3))
    assert (o10, o10.late_days) == (D(2026, 3, 20), 12)


def test_invitation_obligation_due_dates():
    o9 = obligation("O9")
    assert o9.due_on(Period.of_quarter(2026, 2)) == D(2026, 4, 14)
    # Q1 2027: ten working days after the lists' deadline, the last working day of 2026 (30 December).
    assert o9.due_on(Period.of_quarter(2027, 1)) > D(2027, 1, 8)


def test_informing_due_command(region):
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    entry(upload, region.p1, smo=region.smo1, month=5)
    out = io.StringIO()
    call_command("informing_due", "--smo", region.smo1.code, "--date", "2026-04-20", stdout=out)
    text = out.getvalue()
    assert f"INVITE   {region.mo1.code}  2026-04-14         1          1" in text
    assert "итого: подлежат 1, просрочено 1" in text
