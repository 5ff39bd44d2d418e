"""Channel effectiveness (30/60/90 days), A/B arms with a 95 % interval, the quarterly report's state (O12), the
Fund's control (O11), the obligations, and ``manage.py informing_due``."""

from __future__ import annotations

import datetime
import io
import math

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from informing.models import Batch, BatchMessage, ChannelReport, ControlRun
from informing.selectors.effectiveness import (
    Z95 as Z,
)
from informing.selectors.effectiveness import (
    Arm,
    batch_arms,
    by_channel,
    channel_effectiveness,
    compare,
    control_counts,
)
from omsportal.obligations import Period, obligation
from screening.models import EventBatch, StageEvent
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, entry, record_fact

pytestmark = pytest.mark.django_db
D = datetime.date


def started(region, person, day, event="START1"):
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status="DONE")
    StageEvent.objects.create(batch=batch, mo=region.mo1, person=person, measure="DVN", event=event, date=day)


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


def test_each_kind_is_judged_by_the_stage_event_that_shows_it_worked(client, region):
    """A stage-2 notice worked when stage 2 was finished (not when stage 1 started, months before); a DN reminder
    has no stage event: no shares, said on the page, and it does not pull the channel's share down."""
    notice, reminder, invite = (insured_person(smo=region.smo1, mo=region.mo1) for _ in range(3))
    started(region, notice, D(2025, 12, 1))  # stage 1 long before the notice
    started(region, notice, D(2026, 4, 20), event="END2")  # stage 2 finished 19 days after it
    record_fact(region.smo1, notice, kind="STAGE2", date=D(2026, 4, 1), ref="s2")
    started(region, reminder, D(2026, 4, 10))  # a START1 says nothing of a DN visit
    record_fact(region.smo1, reminder, kind="DN", date=D(2026, 4, 1), ref="dn")
    record_fact(region.smo1, invite, kind="REPEAT", date=D(2026, 4, 1), ref="rp")
    started(region, invite, D(2026, 4, 5))
    rows = channel_effectiveness(smo_id=region.smo1.pk, date_from=D(2026, 4, 1), date_to=D(2026, 6, 30))
    by_kind = {r.kind: (r.informed, r.came30, r.came60, r.came90) for r in rows}
    assert by_kind == {"STAGE2": (1, 1, 1, 1), "DN": (1, None, None, None), "REPEAT": (1, 1, 1, 1)}
    assert [r.measured for r in rows if r.kind == "DN"] == [False]
    # Before the fix the stage-2 notice counted START1 events and came out 0 of 1.
    only_start1 = insured_person(smo=region.smo1, mo=region.mo1)
    record_fact(region.smo1, only_start1, kind="STAGE2", date=D(2026, 4, 1), ref="s2b")
    started(region, only_start1, D(2026, 4, 3))
    rows = channel_effectiveness(smo_id=region.smo1.pk, date_from=D(2026, 4, 1), date_to=D(2026, 6, 30))
    assert [(r.informed, r.came90) for r in rows if r.kind == "STAGE2"] == [(2, 1)]
    (sms,) = by_channel(rows)
    assert (sms["informed"], sms["measured"], sms["came90"], sms["share90"]) == (4, 3, 2, 66.7)
    client.force_login(region.smo1_l2)
    page = client.get(reverse("informing:effectiveness"), {"year": 2026, "quarter": 2}).content.decode()
    assert page.count('data-testid="no-outcome-event"') == 1 and 'data-testid="outcome-events"' in page
    assert "визиты ДН поступят с реестрами счетов" in page and "явка не учитывается" in page
    # The quarterly report says the same: the measured count per channel, the DN line without shares.
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        reverse("informing:effectiveness_report"), {"year": 2026, "quarter": 2}).content))  # fmt: skip
    channels = list(book["Каналы"].iter_rows(min_row=4, values_only=True))
    assert channels[0][2] == "в т. ч. по видам, где учитывается явка" and channels[1][1:3] == (4, 3)
    detail = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [row[5] for row in detail if row[2] == "напоминание о ДН"] == ["явка не учитывается"]


