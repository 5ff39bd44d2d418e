"""Identification of list records against the register: every record-level code of formats.md, produced and not."""

import datetime

import pytest
from django.utils import timezone

from participants.models import MedicalWorker
from screening.models import ListEntry, ListUpload, PlanStatus, ProtocolError, UploadStatus, YearPlan, YearPlanLine
from tests.factories import AttachmentFactory, PersonFactory, PolicyFactory, insured_person
from tests.screening.factories import birth_for_age, codes_of, next_year, rec, upload, zl_list_xml

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def errors(u: ListUpload, code: int) -> list[ProtocolError]:
    return list(u.protocol_errors.filter(code=code).order_by("n_zap", "id"))


def run(region, *records, **kwargs) -> ListUpload:
    u = upload(region, zl_list_xml(records), **kwargs)
    assert u.status == UploadStatus.DONE, u.message
    return u


# --- Accepted -----------------------------------------------------------------------------------------------


def test_a_correct_record_is_accepted_with_the_mark_of_measure_and_year_and_the_smo(region):
    u = run(region, rec(region.p1, 1, disp="ДВН", month=3))
    assert codes_of(u) == set()
    entry = ListEntry.objects.get(person=region.p1)
    assert (entry.mo, entry.year, entry.measure, entry.month, entry.quarter) == (region.mo1, next_year(), "DVN", 3, 1)
    assert (entry.smo, entry.smo_code, entry.upload, entry.n_zap) == (region.smo1, "27001", u, 1)
    assert (u.records_total, u.records_accepted, u.records_rejected, u.counts_by_code) == (1, 1, 0, {})
    assert u.is_current and u.measures == ["DVN"] and u.year == next_year()
    assert u.header_filename == "PROF_M270001_2701" and u.file_format == "XML"


def test_a_person_is_found_by_snils_when_the_file_has_no_enp(region):
    u = run(region, rec(region.p1, 1, ENP=""))
    assert codes_of(u) == set()
    assert ListEntry.objects.filter(person=region.p1).exists()


def test_a_person_is_found_by_name_and_birth_date_ignoring_case_yo_and_spaces(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, last_name="Семёнова", first_name="Анна-Мария")
    u = run(region, rec(person, 1, ENP="", SNILS="", FAM=" семенова ", IM="АННА МАРИЯ"))
    assert codes_of(u) == set()
    assert ListEntry.objects.filter(person=person).exists()


# --- 101–104 ------------------------------------------------------------------------------------------------------


def test_101_required_field_missing_names_the_field(region):
    u = run(region, rec(region.p1, 1, FAM=""), rec(region.p1, 2, disp="ПМО", month=""))
    assert [(e.n_zap, e.field) for e in errors(u, 101)] == [(1, "FAM"), (2, "MONTH")]
    assert not ListEntry.objects.exists()


def test_101_not_raised_for_optional_fields(region):
    u = run(region, rec(region.p1, 1, OT="", SNILS="", UCH="", TEL=""))
    assert not errors(u, 101)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"W": "3"}, "W"),
        ({"DR": "1961-02-30"}, "DR"),
        ({"DR": "14/03/1961"}, "DR"),
        ({"ENP": "27550000"}, "ENP"),
        ({"SNILS": "112-233"}, "SNILS"),
        ({"N_ZAP": "x1"}, "N_ZAP"),
        ({"disp": "ДВХ"}, "DISP"),
        ({"month": "13"}, "MONTH"),
    ],
)
def test_102_invalid_value_names_the_field(region, fields, field):
    u = run(region, rec(region.p1, 1, **fields))
    assert [e.field for e in errors(u, 102)] == [field]
    assert u.records_rejected == 1 and not ListEntry.objects.exists()


def test_102_not_raised_for_valid_values_in_either_date_format_and_latin_measure(region):
    u = run(region, rec(region.p1, 1, DR=region.p1.birth_date.strftime("%d.%m.%Y"), disp="DVN", month="12"))
    assert codes_of(u) == set()


def test_103_snils_check_number_wrong(region):
    u = run(region, rec(region.p1, 1, SNILS="112-233-445 96"))
    assert [(e.code, e.field) for e in u.protocol_errors.all()] == [(103, "SNILS")]


def test_103_not_raised_for_a_valid_snils_written_plain(region):
    u = run(region, rec(region.p1, 1, SNILS=region.p1.snils))
    assert not errors(u, 103)


