"""The Perm (ProMed) dialect: a file written as that MIS writes it gives the canonical file's verdicts, and what such
files really contain (big record ids with gaps, quarters, НЕТ, dates with a time, raw '&') is handled."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from omsportal.models import RegionalParameters
from screening.formats.dialects import readable_codes
from screening.models import ListEntry, PlanStatus, UploadStatus, YearPlan, YearPlanLine
from tests.factories import insured_person
from tests.screening.factories import birth_for_age, next_year, rec, upload, zl_list_xml
from tests.screening.promed import perm_xml, perm_zip

pytestmark = pytest.mark.django_db

# ProMed's PlanPersonList_id: database ids, large (past 2^31) and with gaps.
IDS = [5_900_000_000_123, 5_900_000_000_127, 5_900_000_000_190, 5_900_000_001_004, 5_900_000_001_005,
       5_900_000_002_000, 5_900_000_002_001, 5_900_000_009_999]  # fmt: skip


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def cohort(region) -> list[dict]:
    """Records of every verdict: accepted, 401, accepted by name with no patronymic, 201, 203, 501, 601."""
    no_patronymic = insured_person(
        smo=region.smo1, mo=region.mo1, last_name="Ким", first_name="Ирина", patronymic="", birth_date=birth_for_age(50)
    )
    young = insured_person(smo=region.smo1, mo=region.mo1, last_name="Орлов", first_name="Ян", sex=1,
                           birth_date=birth_for_age(35))  # fmt: skip
    return [
        rec(region.p1, 1, disp="ДВН", month=3),
        rec(region.p2, 2, disp="ДВН", month=4),  # 401: attached to MO 2
        rec(no_patronymic, 3, disp="ДВН", month=7, ENP="", SNILS="", OT=""),  # by name; OT НЕТ in Perm
        rec(None, 4, FAM="Нетова", IM="Нина", W="2", DR="1970-01-01", disp="ПМО", month=5),  # 201
        rec(young, 5, disp="ПМО", month=2, FAM="Орлова"),  # 203: found by ENP, surname differs
        rec(young, 6, disp="ДВН", month=10),  # 501: ДВН not due at 35
        rec(young, 7, disp="ПМО", month=11),  # accepted
        rec(young, 8, disp="ПМО", month=12),  # 601: twice for ПМО
    ]


def verdicts(u, numbers) -> list[set[int]]:
    codes = [set() for _ in numbers]
    index = {int(n): i for i, n in enumerate(numbers)}
    for n_zap, code in u.protocol_errors.values_list("n_zap", "code"):
        codes[index[n_zap]].add(code)
    return codes


def test_a_perm_file_as_promed_writes_it_gives_the_verdicts_of_the_canonical_file(region):
    records = cohort(region)
    canonical = upload(region, zl_list_xml(records))
    assert canonical.status == UploadStatus.DONE and canonical.dialect == ""
    expected = verdicts(canonical, [r["N_ZAP"] for r in records])
    assert expected == [set(), {401}, set(), {201}, {203}, {501}, set(), {601}]

    content, name = perm_zip(records, IDS, pg_dates=True)
    assert content[:2] == b"PK" and name.startswith("PROF_M270001T59_") and name.endswith(".zip")
    perm = upload(region, content, name=name)
    assert perm.status == UploadStatus.DONE, perm.message
    assert (perm.dialect, perm.file_format) == ("promed_perm", "XML")
    assert verdicts(perm, IDS) == expected
    assert (perm.records_total, perm.records_accepted) == (canonical.records_total, canonical.records_accepted)
    # The record numbers are kept as sent (bigint), the quarter without a month.
    entries = {e.n_zap: e for e in ListEntry.objects.filter(mo=region.mo1)}
    assert set(entries) == {IDS[0], IDS[2], IDS[6]}
    assert {(e.month, e.quarter) for e in entries.values()} == {(None, 1), (None, 3), (None, 4)}


def test_the_windows_1251_declaration_with_standalone_and_crlf_is_read(region):
    content = perm_xml([rec(region.p1, 1)], [IDS[0]])
    declaration = b'<?xml version="1.0" encoding="windows-1251" standalone="yes"?>'
    assert content.startswith(declaration + b"\r\n<ZL_LIST>\r\n\t<ZGLV>")
    u = upload(region, content, name="PROF_M270001T59_26121.xml")
    assert u.status == UploadStatus.DONE and u.dialect == "promed_perm" and u.records_accepted == 1


def test_no_patronymic_written_as_net_still_identifies_by_name(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, last_name="Ли", first_name="Анна", patronymic="")
    u = upload(region, perm_xml([rec(person, 1, ENP="", SNILS="", OT="")], [IDS[1]]), name="PROF_M270001T59_26121.xml")
    assert u.status == UploadStatus.DONE and u.protocol_errors.count() == 0
    assert ListEntry.objects.get(person=person).n_zap == IDS[1]


def test_a_raw_ampersand_as_promed_writes_it_is_a_901_naming_the_line(region):
    content = perm_xml([rec(region.p1, 1), rec(region.p1, 2, FAM="Иванова & Ко", disp="ПМО")], IDS[:2])
    u = upload(region, content, name="PROF_M270001T59_26121.xml")
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 901
    bad_line = content.decode("windows-1251").split("\r\n").index("\t\t<FAM>Иванова & Ко</FAM>") + 1
    assert f"строка {bad_line}" in u.message and "&amp;" in u.message
    assert not ListEntry.objects.exists()


def test_dates_with_a_time_or_as_yyyymmdd_dashed_snils_and_phones_are_taken(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, last_name="Сидоров", first_name="Олег", sex=1,
                            birth_date=datetime.date(1960, 5, 6))  # fmt: skip
    r1 = rec(region.p1, 1, DR=f"{region.p1.birth_date:%Y%m%d}")
    r2 = rec(person, 2, ENP="")
    u = upload(region, perm_xml([r1, r2], IDS[:2], pg_dates=False, phones=["9141234567", "+79147654321"]),
               name="PROF_M270001T59_26121.xml")  # fmt: skip
    assert u.status == UploadStatus.DONE and u.protocol_errors.count() == 0, list(u.protocol_errors.values())
    phones = dict(ListEntry.objects.values_list("n_zap", "phone"))
    assert phones == {IDS[0]: "+79141234567", IDS[1]: "+79147654321"}


def test_quarter_only_entries_reach_the_plan_comparison_by_quarter(region):
    plan = YearPlan.objects.create(year=next_year(), status=PlanStatus.APPROVED)
    for month, quantity in ((1, 1), (2, 0), (3, 1), (4, 1)):
        YearPlanLine.objects.create(plan=plan, mo=region.mo1, measure="DVN", month=month, quantity=quantity)
    others = [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Петрова{i}", first_name="Ольга")
              for i in range(2)]  # fmt: skip
    records = [rec(region.p1, 1, month=2), rec(others[0], 2, month=3), rec(others[1], 3, month=5)]
    u = upload(region, perm_xml(records, IDS[:3]), name="PROF_M270001T59_26121.xml")
    assert u.status == UploadStatus.DONE and u.records_accepted == 3
    warnings = list(u.protocol_errors.filter(code=701).values_list("field", "comment"))
    # Q1: 2 accepted, plan 1+0+1 = 2 (no warning); Q2: 1 accepted, plan 1 (none); Q3, Q4: 0 and 0 (none).
    assert warnings == []
    u2 = upload(region, perm_xml(records[:1], IDS[:1]), name="PROF_M270001T59_26122.xml", confirm_replace=True)
    assert list(u2.protocol_errors.filter(code=701).values_list("field", "comment")) == [
        ("KV", "ДВН, I квартал: принято 1, по плану 2"),
        ("KV", "ДВН, II квартал: принято 0, по плану 1"),
    ]


def test_a_dialect_the_region_does_not_accept_is_refused_naming_it(region):
    params = RegionalParameters.objects.get_or_create(pk=1)[0]
    params.list_dialects = [code for code in readable_codes() if code != "promed_perm"]
    params.save()
    u = upload(region, perm_xml([rec(region.p1, 1)], IDS[:1]), name="PROF_M270001T59_26121.xml")
    assert u.status == UploadStatus.REJECTED and u.file_error_code == 901
    assert "Пермский край" in u.message and "не принимается" in u.message


def test_by_default_every_readable_dialect_is_accepted(region):
    assert set(RegionalParameters().list_dialects) == set(readable_codes())
    assert "promed_ekaterinburg" not in readable_codes()


def test_the_canonical_file_is_not_taken_for_a_dialect(region):
    u = upload(region, zl_list_xml([rec(region.p1, 1)]))
    assert u.status == UploadStatus.DONE and u.dialect == ""


def test_record_numbers_past_2_to_the_31_work_in_the_canonical_file_too(region):
    u = upload(region, zl_list_xml([rec(region.p1, 3_000_000_000)]))
    assert u.status == UploadStatus.DONE and ListEntry.objects.get().n_zap == 3_000_000_000


def test_the_upload_page_the_history_and_the_api_say_which_dialect_was_taken(region, client):
    content, name = perm_zip([rec(region.p1, 1)], IDS[:1])
    u = upload(region, content, name=name)
    client.force_login(region.mo1_user)
    page = client.get(reverse("screening:upload_detail", args=[u.pk])).content.decode()
    assert 'data-testid="upload-dialect"' in page and "Пермский край" in page
    assert "Пермский край" in client.get(reverse("screening:uploads")).content.decode()
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    body = api.get(f"/api/v1/uploads/{u.pk}/").json()
    assert body["dialect"] == "promed_perm" and "Пермский край" in body["dialect_display"]


def test_an_entry_without_a_month_has_its_quarter_or_its_year_as_period():
    from screening.models import period_bounds

    assert period_bounds(2027, 2, 1) == (datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))
    assert period_bounds(2027, None, 3) == (datetime.date(2027, 7, 1), datetime.date(2027, 9, 30))
    assert period_bounds(2027, None, None) == (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
