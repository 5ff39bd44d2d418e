"""Seed the synthetic demo region: organizations, districts, doctors, demo users and insured persons."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from omsportal.demo import demo_steps, demo_year_build
from participants.services.demo import DEFAULT_CHUNK, DemoSeedError, demo_region_seed


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Дата должна быть в формате ГГГГ-ММ-ДД: {value}") from exc


class Command(BaseCommand):
    help = (
        "Создать демонстрационный регион: МО с участками и врачами, СМО, ТФОМС, министерство, "
        "пользователей всех ролей (пароль из DEMO_PASSWORD) и застрахованных лиц (COPY, 1 млн — за минуты). "
        "Затем — год в движении через сервисы портала: утверждённый план министерства, списки МО с протоколами, "
        "исправленный список, события этапов по месяцам и шаги других приложений (omsportal/demo.py). "
        "Одинаковые --seed, --persons, --mos, --smos и --as-of дают одинаковые данные."
    )

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=20_000, help="число застрахованных (по умолчанию 20000)")
        parser.add_argument("--mos", type=int, default=8, help="число МО, 1–99 (по умолчанию 8)")
        parser.add_argument("--smos", type=int, default=3, help="число СМО, 1–9 (по умолчанию 3)")
        parser.add_argument("--seed", type=int, default=1, help="зерно генератора (по умолчанию 1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="ничего не делать, если в регистре уже есть застрахованные"
        )
        parser.add_argument("--as-of", type=_date, default=None, help="дата, от которой считаются возрасты и периоды")
        parser.add_argument(
            "--register-only", action="store_true", help="только регион и регистр, без года в движении (для бенчмарков)"
        )
        parser.add_argument(
            "--steps", default="", help="только эти шаги года через запятую (по умолчанию все): " + ", ".join(
                step.name for step in demo_steps()
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help="строк в одной порции COPY")

    def handle(self, *args, **options):
        total = options["persons"]
        only = [name.strip() for name in options["steps"].split(",") if name.strip()] or None
        unknown = set(only or ()) - {step.name for step in demo_steps()}
        if unknown:
            raise CommandError(f"Неизвестные шаги года: {', '.join(sorted(unknown))}")
        step = max(total // 10, options["chunk_size"])
        shown = [0]

        def progress(done: int, total: int, seconds: float) -> None:
            if done - shown[0] >= step or done == total:
                shown[0] = done
                self.stdout.write(f"  застрахованных: {done:,} из {total:,} ({seconds:.1f} с)".replace(",", " "))

        try:
            result = demo_region_seed(
                persons=total,
                mos=options["mos"],
                smos=options["smos"],
                seed=options["seed"],
                if_empty=options["if_empty"],
                as_of=options["as_of"],
                chunk_size=options["chunk_size"],
                progress=progress,
            )
        except (DemoSeedError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if result.skipped:
            self.stdout.write("В регистре уже есть застрахованные лица: демонстрационные данные не загружались.")
            return
        self.stdout.write(
            f"Организаций: {result.organizations}, участков: {result.districts}, врачей: {result.workers}, "
            f"пользователей: {result.users}"
        )
        self.stdout.write(
            f"Застрахованных: {result.persons}, периодов страхования: {result.policies}, "
            f"периодов прикрепления: {result.attachments}"
        )
        seconds = result.seconds
        if not options["register_only"] and result.persons:
            self.stdout.write("Год в движении:")

            def show(step_result) -> None:
                self.stdout.write(f"  {step_result.step.label}: {step_result.summary} ({step_result.seconds:.1f} с)")

            steps = demo_year_build(seed=options["seed"], only=only, on_step=show)
            seconds += sum(step.seconds for step in steps)
        self.stdout.write(self.style.SUCCESS(f"Готово за {seconds:.1f} с. Логины: manage.py demo_logins"))