def test_104_enp_check_digit_wrong(region):
    wrong = region.p1.enp[:15] + str((int(region.p1.enp[15]) + 1) % 10)
    u = run(region, rec(region.p1, 1, ENP=wrong))
    assert [(e.code, e.field) for e in u.protocol_errors.all()] == [(104, "ENP")]


def test_104_not_raised_for_the_example_enp_of_formats_md(region):
    person = insured_person(smo=region.smo1, mo=region.mo1, enp="2755000000000011")
    u = run(region, rec(person, 1))
    assert codes_of(u) == set()


def test_a_person_error_is_reported_once_for_a_record_with_two_measures(region):
    measures = [{"DISP": "ДВН", "MONTH": "3"}, {"DISP": "ДН", "KV": "2", "IDDOKT": "123-456-789 64"}]
    u = run(region, rec(region.p1, 1, SNILS="112-233-445 96", measures=measures))
    assert [(e.n_zap, e.code) for e in u.protocol_errors.all()] == [(1, 103)]
    assert u.records_total == 2 and u.records_rejected == 2


# --- 201–203 ----------------------------------------------------------------------------------------------------


def test_201_person_not_in_register(region):
    u = run(region, rec(None, 1, ENP="", FAM="Неизвестный", IM="Иван", W="1", DR="1970-01-01"))
    assert [e.code for e in u.protocol_errors.all()] == [201]


def test_201_not_raised_when_an_outdated_enp_misses_but_snils_finds_the_person(region):
    stranger_enp = PersonFactory.build().enp
    u = run(region, rec(region.p1, 1, ENP=stranger_enp))
    assert codes_of(u) == set()


def test_202_several_persons_with_the_same_snils(region):
    twin = insured_person(smo=region.smo1, mo=region.mo1, snils=region.p1.snils)
    assert twin.snils == region.p1.snils
    u = run(region, rec(region.p1, 1, ENP=""))
    assert [(e.code, e.field) for e in u.protocol_errors.all()] == [(202, "SNILS")]


def test_202_several_persons_with_the_same_name_and_birth_date(region):
    insured_person(smo=region.smo1, mo=region.mo1)  # another Иванова Мария Петровна 1961-03-14
    u = run(region, rec(region.p1, 1, ENP="", SNILS=""))
    assert [e.code for e in u.protocol_errors.all()] == [202]


def test_202_not_raised_when_the_enp_decides(region):
    insured_person(smo=region.smo1, mo=region.mo1)
    u = run(region, rec(region.p1, 1))
    assert codes_of(u) == set()


@pytest.mark.parametrize(("fields", "field"), [({"FAM": "Сидорова"}, "FAM"), ({"IM": "Ольга"}, "IM"),
                                                ({"DR": "1961-03-15"}, "DR")])  # fmt: skip
def test_203_found_by_enp_but_name_or_birth_date_differ(region, fields, field):
    u = run(region, rec(region.p1, 1, **fields))
    assert [(e.code, e.field) for e in u.protocol_errors.all()] == [(203, field)]
    assert "ЕНП" in errors(u, 203)[0].comment


def test_203_not_raised_for_another_patronymic_or_case(region):
    u = run(region, rec(region.p1, 1, FAM="ИВАНОВА", OT="Павловна"))
    assert codes_of(u) == set()


# --- 301–303, 401 -------------------------------------------------------------------------------------------------


def test_301_policy_not_active_on_the_processing_date(region):
    region.p1.policies.update(date_to=timezone.localdate() - datetime.timedelta(days=1))
    u = run(region, rec(region.p1, 1))
    assert [e.code for e in u.protocol_errors.all()] == [301]


def test_301_not_raised_for_a_policy_ending_today(region):
    region.p1.policies.update(date_to=timezone.localdate())
    u = run(region, rec(region.p1, 1))
    assert codes_of(u) == set()


def test_302_person_deceased(region):
    Person = type(region.p1)
    Person.objects.filter(pk=region.p1.pk).update(death_date=timezone.localdate() - datetime.timedelta(days=10))
    u = run(region, rec(region.p1, 1))
    assert [e.code for e in u.protocol_errors.all()] == [302]


def test_302_not_raised_for_a_death_date_after_the_processing_date(region):
    Person = type(region.p1)
    Person.objects.filter(pk=region.p1.pk).update(death_date=timezone.localdate() + datetime.timedelta(days=1))
    u = run(region, rec(region.p1, 1))
    assert not errors(u, 302)


def test_303_insured_in_another_region(region):
    person = PersonFactory()
    PolicyFactory(person=person, smo=None, smo_code="77011")
    AttachmentFactory(person=person, mo=region.mo1)
    u = run(region, rec(person, 1))
    expected = [(303, "Застрахован в другом субъекте РФ: СМО 77011")]
    assert [(e.code, e.comment) for e in u.protocol_errors.all()] == expected


