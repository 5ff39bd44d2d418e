"""Print the demo logins (username, role, organization) and where their password comes from."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from participants.services.demo import DEFAULT_DEMO_PASSWORD, demo_login_rows


class Command(BaseCommand):
    help = "Показать демонстрационные логины (пользователь, роль, организация) и источник пароля."

    def handle(self, *args, **options):
        rows = demo_login_rows()
        if not rows:
            self.stdout.write("Демонстрационные пользователи не созданы: выполните manage.py seed_demo.")
            return
        header = ("Логин", "Роль", "Организация")
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(2)]
        self.stdout.write(f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]}")
        self.stdout.write(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(header[2])}")
        for username, role, organization in rows:
            self.stdout.write(f"{username:<{widths[0]}}  {role:<{widths[1]}}  {organization}")
        self.stdout.write("")
        source = "Пароль у всех один: настройка DEMO_PASSWORD (переменная окружения DEMO_PASSWORD"
        if settings.DEMO_PASSWORD == DEFAULT_DEMO_PASSWORD:
            self.stdout.write(f"{source}; не задана, поэтому пароль «{DEFAULT_DEMO_PASSWORD}»).")
        else:
            self.stdout.write(f"{source}; задана в окружении). Пароль берётся при создании пользователей seed_demo.")
