"""List file formats: XML in UTF-8 / windows-1251, zip, CSV and XLSX give the same protocol; 901 and 902 reject the
whole file and change nothing; the FLK_P and XLSX protocol writers; the templates; a regional reader variant."""

import io
import zipfile

import pytest
from lxml import etree
from openpyxl import load_workbook

from screening.formats import lists
from screening.formats.flk import protocol_xlsx_bytes, protocol_xml_bytes
from screening.formats.lists import open_list_file, register_reader
from screening.formats.templates import LIST_COLUMNS, list_template_csv_bytes, list_template_xlsx_bytes
from screening.formats.zl_list_xml import ZlListXmlReader
from screening.models import ListEntry, ListUpload, UploadStatus
from tests.factories import insured_person
from tests.screening.factories import (
    codes_of,
    next_year,
    rec,
    upload,
    zipped,
    zl_list_csv,
    zl_list_xlsx,
    zl_list_xml,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def mixed_records(region):
    """Records producing a bit of everything: accepted, 401, 201, 103, 102, 601, two measures in one record."""
    p3 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Ёлкина", first_name="Алёна")
    two = [{"DISP": "ДВН", "MONTH": "2"}, {"DISP": "ДН", "KV": "3", "IDDOKT": "123-456-789 64"}]
    return [
        rec(region.p1, 1, measures=two),
        rec(region.p2, 2),
        rec(None, 3, FAM="Нет", IM="Такого", W="1", DR="1980-01-01"),
        rec(p3, 4, SNILS="112-233-445 96"),
        rec(p3, 5, W="3"),
        rec(p3, 6, FAM="елкина", IM="АЛЕНА", month="7"),
        rec(p3, 7, month="8"),
    ]


def test_every_format_gives_the_same_protocol_as_the_utf8_xml(region):
    records = mixed_records(region)
    reference = upload(region, zl_list_xml(records))
    expected = codes_of(reference)
    assert expected == {(2, 401), (3, 201), (4, 103), (5, 102), (7, 601)}
    reference_entries = set(ListEntry.objects.values_list("person_id", "measure", "month", "quarter"))
    variants = {
        "cp1251.xml": zl_list_xml(records, encoding="windows-1251"),
        "list.zip": zipped(zl_list_xml(records, encoding="windows-1251")),
        "list.csv": zl_list_csv(records),
        "list1251.csv": zl_list_csv(records, encoding="cp1251"),
        "nobom.csv": zl_list_csv(records, encoding="utf-8"),
        "list.xlsx": zl_list_xlsx(records),
        "csv.zip": zipped(zl_list_csv(records), member="list.csv"),
        "xlsx.zip": zipped(zl_list_xlsx(records), member="list.xlsx"),
    }
    for name, content in variants.items():
        u = upload(region, content, name=name)
        assert u.status == UploadStatus.DONE, (name, u.message)
        assert codes_of(u) == expected, name
        assert (u.records_total, u.records_accepted) == (reference.records_total, reference.records_accepted), name
        assert set(ListEntry.objects.values_list("person_id", "measure", "month", "quarter")) == reference_entries
    formats = dict(ListUpload.objects.values_list("original_name", "file_format"))
    assert formats["list.xlsx"] == "XLSX" and formats["list1251.csv"] == "CSV" and formats["list.zip"] == "XML"


def test_csv_without_code_mo_and_year_columns_takes_the_year_of_the_upload_form(region):
    columns = ("N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "DISP", "MONTH")
    content = zl_list_csv([rec(region.p1, 1)], columns=columns)
    u = upload(region, content, name="list.csv", year=next_year())
    assert u.status == UploadStatus.DONE and codes_of(u) == set() and u.year == next_year()
    rejected = upload(region, content, name="list.csv")
    assert rejected.status == UploadStatus.REJECTED and codes_of(rejected) == {(None, 901)}


# --- 901 / 902: the whole file, and nothing changes ------------------------------------------------------------------

XXE = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE ZL_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<ZL_LIST><ZGLV><CODE_MO>270001</CODE_MO><YEAR>{year}</YEAR></ZGLV>"
    "<SV_PR_MER><N_ZAP>1</N_ZAP><FAM>&xxe;</FAM></SV_PR_MER></ZL_LIST>"
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>\n'
    "<ZL_LIST><ZGLV><CODE_MO>270001</CODE_MO><YEAR>{year}</YEAR></ZGLV>"
    "<SV_PR_MER><N_ZAP>1</N_ZAP><FAM>&lol2;</FAM></SV_PR_MER></ZL_LIST>"
)


def _zip_of_two() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("a.xml", "<ZL_LIST/>")
        archive.writestr("b.xml", "<ZL_LIST/>")
    return output.getvalue()


def _broken_files(region) -> dict[str, bytes]:
    good = zl_list_xml([rec(region.p2, 1, month=9)])
    return {
        "not well-formed": good.replace(b"</SV_PR_MER>", b"</SV_PR_MR>"),
        "truncated": good[: len(good) // 2],
        "wrong root": good.replace(b"ZL_LIST>", b"PERS_LIST>"),
        "xxe": XXE.format(year=next_year()).encode(),
        "billion laughs": LAUGHS.format(year=next_year()).encode(),
        "no header": b"<ZL_LIST><SV_PR_MER><N_ZAP>1</N_ZAP></SV_PR_MER></ZL_LIST>",
        "no records": zl_list_xml([]),
        "utf-16": "<ZL_LIST/>".encode("utf-16"),
        "csv without columns": "N_ZAP;FAM\r\n1;Иванова\r\n".encode("utf-8-sig"),
        "zip of two": _zip_of_two(),
        "binary": b"\x00\x01\x02garbage" * 10,
    }


def test_901_rejects_the_whole_file_and_changes_nothing(region):
    kept = upload(region, zl_list_xml([rec(region.p1, 1, month=3)]))
    assert kept.is_current and ListEntry.objects.count() == 1
    for label, content in _broken_files(region).items():
        u = upload(region, content, name=f"{label}.xml")
        assert u.status == UploadStatus.REJECTED, label
        assert u.file_error_code == 901, (label, u.message)
        errors = list(u.protocol_errors.values_list("n_zap", "code", "severity"))
        assert errors == [(None, 901, "F")], label
        assert u.counts_by_code == {"901": 1} and u.correction_due is not None
        assert u.records_total == 0 and not u.is_current
    assert list(ListEntry.objects.values_list("person_id", "month", "upload_id")) == [(region.p1.pk, 3, kept.pk)]
    kept.refresh_from_db()
    assert kept.is_current


def test_901_messages_are_readable_and_name_the_line(region):
    bad = zl_list_xml([rec(region.p1, 1)]).replace(b"</SV_PR_MER>", b"</SV_PR_MR>")
    u = upload(region, bad)
    assert "строка" in u.message and "XML" in u.message
    xxe = upload(region, XXE.format(year=next_year()).encode())
    assert "DOCTYPE" in xxe.message
    assert "/etc/passwd" not in xxe.protocol_errors.get().comment


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda r: zl_list_xml([rec(r.p1, 1)], code_mo="270002"), "CODE_MO"),
        (lambda r: zl_list_xml([rec(r.p1, 1)], year=next_year() - 2), "YEAR"),
        (lambda r: zl_list_xml([rec(r.p1, 1)], year=next_year() + 1), "YEAR"),
        (lambda r: zl_list_xml([rec(r.p1, 1)], year="20x7"), "YEAR"),
    ],
)
def test_902_header_does_not_match_the_uploader(region, build, field):
    kept = upload(region, zl_list_xml([rec(region.p1, 1, month=3)]))
    u = upload(region, build(region))
    assert (u.status, u.file_error_code) == (UploadStatus.REJECTED, 902)
    error = u.protocol_errors.get()
    assert (error.code, error.severity, error.field, error.base_element) == (902, "F", field, "ZGLV")
    assert list(ListEntry.objects.values_list("upload_id", flat=True)) == [kept.pk]


