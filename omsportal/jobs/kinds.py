"""The registry of job kinds: what runs a job of each kind, which lock says it is alive, what to do with a lost one.

A kind is declared once, in its app's ``tasks.py`` (the room for background work)::

    list_upload_task = register_job(
        JobKind(
            name="screening.list_upload",            # also the Celery task's name: services enqueue by it
            model="screening.ListUpload",             # a model built on omsportal.jobs.Job
            run=_process,                             # (job id, ProgressWriter) -> None: one transaction
            lock=locks.LIST_UPLOAD_JOB,               # held by the worker while the job runs
            label="Загрузки списков",
            on_lost=RESUME,                           # or CLOSE, with lost_message
        )
    )

``register_job`` returns the Celery task (``acks_late``, lost workers' messages go back to the queue). The kit finds
every kind by importing the installed apps' ``tasks`` modules, as the Celery worker does, so ``resume_jobs`` and
``enqueue_job`` know all of them without a list kept anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Q

from omsportal.locks import LockSpace
from omsportal.registry import Registry

# What to do with a job whose worker is gone (or that stood still too long):
RESUME = "resume"  # run it again: its transaction left nothing behind and the job row holds all it needs
CLOSE = "close"  # close it FAILED with ``lost_message``: it cannot be repeated from the job row alone

DEFAULT_LOST_MESSAGE = "Обработка прервана: {reason}. Загрузите файл повторно."
DEFAULT_FAILED_MESSAGE = "Ошибка обработки ({error}). Загрузите файл повторно или обратитесь в ТФОМС."


@dataclass(frozen=True)
class JobKind:
    """One kind of background job, as the kit runs, resumes and closes it."""

    name: str
    model: str  # "app_label.Model"
    run: Callable[[int, Any], Any]  # run(job_id, progress): does the work of a claimed (RUNNING) job
    lock: LockSpace
    label: str  # plural, for reports ("Загрузки списков")
    on_lost: str = RESUME
    lost_message: str = DEFAULT_LOST_MESSAGE  # {reason} is filled in
    failed_message: str = DEFAULT_FAILED_MESSAGE  # {error} is the exception's class name (never its text)
    # A FAILED job may be claimed again by a redelivered task (its failure rolled everything back).
    rerun_failed: bool = False
    # Rows the sweeper re-dispatches when PENDING (e.g. batches from files, not API posts).
    dispatchable: Q = field(default_factory=Q)

    def __post_init__(self):
        if self.on_lost not in (RESUME, CLOSE):
            raise ValueError(f"{self.name}: on_lost must be RESUME or CLOSE")

    @property
    def job_model(self):
        return apps.get_model(self.model)


KINDS: Registry[str, JobKind] = Registry("tasks", "job kind")


def register_job(kind: JobKind):
    """Register ``kind`` and return its Celery task (named ``kind.name``), whose body is ``run_job``."""
    from celery import shared_task

    from .runner import run_job

    KINDS.add(kind.name, kind)

    def task(job_id: int) -> str:
        return run_job(kind.name, job_id)

    task.__name__ = task.__qualname__ = kind.name.replace(".", "_") + "_task"
    task.__doc__ = f"Run one {kind.name} job by id (claim, lock, run, record the outcome)."
    return shared_task(name=kind.name, acks_late=True, reject_on_worker_lost=True)(task)


def job_kinds() -> list[JobKind]:
    """Every registered kind, in registration order."""
    return KINDS.values()


def job_kind(name: str) -> JobKind:
    return KINDS.get(name)
