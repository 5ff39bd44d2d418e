"""Starting jobs by name, after the current transaction commits, so that services never import tasks.

With a broker (REDIS_URL) the kind's Celery task (registered under the kind's name) goes to the workers. Without
one the portal runs the job in a thread of the current process, so ``make run`` works with no Redis and pages
still show progress while the job runs. Tests set CELERY_TASK_ALWAYS_EAGER, which runs the task inline on commit.

A short-lived process with no broker (``manage.py resume_jobs`` at ``make run``) must not run old jobs in its
own threads (they would die with it) nor in the foreground (the portal would wait for them): it hands each job
to a child process of its own (:func:`spawn`), ``manage.py run_job KIND ID``, and returns at once.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from .kinds import job_kind

logger = logging.getLogger(__name__)


def enqueue_job(name: str, pk: int) -> None:
    """Start job ``pk`` of kind ``name`` once the current transaction commits (at once outside one)."""
    job_kind(name)  # an unknown name fails here, in the service, not later in a worker
    transaction.on_commit(lambda: dispatch(name, pk))


def dispatch(name: str, pk: int) -> None:
    """Start the job now: Celery by task name, or a thread of this process when there is no broker."""
    if settings.OMS_INPROCESS_JOBS and not settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(target=_run_in_thread, args=(name, pk), name=f"job-{name}-{pk}", daemon=True).start()
    else:
        task_for(name).delay(pk)


def task_for(name: str):
    """The Celery task registered for the kind ``name``."""
    from omsportal.celery import app

    job_kind(name)  # imports the apps' tasks modules, which register the tasks
    return app.tasks[name]


def _run_in_thread(name: str, pk: int) -> None:
    from .runner import run_job

    close_old_connections()
    try:
        run_job(name, pk)
    except Exception:
        logger.exception("job %s %s failed in its thread", name, pk)
    finally:
        close_old_connections()


def spawn(name: str, pk: int) -> subprocess.Popen:
    """Run the job in a child process (``manage.py run_job``) that outlives the caller; returns at once."""
    manage = Path(settings.BASE_DIR) / "manage.py"
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py, arguments from the job registry
        [sys.executable, str(manage), "run_job", name, str(pk)],
        env=child_environment(),
        stdin=subprocess.DEVNULL,
        cwd=settings.BASE_DIR,
    )


def child_environment() -> dict[str, str]:
    """This process's environment, with the database and the media folder it really uses (a test database, a
    MEDIA_ROOT set in code): the child must see the same job rows and files."""
    env = dict(os.environ)
    db = connection.settings_dict
    if not env.get("DATABASE_URL"):  # the embedded server: the child finds (and keeps alive) the same one itself
        env["OMS_EMBEDDED_DB_NAME"] = db["NAME"]
    else:
        credentials = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    return env
