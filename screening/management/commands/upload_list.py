"""Process a list file from the command line, synchronously, and write its protocol."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from participants.models import Organization, OrganizationKind, Role, User
from screening.codes import meaning_of
from screening.models import ListKind, UploadStatus


class Command(BaseCommand):
    help = "Загрузить список МО (ZL_LIST: XML, ZIP, CSV, XLSX), обработать сразу и выдать протокол."

    def add_arguments(self, parser):
        parser.add_argument("file", help="файл списка")
        parser.add_argument("--mo", required=True, help="код МО (F003)")
        parser.add_argument("--protocol", help="куда записать протокол: .xml (FLK_P) или .xlsx")
        parser.add_argument("--kind", default=ListKind.YEARLY, choices=ListKind.values, help="вид списка")
        parser.add_argument("--year", type=int, help="год списка (для CSV/XLSX без столбца YEAR)")
        parser.add_argument("--user", help="логин загружающего (по умолчанию — сотрудник МО или администратор)")
        parser.add_argument(
            "--confirm-replace",
            action="store_true",
            help="заменить действующий список, даже если файл удалит из него больше установленной доли "
            "(OMS_LIST_REPLACE_CONFIRM_SHARE); без флага такая загрузка ждёт подтверждения",
        )

    def handle(self, *args, **options):
        from screening.formats.flk import write_protocol_xlsx, write_protocol_xml
        from screening.services.list_upload import list_upload_create

        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"Файл не найден: {path}")
        try:
            mo = Organization.objects.get(kind=OrganizationKind.MO, code=options["mo"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"МО с кодом {options['mo']} не найдена") from exc
        user = self._user(options.get("user"), mo)
        with open(path, "rb") as handle:
            try:
                upload = list_upload_create(
                    mo=mo,
                    file=File(handle, name=os.path.basename(path)),
                    original_name=os.path.basename(path),
                    uploaded_by=user,
                    kind=options["kind"],
                    year=options.get("year"),
                    run_async=False,
                    confirm_replace=options["confirm_replace"],
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Загрузка {upload.pk}: {upload.get_status_display()}; записей {upload.records_total}, "
            f"принято {upload.records_accepted}, отклонено {upload.records_rejected}, "
            f"предупреждений {upload.warnings}"
        )
        if upload.message:
            self.stdout.write(upload.message)
        if upload.status == UploadStatus.HELD:
            self.stdout.write(
                self.style.WARNING(
                    "Действующий список не изменён. Чтобы заменить его этим файлом, повторите команду с "
                    "--confirm-replace."
                )
            )
        for code, count in sorted(upload.counts_by_code.items(), key=lambda item: int(item[0])):
            self.stdout.write(f"  {code}  {count:>8}  {meaning_of(int(code))}")
        if upload.correction_due:
            self.stdout.write(f"Срок исправления: {upload.correction_due:%d.%m.%Y}")
        if options.get("protocol"):
            out = options["protocol"]
            with open(out, "wb") as target:
                if out.lower().endswith(".xlsx"):
                    write_protocol_xlsx(upload, target)
                else:
                    write_protocol_xml(upload, target)
            self.stdout.write(f"Протокол записан: {out}")

    def _user(self, username: str | None, mo: Organization) -> User:
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist as exc:
                raise CommandError(f"Пользователь {username} не найден") from exc
        user = (
            User.objects.filter(organization=mo, role=Role.MO_STAFF, is_active=True).order_by("id").first()
            or User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
            or User.objects.filter(is_superuser=True).order_by("id").first()
        )
        if user is None:
            raise CommandError("Нет пользователя для загрузки: укажите --user")
        return user
