"""Uploading a list (ZL_LIST) and turning it into the MO's list plus an identification protocol [R II.2, II.5, II.6].

One file is one transaction. :func:`list_upload_process` streams the file with COPY into a staging table and, batch by
batch while the next records are being parsed, identifies the staged rows against the register in a few SQL
statements (services.identification); then it runs the whole-file checks, writes the protocol with INSERT..SELECT
and replaces the MO's list for the year and each measure of the file, and commits everything at once: a reader
sees either the old list or the new one, never a mix, and a file rejected whole (901/902) leaves nothing behind
but its protocol.

Safe to repeat: the upload's staging and protocol rows are deleted at the start of the same transaction, so a task
killed mid-file and run again gives the same list and protocol; a finished upload is never processed twice.

A list is never lost by mistake: a measure of the file with no accepted record leaves that list as it was (an
all-rejected file never empties a list), and a file that would remove more than OMS_LIST_REPLACE_CONFIRM_SHARE of
the current list of a measure is kept as a protocol (status HELD) until the MO confirms the replacement
(:func:`list_upload_confirm_replace`: the page, the API, or ``upload_list --confirm-replace``); the file is then
processed again and replaces the list.
Concurrency: an advisory lock per upload (one worker per file), per MO and year (two files of one MO are applied
one after the other) and, for the short final step, per year (the 602 check and the insert of the new list see every
other MO's committed list). Progress goes to the ListUpload row through a second, autocommit connection, so the
page shows it while the main transaction is still open.
"""

# ruff: noqa: S608 - table names come from model _meta, every value is a query parameter
# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only names from code are
# pasted in (table names from model _meta, fixed SQL fragments of this module), every value is a query parameter.
from __future__ import annotations

import datetime
import io
import logging
import os
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from omsportal import locks
from omsportal.filelimits import BadFile
from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.pipeline import read_ahead
from omsportal.jobs.progress import ProgressWriter
from omsportal.jobs.runner import run_job
from omsportal.obligations import Period, obligation
from omsportal.regional import regional_rules
from omsportal.safefiles import ascii_digits, stored_name
from participants.models import Organization, OrganizationKind, Role, User
from screening.codes import ERROR, FILE
from screening.eligibility import current_rules
from screening.formats.dialects import reword, reword_protocol
from screening.formats.lists import FileRejected, ListReader, open_list_file
from screening.formats.validation import ERROR_COLUMNS, MEASURE_DISP, STAGING_COLUMNS, RecordValidator
from screening.models import ListKind, ListUpload, ProtocolError, UploadStatus
from screening.services import identification as ident

logger = logging.getLogger(__name__)

# Rows per COPY batch while streaming (progress is reported between batches).
COPY_BATCH = 20_000
# A list of this many entries or more refreshes the statistics of the lists in the same transaction.
ANALYZE_LISTS_AFTER = 10_000
# Staged rows per run of the one-record checks (identification, 2xx–5xx), done while the next rows are parsed.
CHECK_BATCH = 20_000
PROGRESS_INTERVAL_SECONDS = 0.5

# The kit's name of the job kind (screening/tasks.py): services enqueue jobs by it.
LIST_UPLOAD = "screening.list_upload"

FINISHED = (UploadStatus.DONE, UploadStatus.HELD, UploadStatus.REJECTED)


# --- Creating an upload --------------------------------------------------------------------------------------


def list_upload_create(
    *,
    mo: Organization,
    file: File,
    original_name: str,
    uploaded_by: User,
    kind: str = ListKind.YEARLY,
    year: int | None = None,
    run_async: bool = True,
    confirm_replace: bool = False,
) -> ListUpload:
    """Store an uploaded list file as a pending job and start its processing (inline with run_async=False).

    ``confirm_replace``: the uploader agrees beforehand that the file replaces the current list even if it removes
    more than OMS_LIST_REPLACE_CONFIRM_SHARE of it (otherwise such a file waits for confirmation, status HELD).
    """
    if mo.kind != OrganizationKind.MO:
        raise ValidationError("Списки загружает медицинская организация.")
    if kind not in ListKind.values:
        raise ValidationError(f"Неизвестный вид списка: {kind}.")
    if getattr(file, "size", None) == 0:
        raise ValidationError("Файл пуст.")
    with transaction.atomic():
        upload = ListUpload(
            mo=mo,
            kind=kind,
            year=year,
            original_name=os.path.basename(original_name)[:255] or "list",
            uploaded_by=uploaded_by,
            replace_confirmed=confirm_replace,
        )
        upload.file.save(_storage_name(mo, original_name), file, save=False)
        upload.save()
        _start(upload, run_async=run_async)
    return _run_inline(upload) if not run_async else upload