def test_902_year_differs_from_the_upload_form_or_between_csv_rows(region):
    u = upload(region, zl_list_xml([rec(region.p1, 1)]), year=next_year() - 1)
    assert u.file_error_code == 902
    rows = (
        zl_list_csv([rec(region.p1, 1)]) + zl_list_csv([rec(region.p2, 2)], year=next_year() - 1).split(b"\r\n", 1)[1]
    )
    u = upload(region, rows, name="list.csv")
    assert u.file_error_code == 902 and "Строка 3" in u.message


def test_902_not_raised_for_the_current_and_the_next_year(region):
    assert upload(region, zl_list_xml([rec(region.p1, 1)], year=next_year())).status == UploadStatus.DONE
    assert upload(region, zl_list_xml([rec(region.p1, 1)], year=next_year() - 1)).status == UploadStatus.DONE


# --- Protocol writers ---------------------------------------------------------------------------------------------


def test_flk_p_protocol_xml(region):
    u = upload(region, zl_list_xml(mixed_records(region)))
    content = protocol_xml_bytes(u)
    assert content.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    root = etree.fromstring(content)
    assert root.tag == "FLK_P"
    assert root.findtext("FNAME_I") == "PROF_M270001_2701"
    assert root.findtext("FNAME") == "VPROF_M270001_2701"
    prs = root.findall("PR")
    assert {(int(pr.findtext("N_ZAP")), int(pr.findtext("OSHIB"))) for pr in prs} == codes_of(u)
    pr_401 = next(pr for pr in prs if pr.findtext("OSHIB") == "401")
    assert [child.tag for child in pr_401] == ["OSHIB", "IM_POL", "BAS_EL", "N_ZAP", "COMMENT"]
    assert pr_401.findtext("COMMENT") == "Прикреплён к МО 270002" and pr_401.findtext("BAS_EL") == "SV_PR_MER"
    utf8 = etree.fromstring(protocol_xml_bytes(u, encoding="UTF-8"))
    assert etree.tostring(utf8, encoding="unicode") == etree.tostring(root, encoding="unicode")


