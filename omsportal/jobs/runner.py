"""Running one job: the claim by conditional update, the liveness lock, the run, the outcome when it breaks.

``run_job(name, id)`` is what every job task does (and the command line, and ``run_async=False`` paths):

1. **claim**: PENDING -> RUNNING in one conditional update, ``attempts`` + 1; a re-delivered task finds nothing to
   claim. A RUNNING job whose lock is free has no live worker: a RESUME kind is taken over, a CLOSE kind closed.
   A job that has used up settings.OMS_JOB_MAX_ATTEMPTS is closed FAILED instead of starting once more, so a file
   that kills its worker every time is not retried in a loop.
2. **lock**: the worker holds the kind's advisory lock on (space, id) on its own database connection for the whole
   run; PostgreSQL releases it when that connection dies (``kill -9``, a lost node), which is how the sweeper
   (omsportal.jobs.resume) knows a RUNNING job has nobody working on it.
3. **run**: the kind's ``run(id, progress)``: one transaction, safe to repeat; it records its own result and its
   own expected failures (a rejected file).
4. anything that escapes the run leaves the job FAILED with the kind's ``failed_message`` (the exception's class
   only: its text may quote personal data) and is raised again for the task's log.
"""

from __future__ import annotations

import contextlib
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from psycopg2 import sql

from omsportal import locks

from .kinds import CLOSE, JobKind, job_kind
from .models import JobStatus
from .progress import LOG_APPEND, ProgressWriter, assignments, log_entry

logger = logging.getLogger(__name__)

# Sent after a job's run returned (outside its transaction): sender = the kind's name, pk, status (its final one).
# Work that follows a finished job (the obligations engine and the dashboard aggregates after an upload) listens here.
job_finished = Signal()

WORKER_GONE = "обработчик остановился"


def max_attempts() -> int:
    return max(1, int(settings.OMS_JOB_MAX_ATTEMPTS))


def exhausted_message(attempts: int, reason: str) -> str:
    return (
        f"Задание остановлено после {attempts} попыт{_ending(attempts)}: каждый раз обработка прерывалась "
        f"({reason}). Повторять его дальше бесполезно: проверьте файл и загрузите его заново или обратитесь в ТФОМС."
    )


def _ending(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "ки"
    return "ок"


def _append_log(kind: JobKind, pk: int, text: str, *, statuses: tuple[str, ...] | None = None, **changes) -> int:
    """One UPDATE of the job row (only while it is in ``statuses``, if given): ``changes`` plus a log line.

    Returns the number of rows changed.
    """
    params = [*changes.values(), json.dumps([log_entry(text)]), pk]
    where = sql.SQL("id = %s")
    if statuses is not None:
        where = sql.SQL("{} AND status = ANY(%s)").format(where)
        params.append(list(statuses))
    sets = [assignments(changes), LOG_APPEND] if changes else [LOG_APPEND]
    statement = sql.SQL("UPDATE {table} SET {sets} WHERE {where}").format(
        table=sql.Identifier(kind.job_model._meta.db_table), sets=sql.SQL(", ").join(sets), where=where
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.cursor), params)
        return cursor.rowcount


def close_job(kind: JobKind, pk: int, *, message: str, log: str, statuses: tuple[str, ...]) -> bool:
    """FAILED with ``message`` if the job is still in one of ``statuses``; the log says why."""
    changes = {"status": JobStatus.FAILED, "message": message, "finished_at": timezone.now()}
    return bool(_append_log(kind, pk, log, statuses=statuses, **changes))


def lost_outcome(kind: JobKind, pk: int, *, attempts: int, reason: str, from_status: str) -> str:
    """Close or resume a job found without a live worker (the caller holds its lock): "closed" or "resumed".

    Resumed means PENDING again, to be dispatched after the caller's transaction commits.
    """
    if kind.on_lost == CLOSE:
        close_job(
            kind,
            pk,
            message=kind.lost_message.format(reason=reason),
            log=f"Прервано: {reason}; закрыто",
            statuses=(from_status,),
        )
        return "closed"
    if attempts >= max_attempts():
        _close_exhausted(kind, pk, attempts, reason, from_status, log=f"Прервано: {reason}")
        return "closed"
    text = f"Прервано: {reason}; поставлено в очередь повторно"
    resumed = _append_log(kind, pk, text, statuses=(from_status,), status=JobStatus.PENDING)
    return "resumed" if resumed else "unchanged"


