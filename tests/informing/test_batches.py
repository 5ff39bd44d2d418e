"""Batches: channel by contacts, opt-out before sending, cancel, the SMS file, resuming a killed job without
duplicates, e-mail over a real SMTP server (aiosmtpd) with a signed one-time unsubscribe link, letters PDF."""

from __future__ import annotations

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from informing.formats.batchfiles import letters_pdf, mailing_list_xlsx, send_after, sms_batch_csv
from informing.models import (
    Batch,
    BatchMessage,
    BatchStatus,
    ContactCorrection,
    InformingFact,
    MessageStatus,
    OptOut,
)
from informing.services import opt_out_record
from informing.services.batches import (
    BATCH_JOB,
    batch_cancel,
    batch_create,
    batch_send,
    unsubscribe_token,
    unsubscribe_url,
)
from informing.services.facts import FactInput, facts_record
from informing.services.texts import template_create
from omsportal.jobs.resume import resume_jobs
from omsportal.jobs.runner import run_job
from participants.models import Person
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, approved, entry

pytestmark = pytest.mark.django_db

D = datetime.date
ON = D(2026, 4, 1)  # Q2 entries are due from the quarter's first day




@pytest.fixture
def due_set(region):
    """Four persons due an invitation on ON: one by SMS, one by e-mail, one by post, one unreachable."""
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    people = {
        "sms": insured_person(smo=region.smo1, mo=region.mo1, first_name="Анна", phone="+7 914 111-22-33"),
        "email": insured_person(smo=region.smo1, mo=region.mo1, first_name="Борис", email="boris@example.org"),
        "post": insured_person(
            smo=region.smo1, mo=region.mo1, first_name="Вера", address="г. Хабаровск, ул. Ленина, 1"
        ),
        "none": insured_person(smo=region.smo1, mo=region.mo1, first_name="Глеб"),
    }
    for n, person in enumerate(people.values(), start=1):
        entry(upload, person, smo=region.smo1, month=5, n=n)
    return people


def arms(region):
    return [{
        "SMS": approved(region, "SMS", "{имя_отчество}, ждём вас в {мо} в {месяц}").pk,
        "EMAIL": approved(region, "EMAIL", "{имя_отчество}, приглашаем", subject="Приглашение").pk,
        "POST": approved(region, "POST", "Уважаемая(ый) {имя_отчество}! Приглашаем в {мо}.").pk,
    }]  # fmt: skip


def written(writer, batch, **kw) -> bytes:
    out = io.BytesIO()
    writer(batch, out, **kw)
    return out.getvalue()


def build(region, **kw):
    return batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2, arms=arms(region), on=ON,
                        run_async=False, **kw)  # fmt: skip


def test_a_batch_picks_the_channel_by_contacts_and_renders_from_approved_versions(region, due_set):
    batch = build(region)
    assert batch.status == BatchStatus.DONE, batch.message
    assert batch.counts == {"SMS": 1, "EMAIL": 1, "POST": 1}
    assert batch.unreachable == 1
    sms = BatchMessage.objects.get(batch=batch, channel="SMS")
    assert (sms.address, sms.text) == ("+79141112233", f"Анна Петровна, ждём вас в {region.mo1.display_name} в май")
    assert BatchMessage.objects.get(batch=batch, person=due_set["none"]).status == MessageStatus.UNREACHABLE


def test_only_approved_versions_can_be_used(region, due_set):
    template = template_create(smo=region.smo1, kind="INVITE", channel="SMS", name="draft", body="x",
                               created_by=region.smo1_l2)  # fmt: skip
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2,
                     arms=[{"SMS": template.versions.get().pk}], on=ON, run_async=False)  # fmt: skip


def test_opt_out_removes_a_person_from_a_batch_not_yet_sent(region, due_set):
    batch = build(region)
    opt_out_record(person=due_set["sms"], acting_user=region.smo1_l2)
    assert BatchMessage.objects.get(batch=batch, person=due_set["sms"]).status == MessageStatus.SKIPPED
    assert batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    rows = list(csv.reader(io.StringIO(written(sms_batch_csv, batch).decode()), delimiter=";"))
    assert rows == [["MSG_ID", "PHONE", "TEXT", "SEND_AFTER"]]  # the only SMS was the opted-out person's
    # A batch made after the opt-out does not include them at all.
    again = build(region)
    assert not BatchMessage.objects.filter(batch=again, person=due_set["sms"]).exists()


