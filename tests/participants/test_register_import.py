"""Loading the register (REGISTER files): records, history of periods, errors by N_ZAP, file-level rejections."""

from __future__ import annotations

import datetime
import io
import zipfile
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from omsportal.jobs.models import JobStatus
from omsportal.jobs.progress import ProgressWriter
from omsportal.models import AuditAction, AuditLog
from omsportal.scoping import active_on
from omsportal.xmlsafe import HEAD_BYTES
from participants.identifiers import enp_with_check, name_key, snils_format, snils_with_check
from participants.models import AttachmentPeriod, Person, PolicyPeriod, RegisterImport
from participants.services import register_import as service
from participants.services.register_import import register_import_create
from participants.tasks import register_import_task


def enp(n: int) -> str:
    return enp_with_check(f"27{n + 500:013d}")


def snils(n: int) -> str:
    return snils_format(snils_with_check(f"{200000000 + n * 13:09d}"))


def pers(n: int, **fields) -> dict:
    """A valid PERS record number ``n``; ``fields`` override or (with None) drop elements."""
    values = {
        "N_ZAP": str(n),
        "ENP": enp(n),
        "SNILS": snils(n),
        "FAM": "Иванова",
        "IM": "Мария",
        "OT": "Петровна",
        "W": "2",
        "DR": "1961-03-14",
        "SMO": "27001",
        "D_BEG": "2012-05-01",
        "D_END": "",
        "CODE_MO": "270001",
        "UCH": "12",
        "DATEZ": "2019-02-11",
        "DS_DATE": "",
        "ADRES": "г. Хабаровск, ул. Ленина, 1",
        "TEL": "+79141234567",
        "EMAIL": "",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def register_xml(records: list[dict], *, encoding: str = "UTF-8", date: str = "2026-11-01", prolog: str = "") -> bytes:
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}<REGISTER>\n']
    parts.append(
        f"<ZGLV><VERSION>1.0</VERSION><DATA>{date}</DATA><FILENAME>RS27</FILENAME><OKATO>08000</OKATO></ZGLV>\n"
    )
    for record in records:
        body = "".join(f"<{k}>{escape(v)}</{k}>" if v else f"<{k}/>" for k, v in record.items())
        parts.append(f"<PERS>{body}</PERS>\n")
    parts.append("</REGISTER>\n")
    return "".join(parts).encode("cp1251" if encoding.lower() == "windows-1251" else "utf-8")


def load(data: bytes, *, name: str = "RS27.xml", user=None) -> RegisterImport:
    job = register_import_create(file=io.BytesIO(data), original_name=name, created_by=user)
    register_import_task(job.id)
    job.refresh_from_db()
    return job


def smo_on(person: Person, day: datetime.date) -> str | None:
    period = PolicyPeriod.objects.filter(active_on(day), person=person).first()
    return period.smo_code if period else None


def mo_on(person: Person, day: datetime.date) -> tuple[str, str] | None:
    period = AttachmentPeriod.objects.filter(active_on(day), person=person).first()
    return (period.mo_code, period.district) if period else None


def snapshot() -> tuple:
    """Everything a register load may touch, to compare before and after a rejected file."""
    return (
        sorted(Person.objects.values_list("enp", "last_name", "snils", "death_date", "phone")),
        sorted(PolicyPeriod.objects.values_list("person__enp", "smo_code", "date_from", "date_to")),
        sorted(AttachmentPeriod.objects.values_list("person__enp", "mo_code", "district", "date_from", "date_to")),
        AuditLog.objects.filter(action=AuditAction.IMPORT).count(),
    )


