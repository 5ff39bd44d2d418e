"""Loading the regional register (РС ЕРЗ) from a REGISTER file: a job row, a stream, COPY, set-based merge.

One file is one transaction. Everything the file changes (persons, policy and attachment periods,
the job's result and the audit entry) commits together or not at all, so a file rejected half-way
(not well-formed at record 900 000, a DTD, a database error) leaves the register exactly as it was.
Progress (records read, bytes read, the current step) is written through a second, autocommit
connection, so the page can show it while the import transaction is still open; the import
transaction itself touches the job row only once, at the very end, so the two never wait on each other.
Imports are serialized with a transaction-scoped advisory lock.

Merge rules (docs/formats/register.md), applied to every valid, non-duplicate record:
- the person is upserted by ENP; contacts (ADRES, TEL, EMAIL) left empty in the file keep the stored value;
- the policy period (SMO, D_BEG, D_END) is compared with the person's latest period L:
  same start -> a correction of L; same SMO continuing L (no gap) -> L's end follows D_END;
  otherwise L is closed the day before D_BEG and a new period opens. A D_BEG earlier than L's start
  cannot rewrite history: the record is rejected. Attachments (CODE_MO, UCH, DATEZ) follow the same
  rules with MO and district as the key; the register has no attachment end, so the latest stays open.

Measured on the 1M-person bench (bench/register.py): see docs/formats/register.md, "Performance".
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only names from code are
# pasted in (table names from model _meta, fixed SQL fragments of this module), every value is a query parameter.
from __future__ import annotations

import io
import logging
import queue
import threading
import traceback
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal import locks
from omsportal.audit import audit_record
from omsportal.filelimits import BadFile
from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.models import JobStatus
from omsportal.jobs.progress import ProgressWriter
from omsportal.models import AuditAction, AuditLog
from omsportal.safefiles import stored_name
from omsportal.xmlsafe import open_xml
from participants.formats.register import DUPLICATE, INVALID, RecordError, RegisterReader, RegisterRecord
from participants.identifiers import sql_name_key
from participants.models import AttachmentPeriod, Organization, Person, PolicyPeriod, RegisterImport, User

logger = logging.getLogger(__name__)

BATCH_ROWS = 20_000  # rows per COPY; bounds the memory of the load
ERRORS_KEPT = 10_000  # error rows kept on the job; the count of rejected records is always exact
PROGRESS_SECONDS = 1.0  # at most one progress write per second while reading
# The kit's name of the job kind (participants/tasks.py): services enqueue jobs by it.
REGISTER_IMPORT = "participants.register_import"
# A load that adds at least this many rows and at least as many as a table holds (the first full file) drops
# the table's secondary indexes and builds them again afterwards: sorted index builds beat a million random
# b-tree inserts. Measured on the 100,000-person bench: persons insert 14 s with the indexes in place, 5 s
# without (plus about 1 s to build them).
BULK_MIN_ROWS = 100_000
BULK_LOCK_TIMEOUT = "10s"  # waiting longer for the table lock than this: insert with the indexes in place

PERSON = Person._meta.db_table
POLICY = PolicyPeriod._meta.db_table
ATTACH = AttachmentPeriod._meta.db_table
ORG = Organization._meta.db_table

STAGE_COLUMNS = (
    "n_zap",
    "line",
    "enp",
    "snils",
    "last_name",
    "first_name",
    "patronymic",
    "sex",
    "birth_date",
    "smo_code",
    "d_beg",
    "d_end",
    "mo_code",
    "district",
    "datez",
    "death_date",
    "address",
    "phone",
    "email",
)


def register_import_create(
    *, file, original_name: str, created_by: User | None, start: bool = False
) -> RegisterImport:
    """Store an uploaded REGISTER file (XML or zip) as a pending import job; ``start``: run it after the commit."""
    with transaction.atomic():
        job = RegisterImport(original_name=(original_name or "register.xml")[:255], created_by=created_by)
        # An upload already streamed to a temporary file is moved, not copied.
        content = file if isinstance(file, File) else File(file)
        job.file.save(stored_name(original_name or "register.xml", prefix="register"), content, save=False)
        job.bytes_total = job.file.size or 0
        job.save()
        if start:
            enqueue_job(REGISTER_IMPORT, job.pk)
    return job


@dataclass
class _Result:
    records_read: int = 0
    records_loaded: int = 0
    records_created: int = 0
    records_changed: int = 0
    records_rejected: int = 0
    insured_elsewhere: int = 0
    file_date: str | None = None
    errors: list[dict] = field(default_factory=list)
    errors_total: int = 0

    def reject(self, errors: list[RecordError]) -> None:
        self.records_rejected += 1
        self.errors_total += len(errors)
        room = ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(e.as_dict() for e in errors[:room])


def register_import_run(*, import_id: int, progress: ProgressWriter | None = None) -> RegisterImport:
    """Load a claimed (RUNNING) import job's file into the register in one transaction; returns the job."""
    job = RegisterImport.objects.select_related("created_by").get(pk=import_id)
    progress = progress or ProgressWriter(RegisterImport, import_id)
    progress.interval = PROGRESS_SECONDS
    try:
        progress.write(message=_("Ожидание завершения других загрузок регистра"))
        with transaction.atomic():
            with connection.cursor() as cur:
                locks.xact_lock(cur, locks.REGISTER, 0)
                # Foreign keys are checked at the end of each statement rather than queued to the commit: no
                # queue of millions of pending checks, and tables may have their indexes rebuilt (bulk mode).
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                result = _load(job, cur, progress)
            _finish(job, result)
    except BadFile as exc:
        # A file-level problem (901): not an error of the portal; the register is as it was.
        _fail(
            import_id,
            _("Файл отклонён (код %(code)s): %(reason)s") % {"code": exc.code, "reason": exc.message},
            status=JobStatus.REJECTED,
        )
    except Exception as exc:
        # The message of a database error may quote personal data (a key's value): log the kind only.
        cause = exc.__cause__ or exc
        # Where it happened (files and lines, no values) is safe to log and tells the next engineer where to look.
        frames = traceback.extract_tb(exc.__traceback__)[::-1][:6]
        where = " < ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in frames)
        pgcode = getattr(cause, "pgcode", "")
        logger.error("register import %s failed: %s %s at %s", import_id, type(cause).__name__, pgcode, where)
        _fail(import_id, _("Внутренняя ошибка при загрузке регистра; данные не изменены. Обратитесь к администратору."))
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _fail(import_id: int, message: str, *, status: str = JobStatus.FAILED) -> None:
    RegisterImport.objects.filter(pk=import_id).update(
        status=status,
        finished_at=timezone.now(),
        message=message,
        records_loaded=0,
        records_created=0,
        records_changed=0,
    )


