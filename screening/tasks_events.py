"""Background processing of EVENTS files: a thin task around the service [R II.9]."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="screening.event_batch_process", acks_late=True, reject_on_worker_lost=True)
def event_batch_process_task(batch_id: int) -> None:
    """Process one pending batch by id; the service claims it (PENDING→RUNNING), so a redelivery does nothing."""
    from screening.services.events import event_batch_process

    event_batch_process(batch_id=batch_id)
