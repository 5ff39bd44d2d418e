"""Batches out: a due set rendered per person from approved versions, channel by contacts and preference,
optionally split at random between arms (A/B); then sent per channel [R II.10, domain §6].

One batch is two jobs of the kit (informing/tasks.py), each safe to repeat:

- **build** (the ``informing.batch`` job before the batch is sent): one transaction — the due set, the person
  data (one query per 20,000), the channel choice and the rendering in Python, the messages written with ``COPY``;
  a worker killed half-way left nothing, so the repeat renders every message exactly once (the (batch, person) key
  refuses a second one anyway). The arm of a person is a hash of (batch, person): the same on a repeat.
- **send** (the same job kind once ``sent_at`` is set): e-mails over SMTP in chunks, each message SENDING
  (committed) before it goes and SENT (committed, with its fact) after, so a worker killed between the two never
  sends one twice (at most once; the batch's message counts the unconfirmed ones); SMS, post and phone messages are
  SENT when the batch is sent and their files (the SMS batch file, the letters PDF and mailing list, the phone
  list) are read from the sent messages.

A batch can be cancelled until Send is pressed (``sent_at``). An opt-out or a removed contact changes a batch not
yet sent at once; as the build is one transaction and cannot be seen by them while it runs, its end and the start of
sending drop every such message again (:func:`batch_drop_refused`).
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.models import JobStatus
from omsportal.jobs.runner import run_job
from participants.models import Organization, User

from ..due import DUE_KINDS, due_person_rows
from ..models import (
    Batch,
    BatchMessage,
    BatchStatus,
    Channel,
    ContactCorrection,
    CorrectionReason,
    FactSource,
    MessageStatus,
    Outcome,
    TemplateVersion,
    VersionStatus,
)
from ..rendering import mo_values, person_values, smo_values
from ..texts import name_slots, render
from .facts import FactInput, facts_record

logger = logging.getLogger(__name__)

# One job kind for both steps (one lock, one sweeper): the row's ``sent_at`` says which step a run does.
BATCH_JOB = "informing.batch"
BATCH_BUILD = BATCH_SEND = BATCH_JOB
CHUNK = 20_000
EMAIL_CHUNK = 50
UNSUBSCRIBE_SALT = "informing.unsubscribe"
# The order channels are tried in when the person states no preference: the cheapest that reaches them first.
CHANNEL_ORDER = (Channel.SMS, Channel.EMAIL, Channel.MESSENGER, Channel.POST, Channel.PHONE)
PHONE_CHANNELS = (Channel.SMS, Channel.MESSENGER, Channel.PHONE)
NOT_DIGITS = re.compile(r"[^0-9]+")
COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
CANCELLABLE = (BatchStatus.PENDING, BatchStatus.RUNNING, BatchStatus.DONE)


# --- Creating ---------------------------------------------------------------------------------------------------


def _check_arms(smo: Organization, kind: str, arms: list[dict[str, int]]) -> list[dict[str, int]]:
    """Each arm maps channels to approved versions of this SMO's templates of ``kind``."""
    if not arms or not all(arms):
        raise ValidationError(_("Выберите хотя бы один согласованный текст."))
    ids = {vid for arm in arms for vid in arm.values()}
    versions = {v.pk: v for v in TemplateVersion.objects.select_related("template").filter(pk__in=ids)}
    clean = []
    for arm in arms:
        checked = {}
        for channel, vid in arm.items():
            version = versions.get(vid)
            if version is None or version.template.smo_id != smo.pk:
                raise ValidationError(_("Текст не найден."))
            if version.status != VersionStatus.APPROVED:
                raise ValidationError(_("Использовать можно только тексты, согласованные ТФОМС."))
            if version.template.kind != kind or version.template.channel != channel:
                raise ValidationError(_("Текст другого вида или канала."))
            checked[channel] = vid
        clean.append(checked)
    return clean