def test_an_opt_out_the_build_could_not_see_is_caught_when_sending(region, due_set, mailoutbox):
    """An opt-out committed while the build's transaction ran updated no message (it saw none): the flag alone
    is set and the messages stay RENDERED; sending re-checks it, and a wrong-recipient report the same way."""
    batch = build(region)
    Person.objects.filter(pk__in=[due_set["sms"].pk, due_set["email"].pk]).update(informing_opt_out=True)
    # The post address was reported wrong as the register wrote it, after the build.
    ContactCorrection.objects.create(person=due_set["post"], contact="ADDRESS", reason="WRONG",
                                     old_value=" г. Хабаровск, ул. Ленина, 1")  # fmt: skip
    assert set(BatchMessage.objects.filter(batch=batch).values_list("status", flat=True)) == {
        MessageStatus.RENDERED, MessageStatus.UNREACHABLE}  # fmt: skip
    assert batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    rows = list(csv.reader(io.StringIO(written(sms_batch_csv, batch).decode()), delimiter=";"))
    assert rows == [["MSG_ID", "PHONE", "TEXT", "SEND_AFTER"]]
    assert mailoutbox == []
    statuses = dict(BatchMessage.objects.filter(batch=batch).values_list("person_id", "status"))
    assert statuses[due_set["sms"].pk] == statuses[due_set["email"].pk] == MessageStatus.SKIPPED
    assert statuses[due_set["post"].pk] == MessageStatus.UNREACHABLE
    assert not InformingFact.objects.exists()


def test_a_phone_reported_wrong_in_another_spelling_leaves_the_sms_file(region, due_set):
    batch = build(region)
    ContactCorrection.objects.create(person=due_set["sms"], contact="PHONE", reason="UNKNOWN",
                                     old_value="8 (914) 111-22-33")  # fmt: skip
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    assert b"+79141112233" not in written(sms_batch_csv, batch)
    assert BatchMessage.objects.get(batch=batch, person=due_set["sms"]).status == MessageStatus.UNREACHABLE


def test_an_opt_out_committed_while_the_build_runs_is_skipped_at_its_end(region, due_set, monkeypatch):
    """The opt-out lands after the due set was read (its own update saw no message yet): the build's last
    statement skips the message, and the counts say so."""
    from informing.services import batches as batches_module

    real = batches_module.due_person_rows

    def due_then_opt_out(**kw):
        rows = real(**kw)
        Person.objects.filter(pk=due_set["sms"].pk).update(informing_opt_out=True)
        return rows

    monkeypatch.setattr(batches_module, "due_person_rows", due_then_opt_out)
    batch = build(region)
    assert BatchMessage.objects.get(batch=batch, person=due_set["sms"]).status == MessageStatus.SKIPPED
    assert batch.counts == {"EMAIL": 1, "POST": 1}


def test_a_batch_is_cancellable_before_sending_only(region, due_set):
    batch = build(region)
    assert batch_cancel(batch=batch, user=region.smo1_l2)
    assert not batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    sent = build(region)
    batch_send(batch=sent, user=region.smo1_l2, run_async=False)
    assert not batch_cancel(batch=sent, user=region.smo1_l2)


@pytest.mark.parametrize("status", [BatchStatus.PENDING, BatchStatus.RUNNING])
def test_a_batch_whose_sending_started_cannot_be_cancelled(client, region, due_set, status):
    """Send pressed: the batch is PENDING (queued) or RUNNING (e-mails going) with sent_at set; a cancel, by the
    service or the page, is refused and the batch goes on."""
    batch = build(region)
    Batch.objects.filter(pk=batch.pk).update(status=status, sent_at=timezone.now())
    batch.refresh_from_db()
    assert not batch_cancel(batch=batch, user=region.smo1_l2)
    client.force_login(region.smo1_l2)
    response = client.post(reverse("informing:batch", args=[batch.pk]), {"action": "cancel"}, follow=True)
    assert "Отправка рассылки уже начата: отменить её нельзя." in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.cancelled_at) == (status, None)
    # A batch cancelled that way before the fix: its files are not offered and do not download.
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.CANCELLED)
    assert client.get(reverse("informing:batch_file", args=[batch.pk, "sms"])).status_code == 404
    assert b"file-sms" not in client.get(reverse("informing:batch", args=[batch.pk])).content


