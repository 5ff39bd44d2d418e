"""Starting the obligations engine as a job of the kit: nightly (beat), after a job that can change a state (a
list upload, a batch of events, a register import, informing and survey imports), or by hand."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from omsportal import locks
from omsportal.jobs.dispatch import enqueue_job
from omsportal.jobs.models import JobStatus
from reports.models import ObligationRun

logger = logging.getLogger(__name__)

OBLIGATIONS_RUN = "reports.obligations_run"
NIGHTLY = "nightly"  # the trigger of beat's run: its job sends the e-mail digest once the states are written
# Job kinds after which the states and the figures are brought up to date: every kind of the apps whose data
# judge an obligation, except the engine's own.
TRIGGER_APPS = ("screening.", "participants.", "informing.", "surveys.")


def start_run(*, as_of: datetime.date | None = None, trigger: str = "manual", user=None) -> ObligationRun:
    """A run as of ``as_of`` (today), started once the current transaction commits; a run of the same day still
    waiting in the queue is reused instead of queueing another."""
    as_of = as_of or timezone.localdate()
    waiting = ObligationRun.objects.filter(as_of=as_of, status=JobStatus.PENDING).order_by("pk").first()
    if waiting is not None:
        if trigger == NIGHTLY and waiting.trigger != NIGHTLY:  # beat's run joins the waiting one: it sends the digest
            ObligationRun.objects.filter(pk=waiting.pk).update(trigger=NIGHTLY)
            waiting.trigger = NIGHTLY
        return waiting
    run = ObligationRun.objects.create(as_of=as_of, trigger=trigger[:60], created_by=user)
    enqueue_job(OBLIGATIONS_RUN, run.pk)
    return run


def after_job(sender: str, pk: int, status: str, **_kwargs) -> None:
    """The job kit's ``job_finished``: a finished job of a judging app starts a run (when the setting allows)."""
    if not settings.OMS_OBLIGATIONS_AFTER_JOBS or sender == OBLIGATIONS_RUN:
        return
    if status in (JobStatus.DONE, "HELD") and sender.startswith(TRIGGER_APPS):
        refresh_after(sender, pk)
        start_run(trigger=sender)


def refresh_after(kind: str, pk: int) -> None:
    """The figures the finished job changed, at once: the MO and year of a list upload or of a batch's events."""
    from reports.services.figures import refresh_figures
    from screening.models import EventBatch, ListUpload, StageEvent
    from screening.services.events import EVENT_BATCH
    from screening.services.list_upload import LIST_UPLOAD

    if kind == LIST_UPLOAD:
        upload = ListUpload.objects.filter(pk=pk).values("year", "mo_id").first()
        if upload and upload["year"]:
            refresh_figures(upload["year"], [upload["mo_id"]])
    elif kind == EVENT_BATCH:
        mo_id = EventBatch.objects.filter(pk=pk).values_list("mo_id", flat=True).first()
        years = StageEvent.objects.filter(batch_id=pk).dates("date", "year")
        for year in years:
            refresh_figures(year.year, [mo_id])


def run_obligations_job(run_id: int, progress) -> None:
    """The job's body: one transaction, one run at a time (the OBLIGATIONS lock). A nightly run then sends the
    e-mail digest of the states it wrote (after the commit: a letter never names a state that was rolled back)."""
    from reports.engine import run as engine_run
    from reports.services.figures import refresh_figures
    from reports.services.outcomes import refresh_outcomes
    from reports.services.quotas import refresh_quotas

    run = ObligationRun.objects.get(pk=run_id)
    with transaction.atomic():
        with connection.cursor() as cursor:
            locks.xact_lock(cursor, locks.OBLIGATIONS, 0)
        # The survey quotas first: the O14 records the engine opens name this run's quota figures as evidence.
        refresh_quotas(run.as_of.year, run.as_of)
        counts = engine_run(run.as_of)
        progress.write(records_read=counts["evaluated"])
        refresh_figures(run.as_of.year)
        refresh_outcomes(run.as_of.year, run.as_of)
        ObligationRun.objects.filter(pk=run_id).update(
            status=JobStatus.DONE,
            finished_at=timezone.now(),
            states_changed=counts["changed"],
            noncompliance_created=counts["noncompliance_created"],
            records_total=counts["evaluated"],
            records_read=counts["evaluated"],
        )
    if run.trigger == NIGHTLY:
        _send_digests(run.as_of)


def _send_digests(day: datetime.date) -> None:
    """The digest of ``day``; a mail failure is logged, not raised: the run is done and a rerun would not help."""
    from reports.services.digest import send_digests

    try:
        send_digests(day)
    except Exception:  # SMTP down or refusing: the states stand, tomorrow's digest goes out again
        logger.exception("obligation digests of %s not sent", day.isoformat())
