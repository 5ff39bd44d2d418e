"""Nothing unsafe in what the portal writes back: no live formula in any XLSX or CSV it writes, download names of
safe characters only (web and API), and uploaded files never served as media, in any mode."""

from __future__ import annotations

import csv
import importlib
import io
import zipfile

import pytest
from django.test import override_settings
from django.urls import clear_url_caches, reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from omsportal.exports import FORMULA_TRIGGERS, safe_filename, safe_text
from omsportal.models import AuditAction, AuditLog
from screening.formats.flk import protocol_xlsx_bytes
from screening.formats.templates import list_template_csv_bytes, list_template_xlsx_bytes
from tests.screening.factories import rec, upload, zl_list_xml
from tests.screening.test_list_pages import YEAR, add_entry, make_upload
from tests.screening.test_upload_pages import ERRORS, finished_upload

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil/","click")',
    "=cmd|' calc'!A0",
    "-1+cmd|'/C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def formulas(xlsx: bytes) -> list[str]:
    """Every formula and every text cell that a spreadsheet would run as one, in every sheet of the workbook."""
    found = []
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name):
                found.append(f"{name}: <f>")
    workbook = load_workbook(io.BytesIO(xlsx))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                starts_like_one = isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS)
                if cell.data_type != "s" and cell.value is not None and isinstance(cell.value, str):
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r} ({cell.data_type})")
                elif cell.data_type == "f" or (starts_like_one and not cell.quotePrefix):
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    return found


def xlsx_texts(xlsx: bytes, sheet: str | None = None) -> dict[str, bool]:
    """Every text cell's value with whether it carries the quote prefix."""
    workbook = load_workbook(io.BytesIO(xlsx))
    sheets = [workbook[sheet]] if sheet else workbook.worksheets
    return {
        cell.value: bool(cell.quotePrefix)
        for each in sheets
        for row in each.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


def dangerous(cells) -> list[str]:
    return [cell for cell in cells if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS)]


# --- the one helper ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_the_helper_neutralizes_every_formula_start(value):
    assert safe_text(value) == "'" + value
    assert not safe_text(value).startswith(FORMULA_TRIGGERS)