def test_the_sms_batch_file_and_no_sms_at_night(region, due_set):
    batch = build(region)
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    night = timezone.make_aware(datetime.datetime(2026, 4, 1, 22, 30))
    rows = list(csv.DictReader(io.StringIO(written(sms_batch_csv, batch, at=night).decode()), delimiter=";"))
    assert len(rows) == 1
    message = BatchMessage.objects.get(batch=batch, channel="SMS")
    assert rows[0] == {"MSG_ID": str(message.pk), "PHONE": "+79141112233", "TEXT": message.text,
                       "SEND_AFTER": "2026-04-02T09:00"}  # fmt: skip
    day = timezone.make_aware(datetime.datetime(2026, 4, 1, 12, 5, 33))
    assert send_after(day).strftime("%H:%M") == "12:05"
    assert send_after(timezone.make_aware(datetime.datetime(2026, 4, 1, 7, 0))).strftime("%d %H:%M") == "01 09:00"


def test_a_killed_batch_job_resumes_without_duplicates(region, due_set, settings):
    settings.OMS_JOB_DISPATCH_GRACE_SECONDS = 0
    batch = batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2, arms=arms(region), on=ON,
                         run_async=True)  # fmt: skip
    # A worker claimed it and was killed: its transaction left nothing, the row says RUNNING, the lock is free.
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING, attempts=1,
                                             started_at=timezone.now() - datetime.timedelta(minutes=5))  # fmt: skip
    # A run that failed after writing (or a build started over) left stale messages: the repeat replaces them.
    for person in (due_set["sms"], due_set["none"]):
        BatchMessage.objects.create(batch=batch, person=person, channel="SMS", address="+79990000000",
                                    text="stale", status=MessageStatus.RENDERED)  # fmt: skip
    dispatched = []
    resume_jobs(dispatch=lambda name, pk: dispatched.append((name, pk)))
    assert dispatched == [(BATCH_JOB, batch.pk)]
    assert run_job(BATCH_JOB, batch.pk) == BatchStatus.DONE
    assert run_job(BATCH_JOB, batch.pk) == "skipped"  # a redelivered task does nothing
    assert BatchMessage.objects.filter(batch=batch).count() == 4
    assert BatchMessage.objects.filter(batch=batch).values("person").distinct().count() == 4
    assert not BatchMessage.objects.filter(batch=batch, text="stale").exists()
    assert BatchMessage.objects.get(batch=batch, person=due_set["none"]).status == MessageStatus.UNREACHABLE


def test_a_killed_sending_never_sends_an_email_twice(region, due_set, mailoutbox):
    batch = build(region)
    email = BatchMessage.objects.get(batch=batch, channel="EMAIL")
    # The worker marked the message SENDING, handed it to SMTP and was killed before SENT.
    BatchMessage.objects.filter(pk=email.pk).update(status=MessageStatus.SENDING)
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    assert len(mailoutbox) == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    assert "не подтверждена отправка 1 писем" in batch.message


def test_email_over_a_real_smtp_server_with_a_one_time_unsubscribe_link(region, due_set, settings, client):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        batch = build(region)
        batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    finally:
        controller.stop()
    assert len(received) == 1
    raw = received[0].content.decode()
    assert received[0].rcpt_tos == ["boris@example.org"]
    message = BatchMessage.objects.get(batch=batch, channel="EMAIL")
    assert message.status == MessageStatus.SENT
    import email

    parsed = email.message_from_string(raw)
    link = " ".join(parsed["List-Unsubscribe"].split()).strip("<>")
    assert link.startswith(unsubscribe_url(message.pk).rsplit("/unsubscribe/", 1)[0] + "/unsubscribe/")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in raw  # the link in the body too
    fact = InformingFact.objects.get(message=message)
    assert (fact.channel, fact.outcome, fact.source) == ("EMAIL", "DELIVERED", "EMAIL")
    path = re.sub(r"^https?://[^/]+", "", link)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    assert Person.objects.get(pk=due_set["email"].pk).informing_opt_out
    assert OptOut.objects.get(person=due_set["email"]).source == "UNSUB"
    assert client.post(path).status_code == 410  # works once
    forged = unsubscribe_token(message.pk)[:-3] + "abc"
    assert client.post(reverse("informing:unsubscribe", args=[forged])).status_code == 404
    assert client.get(reverse("informing:unsubscribe", args=["x" * 20])).status_code == 404


