"""How a MIS dialect is recognized: from the content first, the file name (shared/formats-regional.md) settling what
the tags cannot tell; a renamed file still recognized from its content; a canonical CSV never taken for Pskov."""

import io
import re
import zipfile

import pytest

from screening.formats.dialects import recognized
from screening.formats.dialects.base import Probe
from screening.models import ListEntry, UploadStatus
from tests.factories import insured_person
from tests.screening.factories import birth_for_age, next_year, rec, upload, zipped, zl_list_xml
from tests.screening.promed import (
    document,
    ekaterinburg_xml,
    khakassia_xml,
    perm_header,
    perm_name,
    perm_record,
    perm_xml,
    pskov_csv,
    pskov_name,
)
from tests.screening.test_dialect_perm import IDS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def unzip(content: bytes) -> tuple[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    member = archive.namelist()[0]
    return member, archive.read(member)


def without(xml: bytes, *tags: str) -> bytes:
    text = xml.decode("windows-1251")
    for tag in tags:
        text = re.sub(rf"\t*<{tag}>[^<]*</{tag}>\r\n", "", text)
    return text.encode("windows-1251")


def xml_probe(xml: bytes, name: str) -> Probe:
    return Probe(kind="xml", root="ZL_LIST", head=xml[:65536], name=name.upper())


def test_the_name_tells_khakassia_from_perm_when_the_khakassia_tags_are_missing(region):
    """A Khakassia export whose MIS leaves out the empty and optional elements (no FIRSTNAME, ADRES, IDDOKT) has the
    Perm record's tags; its name PROF_M…T19_ says it is Khakassia, whose year is in each record."""
    content, name = khakassia_xml([rec(region.p1, 1)], [IDS[0]])
    member, xml = unzip(content)
    bare = without(xml, "FIRSTNAME", "ADRES", "IDDOKT")
    assert recognized(xml_probe(bare, "list")).code == "promed_perm"  # the tags alone: the Perm record
    u = upload(region, zipped(bare, member), name=name)
    assert u.status == UploadStatus.DONE, u.message
    assert (u.dialect, u.year, u.records_accepted) == ("promed_khakassia", next_year(), 1)


def test_the_name_tells_perm_from_khakassia_when_a_perm_mis_writes_the_address(region):
    xml = perm_xml([rec(region.p1, 1)], IDS[:1]).replace(
        b"\t\t<KAT_LG>", b"\t\t<ADRES>\xe3. \xcf\xe5\xf0\xec\xfc</ADRES>\r\n\t\t<KAT_LG>"
    )
    assert b"<ADRES>" in xml
    assert recognized(xml_probe(xml, "list")).code == "promed_khakassia"
    u = upload(region, xml, name=f"{perm_name()}.xml")
    assert u.status == UploadStatus.DONE, u.message
    assert (u.dialect, u.year, u.records_accepted) == ("promed_perm", next_year(), 1)


def test_a_renamed_file_is_still_recognized_from_its_content(region):
    u = upload(region, perm_xml([rec(region.p1, 1)], IDS[:1]), name="spisok.xml")
    assert u.status == UploadStatus.DONE and u.dialect == "promed_perm"
    ListEntry.objects.all().delete()
    content, _name = khakassia_xml([rec(region.p1, 1)], [IDS[0]])
    _member, xml = unzip(content)
    u = upload(region, zipped(xml, "spisok.xml"), name="spisok.zip", confirm_replace=True)
    assert u.status == UploadStatus.DONE and u.dialect == "promed_khakassia", u.message


def test_a_name_never_makes_a_file_of_another_family_a_dialect(region):
    u = upload(region, zl_list_xml([rec(region.p1, 1)]), name=f"{perm_name()}.xml")
    assert u.status == UploadStatus.DONE and u.dialect == ""
    content, _name = ekaterinburg_xml()
    _member, xml = unzip(content)
    refused = upload(region, xml, name=f"D-M270001-F35-{next_year()}-1.xml")  # Vologda's name, Sverdlovsk's content
    assert refused.status == UploadStatus.REJECTED and "Свердловской" in refused.message


def test_a_pskov_row_without_a_date_of_birth_is_taken_by_the_name_only(region):
    content, name = pskov_csv([rec(region.p1, 1, DR="")])
    member, csv = unzip(content)
    assert member == f"{pskov_name()}.csv"
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE and u.dialect == "promed_pskov", u.message
    renamed = upload(region, zipped(csv, "list.csv"), name="list.zip")
    assert renamed.dialect == "" and renamed.status == UploadStatus.REJECTED  # not a Pskov row by its content


def test_a_fully_quoted_canonical_csv_of_14_columns_is_not_taken_for_pskov(region):
    columns = ["CODE_MO", "YEAR", "N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "TEL", "DISP", "MONTH", "KV"]
    p = region.p1
    values = ["270001", str(next_year()), "1", p.enp, "", p.last_name, p.first_name, p.patronymic, str(p.sex),
              p.birth_date.isoformat(), "", "ДВН", "3", ""]  # fmt: skip
    text = "".join(";".join(f'"{v}"' for v in row) + "\r\n" for row in (columns, values))
    u = upload(region, text.encode("utf-8"), name="list.csv")
    assert u.status == UploadStatus.DONE, u.message
    assert (u.dialect, u.file_format, u.records_accepted) == ("", "CSV", 1)


# --- Measure codes, the header's quarter, the dialect's own tags in the protocol's messages ----------------------


def test_dv1_and_the_latin_dv4_dv1_opv_codes_are_the_measures(region):
    people = [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Кодова{i}", first_name="Анна",
                             birth_date=birth_for_age(35 if i == 3 else 50)) for i in range(4)]  # fmt: skip
    codes = ["ДВ1", "DV4", "dv1", "OPV"]
    records = [rec(person, n, disp=code, month=n + 1) for n, (person, code) in enumerate(zip(people, codes), 1)]
    u = upload(region, perm_xml(records, IDS[:4]), name=f"{perm_name()}.xml")
    assert u.status == UploadStatus.DONE and u.protocol_errors.count() == 0, list(u.protocol_errors.values("comment"))
    measures = dict(ListEntry.objects.values_list("person__last_name", "measure"))
    assert measures == {"Кодова0": "DVN", "Кодова1": "DVN", "Кодова2": "DVN", "Кодова3": "PMO"}


def test_a_perm_measure_without_quart_takes_the_headers_quart(region):
    name = perm_name()
    lines = [perm_header(code_mo="270001", year=next_year(), filename=name, quart="2")]
    other = insured_person(smo=region.smo1, mo=region.mo1, last_name="Квартова", first_name="Анна")
    lines += [perm_record(rec(region.p1, 1, month=""), IDS[0]), perm_record(rec(other, 2, month=8), IDS[1])]
    u = upload(region, document(lines), name=f"{name}.xml")
    assert u.status == UploadStatus.DONE and u.records_accepted == 2, u.message
    assert dict(ListEntry.objects.values_list("n_zap", "quarter")) == {IDS[0]: 2, IDS[1]: 3}
    assert set(ListEntry.objects.values_list("month", flat=True)) == {None}


def test_the_protocol_messages_name_the_dialects_own_tags_and_its_columns_the_canonical_fields(region):
    other = insured_person(smo=region.smo1, mo=region.mo1, last_name="Тегова", first_name="Анна")
    third = insured_person(smo=region.smo1, mo=region.mo1, last_name="Кварталова", first_name="Анна")
    records = [rec(region.p1, 1), rec(other, 2), rec(third, 3, measures=[{"DISP": "ДВН", "KV": "5"}])]
    u = upload(region, perm_xml(records, [IDS[0], IDS[0], IDS[1]]), name=f"{perm_name()}.xml")
    assert u.status == UploadStatus.DONE, u.message
    rows = {(code, field): comment for code, field, comment in u.protocol_errors.values_list("code", "field",
                                                                                              "comment")}  # fmt: skip
    assert rows[(102, "KV")] == "Квартал QUART «5»: от 1 до 4"
    assert rows[(102, "N_ZAP")] == f"Номер записи NOMER_Z {IDS[0]} повторяется у разных лиц"
    canonical = upload(region, zl_list_xml([rec(region.p1, 1), rec(other, 1)]), confirm_replace=True)
    assert "Номер записи N_ZAP 1 повторяется у разных лиц" in canonical.protocol_errors.values_list(
        "comment", flat=True
    )


def test_a_header_message_names_the_dialects_tag(region):
    u = upload(region, perm_xml([rec(region.p1, 1)], IDS[:1], code_mo="270002"), name=f"{perm_name('270002')}.xml")
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 902
    assert u.message.startswith("CODMOF 270002 в заголовке") and "CODE_MO" not in u.message
    assert u.protocol_errors.get().field == "CODE_MO"