def test_flk_p_of_a_rejected_file_has_the_file_error(region):
    u = upload(region, b"<ZL_LIST><oops></ZL_LIST>", name="BAD_LIST.xml")
    root = etree.fromstring(protocol_xml_bytes(u))
    assert root.findtext("FNAME") == "VBAD_LIST"
    assert [pr.findtext("OSHIB") for pr in root.findall("PR")] == ["901"]
    assert root.find("PR/N_ZAP") is None


def test_protocol_xlsx(region):
    u = upload(region, zl_list_xml(mixed_records(region)))
    workbook = load_workbook(io.BytesIO(protocol_xlsx_bytes(u)), read_only=True)
    assert workbook.sheetnames == ["Протокол", "Ошибки"]
    rows = list(workbook["Ошибки"].iter_rows(values_only=True))
    assert rows[0][:2] == ("N_ZAP", "Код")
    assert {(row[0], row[1]) for row in rows[1:]} == codes_of(u)
    summary = {row[0]: row[1] for row in workbook["Протокол"].iter_rows(values_only=True) if row[0]}
    assert summary["Записей"] == u.records_total and summary["Принято"] == u.records_accepted


# --- Templates and the reader interface ---------------------------------------------------------------------------


@pytest.mark.parametrize("content", [list_template_csv_bytes(), list_template_xlsx_bytes()])
def test_templates_read_back_through_the_readers(content):
    with open_list_file(io.BytesIO(content)) as reader:
        header = reader.header()
        records = list(reader.records())
    assert (header.code_mo, header.year) == ("270001", "2027")
    assert [(r.n_zap, r.disp, r.fam) for r in records] == [("1", "ДВН", "Иванова"), ("2", "ДН", "Петров")]
    assert records[0].enp == "2755000000000011" and records[1].iddokt == "12345678964"


