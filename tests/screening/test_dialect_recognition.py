"""How a MIS dialect is recognized: from the content first, the file name (shared/formats-regional.md) settling what
the tags cannot tell; a renamed file still recognized from its content; a canonical CSV never taken for Pskov."""

import io
import re
import zipfile

import pytest

from screening.formats.dialects import recognized
from screening.formats.dialects.base import Probe
from screening.models import ListEntry, UploadStatus
from tests.screening.factories import next_year, rec, upload, zipped, zl_list_xml
from tests.screening.promed import khakassia_xml, perm_name, perm_xml, pskov_csv, pskov_name
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
