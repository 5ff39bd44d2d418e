"""The upload_list management command: processes a file synchronously, prints counts per code, writes the protocol."""

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from screening.models import ListEntry, ListUpload, UploadStatus
from tests.screening.factories import rec, zl_list_csv, zl_list_xml

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_processes_the_file_prints_counts_and_writes_the_flk_p(region, tmp_path, capsys):
    source = tmp_path / "PROF_M270001_2701.xml"
    source.write_bytes(zl_list_xml([rec(region.p1, 1), rec(region.p2, 2)]))
    out = tmp_path / "protocol.xml"
    call_command("upload_list", str(source), "--mo", "270001", "--protocol", str(out))
    printed = capsys.readouterr().out
    assert "принято 1, отклонено 1" in printed
    assert "401" in printed and "Прикреплён к другой медицинской организации" in printed
    root = etree.fromstring(out.read_bytes())
    assert root.findtext("FNAME") == "VPROF_M270001_2701"
    assert [pr.findtext("OSHIB") for pr in root.findall("PR")] == ["401"]
    u = ListUpload.objects.get()
    assert (u.status, u.uploaded_by) == (UploadStatus.DONE, region.mo1_user)
    assert ListEntry.objects.filter(person=region.p1, mo=region.mo1).exists()


def test_it_takes_kind_year_user_and_writes_an_xlsx_protocol(region, tmp_path, capsys):
    from openpyxl import load_workbook

    columns = ("N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "DISP", "MONTH", "KV", "IDDOKT")
    source = tmp_path / "dn.csv"
    dn = [{"DISP": "ДН", "KV": "2", "IDDOKT": "12345678964"}]
    source.write_bytes(zl_list_csv([rec(region.p1, 1, measures=dn)], columns=columns))
    out = tmp_path / "protocol.xlsx"
    from django.utils import timezone

    year = timezone.localdate().year
    call_command("upload_list", str(source), "--mo", "270001", "--kind", "DN", "--year", str(year),
                 "--user", "admin", "--protocol", str(out))  # fmt: skip
    u = ListUpload.objects.get()
    assert (u.kind, u.year, u.uploaded_by, u.records_accepted) == ("DN", year, region.admin_user, 1)
    assert load_workbook(out, read_only=True).sheetnames == ["Протокол", "Ошибки"]


def test_a_rejected_file_is_reported(region, tmp_path, capsys):
    source = tmp_path / "bad.xml"
    source.write_bytes(b"<ZL_LIST><ZGLV>")
    call_command("upload_list", str(source), "--mo", "270001")
    printed = capsys.readouterr().out
    assert "файл отклонён" in printed and "901" in printed


def test_unknown_mo_or_missing_file_is_an_error(region, tmp_path):
    source = tmp_path / "x.xml"
    source.write_bytes(b"<ZL_LIST/>")
    with pytest.raises(CommandError):
        call_command("upload_list", str(source), "--mo", "279999")
    with pytest.raises(CommandError):
        call_command("upload_list", str(tmp_path / "missing.xml"), "--mo", "270001")