def _finish(job: RegisterImport, result: _Result) -> None:
    """Write the job's result and the audit entry inside the import transaction (both commit with the data)."""
    parts = [
        _("Загружено записей: %(n)s, новых лиц: %(c)s, изменённых: %(u)s, отклонено: %(r)s.")
        % {
            "n": result.records_loaded,
            "c": result.records_created,
            "u": result.records_changed,
            "r": result.records_rejected,
        }
    ]
    if result.insured_elsewhere:
        parts.append(_("Застрахованы в другом регионе: %(n)s.") % {"n": result.insured_elsewhere})
    if result.errors_total > len(result.errors):
        parts.append(_("Показаны первые %(n)s ошибок.") % {"n": ERRORS_KEPT})
    RegisterImport.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        file_date=result.file_date,
        records_read=result.records_read,
        records_loaded=result.records_loaded,
        records_created=result.records_created,
        records_changed=result.records_changed,
        records_rejected=result.records_rejected,
        bytes_read=F("bytes_total"),
        errors=result.errors,
        message=" ".join(parts),
    )
    query = {"register_import": job.pk, "file": job.original_name}
    if job.created_by is not None:
        audit_record(
            user=job.created_by,
            action=AuditAction.IMPORT,
            person_count=result.records_loaded,
            query=query,
            channel="job",
            reason=_("Загрузка регистра застрахованных лиц"),
        )
    else:
        AuditLog.objects.create(
            action=AuditAction.IMPORT,
            person_count=result.records_loaded,
            query=query,
            channel="cli",
            reason=_("Загрузка регистра застрахованных лиц"),
        )