def batch_create(
    *, smo: Organization, kind: str, created_by: User, arms: list[dict[str, int]], on: datetime.date | None = None,
    month: int | None = None, mo_ids: list[int] | None = None, assigned_to: User | None = None,
    run_async: bool = True,
) -> Batch:  # fmt: skip
    """A batch of ``kind`` for the persons due on ``on`` (of some MOs, of a planned month), built by a job."""
    if kind not in DUE_KINDS:
        raise ValidationError(_("Для этого вида нет правила, кто подлежит информированию."))
    arms = _check_arms(smo, kind, arms)
    if assigned_to is not None and (assigned_to.organization_id != smo.pk or assigned_to.role != "SMO_L1"):
        raise ValidationError(_("Обзвон назначается оператору 1 уровня своей СМО."))
    on = on or timezone.localdate()
    with transaction.atomic():
        batch = Batch.objects.create(
            smo=smo, kind=kind, year=on.year, month=month, due_on=on, mo_ids=sorted(set(mo_ids or [])), arms=arms,
            created_by=created_by, assigned_to=assigned_to,
        )  # fmt: skip
        if run_async:
            enqueue_job(BATCH_BUILD, batch.pk)
    if not run_async:
        run_job(BATCH_BUILD, batch.pk)
        batch.refresh_from_db()
    return batch


def batch_cancel(*, batch: Batch, user: User) -> bool:
    """Cancel a batch not yet sent: nothing of it leaves. Once Send was pressed (``sent_at`` set; the batch is
    PENDING or RUNNING again while its send job runs) it cannot be cancelled: a cancel mid-send would stop the
    e-mails half-way while its SMS are already SENT and its files out."""
    changed = Batch.objects.filter(pk=batch.pk, status__in=CANCELLABLE, sent_at__isnull=True).update(
        status=BatchStatus.CANCELLED, cancelled_at=timezone.now(), finished_at=timezone.now(),
        message=_("Рассылка отменена"),
    )  # fmt: skip
    return bool(changed)


def batch_send(*, batch: Batch, user: User, run_async: bool = True) -> bool:
    """Send a built batch: SMS, post and phone messages go out as files, e-mails by the send job."""
    with transaction.atomic():
        # The kit's claim takes PENDING jobs; the send job knows it is sending by sent_at.
        changed = Batch.objects.filter(pk=batch.pk, status=BatchStatus.DONE).update(
            status=BatchStatus.PENDING, sent_at=timezone.now(), message="", attempts=0
        )
        if not changed:
            return False
        if run_async:
            enqueue_job(BATCH_SEND, batch.pk)
    if not run_async:
        run_job(BATCH_SEND, batch.pk)
    return True


# --- Building -----------------------------------------------------------------------------------------------------


def batch_drop_refused(batch_id: int) -> tuple[int, int]:
    """Drop from the batch every message not yet sent whose person refuses informing now (SKIPPED) or whose
    address was reported wrong for its channel (UNREACHABLE, as :func:`~informing.services.contacts.
    wrong_recipient_report` marks one): (skipped, dropped). Set-based: two statements over the batch's messages.

    The build is one transaction, so an opt-out or a wrong-recipient report committed while it runs cannot see
    the messages it writes; the end of the build and the start of sending call this, so neither leaks out. A phone
    is compared by its last ten digits (the message holds ``+7…``, the report the value as the register had it).
    """
    skipped = BatchMessage.objects.filter(
        batch_id=batch_id, status=MessageStatus.RENDERED, person__informing_opt_out=True
    ).update(status=MessageStatus.SKIPPED)
    messages = BatchMessage._meta.db_table
    corrections = ContactCorrection._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {messages} m SET status = %(unreachable)s "  # noqa: S608  # nosec B608
            "WHERE m.batch_id = %(batch)s AND m.status = %(rendered)s AND EXISTS ("
            f"SELECT 1 FROM {corrections} c WHERE c.person_id = m.person_id AND c.reason = ANY(%(reasons)s) AND ("
            "(c.contact = 'PHONE' AND m.channel = ANY(%(phone)s) AND length(m.address) >= 10"
            " AND right(regexp_replace(c.old_value, '[^0-9]', '', 'g'), 10)"
            " = right(regexp_replace(m.address, '[^0-9]', '', 'g'), 10))"
            " OR (c.contact = 'EMAIL' AND m.channel = %(email)s"
            " AND lower(btrim(c.old_value)) = lower(btrim(m.address)))"
            " OR (c.contact = 'ADDRESS' AND m.channel = %(post)s AND btrim(c.old_value) = btrim(m.address))))",
            {
                "unreachable": MessageStatus.UNREACHABLE, "batch": batch_id, "rendered": MessageStatus.RENDERED,
                "reasons": [CorrectionReason.WRONG_RECIPIENT, CorrectionReason.UNKNOWN_NUMBER],
                "phone": list(PHONE_CHANNELS), "email": Channel.EMAIL, "post": Channel.POST,
            },
        )  # fmt: skip
        dropped = cur.rowcount
    return skipped, dropped


