"""Khakassia, Astrakhan, Vologda, Ufa and the Pskov CSV: each file as ProMed writes it gives the verdicts of the same
persons in the canonical ZL_LIST; the register-id-only Sverdlovsk file is refused with a message that says why."""

import io
import zipfile

import pytest

from screening.models import ListEntry, PlanStatus, UploadStatus, YearPlan, YearPlanLine
from tests.factories import insured_person
from tests.screening.factories import next_year, rec, upload, zipped, zl_list_xml
from tests.screening.promed import (
    astrakhan_xml,
    ekaterinburg_xml,
    khakassia_xml,
    pskov_csv,
    ufa_xml,
    vologda_xml,
)
from tests.screening.test_dialect_perm import IDS, cohort, verdicts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# dialect → (writer, whether it takes ProMed's database ids as numbers, whether the year is chosen at upload)
WRITERS = {
    "promed_khakassia": (khakassia_xml, True, False),
    "promed_astrakhan": (astrakhan_xml, False, True),
    "promed_vologda": (vologda_xml, True, False),
    "promed_ufa": (ufa_xml, False, True),
    "promed_pskov": (pskov_csv, False, False),
}


def write(dialect: str, records: list[dict]):
    writer, ids, _year = WRITERS[dialect]
    numbers = IDS[: len(records)] if ids else [str(n) for n in range(1, len(records) + 1)]
    content, name = writer(records, numbers) if ids else writer(records)
    return content, name, numbers


@pytest.mark.parametrize("dialect", list(WRITERS))
def test_a_file_as_promed_writes_it_gives_the_verdicts_of_the_canonical_file(region, dialect):
    records = cohort(region)
    if dialect == "promed_pskov":
        # No measure in the Pskov file: the one due by age is taken, so the "ДВН not due" record cannot be written.
        records = [r for r in records if r["N_ZAP"] != "6"]
        for number, record in enumerate(records, 1):
            record["N_ZAP"] = str(number)
    canonical = upload(region, zl_list_xml(records))
    expected = verdicts(canonical, [r["N_ZAP"] for r in records])
    assert any(expected) and not all(expected)

    content, name, numbers = write(dialect, records)
    assert content[:2] == b"PK"  # zipped, as the MIS writes it
    year = next_year() if WRITERS[dialect][2] else None
    u = upload(region, content, name=name, year=year)
    assert u.status == UploadStatus.DONE, u.message
    assert u.dialect == dialect
    assert verdicts(u, numbers) == expected
    assert u.records_accepted == canonical.records_accepted


def test_khakassia_takes_the_year_of_its_records_and_refuses_two_years_in_one_file(region):
    content, name = khakassia_xml([rec(region.p1, 1)], [IDS[0]])
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE and u.year == next_year() and u.records_accepted == 1
    assert ListEntry.objects.get().n_zap == IDS[0]
    two, name = khakassia_xml([rec(region.p1, 1), rec(region.p2, 2)], IDS[:2])
    member = name.replace(".zip", ".xml")
    text = zipfile.ZipFile(io.BytesIO(two)).read(member).decode("windows-1251")
    head, _, tail = text.rpartition(f"<YEAR>{next_year()}</YEAR>")
    mixed = zipped(f"{head}<YEAR>{next_year() - 1}</YEAR>{tail}".encode("windows-1251"), member)
    u = upload(region, mixed, name=name)
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 902 and "YEAR" in u.message


def test_astrakhan_without_a_year_asks_for_it_and_reads_the_month_from_period(region):
    content, name = astrakhan_xml([rec(region.p1, 1, month=5)])
    without = upload(region, content, name=name)
    assert without.status == UploadStatus.REJECTED and "год" in without.message.lower()
    u = upload(region, content, name=name, year=next_year())
    assert u.status == UploadStatus.DONE and u.dialect == "promed_astrakhan"
    entry = ListEntry.objects.get()
    assert (entry.month, entry.quarter, entry.measure) == (5, 2, "DVN")


def test_astrakhan_childrens_kinds_are_not_a_measure_of_the_portal(region):
    content, name = astrakhan_xml([rec(region.p1, 1, disp="DS")])
    u = upload(region, content, name=name, year=next_year())
    assert list(u.protocol_errors.values_list("code", "field")) == [(102, "DISP")]


def test_vologda_numeric_kinds_give_dvn_pmo_and_dn_with_its_doctor(region):
    from participants.models import MedicalWorker

    MedicalWorker.objects.create(mo=region.mo1, snils="12345678964", full_name="Врач Иван", position="терапевт")
    records = [
        rec(region.p1, 1, disp="ДВН", month=3),
        rec(region.p1, 2, measures=[{"DISP": "ДН", "KV": "2", "IDDOKT": "12345678964"}]),
    ]
    content, name = vologda_xml(records, IDS[:2])
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE and u.protocol_errors.count() == 0, list(u.protocol_errors.values())
    entries = {e.measure: e for e in ListEntry.objects.all()}
    assert set(entries) == {"DVN", "DN"}
    assert (entries["DN"].doctor_snils, entries["DN"].quarter, entries["DN"].n_zap) == ("12345678964", 2, IDS[1])


def test_ufa_has_no_period_the_entry_neither_and_the_plan_is_compared_over_the_year(region):
    plan = YearPlan.objects.create(year=next_year(), status=PlanStatus.APPROVED)
    YearPlanLine.objects.create(plan=plan, mo=region.mo1, measure="DVN", month=3, quantity=2)
    content, name = ufa_xml([rec(region.p1, 1)])
    u = upload(region, content, name=name, year=next_year())
    assert u.status == UploadStatus.DONE and u.records_accepted == 1, list(u.protocol_errors.values())
    entry = ListEntry.objects.get()
    assert (entry.month, entry.quarter, entry.measure) == (None, None, "DVN")
    assert list(u.protocol_errors.filter(code=701).values_list("field", "comment")) == [
        ("YEAR", "ДВН, за год: принято 1, по плану 2")
    ]


def test_pskov_numbers_rows_takes_the_measure_due_by_age_and_needs_no_sex(region):
    young = insured_person(smo=region.smo1, mo=region.mo1, last_name="Юнг", first_name="Ян", sex=1)
    young.birth_date = young.birth_date.replace(year=next_year() - 35)
    young.save()
    content, name = pskov_csv([rec(region.p1, 1), rec(young, 2)])
    assert name.startswith("D270001") and name.endswith(".zip")
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE and u.protocol_errors.count() == 0, list(u.protocol_errors.values())
    assert dict(ListEntry.objects.values_list("n_zap", "measure")) == {1: "DVN", 2: "PMO"}
    assert set(ListEntry.objects.values_list("quarter", flat=True)) == {1}


def test_pskov_rows_of_two_mos_are_refused(region):
    content, name = pskov_csv([rec(region.p1, 1)])
    text = zipfile.ZipFile(io.BytesIO(content)).read(name.replace(".zip", ".csv")).decode("windows-1251")
    other = text.replace('"270001"', '"270002"')
    u = upload(region, zipped((text + other).encode("windows-1251"), name.replace(".zip", ".csv")), name=name)
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 902 and "MO_CODE" in u.message


def test_the_register_id_only_dialect_is_refused_saying_why(region):
    content, name = ekaterinburg_xml()
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 901
    assert "идентификатором регионального регистра" in u.message and "ЕНП" in u.message
    assert not ListEntry.objects.exists()