def wilson_by_hand(x, n, z=Z):
    p = x / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_newcombes_interval_for_the_difference_of_two_shares():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80, method 10: 0.0524 … 0.3339.
    c = compare(Arm(1, 70, 56), Arm(0, 80, 48))
    p1, p2 = 56 / 70, 48 / 80
    (l1, u1), (l2, u2) = wilson_by_hand(56, 70), wilson_by_hand(48, 80)
    assert c.difference == pytest.approx(0.2)
    assert c.low == pytest.approx(0.2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert c.high == pytest.approx(0.2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    assert (round(c.low, 4), round(c.high, 4)) == (0.0524, 0.3339)
    assert c.significant
    # Example (h) of the paper: 10/10 against 0/10 gives 0.6075 … 1.0000 (Wald: 1 … 1).
    c = compare(Arm(1, 10, 10), Arm(0, 10, 0))
    assert (round(c.low, 4), round(c.high, 4)) == (0.6075, 1.0) and c.significant
    assert not compare(Arm(1, 10, 5), Arm(0, 10, 4)).significant


def test_at_0_and_100_percent_one_of_one_against_none_of_one_is_not_significant():
    c = compare(Arm(1, 1, 1), Arm(0, 1, 0))
    # Wilson for 1/1 is [1/(1+z²), 1] and for 0/1 [0, z²/(1+z²)]: the low end is 1 − √2·z²/(1+z²) ≈ −0.122.
    assert c.low == pytest.approx(1 - math.sqrt(2) * Z * Z / (1 + Z * Z))
    assert c.high == pytest.approx(1.0)
    assert not c.significant
    assert not compare(Arm(1, 0, 0), Arm(0, 5, 5)).significant  # an empty arm says nothing


def test_ab_arms_count_everyone_assigned_to_an_arm(region):
    """Arms split by channel stay randomised: the persons an arm could not reach (no channel of the arm) are in its
    size as not reached; they came or not as anyone else; a batch of a kind without a stage event has no arms."""
    batch = Batch.objects.create(smo=region.smo1, kind="INVITE", year=2026, due_on=D(2026, 4, 1), status="SENT",
                                 arms=[{"SMS": 1}, {"POST": 2}],
                                 sent_at=timezone.make_aware(datetime.datetime(2026, 4, 1, 12)))  # fmt: skip
    sent = timezone.make_aware(datetime.datetime(2026, 4, 1, 12))
    plan = {0: ["SENT", "SENT", "UNREACHABLE", "UNREACHABLE"], 1: ["SENT", "UNREACHABLE", "SKIPPED", "SENT"]}
    came = {(0, 0), (0, 2), (1, 0), (1, 1), (1, 3)}  # (arm, n): one unreachable person of each arm came anyway
    for arm, statuses in plan.items():
        for n, status in enumerate(statuses):
            person = insured_person(smo=region.smo1, mo=region.mo1)
            BatchMessage.objects.create(batch=batch, person=person, arm=arm, channel="" if status != "SENT" else
                                        ("SMS", "POST")[arm], status=status,
                                        sent_at=sent if status == "SENT" else None)  # fmt: skip
            if (arm, n) in came:
                started(region, person, D(2026, 5, 1))
    arms = batch_arms(batch_id=batch.pk)
    assert [(a.arm, a.size, a.came) for a in arms] == [(0, 4, 2), (1, 4, 3)]
    assert batch_arms(batch_id=batch.pk, days=20) == [Arm(0, 4, 0), Arm(1, 4, 0)]
    Batch.objects.filter(pk=batch.pk).update(kind="DN")
    assert batch_arms(batch_id=batch.pk) == []
    Batch.objects.filter(pk=batch.pk).update(kind="INVITE", sent_at=None)
    assert batch_arms(batch_id=batch.pk) == []


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


def test_the_control_counts_as_uninvited_only_those_the_smo_still_has_to_inform(region):
    """Opted out, died or left the SMO by the month's end: not "still without an invitation" (as informing.due)."""
    from informing.services import opt_out_record
    from participants.models import PolicyPeriod
    from tests.factories import PolicyFactory

    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    people = {name: insured_person(smo=region.smo1, mo=region.mo1) for name in
              ("due", "opted", "died", "left", "died_later", "left_later")}  # fmt: skip
    for n, person in enumerate(people.values(), start=1):
        entry(upload, person, smo=region.smo1, month=3, n=n)
    opt_out_record(person=people["opted"], acting_user=region.smo1_l2)
    people["died"].death_date = D(2026, 3, 10)
    people["died"].save(update_fields=["death_date"])
    people["died_later"].death_date = D(2026, 4, 2)  # alive on 31 March: still to be informed in March
    people["died_later"].save(update_fields=["death_date"])
    for name, moved in (("left", D(2026, 3, 15)), ("left_later", D(2026, 4, 1))):
        PolicyPeriod.objects.filter(person=people[name]).update(date_to=moved - datetime.timedelta(days=1))
        PolicyFactory(person=people[name], smo=region.smo2, date_from=moved)
    counts = control_counts(year=2026, month=3, today=D(2026, 12, 1))
    assert counts == [{"smo_id": region.smo1.pk, "facts": 0, "late": 0, "uninvited": 3}]
    # Within the month, today is the day: who leaves after today is still the SMO's (died on the 10th: not).
    assert control_counts(year=2026, month=3, today=D(2026, 3, 12))[0]["uninvited"] == 4