def test_letters_pdf_and_mailing_list(region, due_set):
    batch = build(region)
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    pdf = written(letters_pdf, batch)
    assert pdf.startswith(b"%PDF")
    sheet = openpyxl.load_workbook(io.BytesIO(written(mailing_list_xlsx, batch))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1].startswith("Иванова Вера") and rows[1][3] == "г. Хабаровск, ул. Ленина, 1"


def test_level_2_makes_a_batch_in_the_browser_and_level_1_sees_only_assigned_phone_batches(client, region, due_set):
    phone = approved(region, "PHONE", "Здравствуйте, {имя_отчество}! Звоним из СМО.")
    client.force_login(region.smo1_l2)
    response = client.post(reverse("informing:batches"), {"kind": "INVITE", "a_PHONE": phone.pk,
                                                           "operator": region.smo1_l1.pk})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = Batch.objects.get()
    client.force_login(region.smo1_l1)
    assert client.get(reverse("informing:batch", args=[batch.pk])).status_code == 200
    other = Batch.objects.create(smo=region.smo1, kind="INVITE", year=2026, due_on=ON)
    assert client.get(reverse("informing:batch", args=[other.pk])).status_code == 404
    client.force_login(region.smo2_l2)
    assert client.get(reverse("informing:batch", args=[batch.pk])).status_code == 404


def test_the_batch_files_are_streamed_from_a_temporary_file_and_audited(client, region, due_set):
    """The download is a FileResponse over the file the writer wrote (never one string in memory), the same bytes."""
    from omsportal.models import AuditAction, AuditLog

    batch = build(region)
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    client.force_login(region.smo1_l2)
    for fmt, writer in (("sms", sms_batch_csv), ("mailing", mailing_list_xlsx)):
        response = client.get(reverse("informing:batch_file", args=[batch.pk, fmt]))
        assert response.status_code == 200 and response.streaming
        content = b"".join(response.streaming_content)
        if fmt == "sms":
            assert content == written(writer, batch)
            assert content.startswith(b"MSG_ID;PHONE;TEXT;SEND_AFTER\r\n") and b"+79141112233" in content
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            assert list(sheet.iter_rows(values_only=True)) == list(
                openpyxl.load_workbook(io.BytesIO(written(writer, batch))).active.iter_rows(values_only=True)
            )
    assert AuditLog.objects.filter(action=AuditAction.EXPORT, object_type="batch").count() == 2


def test_deleting_a_batch_keeps_its_facts_and_finds_them_by_the_message_index(region, due_set):
    """The facts of a deleted batch's messages stay, without their message; the lookup by message that the
    deletion makes (the foreign key's check, the SET NULL) reads the partial index, not every fact."""
    batch = build(region)
    sms = BatchMessage.objects.get(batch=batch, channel="SMS")
    day = ON - datetime.timedelta(days=1)
    facts = [
        FactInput(kind="INVITE", channel="SMS", date=day, outcome="DELIVERED", enp=due_set["sms"].enp,
                  reference=str(sms.pk), message_id=sms.pk),
        FactInput(kind="INVITE", channel="POST", date=day, outcome="DELIVERED", enp=due_set["post"].enp),
    ]  # fmt: skip
    assert facts_record(smo=region.smo1, facts=facts, acting_user=region.smo1_l2).accepted == 2
    with connection.cursor() as cur:
        # The foreign key's check runs this statement with a generic plan ($1 unknown to the planner): the partial
        # index serves it only because "message_id = $1" implies "message_id IS NOT NULL".
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cur.execute(
            "PREPARE fact_by_message(bigint) AS "
            f"SELECT 1 FROM ONLY {InformingFact._meta.db_table} x WHERE message_id = $1 FOR KEY SHARE OF x"
        )
        cur.execute("EXPLAIN EXECUTE fact_by_message(1)")
        plan = "\n".join(row[0] for row in cur.fetchall())
        cur.execute("DEALLOCATE fact_by_message")
    assert "informingfact_message" in plan, plan
    assert "Seq Scan" not in plan, plan

    batch.delete()
    assert not BatchMessage.objects.filter(pk=sms.pk).exists()
    assert sorted(InformingFact.objects.values_list("channel", "message_id")) == [("POST", None), ("SMS", None)]


