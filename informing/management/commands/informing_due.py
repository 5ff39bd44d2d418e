"""Print who is due which informing for an SMO: kind, MO, deadline, due, overdue (the level-2 page's counts)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from informing.due import due_counts
from participants.models import Organization, OrganizationKind


class Command(BaseCommand):
    help = "Показать, кто подлежит информированию: вид, МО, срок, подлежат, просрочено."

    def add_arguments(self, parser):
        parser.add_argument("--smo", required=True, help="код СМО (F002)")
        parser.add_argument("--date", help="на дату ГГГГ-ММ-ДД (по умолчанию сегодня)")

    def handle(self, *args, **options):
        smo = Organization.objects.filter(kind=OrganizationKind.SMO, code=options["smo"]).first()
        if smo is None:
            raise CommandError(f"СМО с кодом {options['smo']} не найдена")
        try:
            on = datetime.date.fromisoformat(options["date"]) if options.get("date") else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"Дата «{options['date']}» не в виде ГГГГ-ММ-ДД") from exc
        counts = due_counts(smo_id=smo.pk, on=on)
        codes = dict(Organization.objects.filter(pk__in={c.mo_id for c in counts if c.mo_id}).values_list("pk", "code"))
        self.stdout.write(f"СМО {smo.code}, на {on.isoformat()}")
        self.stdout.write(f"{'вид':<8} {'МО':<7} {'срок':<10} {'подлежат':>9} {'просрочено':>10}")
        for c in counts:
            deadline = c.deadline.isoformat() if c.deadline else "—"
            self.stdout.write(f"{c.kind:<8} {codes.get(c.mo_id, '—'):<7} {deadline:<10} {c.due:>9} {c.overdue:>10}")
        total, overdue = sum(c.due for c in counts), sum(c.overdue for c in counts)
        self.stdout.write(f"итого: подлежат {total}, просрочено {overdue}")