# --- Reading into the staging table -----------------------------------------------------------------------


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_line(r: RegisterRecord) -> str:
    return "\t".join(
        (
            str(r.n_zap),
            str(r.line),
            r.enp,
            r.snils or "\\N",
            _copy_text(r.last_name),
            _copy_text(r.first_name),
            _copy_text(r.patronymic),
            r.sex,
            r.birth_date,
            r.smo_code,
            r.d_beg,
            r.d_end or "\\N",
            r.mo_code,
            _copy_text(r.district),
            r.datez,
            r.death_date or "\\N",
            _copy_text(r.address),
            _copy_text(r.phone),
            _copy_text(r.email),
        )
    )


def _create_stage(cur) -> None:
    cur.execute("DROP TABLE IF EXISTS reg_stage, reg_plan, reg_changed")
    cur.execute(
        """
        CREATE TEMP TABLE reg_stage (
            n_zap integer NOT NULL, line integer NOT NULL, enp varchar(16) NOT NULL, snils varchar(11),
            last_name text NOT NULL, first_name text NOT NULL, patronymic text NOT NULL, sex smallint NOT NULL,
            birth_date date NOT NULL, smo_code varchar(5) NOT NULL, d_beg date NOT NULL, d_end date,
            mo_code varchar(6) NOT NULL, district text NOT NULL, datez date NOT NULL, death_date date,
            address text NOT NULL, phone text NOT NULL, email text NOT NULL
        ) ON COMMIT DROP
        """
    )
    cur.execute("CREATE TEMP TABLE reg_changed (person_id bigint NOT NULL) ON COMMIT DROP")