def test_a_preference_recorded_by_level_3_beats_the_default_channel_order(client, region, due_set):
    """Anna has a phone and an e-mail: the default order picks SMS; her preference, recorded on the opt-outs page
    by a level-3 representative (scoped by ENP, audited), makes the next batch write to her by e-mail."""
    from informing.models import ChannelPreference
    from omsportal.models import AuditAction, AuditLog

    anna = due_set["sms"]
    Person.objects.filter(pk=anna.pk).update(email="anna@example.org")
    assert BatchMessage.objects.get(batch=build(region), person=anna).channel == "SMS"
    client.force_login(region.smo1_l3)
    assert b"preference-form" in client.get(reverse("informing:optouts")).content
    response = client.post(reverse("informing:channel_preference"), {"enp": anna.enp, "channel": "EMAIL"})
    assert response.status_code == 302, response.content.decode()[:2000]
    preference = ChannelPreference.objects.get(person=anna)
    assert (preference.channel, preference.recorded_by) == ("EMAIL", region.smo1_l3)
    audit = AuditLog.objects.get(action=AuditAction.UPDATE, object_type="contact", user=region.smo1_l3)
    assert audit.person_ids == [anna.pk] and audit.query == {"channel_preference": "EMAIL"}
    message = BatchMessage.objects.get(batch=build(region), person=anna)
    assert (message.channel, message.address) == ("EMAIL", "anna@example.org")
    # The person card shows it; another SMO cannot set it (not its insured); the Fund only reads.
    client.force_login(region.smo1_l2)
    card = client.get(reverse("persons:detail", args=[anna.pk])).content.decode()
    assert 'data-testid="channel-preference"' in card
    client.force_login(region.smo2_l2)
    response = client.post(reverse("informing:channel_preference"), {"enp": anna.enp, "channel": "POST"})
    assert response.status_code == 400
    assert "не застраховано в вашей СМО" in response.content.decode()
    client.force_login(region.fund_user)
    assert client.post(reverse("informing:channel_preference"), {"enp": anna.enp, "channel": "POST"}).status_code == 403
    assert ChannelPreference.objects.get(person=anna).channel == "EMAIL"
    # Clearing it: the default order again.
    client.force_login(region.smo1_l2)
    client.post(reverse("informing:channel_preference"), {"enp": anna.enp, "channel": ""})
    assert not ChannelPreference.objects.filter(person=anna).exists()


def test_the_preference_service_is_scoped(region, due_set):
    from django.core.exceptions import PermissionDenied, ValidationError

    from informing.services import channel_preference_set

    with pytest.raises(PermissionDenied):
        channel_preference_set(person=due_set["sms"], channel="SMS", acting_user=region.smo2_l2)
    with pytest.raises(ValidationError):
        channel_preference_set(person=due_set["sms"], channel="VISIT", acting_user=region.smo1_l2)


