"""Background work of reports on the job kit: the obligations engine run (with the dashboard figures), started
nightly by beat (settings.CELERY_BEAT_SCHEDULE) and after the jobs that change a state."""

from __future__ import annotations

from celery import shared_task

from omsportal import locks
from omsportal.jobs.kinds import RESUME, JobKind, register_job
from reports.services.runs import NIGHTLY, OBLIGATIONS_RUN, run_obligations_job, start_run

# A lost run runs again: one transaction, a rerun of the same day changes nothing it already wrote.
obligations_run_task = register_job(
    JobKind(
        name=OBLIGATIONS_RUN,
        model="reports.ObligationRun",
        run=run_obligations_job,
        lock=locks.OBLIGATIONS_RUN_JOB,
        label="Расчёты обязательств",
        on_lost=RESUME,
        rerun_failed=True,
    )
)


@shared_task(name="reports.nightly")
def nightly_task() -> int:
    """Beat's nightly run as of today. The e-mail digest of what falls due and what is overdue goes out at the end
    of that run's job (reports.services.runs.run_obligations_job), so it reads the states the same night wrote."""
    run = start_run(trigger=NIGHTLY)
    return run.pk