def _arm_of(batch_id: int, person_id: int, arms: int) -> int:
    if arms <= 1:
        return 0
    digest = hashlib.blake2b(f"{batch_id}:{person_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % arms


def _contact(channel: str, row: dict, removed: set) -> str:
    pid = row["id"]
    if channel in PHONE_CHANNELS:
        value = row["phone"]
        kind = "PHONE"
    elif channel == Channel.EMAIL:
        value, kind = row["email"], "EMAIL"
    elif channel == Channel.POST:
        value, kind = row["address"], "ADDRESS"
    else:
        return ""
    value = (value or "").strip()
    if not value or (pid, kind, value) in removed:
        return ""
    if channel in (Channel.SMS, Channel.MESSENGER):
        return _mobile(value)
    if channel == Channel.EMAIL and "@" not in value:
        return ""
    return value


def _mobile(phone: str) -> str:
    """The phone as ``+7`` and 10 digits when it is a Russian mobile number, else empty."""
    digits = NOT_DIGITS.sub("", phone)
    if len(digits) == 11 and digits[0] in "78" and digits[1] == "9":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    return ""


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    value = str(value)
    if not COPY_SPECIAL.search(value):
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def batch_run(batch_id: int, progress=None) -> None:
    """The job kit's ``run`` of a batch: build it, or (once sent) send it."""
    if Batch.objects.filter(pk=batch_id, sent_at__isnull=False).exists():
        batch_send_run(batch_id, progress)
    else:
        batch_build_run(batch_id, progress)


def batch_build_run(batch_id: int, progress=None) -> None:
    """Render every message of a claimed batch (the kit's ``run``): one transaction."""
    batch = Batch.objects.select_related("smo").get(pk=batch_id)
    with transaction.atomic():
        BatchMessage.objects.filter(batch_id=batch.pk).delete()  # a FAILED run left nothing; a stale one is redone
        # One query gives the due set with each person's contacts and preferred channel (no IN lists of ids).
        rows = due_person_rows(
            smo_id=batch.smo_id, on=batch.due_on, kind=batch.kind, mo_ids=batch.mo_ids or None, month=batch.month,
            with_month=True, with_contacts=True,
        )  # fmt: skip
        total = len(rows)
        if progress is not None:
            progress.write(records_total=total, records_read=0)
        versions = {v.pk: v for v in TemplateVersion.objects.filter(pk__in={v for a in batch.arms for v in a.values()})}
        arms = [{ch: versions[vid] for ch, vid in arm.items()} for arm in batch.arms]
        mos = mo_values({row[1] for row in rows}, batch.year)
        smo = smo_values(batch.smo)
        # Contacts reported wrong (a few thousand in a region at most): skipped even if a register reload brought
        # them back; read once, matched in Python.
        wrong = (CorrectionReason.WRONG_RECIPIENT, CorrectionReason.UNKNOWN_NUMBER)
        removed = set(
            ContactCorrection.objects.filter(reason__in=wrong).values_list("person_id", "contact", "old_value")
        )
        counts: dict[str, int] = {}
        slots: dict[tuple, list[str] | tuple] = {}
        unreachable = 0
        table = BatchMessage._meta.db_table
        with connection.cursor() as cur:
            for start in range(0, total, CHUNK):
                buffer = io.StringIO()
                for pid, mo_id, _deadline, month, first, middle, phone, email, address, preferred in rows[
                    start : start + CHUNK
                ]:
                    person = {"id": pid, "phone": phone, "email": email, "address": address}
                    arm_no = _arm_of(batch.pk, pid, len(arms))
                    arm = arms[arm_no]
                    order = (preferred, *CHANNEL_ORDER) if preferred else CHANNEL_ORDER
                    channel, address_used = "", ""
                    for candidate in order:
                        if candidate in arm:
                            address_used = _contact(candidate, person, removed)
                            if address_used:
                                channel = candidate
                                break
                    if channel:
                        version = arm[channel]
                        name = " ".join(p for p in (first, middle) if p)
                        # Each text once per MO and planned month, cut where the name goes (texts.name_slots);
                        # COPY escaping goes character by character, so the parts and the name are escaped apart.
                        key = (version.pk, mo_id, month)
                        parts = slots.get(key)
                        if parts is None:
                            values = person_values(first_name="", patronymic="", month=month, mo=mos.get(mo_id),
                                                   smo=smo)  # fmt: skip
                            cut = name_slots(version.body, values)
                            parts = slots[key] = [_copy_text(part) for part in cut] if cut is not None else ()
                        if parts:
                            text = _copy_text(name).join(parts)
                        else:
                            values = person_values(first_name=first, patronymic=middle, month=month,
                                                   mo=mos.get(mo_id), smo=smo)  # fmt: skip
                            text = _copy_text(render(version.body, values))
                        counts[channel] = counts.get(channel, 0) + 1
                        buffer.write(f"{batch.pk}\t{pid}\t{_copy_text(mo_id)}\t{channel}\t{arm_no}\t{version.pk}\t"
                                     f"{_copy_text(address_used)}\t{text}\t{MessageStatus.RENDERED}\n")  # fmt: skip
                    else:
                        unreachable += 1
                        buffer.write(f"{batch.pk}\t{pid}\t{_copy_text(mo_id)}\t\t{arm_no}\t\\N\t\t\t"
                                     f"{MessageStatus.UNREACHABLE}\n")  # fmt: skip
                buffer.seek(0)
                cur.copy_expert(
                    f"COPY {table} (batch_id, person_id, mo_id, channel, arm, version_id, address, text, status) "
                    "FROM STDIN",
                    buffer,
                )
                if progress is not None:
                    progress.write(force=False, records_read=min(total, start + CHUNK))
        # Opt-outs and wrong recipients committed while the build ran (after the due set was read).
        skipped, dropped = batch_drop_refused(batch.pk)
        if skipped or dropped:
            counts = dict(
                BatchMessage.objects.filter(batch_id=batch.pk, status=MessageStatus.RENDERED).order_by()
                .values_list("channel").annotate(n=Count("id"))
            )  # fmt: skip
            unreachable += dropped
        Batch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.DONE, finished_at=timezone.now(), counts=counts, unreachable=unreachable,
            records_total=total, records_read=total,
            message=_("Сформирована: %(n)s сообщений, недоступны %(u)s")
            % {"n": sum(counts.values()), "u": unreachable},
        )  # fmt: skip


