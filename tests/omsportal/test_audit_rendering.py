"""The audit log reads as a record for an inspector: who, when, which persons (ENP and name), what, why, in Russian."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from omsportal.audit import audit_record
from omsportal.audit_display import describe_entries
from omsportal.models import AuditAction, AuditLog
from screening.models import ListUpload
from tests.factories import insured_person

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")


def page(client, region, **params) -> str:
    client.force_login(region.fund_user)
    return client.get(LOG, params).content.decode()


def test_persons_are_named_by_enp_and_name_not_by_internal_id(client, region):
    entry = audit_record(user=region.smo1_l2, action=AuditAction.VIEW, person_ids=[region.p1.pk])
    html = page(client, region)
    row = html[html.index(f'data-testid="audit-entry-{entry.pk}"') :]
    row = row[: row.index("</tr>")]
    assert region.p1.enp in row and "Иванова М." in row
    assert f"#{region.p1.pk}" not in row
    assert reverse("persons:detail", args=[region.p1.pk]) in row


def test_a_reader_outside_the_persons_scope_gets_numbers_only(region):
    entry = audit_record(user=region.fund_user, action=AuditAction.LIST, person_ids=[region.p1.pk, region.p2.pk])
    entry = AuditLog.objects.select_related("user").get(pk=entry.pk)
    named = describe_entries([entry], region.smo1_l2)  # SMO 1 insures p1, not p2
    assert named == [region.p1.pk]
    assert entry.persons[0]["enp"] == region.p1.enp
    assert entry.persons[1] == {"id": region.p2.pk}


def test_what_why_and_object_types_are_in_russian(client, region):
    audit_record(user=region.smo1_l2, action=AuditAction.LIST, person_ids=[region.p1.pk], object_type="list_entry")
    audit_record(user=region.fund_user, action=AuditAction.EXPORT, object_type="audit_log", query={"fmt": "csv"})
    html = page(client, region, action="LIST")
    assert "строки списков МО" in html and "list_entry" not in html
    assert "информирование застрахованных своей СМО" in html  # why: the duty of level 2
    html = page(client, region, action="EXPORT")
    assert "журнал доступа" in html and "формат: csv" in html


def test_parameters_read_with_their_names_and_values(client, region):
    upload = ListUpload.objects.create(
        mo=region.mo1, year=2026, uploaded_by=region.mo1_user, file="lists/x.xml", original_name="PROF_M270001.xml"
    )
    audit_record(
        user=region.mo1_user,
        action=AuditAction.LIST,
        person_count=23,
        object_type="protocol",
        query={"upload": upload.pk, "code": None, "n_zap": None, "page": 1},
    )
    audit_record(
        user=region.smo1_l2,
        action=AuditAction.LIST,
        person_ids=[region.p1.pk],
        object_type="list_entry",
        query={"year": 2026, "measure": "DVN", "mo": "270001", "state": "PMO_DONE", "sort": "-enp", "page": 2},
    )
    html = page(client, region)
    assert "None" not in html and "code:" not in html and "sort" not in html
    assert f"загрузка списка: <a href=\"{reverse('screening:upload_detail', args=[upload.pk])}\">" in html
    assert "PROF_M270001.xml (270001)" in html
    assert "мероприятие: ДВН" in html and "состояние: завершил профосмотр" in html
    assert f"МО: 270001 {region.mo1.display_name}" in html and "страница: 2" in html
    # A protocol keeps no person ids: the count says what it counts, never "23 и ещё 23".
    assert "лиц: 23" in html and "строки протокола с лицами" in html
    assert "и ещё 23" not in html


def test_more_persons_are_listed_under_a_toggle(client, region):
    persons = [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Тестова{n}") for n in range(8)]
    audit_record(user=region.smo1_l2, action=AuditAction.LIST, person_ids=[p.pk for p in persons])
    html = page(client, region)
    assert "лиц: 8" in html and "показать ещё 3" in html
    assert all(p.enp in html for p in persons)


def test_filters_name_users_and_organizations(client, region):
    html = page(client, region)
    assert "---------" not in html
    assert "все пользователи" in html and "все организации" in html
    assert f"{region.smo1_l2.display_name} ({region.smo1_l2.username}) — {region.smo1.code}" in html
    assert f"{region.mo1.code} {region.mo1.display_name} (" in html


def test_filter_values_in_parameters_name_the_user_and_organization(client, region):
    audit_record(
        user=region.fund_user,
        action=AuditAction.EXPORT,
        object_type="audit_log",
        query={"user": region.mo1_user.pk, "organization": region.mo1.pk, "date_from": "2026-11-01"},
    )
    html = page(client, region, action="EXPORT")
    assert f"пользователь: {region.mo1_user.display_name} (mo1)" in html
    assert f"организация: {region.mo1.code} {region.mo1.display_name}" in html
    assert "с даты: 01.11.2026" in html


def test_the_download_reads_the_same_way(client, region):
    audit_record(
        user=region.smo1_l2,
        action=AuditAction.LIST,
        person_ids=[region.p1.pk],
        object_type="list_entry",
        query={"measure": "PMO", "code": None},
    )
    client.force_login(region.fund_user)
    response = client.get(reverse("audit:export"), {"fmt": "csv", "action": "LIST"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    row = rows[1]
    assert row[6] == "строки списков МО" and row[9] == "мероприятие: ПМО"
    assert "информирование" in row[13]
