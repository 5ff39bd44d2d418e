"""Celery tasks of the kit: the sweeper of lost jobs, run by beat every 5 minutes (settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from omsportal.jobs.resume import resume_jobs


@shared_task(name="omsportal.resume_jobs")
def resume_jobs_task() -> dict:
    """Dispatch, resume or close the lost jobs of every registered kind."""
    return resume_jobs()