def errors_by_zap(job: RegisterImport) -> dict:
    found: dict = {}
    for error in job.errors:
        found.setdefault(error["n_zap"], []).append((error["field"], error["code"]))
    return found


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
class TestGoodFile:
    def test_it_loads_persons_with_policy_and_attachment_history(self, region):
        records = [
            pers(1),
            pers(2, FAM="Петров", IM="Пётр", OT=None, W="1", SNILS=None, SMO="27002", CODE_MO="270002", UCH=None),
            pers(3, FAM="Сидорова-Ёлкина", D_END="2020-12-31", DS_DATE="2021-01-05"),
        ]
        job = load(register_xml(records), user=region.fund_user)

        assert job.status == JobStatus.DONE, job.message
        assert (job.records_read, job.records_loaded, job.records_created, job.records_rejected) == (3, 3, 3, 0)
        assert job.file_date == datetime.date(2026, 11, 1)
        assert job.errors == []
        first = Person.objects.get(enp=enp(1))
        assert (first.last_name, first.first_name, first.patronymic, first.sex) == ("Иванова", "Мария", "Петровна", 2)
        assert first.snils == snils(1).replace("-", "").replace(" ", "")
        assert first.birth_date == datetime.date(1961, 3, 14)
        assert first.phone == "+79141234567" and first.address.startswith("г. Хабаровск")
        second = Person.objects.get(enp=enp(2))
        assert second.snils is None and second.patronymic == ""
        third = Person.objects.get(enp=enp(3))
        assert third.name_key == name_key("Сидорова-Ёлкина", "Мария", "Петровна") == "СИДОРОВАЕЛКИНА|МАРИЯ|ПЕТРОВНА"
        assert third.death_date == datetime.date(2021, 1, 5)

        policy = PolicyPeriod.objects.get(person=first)
        assert (policy.smo_id, policy.smo_code, policy.date_from, policy.date_to) == (
            region.smo1.id,
            "27001",
            datetime.date(2012, 5, 1),
            None,
        )
        attachment = AttachmentPeriod.objects.get(person=second)
        assert (attachment.mo_id, attachment.district, attachment.date_from) == (
            region.mo2.id,
            "",
            datetime.date(2019, 2, 11),
        )
        assert PolicyPeriod.objects.get(person=third).date_to == datetime.date(2020, 12, 31)

    def test_it_writes_one_import_audit_entry_with_the_count_only(self, region):
        job = load(register_xml([pers(1), pers(2)]), user=region.fund_user)
        entry = AuditLog.objects.get(action=AuditAction.IMPORT)
        assert (entry.user, entry.organization, entry.person_count, entry.person_ids) == (
            region.fund_user,
            region.fund,
            2,
            [],
        )
        assert entry.query["register_import"] == job.id

    def test_foreign_or_unknown_smo_is_kept_with_a_null_link(self, region):
        records = [pers(1, SMO="77011"), pers(2, SMO="27099", CODE_MO="270099")]
        job = load(register_xml(records))
        assert job.status == JobStatus.DONE
        elsewhere = PolicyPeriod.objects.get(person__enp=enp(1))
        assert (elsewhere.smo_code, elsewhere.smo_id) == ("77011", None)
        unknown = PolicyPeriod.objects.get(person__enp=enp(2))
        assert (unknown.smo_code, unknown.smo_id) == ("27099", None)
        assert AttachmentPeriod.objects.get(person__enp=enp(2)).mo_id is None
        assert "другом регионе: 1" in job.message

    def test_existing_person_is_updated_and_empty_contacts_keep_the_stored_ones(self, region):
        Person.objects.filter(pk=region.p1.pk).update(phone="+70000000001", email="old@example.ru")
        record = pers(
            1, ENP=region.p1.enp, SNILS=None, FAM="Смирнова", TEL="", EMAIL="", SMO="27001", D_BEG="2015-01-01"
        )
        record.update(CODE_MO="270001", DATEZ="2015-01-01", UCH="1")
        job = load(register_xml([record]))
        assert (job.records_created, job.records_changed) == (0, 1)
        region.p1.refresh_from_db()
        assert region.p1.last_name == "Смирнова"
        assert region.p1.name_key == name_key("Смирнова", "Мария", "Петровна")
        assert (region.p1.phone, region.p1.email) == ("+70000000001", "old@example.ru")
        assert region.p1.policies.count() == 1 and region.p1.attachments.count() == 1


