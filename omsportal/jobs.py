"""One way to start background work after the current transaction commits.

With a broker (REDIS_URL) the task goes to the Celery workers. Without one the
portal runs the task in a thread of the current process, so ``make run`` works
with no Redis and pages still show progress while the job runs. Tests set
CELERY_TASK_ALWAYS_EAGER, which runs the task inline on commit.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import close_old_connections, transaction


def enqueue(task, *args) -> None:
    transaction.on_commit(lambda: _dispatch(task, args))


def _dispatch(task, args) -> None:
    if settings.OMS_INPROCESS_JOBS and not settings.CELERY_TASK_ALWAYS_EAGER:
        thread = threading.Thread(target=_run_in_thread, args=(task, args), daemon=True)
        thread.start()
    else:
        task.delay(*args)


def _run_in_thread(task, args) -> None:
    close_old_connections()
    try:
        task.apply(args=args)
    finally:
        close_old_connections()


# A job row younger than this may still be on its way to a worker (see the resume_stalled_* services).
DISPATCH_GRACE_SECONDS = 120


def redispatch(queryset, task, *, dispatch=enqueue) -> int:
    """Start ``task`` again for every job row of ``queryset`` (by id, oldest first); returns how many."""
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    for pk in ids:
        dispatch(task, pk)
    return len(ids)
