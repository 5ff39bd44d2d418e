"""Files of a batch for the SMO's contractors [formats.md "Informing batches and delivery reports"]:

- the SMS batch file for the gateway: CSV in UTF-8, ``;``, header ``MSG_ID;PHONE;TEXT;SEND_AFTER`` (no SMS at
  night: SEND_AFTER is moved to 09:00 when the batch goes out between 21:00 and 09:00 local time);
- the letters of a post batch as one PDF for the print house (WeasyPrint), each with the person's address block,
  and the mailing list as XLSX;
- the phone list of a batch (for level-1 operators until the call-list workspace takes it over) as XLSX.

Every CSV and XLSX goes through omsportal.exports (formulas neutralized). The rows are read in chunks and each
writer writes into a binary file it is given (:func:`batch_file`: a temporary file the download streams), so a
batch of a hundred thousand messages is never one string in memory.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterator
from typing import IO

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone

from omsportal.exports import safe_text, write_cells

from ..models import BatchMessage, Channel, MessageStatus

PHONE_RE = re.compile(r"\+7[0-9]{10}\Z")
OUT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.NOT_DELIVERED)
NIGHT_FROM, NIGHT_TO = 21, 9


def send_after(at: datetime.datetime) -> datetime.datetime:
    """The earliest time an SMS may go: ``at`` in the day, else 09:00 of the day (or the next one) [formats.md]."""
    local = timezone.localtime(at).replace(second=0, microsecond=0)
    if local.hour >= NIGHT_FROM:
        local = (local + datetime.timedelta(days=1)).replace(hour=NIGHT_TO, minute=0)
    elif local.hour < NIGHT_TO:
        local = local.replace(hour=NIGHT_TO, minute=0)
    return local


def _messages(batch, channel: str, fields: tuple[str, ...]) -> Iterator[tuple]:
    qs = (
        BatchMessage.objects.filter(batch_id=batch.pk, channel=channel, status__in=OUT_STATUSES)
        .order_by("pk")
        .values_list(*fields)
    )
    return qs.iterator(chunk_size=10_000)


def sms_batch_csv(batch, out: IO[bytes], *, at: datetime.datetime | None = None) -> None:
    """The SMS batch file of the batch's sent SMS messages, written into ``out``."""
    after = send_after(at or batch.sent_at or timezone.now()).strftime("%Y-%m-%dT%H:%M")
    text_out = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        writer = csv.writer(text_out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["MSG_ID", "PHONE", "TEXT", "SEND_AFTER"])
        match = PHONE_RE.match
        for pk, phone, text in _messages(batch, Channel.SMS, ("pk", "address", "text")):
            if not match(phone or ""):
                continue  # never: the build writes +7 and 10 digits only; a gateway must not get anything else
            # PHONE as the gateway reads it (+7…): digits only, so no formula can hide in it; TEXT is neutralized.
            writer.writerow([pk, phone, safe_text(text), after])
        text_out.flush()
    finally:
        text_out.detach()  # ``out`` stays open for the caller


def _sheet(rows: Iterator[tuple], header: list[str], title: str, out: IO[bytes]) -> None:
    book = xlsxwriter.Workbook(out, {"constant_memory": True})  # rows go through a temporary file, not memory
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    write_cells(sheet, 0, 0, header, bold)
    for n, row in enumerate(rows, start=1):
        write_cells(sheet, n, 0, row)
    book.close()


def _people(batch, channel):
    fields = ("pk", "person__last_name", "person__first_name", "person__patronymic", "person__enp", "address",
              "mo__code", "text")  # fmt: skip
    for pk, last, first, middle, enp, address, mo, text in _messages(batch, channel, fields):
        yield pk, " ".join(p for p in (last, first, middle) if p), enp, address, mo or "", text


def mailing_list_xlsx(batch, out: IO[bytes]) -> None:
    """The mailing list of a post batch: letter number, addressee, ENP, address, MO."""
    rows = ((str(pk), name, enp, address, mo) for pk, name, enp, address, mo, _t in _people(batch, Channel.POST))
    _sheet(rows, ["№ письма", "Адресат", "ЕНП", "Адрес", "МО"], "Реестр почтовых отправлений", out)


def phone_list_xlsx(batch, out: IO[bytes]) -> None:
    """The phone list of a batch: call number, person, ENP, phone, MO, the approved script."""
    rows = ((str(pk), name, enp, phone, mo, text) for pk, name, enp, phone, mo, text in _people(batch, Channel.PHONE))
    _sheet(rows, ["№ звонка", "ФИО", "ЕНП", "Телефон", "МО", "Сценарий"], "Обзвон", out)


def letters_pdf(batch, out: IO[bytes]) -> None:
    """One PDF of the post batch's letters (WeasyPrint), a page per letter with its address block."""
    from weasyprint import HTML

    letters = [
        {"number": pk, "name": name, "address": address, "text": text}
        for pk, name, _enp, address, _mo, text in _people(batch, Channel.POST)
    ]
    html = render_to_string("informing/letters.html", {"letters": letters, "smo": batch.smo})
    HTML(string=html).write_pdf(target=out)


WRITERS = {"sms": sms_batch_csv, "letters": letters_pdf, "mailing": mailing_list_xlsx, "phone": phone_list_xlsx}


def batch_file(batch, fmt: str) -> IO[bytes]:
    """The batch's file ``fmt`` (a key of WRITERS) in a temporary file, at its start: the caller streams and
    closes it (a FileResponse does both)."""
    out = tempfile.TemporaryFile(prefix=f"batch_{fmt}_")  # noqa: SIM115 - returned open, closed by the response
    try:
        WRITERS[fmt](batch, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out
