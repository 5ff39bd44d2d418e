"""manage.py run_obligations [--date YYYY-MM-DD]: run the obligations engine as of a day (today) in this process and
print, per obligation (code and clause), the organizations in each state."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from omsportal import locks
from reports.engine import run
from reports.models import STATE_LABELS
from reports.selectors.states import summary
from reports.services.figures import refresh_figures
from reports.services.outcomes import refresh_outcomes
from reports.services.quotas import refresh_quotas


class Command(BaseCommand):
    help = "Рассчитать состояния обязательств на дату и вывести организации по каждому состоянию"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="дата расчёта ГГГГ-ММ-ДД (по умолчанию сегодня)")

    def handle(self, *args, **options):
        try:
            day = datetime.date.fromisoformat(options["date"]) if options["date"] else datetime.date.today()
        except ValueError as exc:
            raise CommandError(f"--date: ожидается дата ГГГГ-ММ-ДД, получено {options['date']!r}") from exc
        with transaction.atomic():
            with connection.cursor() as cursor:
                locks.xact_lock(cursor, locks.OBLIGATIONS, 0)
            counts = run(day)
            refresh_figures(day.year)
            refresh_outcomes(day.year, day)
            refresh_quotas(day.year, day)
        self.stdout.write(
            f"На {day:%d.%m.%Y}: проверено {counts['evaluated']}, изменилось {counts['changed']}, "
            f"новых нарушений {counts['noncompliance_created']}"
        )
        for item in summary(day):
            title = f" — {item['title']}" if item["title"] else ""
            self.stdout.write(f"{item['code']} ({item['clause']}){title}")
            if not item["states"]:
                self.stdout.write("  нет обязанных организаций")
            for state, organizations in item["states"]:
                more = f" … ещё {len(organizations) - 50}" if len(organizations) > 50 else ""
                shown = ", ".join(organizations[:50]) + more
                self.stdout.write(f"  {STATE_LABELS[state]} ({len(organizations)}): {shown}")
