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