@pytest.mark.django_db
class TestChangeFiles:
    def test_new_smo_and_mo_close_the_old_periods_the_day_before(self, region):
        load(register_xml([pers(1), pers(2)]))
        change = pers(1, SMO="27002", D_BEG="2026-10-01", CODE_MO="270002", UCH="3", DATEZ="2026-10-15")
        job = load(register_xml([change], date="2026-12-01"))

        assert job.status == JobStatus.DONE
        assert (job.records_loaded, job.records_created, job.records_changed) == (1, 0, 1)
        person = Person.objects.get(enp=enp(1))
        policies = list(person.policies.order_by("date_from").values_list("smo_code", "smo_id", "date_from", "date_to"))
        assert policies == [
            ("27001", region.smo1.id, datetime.date(2012, 5, 1), datetime.date(2026, 9, 30)),
            ("27002", region.smo2.id, datetime.date(2026, 10, 1), None),
        ]
        attachments = list(person.attachments.order_by("date_from").values_list("mo_code", "district", "date_to"))
        assert attachments == [("270001", "12", datetime.date(2026, 10, 14)), ("270002", "3", None)]
        # Who insured / who attached this person on date D.
        assert smo_on(person, datetime.date(2011, 1, 1)) is None
        assert smo_on(person, datetime.date(2026, 9, 30)) == "27001"
        assert smo_on(person, datetime.date(2026, 10, 1)) == "27002"
        assert mo_on(person, datetime.date(2026, 10, 14)) == ("270001", "12")
        assert mo_on(person, datetime.date(2026, 10, 15)) == ("270002", "3")
        # The other person is untouched.
        assert Person.objects.get(enp=enp(2)).policies.get().date_to is None

    def test_new_district_in_the_same_mo_is_a_new_attachment_period(self, region):
        load(register_xml([pers(1)]))
        load(register_xml([pers(1, UCH="14", DATEZ="2026-03-01")]))
        person = Person.objects.get(enp=enp(1))
        assert mo_on(person, datetime.date(2026, 2, 28)) == ("270001", "12")
        assert mo_on(person, datetime.date(2026, 3, 1)) == ("270001", "14")

    def test_reloading_the_same_file_changes_nothing(self, region):
        data = register_xml([pers(1), pers(2)])
        load(data)
        before = snapshot()
        job = load(data)
        assert (job.records_loaded, job.records_created, job.records_changed) == (2, 0, 0)
        assert snapshot()[:3] == before[:3]

    def test_d_end_closes_the_policy_and_the_same_smo_later_continues_it(self, region):
        load(register_xml([pers(1)]))
        load(register_xml([pers(1, D_END="2026-06-30")]))
        person = Person.objects.get(enp=enp(1))
        assert smo_on(person, datetime.date(2026, 7, 1)) is None
        assert person.policies.get().date_to == datetime.date(2026, 6, 30)
        # Same SMO with a later D_BEG right after the end: the same period continues, no new one.
        load(register_xml([pers(1, D_BEG="2026-07-01")]))
        assert list(person.policies.values_list("date_from", "date_to")) == [(datetime.date(2012, 5, 1), None)]

    def test_a_gap_then_a_new_policy_opens_a_second_period(self, region):
        load(register_xml([pers(1, D_END="2020-12-31")]))
        load(register_xml([pers(1, D_BEG="2022-01-01")]))
        person = Person.objects.get(enp=enp(1))
        assert smo_on(person, datetime.date(2021, 6, 1)) is None
        assert smo_on(person, datetime.date(2022, 1, 1)) == "27001"
        assert person.policies.count() == 2

    def test_same_start_with_another_smo_is_a_correction(self, region):
        load(register_xml([pers(1)]))
        load(register_xml([pers(1, SMO="27002")]))
        person = Person.objects.get(enp=enp(1))
        assert list(person.policies.values_list("smo_code", "smo_id", "date_to")) == [("27002", region.smo2.id, None)]

    def test_a_record_older_than_the_loaded_history_is_rejected_and_the_rest_loads(self, region):
        load(register_xml([pers(1), pers(2)]))
        load(register_xml([pers(1, SMO="27002", D_BEG="2026-10-01")]))
        stale = pers(1, FAM="Старая", SMO="27001", D_BEG="2020-01-01")
        job = load(register_xml([stale, pers(2, FAM="Новая"), pers(3)]))
        assert (job.records_loaded, job.records_rejected, job.records_created) == (2, 1, 1)
        assert errors_by_zap(job) == {1: [("D_BEG", "102")]}
        person = Person.objects.get(enp=enp(1))
        assert person.last_name == "Иванова"
        assert smo_on(person, datetime.date(2026, 11, 1)) == "27002"
        assert Person.objects.get(enp=enp(2)).last_name == "Новая"


