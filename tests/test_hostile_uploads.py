"""Bad files through the services, the web forms and the API: a file-level problem is a REJECTED job with code 901
and its reason (never FAILED, never a traceback), nothing of the file is kept; ASCII digits only in every reader."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from omsportal.jobs.models import JobStatus
from participants.models import Person, RegisterImport
from screening.formats.events import RawEvent, validate_event
from screening.formats.plans import PlanFileError, read_plan_xlsx
from screening.models import EventBatch, ListEntry, ListUpload, ProtocolError, UploadStatus
from screening.services.events import event_batch_create_from_file
from tests import hostile
from tests.participants.test_register_import import enp, errors_by_zap, load, pers, register_xml, snapshot
from tests.screening.factories import rec, upload, zl_list_csv, zl_list_xml

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def rejected_upload(region, data: bytes, name: str = "list.xml") -> ListUpload:
    result = upload(region, data, name=name)
    assert result.status == UploadStatus.REJECTED, result.message
    assert result.file_error_code == 901
    (row,) = ProtocolError.objects.filter(upload=result)
    assert (row.code, row.severity) == (901, "F") and row.comment
    return result


# --- lists ----------------------------------------------------------------------------------------------------------


def test_a_dimension_bomb_upload_is_rejected_at_once_with_the_row_limit(region):
    result = rejected_upload(region, hostile.dimension_bomb(), name="bomb.xlsx")
    assert "OMS_SHEET_MAX_ROWS" in result.message and "999" in result.message
    assert not ListEntry.objects.exists()


def test_a_csv_with_a_nul_byte_far_into_the_file_is_a_901_not_a_copy_failure(region):
    records = [rec(region.p1, n) for n in range(1, 120)]
    data = zl_list_csv(records)
    last = data.rstrip().rfind(b"\r\n") + 2 + 20  # inside the last row
    data = data[:last] + b"\x00" + data[last:]
    assert data.index(b"\x00") > 4096
    result = rejected_upload(region, data, name="list.csv")
    assert "NUL" in result.message and "Строка 120" in result.message


def test_an_unclosed_csv_quote_is_refused_instead_of_swallowing_rows(region):
    records = [rec(region.p1, n) for n in range(1, 11)]
    data = zl_list_csv(records)
    lines = data.split(b"\r\n")
    lines[4] = lines[4].replace(b";\xd0", b';"\xd0', 1)  # an opening quote before a name in record 4
    lines[9] = lines[9] + b'"'
    result = rejected_upload(region, b"\r\n".join(lines), name="list.csv")
    assert "Строка 5" in result.message and "кавычка" in result.message


def test_a_whitespace_only_file_says_so(region):
    assert "только пробелы" in rejected_upload(region, b" \r\n \n\t").message


def test_list_xml_declared_windows_1251_with_utf8_bytes_is_refused(region):
    data = zl_list_xml([rec(region.p1, 1)], encoding="windows-1251").decode("cp1251").encode("utf-8")
    assert "кракозябры" in rejected_upload(region, data).message


def test_list_digits_must_be_ascii(region):
    result = upload(region, zl_list_xml([rec(region.p1, 1, N_ZAP="١"), rec(region.p2, 2, DR="١٩٦١-٠٣-١٤")]))
    assert result.status == UploadStatus.DONE
    codes = set(ProtocolError.objects.filter(upload=result).values_list("field", "code"))
    assert ("N_ZAP", 102) in codes and ("DR", 102) in codes


def test_a_year_written_in_other_digits_is_a_902_not_a_crash(region):
    data = zl_list_xml([rec(region.p1, 1)]).replace(b"<YEAR>", "<YEAR>²".encode(), 1)
    result = upload(region, data)
    assert result.status == UploadStatus.REJECTED and result.file_error_code == 902


def test_the_web_form_answers_a_bad_file_with_the_reason_on_the_protocol_page(
    client, region, django_capture_on_commit_callbacks
):
    client.force_login(region.mo1_user)
    bomb = SimpleUploadedFile("list.zip", hostile.zip_bomb(200 * 1024 * 1024), "application/zip")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:uploads"), {"file": bomb, "kind": "YEARLY"})
    response = client.get(response["Location"])
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="file-rejected"' in page and "OMS_ZIP_MAX_RATIO" in page
    assert ListUpload.objects.get().status == UploadStatus.REJECTED


def test_the_api_answers_a_bad_file_with_901_and_the_reason(region, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    broken = hostile.xlsx(hostile.sheet(hostile.inline_row(1, ["N_ZAP"])).replace("</row>", "</rw>"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/uploads/", {"file": SimpleUploadedFile("list.xlsx", broken), "kind": "YEARLY"}, format="multipart"
        )
    assert response.status_code == 201
    body = api.get(response["Location"]).json()
    assert body["status"] == "REJECTED" and body["file_error_code"] == 901
    assert "xl/worksheets/sheet1.xml" in body["message"] and "</rw>" in body["message"]


# --- the register ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_zap", ["²", "١٢", "１２", "0", "-3"])
def test_a_register_n_zap_that_is_not_a_positive_ascii_number_rejects_only_its_record(region, n_zap):
    job = load(register_xml([pers(1), pers(2), pers(3, N_ZAP=n_zap), pers(4)]))
    assert job.status == JobStatus.DONE, job.message
    assert (job.records_loaded, job.records_rejected) == (3, 1)
    assert errors_by_zap(job) == {None: [("N_ZAP", "102")]}
    assert "цифрами 0–9" in job.errors[0]["reason"]


def test_register_digits_elsewhere_must_be_ascii(region):
    job = load(register_xml([pers(1, SMO="２７００１"), pers(2, DR="١٩٦١-٠٣-١٤"), pers(3)]))
    assert errors_by_zap(job) == {1: [("SMO", "102")], 2: [("DR", "102")]}


def test_a_register_declared_windows_1251_with_utf8_bytes_is_refused_and_names_stay(region):
    load(register_xml([pers(1, FAM="Тестов")]))
    before = snapshot()
    mojibake = register_xml([pers(1, FAM="Тестов")], encoding="UTF-8").replace(
        b'encoding="UTF-8"', b'encoding="windows-1251"'
    )
    job = load(mojibake)
    assert job.status == JobStatus.REJECTED and "код 901" in job.message and "кракозябры" in job.message
    assert snapshot() == before and Person.objects.get(enp=enp(1)).last_name == "Тестов"


def test_a_register_over_a_limit_is_rejected_not_failed(region, settings):
    settings.OMS_FILE_MAX_RECORD_BYTES = 2000
    before = snapshot()
    job = load(register_xml([pers(1), pers(2, ADRES="г. " + "Х" * 3000)]))
    assert job.status == JobStatus.REJECTED and "OMS_FILE_MAX_RECORD_BYTES" in job.message
    assert snapshot() == before


def test_the_register_page_shows_a_rejected_file_with_its_reason(client, region, django_capture_on_commit_callbacks):
    client.force_login(region.fund_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("register:imports"), {"file": SimpleUploadedFile("RS27.zip", hostile.encrypted_zip("RS27.xml"))}
        )
    job = RegisterImport.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.REJECTED
    page = client.get(reverse("register:detail", args=[job.pk])).content.decode()
    assert "с паролем" in page and "файл отклонён" in page


# --- stage events ---------------------------------------------------------------------------------------------------


def test_an_events_file_with_a_broken_archive_is_rejected_with_901(region):
    batch = event_batch_create_from_file(
        mo=region.mo1,
        file=io.BytesIO(hostile.zip_of({"a.xml": b"<a/>"})[:-25]),
        original_name="EV.zip",
        posted_by=region.mo1_user,
        run_async=False,
    )
    assert batch.status == JobStatus.REJECTED and "код 901" in batch.message and "обрывается" in batch.message


def test_an_events_file_name_never_decides_its_format(region):
    csv_named_xml = b"N_ZAP;ENP;DISP;EVENT;DATE\r\n1;2755000000000011;\xd0\x94\xd0\x92\xd0\x9d;START1;2026-01-01\r\n"
    batch = event_batch_create_from_file(
        mo=region.mo1, file=io.BytesIO(csv_named_xml), original_name="ev.xml", posted_by=region.mo1_user,
        run_async=False,
    )  # fmt: skip
    assert batch.status == JobStatus.DONE and batch.records_total == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"n_zap": "١٢"}, "N_ZAP"),
        ({"n_zap": "0"}, "N_ZAP"),
        ({"enp": "٢٧٥٥٠٠٠٠٠٠٠٠٠٠١١"}, "ENP"),
        ({"rslt": "٣١٧", "event": "END1"}, "RSLT"),
        ({"ds": ("I١٠",)}, "DS"),
        ({"date": "٢٠٢٦-٠١-٠١"}, "DATE"),
    ],
)
def test_event_digits_must_be_ascii(fields, field):
    values = {"index": 0, "n_zap": "1", "enp": "2755000000000011", "disp": "ДВН", "event": "START1",
              "date": "2026-01-01", **fields}  # fmt: skip
    event, errors = validate_event(RawEvent(**values), today=datetime.date(2026, 12, 31))
    assert event is None and field in {error.field for error in errors}


def test_the_events_api_batch_refuses_other_digits_by_index(region):
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    response = api.post(
        "/api/v1/events/",
        {"events": [{"enp": "٢٧٥٥٠٠٠٠٠٠٠٠٠٠١١", "disp": "ДВН", "event": "START1", "date": "2026-01-01"}]},
        format="json",
    )
    assert response.status_code == 200
    assert [e["field"] for e in response.json()["errors"]] == ["ENP"]


def test_the_events_page_shows_a_rejected_file(client, region, django_capture_on_commit_callbacks):
    client.force_login(region.mo1_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("screening:events"), {"file": SimpleUploadedFile("ev.xlsx", hostile.dimension_bomb())})
    batch = EventBatch.objects.get()
    assert batch.status == JobStatus.REJECTED
    page = client.get(reverse("screening:event_batch", args=[batch.pk])).content.decode()
    assert "файл отклонён" in page and "код 901" in page


# --- the yearly plan ------------------------------------------------------------------------------------------------


def test_plan_digits_must_be_ascii(region):
    header = ["CODE_MO", "DISP", *(f"M{m}" for m in range(1, 13))]
    rows = [["２７０００１", "ДВН", *(["1"] * 12)], ["270001", "ПМО", "١٢", *(["1"] * 11)]]
    sheet = hostile.sheet("".join(hostile.inline_row(i + 1, row) for i, row in enumerate([header, *rows])))
    with pytest.raises(PlanFileError) as caught:
        read_plan_xlsx(io.BytesIO(hostile.xlsx(sheet)), mo_ids_by_code={"270001": region.mo1.pk})
    text = " ".join(caught.value.messages)
    assert "столбец A (CODE_MO)" in text and "«١٢» — не целое число" in text


def test_the_plan_page_answers_a_dimension_bomb_at_once(client, region):
    client.force_login(region.ministry_user)
    year = datetime.date.today().year + 1
    header = ["CODE_MO", "DISP", *(f"M{m}" for m in range(1, 13))]
    bomb = SimpleUploadedFile("plan.xlsx", hostile.dimension_bomb(header=header))
    response = client.post(reverse("screening:plan_year_upload", args=[year]), {"file": bomb})
    page = response.content.decode()
    assert response.status_code == 400, page
    assert 'data-testid="plan-file-errors"' in page and "OMS_SHEET_MAX_ROWS" in page


def test_a_list_over_its_reading_budget_is_rejected_by_the_job_with_the_limit_named(region, settings):
    settings.OMS_FILE_READ_SECONDS = 1e-9
    result = rejected_upload(region, zl_list_xml([rec(region.p1, 1)]))
    assert "OMS_FILE_READ_SECONDS" in result.message and not ListEntry.objects.exists()