def _start(upload: ListUpload, *, run_async: bool) -> None:
    """Inside the creating transaction: the job goes to the queue once that commits (or runs inline afterwards)."""
    if run_async:
        enqueue_job(LIST_UPLOAD, upload.pk)


def _run_inline(upload: ListUpload) -> ListUpload:
    run_job(LIST_UPLOAD, upload.pk)
    upload.refresh_from_db()
    return upload


def _storage_name(mo: Organization, original_name: str) -> str:
    return stored_name(original_name, prefix=mo.code)


def list_upload_confirm_replace(*, upload_id: int, user: User, run_async: bool = True) -> ListUpload:
    """The MO confirms that a HELD file replaces its current list: the file is processed again, now applied.

    Only staff of the upload's MO may confirm (the views answer 404 outside the scope first); a file for which the MO
    has since processed another list of the same kind and year cannot be confirmed (it would undo the later one).
    """
    with transaction.atomic():
        upload = ListUpload.objects.select_for_update().get(pk=upload_id)
        if user.role != Role.MO_STAFF or user.organization_id != upload.mo_id:
            raise PermissionDenied("Подтвердить замену списка может только сотрудник МО, загрузившей файл.")
        if upload.status != UploadStatus.HELD:
            raise ValidationError("Эта загрузка не ждёт подтверждения замены списка.")
        later = ListUpload.objects.filter(
            mo_id=upload.mo_id,
            year=upload.year,
            kind=upload.kind,
            status=UploadStatus.DONE,
            created_at__gt=upload.created_at,
        ).exists()
        if later:
            raise ValidationError(
                "После этого файла МО загрузила другой список того же вида и года; подтверждение отменило бы его. "
                "Если нужен именно этот файл, загрузите его заново."
            )
        upload.status = UploadStatus.PENDING
        upload.replace_confirmed = True
        upload.replacement = {
            **upload.replacement,
            "confirmed_by": user.username,
            "confirmed_at": timezone.now().isoformat(),
        }
        upload.message = ""
        upload.attempts = 0  # a new start asked by the MO, not a retry of a failing one
        upload.started_at = upload.finished_at = None
        upload.records_read = upload.records_checked = upload.records_written = 0
        upload.save()
        _start(upload, run_async=run_async)
    return _run_inline(upload) if not run_async else upload


# --- Processing ---------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a processed file produced, written to the job row at the end of the transaction."""

    file_format: str = ""
    dialect: str = ""
    header_filename: str = ""
    year: int | None = None
    measures: list[str] = field(default_factory=list)
    total: int = 0
    accepted: int = 0
    written: int = 0
    warnings: int = 0
    counts_by_code: dict[str, int] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # measures whose list this file replaced
    replacement: dict = field(default_factory=dict)  # identification.replacement_counts + "applied"
    held: bool = False  # waits for the MO to confirm the replacement


# Tests set this to a callable run right after the file is staged (inside the transaction).
_after_staging_hook = None


def list_upload_process(*, upload_id: int, progress: ProgressWriter | None = None) -> ListUpload:
    """Process a claimed upload: staging, identification, protocol, list replacement — all or nothing."""
    day = timezone.localdate()
    progress = progress or ProgressWriter(ListUpload, upload_id)
    progress.interval = PROGRESS_INTERVAL_SECONDS
    try:
        with transaction.atomic():
            _lock(locks.LIST_UPLOAD_JOB, upload_id)
            upload = ListUpload.objects.select_related("mo").get(pk=upload_id)
            if upload.status in FINISHED:
                return upload  # a repeated delivery after the job finished: nothing to do
            outcome = _process(upload, day, progress)
            progress.close()
            _finish(upload, outcome, day)
    except BadFile as exc:  # FileRejected, and every limit of omsportal.filelimits
        progress.close()
        _reject(upload_id, exc, day)
    except BaseException as exc:
        progress.close()
        _fail(upload_id, exc)
        raise
    return ListUpload.objects.get(pk=upload_id)