@pytest.mark.django_db
class TestRecordErrors:
    def test_bad_check_digits_reject_only_those_records(self, region):
        bad_enp = enp(2)[:15] + str((int(enp(2)[15]) + 1) % 10)
        digits = snils(3).replace("-", "").replace(" ", "")
        bad_snils = digits[:9] + f"{(int(digits[9:]) + 1) % 100:02d}"
        job = load(register_xml([pers(1), pers(2, ENP=bad_enp), pers(3, SNILS=bad_snils), pers(4)]))

        assert job.status == JobStatus.DONE
        assert (job.records_read, job.records_loaded, job.records_rejected) == (4, 2, 2)
        assert errors_by_zap(job) == {2: [("ENP", "104")], 3: [("SNILS", "103")]}
        assert set(Person.objects.filter(enp__in=[enp(n) for n in range(1, 5)]).values_list("enp", flat=True)) == {
            enp(1),
            enp(4),
        }
        assert not Person.objects.filter(enp=bad_enp).exists()
        assert "Неверный контрольный разряд ЕНП" in job.errors[0]["reason"]

    def test_missing_fields_are_reported_by_n_zap_and_field(self, region):
        records = [pers(1, FAM=None), pers(2, DR=""), pers(3, SMO=None, DATEZ=None), pers(4), pers(5, N_ZAP=None)]
        job = load(register_xml(records))
        assert (job.records_loaded, job.records_rejected) == (1, 4)
        found = errors_by_zap(job)
        assert found[1] == [("FAM", "101")]
        assert found[2] == [("DR", "101")]
        assert found[3] == [("SMO", "101"), ("DATEZ", "101")]
        assert found[None] == [("N_ZAP", "101")]
        assert "запись № 5" in next(e["reason"] for e in job.errors if e["n_zap"] is None)
        assert list(Person.objects.filter(enp__in=[enp(n) for n in range(1, 6)]).values_list("enp", flat=True)) == [
            enp(4)
        ]

    def test_invalid_values_are_reported(self, region):
        records = [
            pers(1, W="3"),
            pers(2, DR="14.03.1961"),
            pers(3, SMO="2700"),
            pers(4, CODE_MO="27A001"),
            pers(5, D_BEG="2020-01-01", D_END="2019-12-31"),
            pers(6, ENP="12345"),
            pers(7, SNILS="123-456"),
        ]
        job = load(register_xml(records))
        assert job.records_loaded == 0
        assert errors_by_zap(job) == {
            1: [("W", "102")],
            2: [("DR", "102")],
            3: [("SMO", "102")],
            4: [("CODE_MO", "102")],
            5: [("D_END", "102")],
            6: [("ENP", "102")],
            7: [("SNILS", "102")],
        }

    def test_a_person_twice_in_one_file_is_rejected_everywhere(self, region):
        job = load(register_xml([pers(1), pers(2), pers(3, ENP=enp(1))]))
        assert (job.records_loaded, job.records_rejected) == (1, 2)
        assert errors_by_zap(job) == {1: [("ENP", "601")], 3: [("ENP", "601")]}
        assert not Person.objects.filter(enp=enp(1)).exists()

    def test_the_management_command_prints_counts_and_errors_by_n_zap(self, region, tmp_path):
        path = tmp_path / "RS27.xml"
        path.write_bytes(register_xml([pers(1), pers(2, W="7")]))
        out = io.StringIO()
        call_command("import_register", str(path), "--user", "fund", stdout=out)
        text = out.getvalue()
        assert "Загружено: 1" in text
        assert "N_ZAP 2" in text and "W [102]" in text
        assert AuditLog.objects.get(action=AuditAction.IMPORT).user == region.fund_user


