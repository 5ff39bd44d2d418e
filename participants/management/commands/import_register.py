"""Load a REGISTER file (XML or zip) into the register synchronously and print the result."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from omsportal.jobs.models import JobStatus
from omsportal.jobs.runner import run_job
from participants.models import User
from participants.services.register_import import REGISTER_IMPORT, register_import_create

ERRORS_PRINTED = 200


class Command(BaseCommand):
    help = "Загрузить файл регистра застрахованных лиц (REGISTER, XML или ZIP) и вывести итоги и ошибки по N_ZAP."

    def add_arguments(self, parser):
        parser.add_argument("file", help="путь к файлу REGISTER (.xml или .zip)")
        parser.add_argument("--user", help="логин пользователя, от имени которого идёт загрузка (для журнала)")
        parser.add_argument("--errors", type=int, default=ERRORS_PRINTED, help="сколько ошибок вывести (0 — все)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Файл не найден: {path}")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"Пользователь {options['user']} не найден")
        with path.open("rb") as handle:
            job = register_import_create(file=handle, original_name=path.name, created_by=user)
        run_job(REGISTER_IMPORT, job.id)
        job.refresh_from_db()

        if job.status != JobStatus.DONE:
            raise CommandError(f"Файл отклонён: {job.message}")
        out = self.stdout
        out.write(f"Загрузка № {job.id}: {job.original_name}, дата файла {job.file_date or '—'}")
        out.write(f"Прочитано записей: {job.records_read}")
        out.write(
            f"Загружено: {job.records_loaded} (новых лиц: {job.records_created}, изменённых: {job.records_changed})"
        )
        out.write(f"Отклонено записей: {job.records_rejected}")
        limit = options["errors"] or len(job.errors)
        for error in job.errors[:limit]:
            n_zap = error.get("n_zap") if error.get("n_zap") is not None else "—"
            where = f"N_ZAP {n_zap} (строка {error.get('line') or '—'})"
            out.write(f"  {where} {error['field']} [{error['code']}]: {error['reason']}")
        if len(job.errors) > limit:
            out.write(f"  … и ещё {len(job.errors) - limit} ошибок (см. страницу загрузки)")
        out.write(self.style.SUCCESS(job.message))