def _lock(space: locks.LockSpace, key: int, *, offset: int = 0) -> None:
    with connection.cursor() as cursor:
        locks.xact_lock(cursor, space, key, offset=offset)


def _process(upload: ListUpload, day: datetime.date, progress: ProgressWriter) -> Outcome:
    outcome = Outcome()
    accepted = regional_rules().list_dialects
    with (
        upload.file.open("rb") as stored,
        open_list_file(stored, name=upload.original_name, dialects=accepted) as reader,
    ):
        outcome.file_format = reader.format
        outcome.dialect = reader.dialect
        header = reader.header()
        outcome.header_filename = header.filename or os.path.splitext(upload.original_name)[0][:100]
        try:
            outcome.year = _check_header(upload, header.code_mo, header.year, day)
        except FileRejected as exc:  # a dialect's clerk reads its own tags (CODMOF, not CODE_MO)
            exc.message = reword(exc.message, reader.dialect)
            raise
        # One MO's files for one year are applied one after the other.
        _lock(locks.LIST_MO_YEAR, upload.mo_id, offset=outcome.year)
        batch = ident.Batch(
            upload_id=upload.pk,
            mo_id=upload.mo_id,
            mo_code=upload.mo.code,
            year=outcome.year,
            day=day,
            region=settings.OMS_REGION_CODE,
            rules=current_rules(),
        )
        with connection.cursor() as cursor:
            # Foreign keys checked at the end of each statement, not queued to the commit: the queue of a
            # region-sized file would hold millions of pending checks in the server's memory.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DELETE FROM {ProtocolError._meta.db_table} WHERE upload_id = %s", [upload.pk])  # nosec B608
            ident.create_staging(cursor)
            ident.prepare(cursor)
            outcome.total = _stage(cursor, upload, reader, day, progress, batch)
            if outcome.total >= 10_000:
                # Fresh statistics (they count this transaction's rows), so the whole-file joins below are planned
                # as hashes; only of the columns they use.
                cursor.execute(
                    f"ANALYZE {ident.T_STAGING} "
                    "(upload_id, format_ok, n_zap, measure, enp, snils, name_key, birth_date)"
                )
    progress.write(force=True, records_total=outcome.total, records_read=outcome.total)
    if _after_staging_hook is not None:
        _after_staging_hook(upload)

    with connection.cursor() as cursor:
        ident.analyze(cursor)
        ident.file_errors(cursor, batch)
        cursor.execute(
            f"SELECT DISTINCT measure FROM {ident.T_STAGING} WHERE upload_id = %s AND measure <> ''",  # nosec B608
            [upload.pk],
        )
        outcome.measures = sorted(row[0] for row in cursor.fetchall())
        progress.write(force=True, records_checked=outcome.total)
        # The final step sees every other MO's committed list of the year: 602 and the insert cannot race.
        _lock(locks.LIST_YEAR, outcome.year)
        ident.other_mo_errors(cursor, batch)
        outcome.accepted = ident.accept(cursor, batch)
        ident.write_errors(cursor, batch)
        _decide_replacement(cursor, upload, batch, outcome)
        outcome.written = ident.replace_entries(cursor, batch, outcome.applied) if outcome.applied else 0
        outcome.warnings = ident.plan_warnings(cursor, batch, outcome.measures) if outcome.measures else 0
        if outcome.written >= ANALYZE_LISTS_AFTER:
            # The lists' statistics follow a region-sized change at once, not when autovacuum comes by: the pages
            # that read the lists (scoped by the register, joined to it) are planned on them.
            cursor.execute(f"ANALYZE {ident.T_ENTRY}")
        ident.cleanup(cursor)
        if outcome.dialect:
            reword_protocol(cursor, ProtocolError._meta.db_table, upload.pk, outcome.dialect)
        cursor.execute(
            f"SELECT code, count(*) FROM {ProtocolError._meta.db_table} WHERE upload_id = %s GROUP BY code",  # nosec B608
            [upload.pk],
        )
        outcome.counts_by_code = {str(code): count for code, count in sorted(cursor.fetchall())}
    progress.write(force=True, records_written=outcome.written)
    return outcome