def test_303_not_raised_for_a_local_smo(region):
    u = run(region, rec(region.p1, 1))
    assert not errors(u, 303)


def test_401_attached_to_another_mo_names_it(region):
    u = run(region, rec(region.p2, 1))
    assert [(e.code, e.comment) for e in u.protocol_errors.all()] == [(401, "Прикреплён к МО 270002")]
    assert not ListEntry.objects.exists()


def test_401_not_raised_for_the_uploading_mo_and_uses_the_attachment_on_the_processing_date(region):
    # Attached to MO2 until yesterday, to MO1 since today.
    region.p1.attachments.update(date_to=timezone.localdate() - datetime.timedelta(days=1), mo=region.mo2,
                                 mo_code="270002")  # fmt: skip
    AttachmentFactory(person=region.p1, mo=region.mo1, date_from=timezone.localdate())
    u = run(region, rec(region.p1, 1))
    assert codes_of(u) == set()


# --- 601, 602 -------------------------------------------------------------------------------------------------------


def test_601_the_same_person_twice_for_the_same_measure(region):
    u = run(region, rec(region.p1, 1, month=3), rec(region.p1, 2, month=4))
    assert [(e.n_zap, e.code, e.comment) for e in u.protocol_errors.all()] == [
        (2, 601, "Лицо уже указано в файле по этому мероприятию: N_ZAP 1")
    ]
    assert ListEntry.objects.get(person=region.p1).month == 3


def test_601_not_raised_for_the_same_person_with_two_measures(region):
    measures = [{"DISP": "ДВН", "MONTH": "3"}, {"DISP": "ДН", "KV": "2", "IDDOKT": "123-456-789 64"}]
    u = run(region, rec(region.p1, 1, measures=measures))
    assert codes_of(u) == set()
    assert set(ListEntry.objects.values_list("measure", "quarter", "doctor_snils")) == {
        ("DVN", 1, ""),
        ("DN", 2, "12345678964"),
    }


def test_602_already_on_another_mos_list_for_the_year_and_measure(region):
    other = ListUpload.objects.create(mo=region.mo2, year=next_year(), uploaded_by=region.mo2_user, original_name="x")
    ListEntry.objects.create(upload=other, mo=region.mo2, year=next_year(), measure="DVN", month=1,
                             person=region.p1, smo_code="27001", n_zap=1)  # fmt: skip
    u = run(region, rec(region.p1, 1))
    assert [(e.code, e.comment) for e in u.protocol_errors.all()] == [
        (602, f"Уже включён в список МО 270002 на {next_year()} год")
    ]
    assert ListEntry.objects.get(person=region.p1).mo == region.mo2


def test_602_not_raised_for_another_year_or_measure_or_the_own_mo(region):
    other = ListUpload.objects.create(mo=region.mo2, year=next_year(), uploaded_by=region.mo2_user, original_name="x")
    ListEntry.objects.create(upload=other, mo=region.mo2, year=next_year() - 1, measure="DVN", month=1,
                             person=region.p1, smo_code="27001", n_zap=1)  # fmt: skip
    ListEntry.objects.create(upload=other, mo=region.mo2, year=next_year(), measure="DN", quarter=1,
                             person=region.p1, smo_code="27001", n_zap=1)  # fmt: skip
    run(region, rec(region.p1, 1))
    u = run(region, rec(region.p1, 1, month=5))  # the MO's own list is replaced, not a 602
    assert codes_of(u) == set()


# --- 102 on IDDOKT / N_ZAP, DN list -----------------------------------------------------------------------------


def test_dn_list_needs_quarter_or_month_and_a_valid_doctor_snils(region):
    dn = [{"DISP": "ДН", "IDDOKT": "123-456-789 65", "KV": "1"}]
    no_period = [{"DISP": "ДН", "IDDOKT": "123-456-789 64"}]
    u = run(region, rec(region.p1, 1, measures=dn), rec(region.p1, 2, measures=no_period))
    assert [(e.n_zap, e.code, e.field) for e in u.protocol_errors.all()] == [(1, 103, "IDDOKT"), (2, 101, "KV")]