def test_the_helper_leaves_ordinary_text_alone():
    for value in ("Иванова", "12", "", "a=b", "270001 Поликлиника"):
        assert safe_text(value) == value


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('A\r\nSet-Cookie: x=1"; b=.xml', "A_Set-Cookie_x_1_b.xml"),
        ("../../etc/passwd", "etc_passwd"),
        ('=HYPERLINK("x").xlsx', "HYPERLINK_x.xlsx"),
        ("a..b...xml", "a.b.xml"),
        ("VСписок МО №1.xml", "VСписок_МО_1.xml"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_download_names_are_made_of_safe_characters(name, expected):
    assert safe_filename(name) == expected


# --- every writer -------------------------------------------------------------------------------------------------


def test_the_protocol_xlsx_writes_an_uploaders_filename_and_file_name_as_text(region):
    upload_row = finished_upload(
        region.mo1, region.mo1_user, errors=[{**ERRORS[0], "person_label": HOSTILE[2], "comment": HOSTILE[3]}]
    )
    upload_row.header_filename, upload_row.original_name = HOSTILE[0], "=cmd|' calc'!A0.xml"
    upload_row.save()
    content = protocol_xlsx_bytes(upload_row)
    assert formulas(content) == []
    texts = xlsx_texts(content, "Протокол")
    # As written, as text that editing keeps text: the quote prefix, not an apostrophe in the value.
    assert texts[HOSTILE[0]] is True and texts["=cmd|' calc'!A0.xml"] is True
    assert "'" + HOSTILE[0] not in texts


def test_a_phone_reads_as_written_in_an_xlsx_and_neutralized_in_a_csv(client, region):
    up = make_upload(region.mo1, region.mo1_user)
    entry = add_entry(up, region.p1, smo=region.smo1)
    entry.phone = "+7 914 444-55-66"
    entry.save()
    client.force_login(region.mo1_user)
    content = client.get(reverse("screening:list_export", args=["xlsx"]), {"year": YEAR}).content
    assert formulas(content) == [] and xlsx_texts(content)["+7 914 444-55-66"] is True
    response = client.get(reverse("screening:list_export", args=["csv"]), {"year": YEAR})
    assert "'+7 914 444-55-66" in csv_cells(b"".join(response.streaming_content).decode("utf-8-sig"))


def test_a_crlf_filename_downloads_under_a_safe_name_on_the_web_and_in_the_api(client, region):
    upload_row = finished_upload(region.mo1, region.mo1_user)
    upload_row.header_filename = 'A\r\nSet-Cookie: x=1"; b='
    upload_row.save()
    client.force_login(region.mo1_user)
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    for fmt in ("xml", "xlsx"):
        responses = [
            client.get(reverse("screening:protocol_download", args=[upload_row.pk, fmt])),
            api.get(f"/api/v1/uploads/{upload_row.pk}/protocol.{fmt}"),
        ]
        for response in responses:
            assert response.status_code == 200
            disposition = response["Content-Disposition"]
            assert "\r" not in disposition and "\n" not in disposition and "Set-Cookie:" not in disposition
            assert disposition == f'attachment; filename="VA_Set-Cookie_x_1_b.{fmt}"'
            assert "Set-Cookie" not in response.headers or "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_hostile_filename_from_a_real_upload_downloads_fine(client, region):
    data = zl_list_xml([rec(region.p1, 1)]).replace(
        b"PROF_M270001_2701</FILENAME>", b"A&#13;&#10;Set-Cookie: x=1&quot;; b=</FILENAME>"
    )
    processed = upload(region, data)
    assert "\r\n" in processed.header_filename
    client.force_login(region.mo1_user)
    response = client.get(reverse("screening:protocol_download", args=[processed.pk, "xlsx"]))
    assert response.status_code == 200 and formulas(b"".join(response.streaming_content)) == []


def test_the_list_exports_neutralize_what_the_mo_wrote(client, region):
    up = make_upload(region.mo1, region.mo1_user)
    entry = add_entry(up, region.p1, smo=region.smo1, district=HOSTILE[2])
    entry.phone = HOSTILE[3]
    entry.save()
    client.force_login(region.mo1_user)
    response = client.get(reverse("screening:list_export", args=["csv"]), {"year": YEAR})
    cells = csv_cells(b"".join(response.streaming_content).decode("utf-8-sig"))
    assert dangerous(cells) == [] and "'" + HOSTILE[2] in cells and "'" + HOSTILE[3] in cells
    response = client.get(reverse("screening:list_export", args=["xlsx"]), {"year": YEAR})
    assert formulas(response.content) == []
    assert response["Content-Disposition"].startswith('attachment; filename="list_2027_ALL_')


def test_the_audit_exports_neutralize_every_cell(client, region):
    AuditLog.objects.create(
        user=region.mo1_user, action=AuditAction.SEARCH, object_type=HOSTILE[0], reason=HOSTILE[4], path=HOSTILE[1]
    )
    client.force_login(region.fund_user)
    response = client.get(reverse("audit:export"), {"fmt": "csv"})
    cells = csv_cells(b"".join(response.streaming_content).decode("utf-8-sig"))
    assert dangerous(cells) == [] and "'" + HOSTILE[0] in cells
    response = client.get(reverse("audit:export"), {"fmt": "xlsx"})
    assert formulas(b"".join(response.streaming_content)) == []


def test_the_plan_template_neutralizes_an_mo_name(client, region):
    region.mo1.name = HOSTILE[0]
    region.mo1.save()
    client.force_login(region.ministry_user)
    response = client.get(reverse("screening:plan_year_template", args=[YEAR]))
    assert response.status_code == 200 and formulas(response.content) == []
    assert response["Content-Disposition"] == f'attachment; filename="plan_{YEAR}.xlsx"'


def test_the_list_templates_hold_no_formula_start():
    assert formulas(list_template_xlsx_bytes()) == []
    assert dangerous(csv_cells(list_template_csv_bytes().decode("utf-8-sig"))) == []


# --- uploads are never media ----------------------------------------------------------------------------------------


def test_uploaded_files_are_not_served_as_media_even_with_debug(client, region, settings):
    processed = upload(region, zl_list_xml([rec(region.p1, 1)]))
    stored = processed.file.name
    assert stored.startswith("lists/") and processed.mo.code in stored and len(stored.rsplit("_", 1)[-1]) > 12
    with override_settings(DEBUG=True):
        import omsportal.urls

        importlib.reload(omsportal.urls)
        clear_url_caches()
        try:
            for user in (None, region.mo1_user, region.fund_user):
                client.logout()
                if user is not None:
                    client.force_login(user)
                assert client.get(f"/media/{stored}").status_code == 404
                assert client.get(f"/{stored}").status_code == 404
        finally:
            importlib.reload(omsportal.urls)
            clear_url_caches()


def test_media_root_inside_a_static_directory_is_refused_at_start():
    import os
    import subprocess
    import sys
    from pathlib import Path

    project = Path(__file__).resolve().parent.parent
    env = {**os.environ, "MEDIA_ROOT": str(project / "static" / "uploads")}
    code = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'omsportal.settings'; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=project)
    assert result.returncode != 0 and "MEDIA_ROOT" in result.stderr and "static" in result.stderr