def _replace_share() -> float:
    return float(getattr(settings, "OMS_LIST_REPLACE_CONFIRM_SHARE", 0.5))


def _decide_replacement(cursor, upload: ListUpload, batch: ident.Batch, outcome: Outcome) -> None:
    """Which measures' lists the file replaces: those with an accepted record, and only when none of them would lose
    more than the set share of its current list (or the MO confirmed); else the file waits (HELD)."""
    counts = ident.replacement_counts(cursor, batch, outcome.measures)
    share = _replace_share()
    applied = [measure for measure in outcome.measures if counts[measure]["accepted"] > 0]
    too_much = []
    for measure in applied:
        current, kept = counts[measure]["current"], counts[measure]["kept"]
        if current and (current - kept) / current > share:
            too_much.append(measure)
    outcome.held = bool(too_much) and not upload.replace_confirmed
    outcome.applied = [] if outcome.held else applied
    for measure, values in counts.items():
        values["applied"] = measure in outcome.applied
        values["over_share"] = measure in too_much
    outcome.replacement = {"measures": counts, "share": share}


def replacement_message(replacement: dict, *, held: bool) -> str:
    """What the file did or would do to the MO's lists, in Russian (empty when every list was simply replaced)."""
    counts = replacement.get("measures", {})
    share = replacement.get("share", _replace_share())
    parts = []
    for measure, values in sorted(counts.items()):
        label = MEASURE_DISP.get(measure, measure)
        current, kept, accepted = values["current"], values["kept"], values["accepted"]
        if not accepted:
            if current:
                parts.append(
                    f"Ни одна запись {label} не принята: действующий список {label} ({current} записей) не изменён."
                )
            continue
        if held and values.get("over_share"):
            removed = current - kept
            parts.append(
                f"Файл удалит из действующего списка {label} {removed} из {current} записей "
                f"({removed * 100 // current} %) — больше {share * 100:.0f} % (OMS_LIST_REPLACE_CONFIRM_SHARE)."
            )
    if held:
        parts.append(
            "Список не изменён: подтвердите замену на странице загрузки (или upload_list --confirm-replace, "
            "или POST /api/v1/uploads/{id}/confirm-replace/), либо загрузите исправленный файл.".replace(
                "{id}", str(replacement.get("upload_id", "…"))
            )
        )
    return " ".join(parts)


def _check_header(upload: ListUpload, code_mo: str, year_text: str, day: datetime.date) -> int:
    """902 unless the header names the uploader's MO and the current or next year [R II.2: lists for next year]."""
    code_mo = code_mo or upload.mo.code
    if code_mo != upload.mo.code:
        raise FileRejected(
            902, f"CODE_MO {code_mo[:10]} в заголовке не совпадает с кодом вашей МО {upload.mo.code}.", field="CODE_MO"
        )
    if not year_text:
        if upload.year is None:
            raise FileRejected(901, "Не указан год списка: столбец YEAR или поле «Год» при загрузке.", field="YEAR")
        year_text = str(upload.year)
    if not ascii_digits(year_text) or len(year_text) != 4 or int(year_text) not in (day.year, day.year + 1):
        raise FileRejected(
            902,
            f"Год списка YEAR «{year_text[:10]}» недопустим: принимаются списки на {day.year} и {day.year + 1} годы.",
            field="YEAR",
        )
    year = int(year_text)
    if upload.year is not None and upload.year != year:
        raise FileRejected(
            902, f"Год в файле ({year}) не совпадает с годом, указанным при загрузке ({upload.year}).", field="YEAR"
        )
    return year


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_NULL = "\\N"


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _staging_line(row: tuple) -> str:
    """One row in COPY text format (tab-separated, \\N for NULL); numbers and codes need no escaping."""
    (uid, n_zap, measure, month, quarter, doctor, enp, snils, fam, im, ot, key, sex, birth, uch, tel, ok, _, _) = row
    null = _NULL
    if _COPY_SPECIAL.search(f"{fam}{im}{ot}{key}{uch}{tel}"):  # rare: one search instead of six escapes
        fam, im, ot, key, uch, tel = _text(fam), _text(im), _text(ot), _text(key), _text(uch), _text(tel)
    return (
        f"{uid}\t{n_zap}\t{measure}\t{null if month is None else month}\t{null if quarter is None else quarter}\t"
        f"{doctor}\t{enp or null}\t{snils or null}\t{fam}\t{im}\t{ot}\t{key}\t"
        f"{null if sex is None else sex}\t{null if birth is None else birth.isoformat()}\t"
        f"{uch}\t{tel}\t{'t' if ok else 'f'}\t\tf\n"
    )