def test_who_could_not_be_reached_is_listed_and_downloaded_scoped_and_audited(client, region, due_set):
    from omsportal.models import AuditAction, AuditLog

    batch = build(region)
    url = reverse("informing:batch_unreachable", args=[batch.pk])
    for user in (region.smo1_l2, region.smo1_l3, region.fund_user):
        client.force_login(user)
        AuditLog.objects.all().delete()
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Глеб" in body and "Анна" not in body and "Борис" not in body
        audit = AuditLog.objects.get(action=AuditAction.LIST, user=user)
        assert (audit.person_ids, audit.object_type) == ([due_set["none"].pk], "batch_message")
        assert audit.query["batch"] == batch.pk
        response = client.get(url, {"fmt": "xlsx"})
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("ФИО", "Дата рождения", "ЕНП") and len(rows) == 2
        assert rows[1][0].startswith("Иванова Глеб") and rows[1][2] == due_set["none"].enp
        export = AuditLog.objects.get(action=AuditAction.EXPORT, user=user)
        assert (export.person_ids, export.person_count) == ([due_set["none"].pk], 1)
    client.force_login(region.smo1_l2)
    assert 'data-testid="unreachable-link"' in client.get(reverse("informing:batch", args=[batch.pk])).content.decode()
    # Another SMO's users and level 1 get a 404, page and download alike, and nothing is audited for them.
    AuditLog.objects.all().delete()
    for user in (region.smo2_l2, region.smo1_l1):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(url, {"fmt": "xlsx"}).status_code == 404
    assert not AuditLog.objects.exists()


def test_the_unreachable_download_neutralizes_formulas(client, region, due_set):
    Person.objects.filter(pk=due_set["none"].pk).update(phone="=1+2", email="=HYPERLINK(1)")  # no usable contact
    batch = build(region)
    client.force_login(region.smo1_l2)
    response = client.get(reverse("informing:batch_unreachable", args=[batch.pk]), {"fmt": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    phone, email = list(sheet.iter_rows())[1][4:6]
    # As written, in text cells with the quote prefix: never a formula, and editing keeps them text.
    assert (phone.value, email.value) == ("=1+2", "=HYPERLINK(1)")
    assert (phone.data_type, email.data_type) == ("s", "s") and phone.quotePrefix and email.quotePrefix


def test_a_three_arm_batch_made_in_the_browser_puts_each_person_in_exactly_one_arm(client, region, due_set):
    """Three SMS texts in arms A, B and C of the form: the batch records three arms, and the persons are split by
    the batch's hash of (batch, person), each in exactly one arm, every arm used, each with its own text."""
    from informing.services.batches import _arm_of

    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    for n in range(60):
        person = insured_person(smo=region.smo1, mo=region.mo1, first_name=f"Лицо{n}", phone=f"+7914{n:07d}")
        entry(upload, person, smo=region.smo1, month=5, n=100 + n)
    versions = [approved(region, "SMS", f"Текст {letter}, {{имя_отчество}}") for letter in "АБВ"]
    client.force_login(region.smo1_l2)
    form = client.get(reverse("informing:batches")).content.decode()
    assert 'name="c_SMS"' in form and 'name="d_SMS"' in form
    data = {"kind": "INVITE", "a_SMS": versions[0].pk, "b_SMS": versions[1].pk, "c_SMS": versions[2].pk}
    response = client.post(reverse("informing:batches"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = Batch.objects.get()
    run_job(BATCH_JOB, batch.pk)  # the build, here (a no-op if the queue ran it already)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.message
    assert batch.arms == [{"SMS": v.pk} for v in versions]
    sms = list(BatchMessage.objects.filter(batch=batch, channel="SMS").values_list("person_id", "arm", "version_id",
                                                                                  "text"))  # fmt: skip
    assert len(sms) == 61 and len({pid for pid, *_rest in sms}) == 61  # Anna too; one message, one arm each
    for pid, arm, version_id, text in sms:
        assert arm == _arm_of(batch.pk, pid, 3)
        assert version_id == versions[arm].pk and text.startswith(f"Текст {'АБВ'[arm]}, ")
    sizes = [sum(1 for _p, arm, *_rest in sms if arm == n) for n in range(3)]
    assert all(size >= 8 for size in sizes), sizes  # 61 persons at random: each arm gets its share


def test_a_wrong_phone_reported_as_the_register_spells_it_drops_the_sms_at_once(region, due_set):
    from informing.services import wrong_recipient_report

    batch = build(region)
    wrong_recipient_report(person=due_set["sms"], contact="PHONE", acting_user=region.smo1_l2)  # "+7 914 111-22-33"
    assert BatchMessage.objects.get(batch=batch, person=due_set["sms"]).status == MessageStatus.UNREACHABLE