def test_list_columns_document_every_column():
    assert [c["name"] for c in LIST_COLUMNS][:3] == ["CODE_MO", "YEAR", "N_ZAP"]
    assert {c["name"] for c in LIST_COLUMNS if c["required"]} == {"N_ZAP", "ENP", "FAM", "IM", "W", "DR", "DISP"}


def test_a_regional_variant_is_a_small_separate_reader(region):
    class RegionalReader(ZlListXmlReader):
        TAG_ROOT = "ZL_LIST_KHV"
        TAG_RECORD = "PERS"

    def detect(sniffed):
        return b"<ZL_LIST_KHV>" in sniffed.head

    content = zl_list_xml([rec(region.p1, 1)]).replace(b"ZL_LIST>", b"ZL_LIST_KHV>").replace(b"SV_PR_MER>", b"PERS>")
    lists._ensure_default_readers()
    saved = list(lists.READERS)
    register_reader("zl_list_khv", detect, RegionalReader)
    try:
        u = upload(region, content)
    finally:
        lists.READERS[:] = saved
    assert u.status == UploadStatus.DONE and u.records_accepted == 1


def test_a_correct_file_validates_against_the_documented_xsd(region):
    from pathlib import Path

    from django.conf import settings

    schema = etree.XMLSchema(etree.parse(str(Path(settings.BASE_DIR) / "docs" / "formats" / "zl_list.xsd")))
    good = zl_list_xml(mixed_records(region)[:2], encoding="windows-1251")
    assert schema.validate(etree.fromstring(good)), schema.error_log
    assert not schema.validate(etree.fromstring(zl_list_xml([rec(region.p1, 1, W="3")])))


@pytest.mark.parametrize(
    "parts",
    [("Семёнова", "Анна-Мария", ""), (" ив ан ", "ёЁ", "о.в"), ("a|b", "c", "d"), ("", "", ""),
     ("Д'Артаньян", "Шарль—Ог", "`x")],
)  # fmt: skip
def test_the_fast_name_key_of_the_reader_equals_the_register_name_key(parts):
    from participants.identifiers import name_key
    from screening.formats.validation import fast_name_key

    assert fast_name_key(*parts) == name_key(*parts)


def test_checking_batch_by_batch_gives_the_same_protocol_as_one_batch(region, monkeypatch):
    """The one-record checks run on batches of staged rows while the file is read; the whole-file checks (601 and
    102 across batches) at the end: a file cut into batches of two records gives the protocol of one batch."""
    from screening.services import list_upload as service

    records = mixed_records(region)
    p4 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Дубль")
    records += [
        rec(region.p1, 8, month="9"),  # 601 against N_ZAP 1, three batches earlier
        rec(p4, 9),
        rec(region.p1, 9, measures=[{"DISP": "ПМО", "MONTH": "4"}]),  # 102: N_ZAP 9 names another person
        rec(None, 10, ENP=region.p2.enp, FAM="Другая", IM=region.p2.first_name, W="1", DR="1950-01-01"),  # 203
    ]
    content = zl_list_xml(records)

    def run() -> tuple:
        u = upload(region, content)
        assert u.status == UploadStatus.DONE, u.message
        protocol = sorted(u.protocol_errors.values_list("n_zap", "code", "field", "comment", "measure"))
        entries = set(ListEntry.objects.values_list("person_id", "measure", "month", "n_zap"))
        return protocol, entries, u.records_accepted, u.records_checked

    whole = run()
    monkeypatch.setattr(service, "COPY_BATCH", 2)
    monkeypatch.setattr(service, "CHECK_BATCH", 3)
    batched = run()
    assert batched == whole
    codes = {code for _, code, *_ in whole[0]}
    assert {102, 201, 203, 401, 601} <= codes