def _error_line(upload_id: int, n_zap: int | None, error, label: str) -> str:
    return (
        f"{upload_id}\t{n_zap or _NULL}\t{error.code}\t{ERROR}\t{error.field}\t{error.base_element}\t"
        f"{_text(error.comment[:500])}\t{error.measure}\t{_text(label)}\n"
    )


@dataclass
class _Chunk:
    """COPY text of a batch of records and of their format errors, with the count read so far."""

    staging: str
    errors: str
    read: int
    expected: int


def _chunks(upload_id: int, reader: ListReader, day: datetime.date):
    """The producer's side (omsportal.jobs.pipeline.read_ahead): read, validate and format records as COPY text, a
    batch at a time, while the caller's thread feeds COPY with the previous batch. Touches no database connection.
    """
    validator = RecordValidator(upload_id=upload_id, today=day)
    lines: list[str] = []
    errors_out: list[str] = []
    total = 0
    for record in reader.records():
        row, errors = validator.validate(record)
        lines.append(_staging_line(row))
        total += 1
        if errors:
            label = validator.person_label(record)
            n_zap = row[1]
            for error in errors:
                if not n_zap:
                    error.comment = f"Запись № {total} (строка {record.line}): {error.comment}"
                errors_out.append(_error_line(upload_id, n_zap, error, label))
        if len(lines) >= COPY_BATCH:
            yield _Chunk("".join(lines), "".join(errors_out), total, _estimate_total(reader, total))
            lines, errors_out = [], []
    yield _Chunk("".join(lines), "".join(errors_out), total, total)


def _stage(
    cursor, upload: ListUpload, reader: ListReader, day: datetime.date, progress: ProgressWriter, batch: ident.Batch
) -> int:
    """Stream the records into the staging table with COPY, and their format errors (1xx) into the protocol; every
    CHECK_BATCH staged rows, run the checks of one record on them while the producer parses the next part."""
    staging_sql = f"COPY {ident.T_STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN"
    errors_sql = f"COPY {ProtocolError._meta.db_table} ({', '.join(ERROR_COLUMNS)}) FROM STDIN"
    raw = cursor.cursor  # psycopg2 cursor under Django's wrapper
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [ident.T_STAGING])
    sequence = cursor.fetchone()[0]
    total = unchecked = 0
    checked_id = 0  # staged rows of this upload with id <= checked_id have been checked

    def check() -> None:
        nonlocal unchecked, checked_id
        cursor.execute("SELECT currval(%s)", [sequence])  # the last id this session's COPY took
        last_id = cursor.fetchone()[0]
        ident.check_rows(cursor, batch, checked_id, last_id)
        checked_id, unchecked = last_id, 0
        progress.write(force=True, records_checked=total)

    # Bounded (memory stays flat whatever the file size), with room for the producer to parse ahead while a batch
    # of rows is being checked.
    with read_ahead(_chunks(upload.pk, reader, day), depth=4, name=f"list-upload-{upload.pk}") as chunks:
        for item in chunks:
            if item.staging:
                raw.copy_expert(staging_sql, io.StringIO(item.staging))
            if item.errors:
                raw.copy_expert(errors_sql, io.StringIO(item.errors))
            unchecked += item.read - total
            total = item.read
            progress.write(force=False, records_read=total, records_total=item.expected)
            if unchecked >= CHECK_BATCH:
                check()
        if unchecked:
            check()
    return total


def _estimate_total(reader: ListReader, read: int) -> int:
    """Records expected in the whole file, from the share of bytes read so far (exact once the file is read)."""
    done, size = reader.bytes_read, reader.bytes_total
    if not done or not size or done >= size:
        return read
    return max(read, int(read * size / done))