@pytest.mark.django_db
class TestEncodingsAndZip:
    def test_windows_1251_as_declared(self, region):
        data = register_xml([pers(1, FAM="Ёжикова", ADRES="г. Хабаровск, ул. Шевченко, 7")], encoding="windows-1251")
        assert "Ёжикова".encode("cp1251") in data
        job = load(data)
        assert job.status == JobStatus.DONE, job.message
        person = Person.objects.get(enp=enp(1))
        assert person.last_name == "Ёжикова" and person.address.endswith("Шевченко, 7")

    def test_a_zip_with_one_file_is_read(self, region):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("RS27_261101.xml", register_xml([pers(1), pers(2)], encoding="windows-1251"))
        job = load(archive.getvalue(), name="RS27_261101.zip")
        assert job.status == JobStatus.DONE, job.message
        assert job.records_loaded == 2
        assert Person.objects.filter(enp__in=[enp(1), enp(2)]).count() == 2

    def test_a_zip_with_two_files_is_rejected(self, region):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("a.xml", register_xml([pers(1)]))
            z.writestr("b.xml", register_xml([pers(2)]))
        before = snapshot()
        job = load(archive.getvalue(), name="two.zip")
        assert job.status == JobStatus.REJECTED
        assert "ровно один файл" in job.message and "901" in job.message
        assert snapshot() == before

    def test_an_undeclared_encoding_other_than_utf8_is_rejected(self, region):
        data = register_xml([pers(1)]).replace(b'encoding="UTF-8"', b'encoding="KOI8-R"')
        job = load(data)
        assert job.status == JobStatus.REJECTED
        assert "KOI8-R" in job.message and "не поддерживается" in job.message


