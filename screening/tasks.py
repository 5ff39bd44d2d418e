"""Celery tasks of screening: thin wrappers that take ids, claim the job and call a service."""

from __future__ import annotations

import contextlib

from celery import shared_task

# Register the events task of this app too: the worker autodiscovers only ``screening.tasks``.
with contextlib.suppress(ImportError):
    from screening.tasks_events import event_batch_process_task  # noqa: F401


@shared_task(name="screening.list_upload", acks_late=True, reject_on_worker_lost=True)
def list_upload_task(upload_id: int) -> None:
    """Process one uploaded list; a redelivered task for a job another worker still runs does nothing."""
    from screening.services.list_upload import list_upload_claim, list_upload_process

    if list_upload_claim(upload_id=upload_id):
        list_upload_process(upload_id=upload_id)


@shared_task(name="screening.resume_stalled_jobs")
def resume_stalled_jobs_task() -> dict:
    """Beat: enqueue list uploads and event batches that stopped, close batches whose worker is gone."""
    from screening.services.stalled import resume_stalled_screening_jobs

    return resume_stalled_screening_jobs()
