"""``manage.py resume_jobs``: pick up background jobs that stopped (what Celery beat does every 5 minutes).

Without a broker (no REDIS_URL) there is no beat: ``make run`` calls this before starting the server, so an upload
interrupted by stopping the server is processed again when the portal comes back.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from participants.services.stalled import resume_stalled_register_imports
from screening.services.stalled import resume_stalled_screening_jobs

LABELS = {
    "register_imports": "загрузки регистра запущены повторно",
    "register_imports_closed": "загрузки регистра закрыты как прерванные",
    "list_uploads": "загрузки списков запущены повторно",
    "event_batches": "пакеты событий запущены повторно",
    "event_batches_closed": "пакеты событий закрыты как прерванные",
}


class Command(BaseCommand):
    help = "Запустить повторно остановившиеся фоновые задания (загрузки регистра, списков, событий)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="без двухминутной паузы для свежих заданий")

    def handle(self, *args, **options):
        now = timezone.now() + (datetime.timedelta(minutes=2, seconds=1) if options["now"] else datetime.timedelta())
        # Without workers the jobs run here, one after the other, before the command returns.
        dispatch = _run_here if settings.OMS_INPROCESS_JOBS else None
        kwargs = {"now": now} if dispatch is None else {"now": now, "dispatch": dispatch}
        done = {**resume_stalled_register_imports(**kwargs), **resume_stalled_screening_jobs(**kwargs)}
        self.stdout.write("; ".join(f"{LABELS[name]}: {count}" for name, count in done.items()))


def _run_here(task, *args) -> None:
    task.apply(args=args)