@pytest.mark.django_db
class TestFileRejections:
    def test_malformed_xml_after_many_records_changes_nothing(self, region, monkeypatch):
        monkeypatch.setattr(service, "BATCH_ROWS", 2)  # several COPY batches reach the database first
        data = register_xml([pers(n) for n in range(1, 8)])
        broken = data.replace(b"</REGISTER>", "<PERS><N_ZAP>8</N_ZAP><FAM>Обрыв".encode())
        before = snapshot()
        job = load(broken)
        assert job.status == JobStatus.REJECTED
        assert "Ошибка XML" in job.message and "строка" in job.message and "обрывается" in job.message
        assert (job.records_loaded, job.records_created) == (0, 0)
        assert snapshot() == before

    def test_a_wrong_root_element_is_rejected(self, region):
        job = load(b'<?xml version="1.0"?><ZL_LIST><ZGLV><DATA>2026-01-01</DATA></ZGLV></ZL_LIST>')
        assert job.status == JobStatus.REJECTED
        assert "<ZL_LIST>" in job.message and "<REGISTER>" in job.message

    def test_a_missing_header_date_is_rejected(self, region):
        job = load(register_xml([pers(1)], date="01.11.2026"))
        assert job.status == JobStatus.REJECTED and "DATA" in job.message
        assert not Person.objects.filter(enp=enp(1)).exists()

    def test_an_xxe_payload_is_refused_and_nothing_is_read_from_disk(self, region, tmp_path):
        secret = tmp_path / "secret.txt"
        secret.write_text("СЕКРЕТ", encoding="utf-8")
        prolog = f'<!DOCTYPE REGISTER [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        data = register_xml([pers(1, FAM="&xxe;")], prolog=prolog).replace(b"&amp;xxe;", b"&xxe;")
        assert b"<FAM>&xxe;</FAM>" in data
        before = snapshot()
        job = load(data)
        assert job.status == JobStatus.REJECTED
        assert "DOCTYPE" in job.message and "строка 2" in job.message.lower()
        assert snapshot() == before
        assert not Person.objects.filter(last_name__contains="СЕКРЕТ").exists()

    def test_a_billion_laughs_payload_is_refused(self, region):
        entities = '<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        prolog = f"<!DOCTYPE REGISTER [{entities}]>\n"
        data = register_xml([pers(1, FAM="&lol9;")], prolog=prolog).replace(b"&amp;lol9;", b"&lol9;")
        before = snapshot()
        job = load(data)
        assert job.status == JobStatus.REJECTED
        assert "DOCTYPE" in job.message
        assert snapshot() == before

    def test_a_doctype_hidden_after_a_long_comment_is_still_refused(self, region):
        # The byte check sees only the first HEAD_BYTES; lxml's own docinfo check catches the rest.
        comment = "<!--" + "x" * (HEAD_BYTES + 100) + "-->\n"
        prolog = comment + '<!DOCTYPE REGISTER [<!ENTITY e "e">]>\n'
        before = snapshot()
        job = load(register_xml([pers(1)], prolog=prolog))
        assert job.status == JobStatus.REJECTED and "DOCTYPE" in job.message
        assert snapshot() == before

    def test_an_undeclared_entity_is_not_well_formed(self, region):
        data = register_xml([pers(1, FAM="&nope;")]).replace(b"&amp;nope;", b"&nope;")
        job = load(data)
        assert job.status == JobStatus.REJECTED and "Ошибка XML" in job.message
        assert "&nope;" in job.message and "строка 4" in job.message  # the entity and its line, not "строка 0"

    def test_the_command_fails_loudly_on_a_rejected_file(self, region, tmp_path):
        path = tmp_path / "bad.xml"
        path.write_bytes(b"<REGISTER><ZGLV>")
        with pytest.raises(CommandError, match="Файл отклонён"):
            call_command("import_register", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_a_redelivered_task_does_nothing_twice(region):
    job = register_import_create(file=io.BytesIO(register_xml([pers(1)])), original_name="a.xml", created_by=None)
    assert register_import_task(job.id) == JobStatus.DONE
    assert register_import_task(job.id) == "skipped"
    assert AuditLog.objects.filter(action=AuditAction.IMPORT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_outside_the_import_transaction_and_data_only_after_commit(region, monkeypatch):
    """While the file is read, another connection sees records_read grow but not the persons yet."""
    monkeypatch.setattr(service, "BATCH_ROWS", 3)
    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0.0)
    seen: list[tuple[int, int, str]] = []
    observer = type(connections["default"])(dict(connections["default"].settings_dict), alias="default")
    original_write = ProgressWriter.write

    def write_and_look(self, **values):
        original_write(self, **values)
        with observer.cursor() as c:
            c.execute("SELECT records_read, status FROM participants_registerimport ORDER BY id DESC LIMIT 1")
            read, status = c.fetchone()
            c.execute("SELECT count(*) FROM participants_person")
            seen.append((read, c.fetchone()[0], status))

    monkeypatch.setattr(ProgressWriter, "write", write_and_look)
    try:
        job = load(register_xml([pers(n) for n in range(1, 11)]))
    finally:
        observer.close()
    assert job.status == JobStatus.DONE and job.records_loaded == 10
    # Persons committed before the import: p1 and p2 of the region fixture; the ten new ones only after commit.
    assert all(persons == 2 for _, persons, _ in seen)
    assert all(status == JobStatus.RUNNING for _, _, status in seen)
    reads = [read for read, _, _ in seen]
    assert 3 in reads and 6 in reads and reads[-1] == 10
    assert Person.objects.count() == 12


def test_the_fast_check_digits_agree_with_participants_identifiers():
    """The bytes forms used by the register and list readers give the result of the plain definitions."""
    import random

    from participants.identifiers import enp_check_digit, enp_digits_ok, snils_digits_ok, snils_is_valid

    rng = random.Random(7)
    boundary = ["00100199800", "00100199900", "00100199999", "99999999999", "00000000000", "11223344595"]
    for index in range(30_000):
        number = f"{rng.randrange(10**16):016d}"
        assert enp_digits_ok(number) == (enp_check_digit(number[:15]) == int(number[15])), number
        if index < len(boundary):
            snils_number = boundary[index]
        elif rng.random() < 0.9:
            snils_number = f"{rng.randrange(10**11):011d}"
        else:
            snils_number = f"00100{rng.randrange(10**6):06d}"
        assert snils_digits_ok(snils_number) == snils_is_valid(snils_number), snils_number


def test_the_documented_schema_accepts_a_good_file():
    from pathlib import Path

    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parents[2] / "docs" / "formats" / "register.xsd")))
    document = etree.fromstring(register_xml([pers(1), pers(2, SNILS=None, OT=None, D_END="2020-01-01")]))
    assert schema.validate(document), schema.error_log
    broken = etree.fromstring(register_xml([pers(1, W="3")]))
    assert not schema.validate(broken)