def _finish(upload: ListUpload, outcome: Outcome, day: datetime.date) -> None:
    now = timezone.now()
    upload.status = UploadStatus.HELD if outcome.held else UploadStatus.DONE
    upload.file_format = outcome.file_format
    upload.dialect = outcome.dialect
    upload.header_filename = outcome.header_filename
    upload.year = outcome.year
    # The measures whose lists this upload now holds (a measure with no accepted record kept its list).
    upload.measures = outcome.applied
    confirmed = {k: v for k, v in upload.replacement.items() if k in ("confirmed_by", "confirmed_at")}
    upload.replacement = {**outcome.replacement, **confirmed, "upload_id": upload.pk}
    upload.processing_date = day
    upload.records_total = upload.records_read = upload.records_checked = outcome.total
    upload.records_written = outcome.written
    upload.records_accepted = outcome.accepted
    upload.records_rejected = outcome.total - outcome.accepted
    upload.warnings = outcome.warnings
    upload.counts_by_code = outcome.counts_by_code
    upload.file_error_code = None
    upload.message = replacement_message(upload.replacement, held=outcome.held)
    upload.finished_at = now
    _issue_protocol(upload, now)
    upload.is_current = bool(outcome.applied)
    upload.save()
    if outcome.applied:
        _refresh_current_flags(upload)


def _issue_protocol(upload: ListUpload, now: datetime.datetime) -> None:
    """The protocol is issued now (O3); the MO has five working days to correct (O4, R II.6)."""
    upload.protocol_issued_at = now
    upload.correction_due = obligation("O4").due_on(Period.protocol(timezone.localdate(now)))


def _refresh_current_flags(upload: ListUpload) -> None:
    """An earlier upload stays current only for measures no later processed upload of the MO and year replaced."""
    uploads = list(
        ListUpload.objects.filter(mo_id=upload.mo_id, year=upload.year, status=UploadStatus.DONE)
        .filter(is_current=True)
        .order_by("-finished_at", "-id")
        .only("id", "measures", "is_current")
    )
    covered: set[str] = set(upload.measures)
    stale = []
    for other in uploads:
        if other.pk == upload.pk:
            continue
        if set(other.measures) - covered:
            covered |= set(other.measures)
        else:
            stale.append(other.pk)
    if stale:
        ListUpload.objects.filter(pk__in=stale).update(is_current=False)


def _reject(upload_id: int, exc: BadFile, day: datetime.date) -> None:
    """The whole file is rejected: nothing of it is kept but a one-line protocol (901/902)."""
    now = timezone.now()
    with transaction.atomic():
        _lock(locks.LIST_UPLOAD_JOB, upload_id)
        upload = ListUpload.objects.get(pk=upload_id)
        if upload.status in FINISHED:
            return
        ProtocolError.objects.filter(upload_id=upload_id).delete()
        message = exc.message if exc.line is None or "трок" in exc.message else f"{exc.message} (строка {exc.line})"
        ProtocolError.objects.create(
            upload_id=upload_id,
            n_zap=None,
            code=exc.code,
            severity=FILE,
            field=exc.field[:30],
            base_element="ZGLV" if exc.code == 902 else "ZL_LIST",
            comment=message[:500],
        )
        upload.status = UploadStatus.REJECTED
        upload.file_error_code = exc.code
        upload.message = message
        upload.counts_by_code = {str(exc.code): 1}
        upload.processing_date = day
        upload.records_total = upload.records_read = upload.records_checked = upload.records_written = 0
        upload.records_accepted = upload.records_rejected = upload.warnings = 0
        upload.measures = []
        upload.is_current = False
        upload.finished_at = now
        _issue_protocol(upload, now)
        upload.save()


def _fail(upload_id: int, exc: BaseException) -> None:
    """An unexpected error: the transaction rolled back; the job row says so (no personal data in the message)."""
    try:
        ListUpload.objects.filter(pk=upload_id, status__in=[UploadStatus.PENDING, UploadStatus.RUNNING]).update(
            status=UploadStatus.FAILED,
            message=f"Ошибка обработки ({type(exc).__name__}). Загрузите файл повторно или обратитесь в ТФОМС.",
            finished_at=timezone.now(),
        )
    except Exception:
        logger.exception("List upload %s: could not record the failure", upload_id)
    logger.error("List upload %s failed: %s", upload_id, type(exc).__name__)
