"""``manage.py run_job KIND ID``: run one background job in this process (claim, lock, run), then exit.

What ``resume_jobs`` starts for each lost job when there is no broker; also useful to rerun a job by hand.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from omsportal.jobs.kinds import job_kind
from omsportal.jobs.runner import run_job


class Command(BaseCommand):
    help = "Выполнить одно фоновое задание по виду и номеру (например: run_job screening.list_upload 17)."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="вид задания (имя задачи Celery), например screening.list_upload")
        parser.add_argument("id", type=int, help="номер задания")

    def handle(self, *args, **options):
        try:
            job_kind(options["kind"])
        except KeyError as exc:
            raise CommandError(f"Нет такого вида заданий: {options['kind']}") from exc
        status = run_job(options["kind"], options["id"])
        self.stdout.write(f"Задание {options['kind']} {options['id']}: {status}")