def index_definitions() -> list[str]:
    with connections["default"].cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename IN "
            "('participants_person', 'participants_policyperiod', 'participants_attachmentperiod') ORDER BY indexname"
        )
        return [row[0] for row in cur.fetchall()]


@pytest.mark.django_db
def test_a_load_that_doubles_the_tables_rebuilds_the_same_indexes(region, monkeypatch):
    monkeypatch.setattr(service, "BULK_MIN_ROWS", 1)
    dropped: list[str] = []
    original = service._drop_indexes_for_bulk

    def spy(cur, table, new_rows):
        ddls = original(cur, table, new_rows)
        dropped.extend(ddls)
        return ddls

    monkeypatch.setattr(service, "_drop_indexes_for_bulk", spy)
    before = index_definitions()
    job = load(register_xml([pers(n) for n in range(1, 6)]))
    assert job.status == JobStatus.DONE and job.records_created == 5
    assert any("person_name_key_dr" in ddl for ddl in dropped)
    assert any("policy_one_open" in ddl for ddl in dropped) and any("attach_one_open" in ddl for ddl in dropped)
    assert index_definitions() == before
    assert Person.objects.get(enp=enp(3)).policies.get().smo_id == region.smo1.id


@pytest.mark.django_db(transaction=True)
def test_a_busy_table_is_loaded_with_its_indexes_in_place(region, monkeypatch):
    """A reader holding the person table: the bulk drop gives up after the lock timeout instead of blocking it."""
    monkeypatch.setattr(service, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(service, "BULK_LOCK_TIMEOUT", "200ms")
    reader = type(connections["default"])(dict(connections["default"].settings_dict), alias="default")
    reader.set_autocommit(False)
    try:
        with reader.cursor() as cur:
            cur.execute("LOCK TABLE participants_person IN ACCESS SHARE MODE")
        before = index_definitions()
        job = load(register_xml([pers(n) for n in range(1, 6)]))
    finally:
        reader.rollback()
        reader.close()
    assert job.status == JobStatus.DONE and job.records_created == 5
    assert index_definitions() == before