def _copy(cur, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    # One read of the whole batch: with the default 8 KB reads the writer thread would wait for the GIL
    # (held by the parsing thread) once per 8 KB.
    cur.copy_expert(f"COPY reg_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN", io.BytesIO(data), size=len(data))


class _StageWriter:
    """COPYs batches into reg_stage from a second thread, so PostgreSQL ingests one batch while Python parses the next.

    The thread uses the import transaction's own connection; the reading thread does not touch that
    connection until :meth:`close` has joined the writer. At most two batches wait in the queue.
    Measured on the 100,000-person bench: the read phase is about a fifth shorter than with inline COPY.
    """

    def __init__(self, cur):
        self._cur = cur
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="register-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            lines = self._queue.get()
            if lines is None:
                return
            if self._error is None:
                try:
                    _copy(self._cur, lines)
                except BaseException as exc:  # handed to the reading thread in put() / close()
                    self._error = exc

    def put(self, lines: list[str]) -> None:
        if self._error is not None:
            self.close()
        self._queue.put(lines)

    def close(self) -> None:
        """Wait for every batch to be written; re-raise the writer's error in the calling thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _report_reading(progress: ProgressWriter, reader: RegisterReader, source, result: _Result) -> None:
    progress.write(
        force=False,
        records_read=reader.records_read,
        records_rejected=result.records_rejected,
        bytes_read=source.bytes_read,
    )


def _read_into_stage(job: RegisterImport, cur, progress: ProgressWriter, result: _Result) -> None:
    writer = _StageWriter(cur)
    try:
        with job.file.open("rb") as raw, open_xml(raw) as source:
            progress.write(bytes_total=source.size, message=_("Чтение файла"))
            reader = RegisterReader(source)
            lines: list[str] = []
            for item in reader:
                if isinstance(item, RegisterRecord):
                    lines.append(_copy_line(item))
                else:
                    result.reject(item)
                if len(lines) >= BATCH_ROWS:
                    _report_reading(progress, reader, source, result)
                    writer.put(lines)
                    lines = []
                elif reader.records_read % 1000 == 0:
                    _report_reading(progress, reader, source, result)
            if lines:
                _report_reading(progress, reader, source, result)
                writer.put(lines)
            writer.close()
            result.records_read = reader.records_read
            result.file_date = reader.header.date if reader.header else None
            progress.write(
                records_read=reader.records_read, records_rejected=result.records_rejected, bytes_read=source.size
            )
    finally:
        writer.close()


# --- The set-based merge -----------------------------------------------------------------------------------

# A record continues the person's latest period L (rather than opening a new one) when it starts on L's
# start (a correction) or names the same organization (and district) with no gap after L.
POLICY_SAME = "(pl.d_beg = pl.lp_from OR (pl.smo_code = pl.lp_smo AND (pl.lp_to IS NULL OR pl.lp_to >= pl.d_beg - 1)))"
POLICY_NEW = f"(pl.lp_id IS NULL OR NOT {POLICY_SAME})"
ATTACH_SAME = (
    "(pl.datez = pl.la_from OR (pl.mo_code = pl.la_mo AND pl.district = pl.la_district"
    " AND (pl.la_to IS NULL OR pl.la_to >= pl.datez - 1)))"
)
ATTACH_NEW = f"(pl.la_id IS NULL OR NOT {ATTACH_SAME})"


def _reject_duplicates(cur, result: _Result) -> None:
    """A person twice in one file is ambiguous: every occurrence is rejected (FLK 601)."""
    cur.execute(
        "SELECT enp, array_agg(n_zap ORDER BY n_zap), array_agg(line ORDER BY n_zap) "
        "FROM reg_stage GROUP BY enp HAVING count(*) > 1"
    )
    for _enp, n_zaps, lines in cur.fetchall():
        listed = ", ".join(str(n) for n in n_zaps[:20]) + ("…" if len(n_zaps) > 20 else "")
        for n_zap, line in zip(n_zaps, lines, strict=True):
            reason = _("Лицо с этим ЕНП встречается в файле несколько раз (N_ZAP %(list)s)") % {"list": listed}
            result.reject([RecordError(n_zap, "ENP", DUPLICATE, reason, line)])
    cur.execute(
        "DELETE FROM reg_stage s USING (SELECT enp FROM reg_stage GROUP BY enp HAVING count(*) > 1) d"
        " WHERE s.enp = d.enp"
    )


def _reject_history_rewrites(cur, result: _Result) -> None:
    """A D_BEG or DATEZ earlier than the person's latest loaded period would rewrite history: reject the record."""
    cur.execute(
        f"""
        SELECT s.n_zap, s.line, s.enp, s.d_beg, s.datez, x.pol_from, x.att_from
        FROM reg_stage s
        JOIN {PERSON} p ON p.enp = s.enp
        CROSS JOIN LATERAL (
            SELECT (SELECT max(date_from) FROM {POLICY} WHERE person_id = p.id) AS pol_from,
                   (SELECT max(date_from) FROM {ATTACH} WHERE person_id = p.id) AS att_from
        ) x
        WHERE s.d_beg < x.pol_from OR s.datez < x.att_from
        """  # noqa: S608  # nosec B608
    )
    rejected = cur.fetchall()
    for n_zap, line, _enp, d_beg, datez, pol_from, att_from in rejected:
        errors = []
        if pol_from and d_beg < pol_from:
            reason = _(
                "Дата начала полиса D_BEG %(d)s раньше начала последнего загруженного периода страхования "
                "(%(last)s): файл старше уже загруженных данных"
            ) % {"d": d_beg.isoformat(), "last": pol_from.isoformat()}
            errors.append(RecordError(n_zap, "D_BEG", INVALID, reason, line))
        if att_from and datez < att_from:
            reason = _(
                "Дата прикрепления DATEZ %(d)s раньше начала последнего загруженного периода прикрепления "
                "(%(last)s): файл старше уже загруженных данных"
            ) % {"d": datez.isoformat(), "last": att_from.isoformat()}
            errors.append(RecordError(n_zap, "DATEZ", INVALID, reason, line))
        result.reject(errors)
    if rejected:
        cur.execute("CREATE TEMP TABLE reg_reject (enp varchar(16) PRIMARY KEY) ON COMMIT DROP")
        cur.execute(
            "INSERT INTO reg_reject (enp) SELECT unnest(%s::varchar[]) ON CONFLICT DO NOTHING",
            [[r[2] for r in rejected]],
        )
        cur.execute("DELETE FROM reg_stage s USING reg_reject r WHERE s.enp = r.enp")
        cur.execute("DROP TABLE reg_reject")


def _setting(cur, name: str) -> str:
    cur.execute("SELECT current_setting(%s)", [name])
    return cur.fetchone()[0]


def _drop_indexes_for_bulk(cur, table: str, new_rows: int) -> list[str]:
    """Drop ``table``'s indexes that back no constraint when the load at least doubles it; returns their DDL.

    The drop takes the table's ACCESS EXCLUSIVE lock until the import commits: readers of the table wait for
    the rest of the import. That happens only when the load at least doubles the table (in practice the first
    full file, when there is nothing to read yet). If the lock is not granted within BULK_LOCK_TIMEOUT the
    rows are inserted with the indexes in place.
    """
    if new_rows < BULK_MIN_ROWS:
        return []
    cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # nosec B608
    if cur.fetchone()[0] > new_rows:
        return []
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(x.indexrelid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    indexes = cur.fetchall()
    previous = _setting(cur, "lock_timeout")
    try:
        with transaction.atomic():
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [BULK_LOCK_TIMEOUT])
            for name, _ddl in indexes:
                cur.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    except OperationalError:
        logger.info("register import: %s is in use, inserting with its indexes in place", table)
        return []
    finally:
        cur.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    return [ddl for _name, ddl in indexes]


def _rebuild_indexes(cur, table: str, ddls: list[str]) -> None:
    if not ddls:
        return
    previous = _setting(cur, "maintenance_work_mem")
    cur.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    for ddl in ddls:
        cur.execute(ddl)
    cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", [previous])
    cur.execute(f"ANALYZE {table}")


def _upsert_persons(cur, result: _Result) -> int:
    """Update the persons whose data differ, insert the new ones; returns the highest id that existed before."""
    key = sql_name_key("s.last_name", "s.first_name", "s.patronymic")
    cur.execute(
        f"""
        WITH changed AS (
            UPDATE {PERSON} p SET
                snils = s.snils, last_name = s.last_name, first_name = s.first_name, patronymic = s.patronymic,
                name_key = {key}, sex = s.sex, birth_date = s.birth_date, death_date = s.death_date,
                address = CASE WHEN s.address <> '' THEN s.address ELSE p.address END,
                phone = CASE WHEN s.phone <> '' THEN s.phone ELSE p.phone END,
                email = CASE WHEN s.email <> '' THEN s.email ELSE p.email END,
                updated_at = now()
            FROM reg_stage s
            WHERE p.enp = s.enp AND (
                (p.snils, p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date, p.death_date)
                IS DISTINCT FROM (s.snils, s.last_name, s.first_name, s.patronymic, s.sex, s.birth_date, s.death_date)
                OR (s.address <> '' AND s.address <> p.address) OR (s.phone <> '' AND s.phone <> p.phone)
                OR (s.email <> '' AND s.email <> p.email)
            )
            RETURNING p.id
        )
        INSERT INTO reg_changed (person_id) SELECT id FROM changed
        """  # noqa: S608  # nosec B608
    )
    cur.execute(f"SELECT coalesce(max(id), 0) FROM {PERSON}")  # noqa: S608  # nosec B608
    (before_max,) = cur.fetchone()
    cur.execute(f"SELECT count(*) FROM reg_stage s WHERE NOT EXISTS (SELECT 1 FROM {PERSON} p WHERE p.enp = s.enp)")  # noqa: S608  # nosec B608
    dropped = _drop_indexes_for_bulk(cur, PERSON, cur.fetchone()[0])
    cur.execute(
        f"""
        INSERT INTO {PERSON} (
            enp, snils, last_name, first_name, patronymic, name_key, sex, birth_date, death_date,
            address, phone, email, informing_opt_out, opt_out_date, updated_at
        )
        SELECT s.enp, s.snils, s.last_name, s.first_name, s.patronymic, {key}, s.sex, s.birth_date, s.death_date,
               s.address, s.phone, s.email, false, NULL, now()
        FROM reg_stage s
        WHERE NOT EXISTS (SELECT 1 FROM {PERSON} p WHERE p.enp = s.enp)
        ORDER BY s.n_zap
        """  # noqa: S608  # nosec B608
    )
    result.records_created = cur.rowcount
    _rebuild_indexes(cur, PERSON, dropped)
    return before_max


def _build_plan(cur, before_max: int) -> None:
    """One row per loaded record: the person's id and their latest policy and attachment periods before the load."""
    cur.execute(
        f"""
        CREATE TEMP TABLE reg_plan ON COMMIT DROP AS
        SELECT p.id AS person_id, p.id > %(before)s AS is_new,
               s.smo_code, s.d_beg, s.d_end, s.mo_code, s.district, s.datez,
               lp.id AS lp_id, lp.smo_code AS lp_smo, lp.date_from AS lp_from, lp.date_to AS lp_to,
               la.id AS la_id, la.mo_code AS la_mo, la.district AS la_district, la.date_from AS la_from,
               la.date_to AS la_to
        FROM reg_stage s
        JOIN {PERSON} p ON p.enp = s.enp
        LEFT JOIN LATERAL (
            SELECT id, smo_code, date_from, date_to FROM {POLICY}
            WHERE person_id = p.id AND p.id <= %(before)s ORDER BY date_from DESC, id DESC LIMIT 1
        ) lp ON true
        LEFT JOIN LATERAL (
            SELECT id, mo_code, district, date_from, date_to FROM {ATTACH}
            WHERE person_id = p.id AND p.id <= %(before)s ORDER BY date_from DESC, id DESC LIMIT 1
        ) la ON true
        """,  # noqa: S608  # nosec B608
        {"before": before_max},
    )


def _merge_policies(cur) -> None:
    # Continue or correct the latest period.
    cur.execute(
        f"""
        WITH changed AS (
            UPDATE {POLICY} pp SET smo_code = pl.smo_code, smo_id = o.id, date_to = pl.d_end
            FROM reg_plan pl LEFT JOIN {ORG} o ON o.kind = 'SMO' AND o.code = pl.smo_code
            WHERE pp.id = pl.lp_id AND {POLICY_SAME}
              AND (pp.smo_code, pp.smo_id, pp.date_to) IS DISTINCT FROM (pl.smo_code, o.id, pl.d_end)
            RETURNING pp.person_id
        )
        INSERT INTO reg_changed (person_id) SELECT person_id FROM changed
        """  # noqa: S608  # nosec B608
    )
    # A new SMO (or a gap): close the latest period the day before the new one starts...
    cur.execute(
        f"""
        UPDATE {POLICY} pp SET date_to = pl.d_beg - 1
        FROM reg_plan pl
        WHERE pp.id = pl.lp_id AND {POLICY_NEW} AND (pp.date_to IS NULL OR pp.date_to >= pl.d_beg)
        """  # noqa: S608  # nosec B608
    )
    # ...and open the new one.
    cur.execute(f"SELECT count(*) FROM reg_plan pl WHERE {POLICY_NEW}")  # noqa: S608  # nosec B608
    dropped = _drop_indexes_for_bulk(cur, POLICY, cur.fetchone()[0])
    cur.execute(
        f"""
        INSERT INTO {POLICY} (person_id, smo_code, smo_id, date_from, date_to)
        SELECT pl.person_id, pl.smo_code, o.id, pl.d_beg, pl.d_end
        FROM reg_plan pl LEFT JOIN {ORG} o ON o.kind = 'SMO' AND o.code = pl.smo_code
        WHERE {POLICY_NEW}
        """  # noqa: S608  # nosec B608
    )
    _rebuild_indexes(cur, POLICY, dropped)
    cur.execute(
        f"INSERT INTO reg_changed (person_id) SELECT person_id FROM reg_plan pl WHERE NOT is_new AND {POLICY_NEW}"  # noqa: S608  # nosec B608
    )


def _merge_attachments(cur) -> None:
    cur.execute(
        f"""
        WITH changed AS (
            UPDATE {ATTACH} pa SET mo_code = pl.mo_code, mo_id = o.id, district = pl.district, date_to = NULL
            FROM reg_plan pl LEFT JOIN {ORG} o ON o.kind = 'MO' AND o.code = pl.mo_code
            WHERE pa.id = pl.la_id AND {ATTACH_SAME}
              AND (pa.mo_code, pa.mo_id, pa.district, pa.date_to) IS DISTINCT FROM (pl.mo_code, o.id, pl.district, NULL)
            RETURNING pa.person_id
        )
        INSERT INTO reg_changed (person_id) SELECT person_id FROM changed
        """  # noqa: S608  # nosec B608
    )
    cur.execute(
        f"""
        UPDATE {ATTACH} pa SET date_to = pl.datez - 1
        FROM reg_plan pl
        WHERE pa.id = pl.la_id AND {ATTACH_NEW} AND (pa.date_to IS NULL OR pa.date_to >= pl.datez)
        """  # noqa: S608  # nosec B608
    )
    cur.execute(f"SELECT count(*) FROM reg_plan pl WHERE {ATTACH_NEW}")  # noqa: S608  # nosec B608
    dropped = _drop_indexes_for_bulk(cur, ATTACH, cur.fetchone()[0])
    cur.execute(
        f"""
        INSERT INTO {ATTACH} (person_id, mo_code, mo_id, district, date_from, date_to)
        SELECT pl.person_id, pl.mo_code, o.id, pl.district, pl.datez, NULL
        FROM reg_plan pl LEFT JOIN {ORG} o ON o.kind = 'MO' AND o.code = pl.mo_code
        WHERE {ATTACH_NEW}
        """  # noqa: S608  # nosec B608
    )
    _rebuild_indexes(cur, ATTACH, dropped)
    cur.execute(
        f"INSERT INTO reg_changed (person_id) SELECT person_id FROM reg_plan pl WHERE NOT is_new AND {ATTACH_NEW}"  # noqa: S608  # nosec B608
    )


def _load(job: RegisterImport, cur, progress: ProgressWriter) -> _Result:
    result = _Result()
    _create_stage(cur)
    _read_into_stage(job, cur, progress, result)

    steps = [
        (_("Проверка повторов в файле"), lambda: _reject_duplicates(cur, result)),
        (_("Сверка с загруженной историей"), lambda: _reject_history_rewrites(cur, result)),
    ]
    for message, step in steps:
        progress.write(message=message)
        step()
    cur.execute("CREATE INDEX ON reg_stage (enp)")
    cur.execute("ANALYZE reg_stage")

    progress.write(message=_("Сохранение: застрахованные лица"))
    before_max = _upsert_persons(cur, result)
    progress.write(message=_("Сохранение: сопоставление с историей"))
    _build_plan(cur, before_max)
    cur.execute("ANALYZE reg_plan")
    progress.write(message=_("Сохранение: периоды страхования"))
    _merge_policies(cur)
    progress.write(message=_("Сохранение: периоды прикрепления"))
    _merge_attachments(cur)

    cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE left(smo_code, 2) <> %s) FROM reg_plan", [settings.OMS_REGION_CODE]
    )
    result.records_loaded, result.insured_elsewhere = cur.fetchone()
    cur.execute("SELECT count(DISTINCT person_id) FROM reg_changed")
    (result.records_changed,) = cur.fetchone()
    result.errors.sort(key=lambda e: (e["n_zap"] is None, e["n_zap"] or 0, e["line"] or 0))
    cur.execute("DROP TABLE reg_stage, reg_plan, reg_changed")
    progress.write(message=_("Завершение"))
    return result