def test_dn_doctor_must_be_a_worker_of_the_mo_once_the_mo_has_registered_workers(region):
    MedicalWorker.objects.create(mo=region.mo1, snils="12345678964", full_name="Врач", position="терапевт")
    known = [{"DISP": "ДН", "IDDOKT": "12345678964", "MONTH": "2"}]
    unknown = [{"DISP": "ДН", "IDDOKT": "11223344595", "MONTH": "2"}]
    u = run(region, rec(region.p1, 1, measures=known), rec(region.p2, 2, measures=unknown))
    assert (1, 102) not in codes_of(u)
    assert [(e.n_zap, e.field) for e in errors(u, 102)] == [(2, "IDDOKT")]
    assert ListEntry.objects.get(person=region.p1).quarter == 1


def test_dn_list_is_not_checked_for_age_eligibility(region):
    young = insured_person(smo=region.smo1, mo=region.mo1, birth_date=birth_for_age(10))
    u = run(region, rec(young, 1, measures=[{"DISP": "ДН", "KV": "1", "IDDOKT": "12345678964"}]))
    assert codes_of(u) == set()


def test_102_the_same_n_zap_for_two_different_persons(region):
    p3 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Козлова")
    u = run(region, rec(region.p1, 5), rec(p3, 5))
    assert [(e.n_zap, e.code, e.field) for e in u.protocol_errors.all()] == [(5, 102, "N_ZAP")]
    assert not ListEntry.objects.exists()


# --- 701 -------------------------------------------------------------------------------------------------------------


def _plan(region, quantities: dict[int, int], status=PlanStatus.APPROVED):
    plan = YearPlan.objects.create(year=next_year(), status=status)
    for month, quantity in quantities.items():
        YearPlanLine.objects.create(plan=plan, mo=region.mo1, measure="DVN", month=month, quantity=quantity)
    return plan


def test_701_one_warning_per_month_that_differs_from_the_approved_plan(region):
    _plan(region, {3: 2, 4: 1})
    p3 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Козлова")
    p4 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Орлова")
    u = run(region, rec(region.p1, 1, month=3), rec(p3, 2, month=5), rec(p4, 3, month=4))
    warnings = errors(u, 701)
    assert [(w.n_zap, w.severity, w.comment) for w in warnings] == [
        (None, "W", "ДВН, март: принято 1, по плану 2"),
        (None, "W", "ДВН, май: принято 1, по плану 0"),
    ]
    assert u.warnings == 2 and u.records_accepted == 3 and u.records_rejected == 0  # warnings reject nothing
    assert ListEntry.objects.count() == 3


def test_701_not_raised_when_the_totals_match_or_the_plan_is_not_approved(region):
    plan = _plan(region, {3: 1})
    assert not errors(run(region, rec(region.p1, 1, month=3)), 701)
    plan.status = PlanStatus.DRAFT
    plan.save()
    assert not errors(run(region, rec(region.p1, 1, month=7)), 701)


# --- Protocol ---------------------------------------------------------------------------------------------------------


def test_protocol_counts_and_correction_clock(region):
    u = run(region, rec(region.p1, 1), rec(region.p2, 2), rec(None, 3, FAM="Нет", IM="Такого", W="1", DR="1980-01-01"))
    assert u.counts_by_code == {"201": 1, "401": 1}
    assert (u.records_total, u.records_accepted, u.records_rejected) == (3, 1, 2)
    assert u.protocol_issued_at is not None
    from omsportal.workdays import add_working_days

    assert u.correction_due == add_working_days(timezone.localdate(u.protocol_issued_at), 5)
    assert u.processing_date == timezone.localdate()
    label = errors(u, 401)[0].person_label
    assert label.startswith("Петров Пётр Ильич")


def test_protocol_selectors_are_scoped_to_the_user(region):
    from django.http import Http404

    from screening.selectors.protocols import protocol_errors, protocol_summary

    u = run(region, rec(region.p1, 1), rec(region.p2, 2))
    summary = protocol_summary(user=region.mo1_user, upload_id=u.pk)
    assert summary["codes"] == [
        {"code": 401, "severity": "E", "meaning": "Прикреплён к другой медицинской организации", "count": 1}
    ]
    assert (summary["records_total"], summary["records_accepted"]) == (2, 1)
    assert [e.n_zap for e in protocol_errors(user=region.fund_user, upload_id=u.pk, code=401)] == [2]
    assert not protocol_errors(user=region.mo1_user, upload_id=u.pk, n_zap=1).exists()
    for outsider in (region.mo2_user, region.smo1_l2, region.admin_user):
        with pytest.raises(Http404):
            protocol_summary(user=outsider, upload_id=u.pk)
        with pytest.raises(Http404):
            protocol_errors(user=outsider, upload_id=u.pk)
