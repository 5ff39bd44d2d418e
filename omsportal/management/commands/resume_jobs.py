"""``manage.py resume_jobs``: pick up background jobs that stopped (what Celery beat does every 5 minutes).

Without a broker (no REDIS_URL) there is no beat: ``make run`` calls this before starting the server, so an upload
interrupted by stopping the server is processed again when the portal comes back. The command never runs a job in
the foreground: with a broker it queues the jobs for the workers, without one it hands each to a process of its own
(``manage.py run_job``), and returns at once, so the portal starts serving without waiting for old jobs.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from omsportal.jobs.dispatch import enqueue_job, spawn
from omsportal.jobs.kinds import job_kind
from omsportal.jobs.resume import grace, resume_jobs


class Command(BaseCommand):
    help = "Запустить повторно или закрыть остановившиеся фоновые задания (загрузки регистра, списков, событий)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="без паузы для только что созданных заданий")

    def handle(self, *args, **options):
        now = timezone.now() + (grace() + datetime.timedelta(seconds=1) if options["now"] else datetime.timedelta())
        dispatch = _spawn if settings.OMS_INPROCESS_JOBS else enqueue_job
        done = resume_jobs(now=now, dispatch=dispatch)
        lines = []
        for name, counts in done.items():
            started = counts["dispatched"] + counts["resumed"]
            closed = counts["closed"]
            lines.append(f"{job_kind(name).label}: запущено повторно {started}, закрыто как прерванные {closed}")
        self.stdout.write("; ".join(lines))


def _spawn(name: str, pk: int) -> None:
    spawn(name, pk)
