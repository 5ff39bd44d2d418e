"""The one sweeper of lost jobs: Celery beat runs it every 5 minutes, ``manage.py resume_jobs`` on demand.

It walks every registered job kind (omsportal.jobs.kinds) the same way:

- a PENDING job older than the dispatch grace never reached a worker (the broker or the web process went away
  between the commit and the dispatch): it is dispatched again; the claim makes a second delivery a no-op;
- a RUNNING job (started before the grace) whose lock is free has no live worker (``kill -9``, a lost node): the
  worker's transaction was rolled back with it, so nothing of the job is in the data;
- a RUNNING job whose lock is held but whose progress has not moved for longer than
  settings.OMS_JOB_STALL_SECONDS is stuck (a loop on a hostile file): its worker's database session is ended,
  which rolls its transaction back and frees the lock; then it is lost like the one above.

A lost job of a RESUME kind goes back to PENDING and is dispatched again, unless it has used up
settings.OMS_JOB_MAX_ATTEMPTS; a lost job of a CLOSE kind, or one out of attempts, is closed FAILED with a
message that says what happened. Either way the job's log says why.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField
from django.db.models.functions import Coalesce
from django.utils import timezone

from omsportal import locks

from .dispatch import enqueue_job
from .kinds import JobKind, job_kinds
from .models import JobStatus
from .runner import WORKER_GONE, lost_outcome

logger = logging.getLogger(__name__)

# Seconds a kill takes to free the lock of the stuck worker's session before the sweeper gives up on it for now.
TERMINATE_WAIT = "10s"


def grace() -> datetime.timedelta:
    """A job row younger than this may still be on its way to a worker (or between its claim and its lock)."""
    return datetime.timedelta(seconds=settings.OMS_JOB_DISPATCH_GRACE_SECONDS)


def stall_limit() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.OMS_JOB_STALL_SECONDS)


def stalled_reason(still: datetime.timedelta) -> str:
    minutes = max(1, int(still.total_seconds() // 60))
    limit = max(1, settings.OMS_JOB_STALL_SECONDS // 60)
    return f"обработка не продвигалась {minutes} мин. (предел {limit} мин.)"


def resume_jobs(
    *, now: datetime.datetime | None = None, dispatch: Callable[[str, int], None] = enqueue_job
) -> dict[str, dict[str, int]]:
    """Dispatch, resume or close the lost jobs of every kind; returns counts per kind name."""
    now = now or timezone.now()
    return {kind.name: _sweep(kind, now, dispatch) for kind in job_kinds()}


def _sweep(kind: JobKind, now: datetime.datetime, dispatch) -> dict[str, int]:
    model = kind.job_model
    counts = {"dispatched": 0, "resumed": 0, "closed": 0}
    pending = (
        model.objects.filter(kind.dispatchable, status=JobStatus.PENDING, created_at__lt=now - grace())
        .order_by("id")
        .values_list("id", flat=True)
    )
    for pk in list(pending):
        dispatch(kind.name, pk)
        counts["dispatched"] += 1
    running = (
        model.objects.filter(status=JobStatus.RUNNING)
        .annotate(
            since=Coalesce("started_at", "created_at", output_field=DateTimeField()),
            moved=Coalesce("progress_at", "started_at", "created_at", output_field=DateTimeField()),
        )
        .filter(since__lt=now - grace())
        .order_by("id")
        .values_list("id", "moved")
    )
    for pk, moved in list(running):
        outcome = _lost(kind, pk, still=now - moved)
        if outcome == "resumed":
            dispatch(kind.name, pk)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def _lost(kind: JobKind, pk: int, *, still: datetime.timedelta) -> str | None:
    """Handle a RUNNING job if it is lost; returns "resumed", "closed" or None (alive, or changed meanwhile)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if locks.try_xact_lock(cursor, kind.lock, pk):
                reason = WORKER_GONE
            elif still > stall_limit():
                reason = stalled_reason(still)
                if not _end_stuck_worker(cursor, kind, pk):
                    return None
            else:
                return None  # a live worker that moves
        row = kind.job_model.objects.filter(pk=pk, status=JobStatus.RUNNING).values("attempts").first()
        if row is None:
            return None  # finished while we looked
        logger.warning("job %s %s is lost: %s", kind.name, pk, reason)
        return lost_outcome(kind, pk, attempts=row["attempts"], reason=reason, from_status=JobStatus.RUNNING)


def _end_stuck_worker(cursor, kind: JobKind, pk: int) -> bool:
    """End the database sessions holding the job's lock, then take the lock ourselves; False if it stays held."""
    pids = locks.holder_pids(cursor, kind.lock, pk)
    for pid in pids:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [TERMINATE_WAIT])
    try:
        with transaction.atomic():
            locks.xact_lock(cursor, kind.lock, pk)
    except Exception:
        logger.warning("job %s %s: the stuck worker's lock was not freed", kind.name, pk)
        return False
    finally:
        cursor.execute("SELECT set_config('lock_timeout', '0', true)")
    return True