def test_a_control_character_in_a_csv_value_does_not_break_the_xml_protocol(region):
    """CSV and XLSX may carry characters XML cannot: the FLK_P protocol still is well-formed XML, naming the field."""
    records = [rec(region.p1, 1, W="\x01"), rec(region.p1, 2, measures=[{"DISP": "ДВН\x02", "MONTH": "3"}])]
    u = upload(region, zl_list_csv(records), name="list.csv")
    assert u.status == UploadStatus.DONE, u.message
    root = etree.fromstring(protocol_xml_bytes(u))
    comments = {pr.findtext("IM_POL"): pr.findtext("COMMENT") for pr in root.findall("PR")}
    assert comments["W"].startswith("Пол W «") and "\x01" not in comments["W"]
    assert "DISP" in comments
    assert load_workbook(io.BytesIO(protocol_xlsx_bytes(u)), read_only=True).sheetnames == ["Протокол", "Ошибки"]


def test_the_short_path_for_well_formed_records_gives_what_the_full_checks_give(monkeypatch):
    """Records with no format problem take a short path (one regular expression, check digits); every record,
    good or bad, must give the same staging row and errors as the full checks that name each problem."""
    import datetime
    import random

    from participants.identifiers import enp_with_check, snils_format, snils_with_check
    from screening.formats.lists import ListRecord
    from screening.formats.validation import RecordValidator

    today = datetime.date(2026, 11, 23)
    enp = enp_with_check("270186551226268")
    bad_enp = enp[:15] + str((int(enp[15]) + 1) % 10)
    snils = snils_with_check("085696027")
    bad_snils = snils[:9] + f"{(int(snils[9:]) + 1) % 100:02d}"
    choices = {
        "n_zap": ["1", "17", "0", "01", "2147483647", "2147483648", "9999999999", "", "x1", "١٢"],
        "enp": [enp, enp, "", bad_enp, enp[:15], "١" * 16],
        "snils": [snils, snils_format(snils), "", bad_snils, "00100199800", "085-696-027  13", "123", "085 696 027 13"],
        "fam": ["Иванов", "Семёнова-Тян", "", "Ф" * 101, "Ф" * 100],
        "im": ["Анна", "", "И" * 101],
        "ot": ["", "Петровна", "О" * 101],
        "w": ["1", "2", "3", "", "м"],
        "dr": ["1980-02-29", "1981-02-29", "1879-12-31", "1880-01-01", "2026-11-23", "2026-11-24", "12.03.1980",
               "", "1980-2-3", "1980-13-01"],
        "uch": ["", "12", "У" * 21],
        "tel": ["", "+79000000000", "7" * 51],
        "disp": ["ДВН", "ПМО", "ДН", "DVN", "PMO", "DN", "дн", "ОСМ", ""],
        "month": ["", "1", "3", "12", "13", "01", "x"],
        "kv": ["", "1", "2", "4", "5"],
        "iddokt": ["", snils, snils_format(snils), bad_snils, "12345"],
    }  # fmt: skip
    rng = random.Random(11)
    records = []
    group = 0
    for index in range(6000):
        if index % 5 != 0 or not records:  # now and then a second measure of the same person (same group)
            group += 1
            person = {name: rng.choice(choices[name]) for name in list(choices)[:10]}
        measure = {name: rng.choice(choices[name]) for name in ("disp", "month", "kv", "iddokt")}
        records.append(ListRecord(group, index + 1, **person, **measure, has_measure=rng.random() > 0.02))

    def validate_all() -> list:
        validator = RecordValidator(upload_id=5, today=today)
        return [validator.validate(record) for record in records]

    short = validate_all()
    monkeypatch.setattr(RecordValidator, "_well_formed_person", lambda self, record: None)
    monkeypatch.setattr(RecordValidator, "_well_formed_measure", staticmethod(lambda record: None))
    full = validate_all()
    for index, (a, b) in enumerate(zip(short, full, strict=True)):
        assert a == b, (index, records[index], a, b)
    good = sum(1 for row, errors in full if not errors)
    assert 300 < good < len(records) - 300  # both paths were exercised
