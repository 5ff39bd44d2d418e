"""Load an INFORM file (XML, CSV, XLSX, zip) of an SMO from the command line, at once, and print its protocol."""

from __future__ import annotations

import os

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from informing.models import UploadKind
from informing.services.uploads import inform_upload_create
from participants.models import Organization, OrganizationKind, Role, User


class Command(BaseCommand):
    help = "Загрузить факты информирования СМО (INFORM: XML, CSV, XLSX, ZIP) или отчёт о доставке и выдать протокол."

    def add_arguments(self, parser):
        parser.add_argument("file", help="файл INFORM или отчёт о доставке")
        parser.add_argument("--smo", required=True, help="код СМО (F002)")
        parser.add_argument("--delivery", action="store_true", help="это отчёт шлюза о доставке (CSV)")
        parser.add_argument("--user", help="логин представителя (по умолчанию — представитель 2 уровня СМО)")

    def handle(self, *args, **options):
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"Файл не найден: {path}")
        smo = Organization.objects.filter(kind=OrganizationKind.SMO, code=options["smo"]).first()
        if smo is None:
            raise CommandError(f"СМО с кодом {options['smo']} не найдена")
        users = User.objects.filter(organization=smo, role=Role.SMO_L2, is_active=True)
        user = users.filter(username=options["user"]).first() if options.get("user") else users.order_by("pk").first()
        if user is None:
            raise CommandError("Нет представителя 2 уровня этой СМО (укажите --user)")
        with open(path, "rb") as handle:
            upload = inform_upload_create(
                smo=smo, file=File(handle, name=os.path.basename(path)), original_name=os.path.basename(path),
                uploaded_by=user, kind=UploadKind.DELIVERY if options["delivery"] else UploadKind.INFORM,
                run_async=False,
            )  # fmt: skip
        self.stdout.write(
            f"Загрузка {upload.pk}: {upload.get_status_display()}; принято {upload.records_accepted}, повторных "
            f"{upload.records_duplicate}, отклонено {upload.records_rejected}, с опозданием {upload.records_late}"
        )
        if upload.message and upload.status != "DONE":
            self.stdout.write(upload.message)
        for error in (upload.errors or [])[:100]:
            self.stdout.write(f"  запись {error['n']}: {error['field']} — {error['reason']}")
        if upload.status == "REJECTED":
            raise CommandError(upload.message)
