"""Facts in from files: INFORM (XML, CSV, XLSX, zip) and the gateway's delivery report; the JSON batch [R II.12].

A file is one job (informing.tasks: ``informing.inform_upload``) and one transaction: a file refused whole (901,
902 for another SMO's header) keeps nothing but the job's message; otherwise the good records load and the bad
ones form the protocol (record number, field, Russian reason) in the job's ``errors``.

Delivery report (formats.md): ``MSG_ID;STATUS;STATUS_TIME;ERROR``. ``DELIVERED`` gives a fact with
``RESULT=DELIVERED``, any other status ``NOT_DELIVERED``; ``UNKNOWN_NUMBER`` is also a wrong-recipient report for
that phone; an unknown ``MSG_ID`` is an error of that line, not of the file.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from omsportal.filelimits import BadFile
from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.kinds import job_kind
from omsportal.jobs.models import JobStatus
from omsportal.jobs.pipeline import read_ahead
from omsportal.jobs.runner import job_lock, run_job
from omsportal.safefiles import CsvRows, open_upload, stored_name
from participants.models import Organization, User

from ..models import BatchMessage, FactSource, InformUpload, MessageStatus, Outcome, UploadKind
from .contacts import wrong_phones_report
from .facts import MAX_STORED_ERRORS, FactInput, FactsResult, facts_load, facts_record

INFORM_UPLOAD = "informing.inform_upload"  # the job kind (informing/tasks.py), also the Celery task's name
API_MAX_RECORDS = 10_000
DELIVERY_STATUSES = ("DELIVERED", "NOT_DELIVERED", "EXPIRED", "REJECTED", "UNKNOWN_NUMBER")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z")


def inform_upload_create(
    *, smo: Organization, file: File, original_name: str, uploaded_by: User, kind: str = UploadKind.INFORM,
    source: str = FactSource.FILE, run_async: bool = True,
) -> InformUpload:  # fmt: skip
    """Store an INFORM file or a delivery report as a pending job and start it (in the background by default)."""
    with transaction.atomic():
        upload = InformUpload(smo=smo, kind=kind, source=source, original_name=original_name[:255],
                              created_by=uploaded_by)  # fmt: skip
        upload.file.save(stored_name(original_name, prefix=smo.code), file, save=False)
        upload.save()
        if run_async:
            enqueue_job(INFORM_UPLOAD, upload.pk)
    if not run_async:
        run_job(INFORM_UPLOAD, upload.pk)
        upload.refresh_from_db()
    return upload


def inform_upload_run(upload_id: int, progress=None) -> None:
    """Read and load a claimed (RUNNING) upload: one transaction (the job kit's ``run``)."""
    upload = InformUpload.objects.select_related("smo", "created_by").get(pk=upload_id)
    on_progress = (lambda n: progress.write(force=False, records_read=n)) if progress is not None else None
    try:
        with transaction.atomic(), upload.file.open("rb") as fileobj:
            if upload.kind == UploadKind.DELIVERY:
                result, file_format = _delivery(upload, fileobj, on_progress)
            else:
                result, file_format = _inform(upload, fileobj, on_progress)
            _finish(upload, result, file_format)
    except BadFile as exc:
        InformUpload.objects.filter(pk=upload.pk).update(
            status=JobStatus.REJECTED, finished_at=timezone.now(), records_accepted=0, records_duplicate=0,
            records_late=0, message=f"Файл отклонён (код {exc.code}): {exc.message}",
        )  # fmt: skip


def _finish(upload: InformUpload, result: FactsResult, file_format: str) -> None:
    errors = sorted(result.errors, key=lambda e: e["n"])[:MAX_STORED_ERRORS]
    total = result.accepted + result.duplicates + result.rejected
    InformUpload.objects.filter(pk=upload.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now(), file_format=file_format, records_total=total,
        records_read=total, records_accepted=result.accepted, records_duplicate=result.duplicates,
        records_rejected=result.rejected, records_late=result.late, errors=errors,
        message=f"Принято {result.accepted}, повторных {result.duplicates}, отклонено {result.rejected}",
    )  # fmt: skip


def _inform(upload: InformUpload, fileobj, on_progress) -> tuple[FactsResult, str]:
    """Read, check and format the file's records in a producer thread (omsportal.jobs.pipeline) while this thread
    stores and resolves the batches before them (services.facts.facts_load)."""
    from ..formats.inform import InformFileError, InformReader, fact_chunks

    def check_header(header) -> None:
        if header.smo != upload.smo.code:
            raise InformFileError(
                f"Код СМО в заголовке ({header.smo}) не совпадает с кодом вашей СМО ({upload.smo.code})", code=902
            )

    reader = InformReader(fileobj, on_header=check_header)
    posted_at = timezone.now()
    chunks = fact_chunks(reader.records(), today=timezone.localdate(posted_at))
    with connection.cursor() as cur:
        # Foreign keys checked at the end of each statement, not queued to the commit: the queue of a million
        # facts would hold millions of pending checks in the server's memory.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with read_ahead(chunks, name=f"inform-upload-{upload.pk}") as items:
        result = facts_load(
            smo=upload.smo, chunks=items, acting_user=upload.created_by, source=upload.source, upload_id=upload.pk,
            posted_at=posted_at, on_progress=on_progress,
        )  # fmt: skip
    return result, reader.file_format


def inform_records_post(*, smo: Organization, records: list, posted_by: User) -> InformUpload:
    """The JSON batch endpoint: load at once (≤ API_MAX_RECORDS); bad records by their N_ZAP or position."""
    from ..formats.inform import fact_chunks, raw_fact_from_mapping

    if len(records) > API_MAX_RECORDS:
        raise ValueError(f"at most {API_MAX_RECORDS} records per call")
    now = timezone.now()
    upload = InformUpload.objects.create(
        smo=smo, source=FactSource.API, status=JobStatus.RUNNING, records_total=len(records), started_at=now,
        progress_at=now, attempts=1, created_by=posted_by,
    )  # fmt: skip
    raws = (raw_fact_from_mapping(i, item if isinstance(item, dict) else {}) for i, item in enumerate(records, 1))
    with job_lock(job_kind(INFORM_UPLOAD), upload.pk), transaction.atomic():
        result = facts_load(smo=smo, chunks=fact_chunks(raws, today=timezone.localdate(now)), acting_user=posted_by,
                            source=FactSource.API, upload_id=upload.pk, posted_at=now)  # fmt: skip
        _finish(upload, result, "JSON")
    upload.refresh_from_db()
    return upload


# --- Delivery reports -----------------------------------------------------------------------------------------


def _delivery_lines(fileobj) -> Iterator[tuple[int, dict]]:
    from ..formats.inform import InformFileError

    with open_upload(fileobj, accept=("csv",)) as upload:
        rows = iter(CsvRows(upload.stream))
        first = next(rows, None)
        if first is None:
            raise InformFileError("Файл пуст: нет строки с названиями столбцов.")
        columns = [str(c or "").strip().upper().lstrip("\ufeff") for c in first[1]]
        missing = [c for c in ("MSG_ID", "STATUS", "STATUS_TIME") if c not in columns]
        if missing:
            raise InformFileError(
                "В первой строке нет столбцов: " + ", ".join(missing) + ". Ожидаются MSG_ID;STATUS;STATUS_TIME;ERROR."
            )
        for line, values in rows:
            if any(v not in (None, "") for v in values):
                yield line, dict(zip(columns, values, strict=False))


def _delivery(upload: InformUpload, fileobj, on_progress) -> tuple[FactsResult, str]:
    """Match each line to its message (of this SMO's batches), set its status, and record the facts."""
    result = FactsResult()
    parsed: list[tuple[int, int, str, datetime.datetime]] = []
    today = timezone.localdate()
    for line, row in _delivery_lines(fileobj):
        msg = str(row.get("MSG_ID") or "").strip()
        status = str(row.get("STATUS") or "").strip().upper()
        when = str(row.get("STATUS_TIME") or "").strip()
        if not msg.isdigit() or len(msg) > 18:
            result.reject(line, "MSG_ID", "MSG_ID должен быть числом, выданным порталом")
            continue
        if status not in DELIVERY_STATUSES:
            result.reject(
                line, "STATUS", f"неизвестный статус «{status[:20]}»: ожидается {', '.join(DELIVERY_STATUSES)}"
            )
            continue
        try:
            if not _TIME_RE.match(when):
                raise ValueError
            at = datetime.datetime.fromisoformat(when)
        except ValueError:
            result.reject(line, "STATUS_TIME", "неверное время: ожидается ГГГГ-ММ-ДДTЧЧ:ММ:СС")
            continue
        if at.date() > today:
            result.reject(line, "STATUS_TIME", "время статуса в будущем")
            continue
        parsed.append((line, int(msg), status, at))
        if on_progress and len(parsed) % 20_000 == 0:
            on_progress(len(parsed))
    ids = list({p[1] for p in parsed})
    messages: dict[int, tuple] = {}
    for start in range(0, len(ids), 20_000):
        chunk = ids[start : start + 20_000]
        for row in BatchMessage.objects.filter(pk__in=chunk, batch__smo_id=upload.smo_id).values_list(
            "pk", "person_id", "channel", "address", "batch__kind", "batch__created_by__username"
        ):
            messages[row[0]] = row
    facts, updates, unknown_numbers = [], [], []
    for line, msg, status, at in parsed:
        found = messages.get(msg)
        if found is None:
            result.reject(line, "MSG_ID", f"сообщение {msg} не найдено в рассылках вашей СМО")
            continue
        _pk, person_id, channel, address, kind, login = found
        outcome = Outcome.DELIVERED if status == "DELIVERED" else Outcome.NOT_DELIVERED
        facts.append(
            FactInput(n=line, person_id=person_id, kind=kind, channel=channel, date=at.date(), outcome=outcome,
                      reference=str(msg), agent_login=login or "", message_id=msg)
        )  # fmt: skip
        state = MessageStatus.DELIVERED if outcome == Outcome.DELIVERED else MessageStatus.NOT_DELIVERED
        updates.append((msg, state, timezone.make_aware(at) if timezone.is_naive(at) else at))
        if status == "UNKNOWN_NUMBER":
            unknown_numbers.append((person_id, address))
    if updates:
        table = BatchMessage._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} m SET status = u.status, status_at = u.at "  # noqa: S608  # nosec B608
                "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS u(id, status, at) WHERE m.id = u.id",
                [[u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]],
            )
    loaded = facts_record(smo=upload.smo, facts=facts, acting_user=upload.created_by, source=FactSource.DELIVERY,
                          upload_id=upload.pk)  # fmt: skip
    if unknown_numbers:
        from ..models import CorrectionReason

        wrong_phones_report(pairs=unknown_numbers, acting_user=upload.created_by, smo=upload.smo,
                            reason=CorrectionReason.UNKNOWN_NUMBER)  # fmt: skip
    loaded.rejected += result.rejected
    loaded.errors = result.errors + loaded.errors
    return loaded, "CSV"
