"""Background jobs of the participants app: thin Celery tasks that claim a job row and call a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from participants.models import JobStatus, RegisterImport
from participants.services.register_import import register_import_run


def register_import_claim(import_id: int) -> bool:
    """PENDING -> RUNNING with a conditional update: a re-delivered task finds nothing to claim."""
    claimed = RegisterImport.objects.filter(pk=import_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    return claimed == 1


@shared_task(acks_late=True)
def register_import_task(import_id: int) -> str:
    """Load a REGISTER file into the register (the whole file in one transaction)."""
    if not register_import_claim(import_id):
        return "skipped"
    return register_import_run(import_id=import_id).status


@shared_task(name="participants.resume_stalled_jobs")
def resume_stalled_jobs_task() -> dict:
    """Beat: enqueue register imports that never started, close those whose worker is gone."""
    from participants.services.stalled import resume_stalled_register_imports

    return resume_stalled_register_imports()