def _close_exhausted(kind: JobKind, pk: int, attempts: int, reason: str, status: str, *, log: str) -> None:
    """Out of attempts: FAILED with a message that says so, never started once more."""
    message = exhausted_message(attempts, reason)
    close_job(kind, pk, message=message, log=f"{log}; попытки исчерпаны ({attempts})", statuses=(status,))


def claim_job(kind: JobKind | str, pk: int) -> bool:
    """Claim the job for this worker (see the module docstring); True when it is ours to run now."""
    kind = job_kind(kind) if isinstance(kind, str) else kind
    model = kind.job_model
    row = model.objects.filter(pk=pk).values("status", "attempts").first()
    if row is None:
        return False
    status, attempts = row["status"], row["attempts"]
    retaken = status == JobStatus.RUNNING or (status == JobStatus.FAILED and kind.rerun_failed)
    if status != JobStatus.PENDING and not retaken:
        return False  # finished (or being closed): a repeated delivery does nothing
    with transaction.atomic():
        if retaken:
            with connection.cursor() as cursor:
                if not locks.try_xact_lock(cursor, kind.lock, pk):
                    return False  # a live worker holds it
            if status == JobStatus.RUNNING and kind.on_lost == CLOSE:
                lost_outcome(kind, pk, attempts=attempts, reason=WORKER_GONE, from_status=status)
                return False
        if attempts >= max_attempts():
            reason = WORKER_GONE if status == JobStatus.RUNNING else "задание не завершилось"
            _close_exhausted(kind, pk, attempts, reason, status, log="Не запущено")
            return False
        now = timezone.now()
        claimed = model.objects.filter(pk=pk, status=status, attempts=attempts).update(
            status=JobStatus.RUNNING,
            started_at=now,
            progress_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            message="",
        )
        if claimed != 1:
            return False
        _append_log(kind, pk, f"Запущено (попытка {attempts + 1})")
    return True


@contextlib.contextmanager
def job_lock(kind: JobKind, pk: int):
    """Hold the kind's lock on (space, pk) on this connection while the block runs (re-entrant for it)."""
    with connection.cursor() as cursor:
        locks.session_lock(cursor, kind.lock, pk)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                locks.session_unlock(cursor, kind.lock, pk)
        except Exception:  # the connection is gone, and the lock with it
            logger.warning("job %s %s: the lock could not be released explicitly", kind.name, pk)


def run_job(name: str, pk: int) -> str:
    """Claim, lock and run one job; returns its final status, or "skipped" when there was nothing to claim."""
    kind = job_kind(name)
    if not claim_job(kind, pk):
        return "skipped"
    model = kind.job_model
    progress = ProgressWriter(model, pk)
    try:
        with job_lock(kind, pk):
            # A second claim in the window before our lock may have run the job already.
            if model.objects.filter(pk=pk, status=JobStatus.RUNNING).exists():
                kind.run(pk, progress)
    except BaseException as exc:
        progress.close()
        _record_failure(kind, pk, exc)
        raise
    progress.close()
    status = model.objects.filter(pk=pk).values_list("status", flat=True).first() or "skipped"
    job_finished.send_robust(sender=name, pk=pk, status=status)
    return status


def _record_failure(kind: JobKind, pk: int, exc: BaseException) -> None:
    """The run raised: a job the service left RUNNING is closed FAILED (no personal data in the message)."""
    logger.error("job %s %s failed: %s", kind.name, pk, type(exc).__name__)
    try:
        # A worker whose connection broke mid-job records the failure on a fresh one.
        if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
            connection.close()
        close_job(
            kind,
            pk,
            message=kind.failed_message.format(error=type(exc).__name__),
            log=f"Ошибка: {type(exc).__name__}",
            statuses=(JobStatus.RUNNING,),
        )
    except Exception:
        logger.exception("job %s %s: could not record the failure", kind.name, pk)