# --- Sending ------------------------------------------------------------------------------------------------------


def unsubscribe_token(message_id: int) -> str:
    """The signed token of a message's unsubscribe link: it names the message (and so the person), nothing else."""
    return signing.dumps({"m": message_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_message(token: str) -> BatchMessage | None:
    """The message a token was signed for, or None for a forged or damaged token."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    message_id = data.get("m") if isinstance(data, dict) else None
    if not isinstance(message_id, int):
        return None
    return BatchMessage.objects.select_related("batch", "person").filter(pk=message_id).first()


def unsubscribe_url(message_id: int) -> str:
    return settings.OMS_PUBLIC_URL + reverse("informing:unsubscribe", args=[unsubscribe_token(message_id)])


def _email(message: BatchMessage, subject: str) -> EmailMessage:
    link = unsubscribe_url(message.pk)
    body = message.text + "\n\n" + _("Отказаться от информирования: %(link)s") % {"link": link}
    return EmailMessage(
        subject=subject or _("Приглашение на профилактический осмотр"),
        body=body,
        to=[message.address],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<inform-{message.pk}@{settings.DEFAULT_FROM_EMAIL.split('@')[-1]}>",
        },
    )


def batch_send_run(batch_id: int, progress=None) -> None:
    """Send a batch (the kit's ``run``): non-e-mail messages SENT at once, e-mails one chunk at a time."""
    batch = Batch.objects.select_related("smo", "created_by").get(pk=batch_id)
    now = timezone.now()
    with transaction.atomic():
        # Whoever refused, or whose address was reported wrong, since the build: nothing goes to them.
        batch_drop_refused(batch.pk)
        BatchMessage.objects.filter(batch_id=batch.pk, status=MessageStatus.RENDERED).exclude(
            channel=Channel.EMAIL
        ).update(status=MessageStatus.SENT, sent_at=now)
    # Messages a killed worker handed to SMTP without recording it: never sent again (at most once).
    unconfirmed = BatchMessage.objects.filter(batch_id=batch.pk, status=MessageStatus.SENDING).count()
    subjects = dict(TemplateVersion.objects.filter(pk__in={v for a in batch.arms for v in a.values()})
                    .values_list("pk", "subject"))  # fmt: skip
    total = BatchMessage.objects.filter(batch_id=batch.pk, channel=Channel.EMAIL).count()
    sent = BatchMessage.objects.filter(batch_id=batch.pk, channel=Channel.EMAIL, status=MessageStatus.SENT).count()
    smtp = get_connection()
    try:
        while True:
            with transaction.atomic():
                if Batch.objects.filter(pk=batch.pk, status=BatchStatus.CANCELLED).exists():
                    break
                ids = list(
                    BatchMessage.objects.select_for_update(skip_locked=True)
                    .filter(batch_id=batch.pk, channel=Channel.EMAIL, status=MessageStatus.RENDERED)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:EMAIL_CHUNK]
                )
                if not ids:
                    break
                # A refusal committed since the send began (its own update waits for these locked rows).
                refused = set(BatchMessage.objects.filter(pk__in=ids, person__informing_opt_out=True)
                              .values_list("pk", flat=True))  # fmt: skip
                if refused:
                    BatchMessage.objects.filter(pk__in=refused).update(status=MessageStatus.SKIPPED)
                    ids = [pk for pk in ids if pk not in refused]
                BatchMessage.objects.filter(pk__in=ids).update(status=MessageStatus.SENDING)
            messages = list(BatchMessage.objects.filter(pk__in=ids).select_related("person").order_by("pk"))
            done = []
            for message in messages:
                try:
                    smtp.send_messages([_email(message, subjects.get(message.version_id, ""))])
                except Exception as exc:  # an SMTP refusal of one address: not delivered, the rest go on
                    logger.warning("batch %s: a message was refused by SMTP (%s)", batch.pk, type(exc).__name__)
                    BatchMessage.objects.filter(pk=message.pk).update(
                        status=MessageStatus.NOT_DELIVERED, status_at=timezone.now()
                    )
                    continue
                done.append(message)
            with transaction.atomic():
                at = timezone.now()
                BatchMessage.objects.filter(pk__in=[m.pk for m in done]).update(status=MessageStatus.SENT, sent_at=at)
                facts_record(
                    smo=batch.smo,
                    facts=[FactInput(n=m.pk, person_id=m.person_id, kind=batch.kind, channel=Channel.EMAIL,
                                     date=timezone.localdate(at), outcome=Outcome.DELIVERED, reference=str(m.pk),
                                     agent_login=batch.created_by.username if batch.created_by else "",
                                     message_id=m.pk) for m in done],
                    acting_user=batch.created_by, source=FactSource.EMAIL,
                )  # fmt: skip
            sent += len(done)
            if progress is not None:
                progress.write(records_total=total, records_read=sent)
    finally:
        smtp.close()
    Batch.objects.filter(pk=batch.pk, status=JobStatus.RUNNING).update(
        status=BatchStatus.SENT, finished_at=timezone.now(),
        message=_("Отправлена: писем %(e)s из %(t)s") % {"e": sent, "t": total}
        + (_("; не подтверждена отправка %(n)s писем (обработчик остановился), повторно они не отправляются")
           % {"n": unconfirmed} if unconfirmed else ""),
    )  # fmt: skip
