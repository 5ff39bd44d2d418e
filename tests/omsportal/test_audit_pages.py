"""The Fund's audit log page: access, filters, pagination, CSV/XLSX download (itself audited)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from omsportal.audit import audit_record
from omsportal.models import AuditAction, AuditLog
from tests.scoping_base import assert_login_required, assert_scoped

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")
EXPORT = reverse("audit:export")


def shown(response) -> list[int]:
    """The entries on the page, less those the log's own earlier pages wrote (the persons they named)."""
    return [entry.pk for entry in response.context["entries"] if entry.object_type != "audit_log"]


@pytest.fixture
def entries(region):
    """A small log: views and searches by two users of two organizations on different days."""
    e = {
        "mo_view_p1": audit_record(user=region.mo1_user, action=AuditAction.VIEW, person_ids=[region.p1.pk]),
        "smo_search": audit_record(
            user=region.smo2_l2, action=AuditAction.SEARCH, person_ids=[region.p2.pk], query={"q": "Петров"}
        ),
        "smo_view_p2": audit_record(user=region.smo2_l2, action=AuditAction.VIEW, person_ids=[region.p2.pk]),
    }
    AuditLog.objects.filter(pk=e["mo_view_p1"].pk).update(at=timezone.now() - datetime.timedelta(days=40))
    return e


class TestAccess:
    def test_only_the_fund_reads_the_log(self, client, region):
        assert_scoped(
            client,
            LOG,
            allowed_users=[region.fund_user],
            denied_users=[
                region.mo1_user,
                region.smo1_l1,
                region.smo1_l2,
                region.smo1_l3,
                region.ministry_user,
                region.admin_user,
            ],
        )

    def test_only_the_fund_downloads_the_log(self, client, region):
        assert_scoped(
            client,
            EXPORT + "?fmt=csv",
            allowed_users=[region.fund_user],
            denied_users=[region.mo1_user, region.smo1_l2, region.ministry_user, region.admin_user],
        )
        # Denied downloads leave no EXPORT entry; only the Fund's one is there.
        assert list(AuditLog.objects.filter(action=AuditAction.EXPORT).values_list("user", flat=True)) == [
            region.fund_user.pk
        ]

    def test_anonymous_goes_to_login(self, client):
        assert_login_required(client, LOG)
        assert_login_required(client, EXPORT)


class TestList:
    def test_newest_first(self, client, region, entries):
        client.force_login(region.fund_user)
        assert shown(client.get(LOG)) == [
            entries["smo_view_p2"].pk,
            entries["smo_search"].pk,
            entries["mo_view_p1"].pk,
        ]

    def test_empty_log_says_so(self, client, region):
        client.force_login(region.fund_user)
        assert "Журнал пока пуст" in client.get(LOG).content.decode()

    def test_filter_by_user(self, client, region, entries):
        client.force_login(region.fund_user)
        assert shown(client.get(LOG, {"user": region.mo1_user.pk})) == [entries["mo_view_p1"].pk]

    def test_filter_by_organization(self, client, region, entries):
        client.force_login(region.fund_user)
        assert set(shown(client.get(LOG, {"organization": region.smo2.pk}))) == {
            entries["smo_search"].pk,
            entries["smo_view_p2"].pk,
        }

    def test_filter_by_action(self, client, region, entries):
        client.force_login(region.fund_user)
        assert shown(client.get(LOG, {"action": "SEARCH"})) == [entries["smo_search"].pk]

    def test_filter_by_date_range(self, client, region, entries):
        client.force_login(region.fund_user)
        today = timezone.localdate()
        recent = shown(client.get(LOG, {"date_from": (today - datetime.timedelta(days=1)).isoformat()}))
        assert set(recent) == {entries["smo_search"].pk, entries["smo_view_p2"].pk}
        old = shown(client.get(LOG, {"date_to": (today - datetime.timedelta(days=30)).strftime("%d.%m.%Y")}))
        assert old == [entries["mo_view_p1"].pk]

    def test_date_range_follows_local_days(self, client, region):
        """A late-evening entry belongs to its local day, not to the UTC one (Asia/Vladivostok is UTC+10)."""
        entry = audit_record(user=region.mo1_user, action=AuditAction.VIEW, person_ids=[region.p1.pk])
        late = timezone.make_aware(datetime.datetime(2025, 3, 10, 23, 30))
        AuditLog.objects.filter(pk=entry.pk).update(at=late)
        client.force_login(region.fund_user)
        assert shown(client.get(LOG, {"date_from": "2025-03-10", "date_to": "2025-03-10"})) == [entry.pk]
        assert shown(client.get(LOG, {"date_from": "2025-03-11"})) == []
        assert shown(client.get(LOG, {"date_to": "2025-03-09"})) == []

    def test_count_is_capped_on_a_huge_log(self, client, region, monkeypatch):
        monkeypatch.setattr("omsportal.views.audit.COUNT_CAP", 4)
        for _ in range(6):
            audit_record(user=region.mo1_user, action=AuditAction.VIEW, person_ids=[region.p1.pk])
        client.force_login(region.fund_user)
        response = client.get(LOG)
        assert response.context["page_obj"].paginator.count == 4
        assert "Записей больше 4" in response.content.decode()

    def test_filter_by_person_enp(self, client, region, entries):
        client.force_login(region.fund_user)
        assert set(shown(client.get(LOG, {"enp": region.p2.enp}))) == {
            entries["smo_search"].pk,
            entries["smo_view_p2"].pk,
        }
        assert shown(client.get(LOG, {"enp": region.p1.enp})) == [entries["mo_view_p1"].pk]

    def test_unknown_enp_matches_nothing(self, client, region, entries):
        client.force_login(region.fund_user)
        response = client.get(LOG, {"enp": "0000000000000000"})
        assert shown(response) == []
        assert "измените фильтры" in response.content.decode()

    def test_paginated_by_50(self, client, region):
        for _ in range(53):
            audit_record(user=region.mo1_user, action=AuditAction.VIEW, person_ids=[region.p1.pk])
        client.force_login(region.fund_user)
        first = client.get(LOG)
        assert len(shown(first)) == 50 and first.context["page_obj"].paginator.count == 53
        # Reading page 1 wrote its own entry at the top (the persons it named): one more entry moves to page 2.
        assert len(shown(client.get(LOG, {"page": 2}))) == 4

    def test_page_shows_who_what_and_from_where(self, client, region):
        audit_record(user=region.smo1_l2, action=AuditAction.VIEW, person_ids=[region.p1.pk])
        AuditLog.objects.update(ip="10.0.0.5", path="/persons/1/")
        client.force_login(region.fund_user)
        page = client.get(LOG).content.decode()
        assert region.smo1_l2.username in page
        assert "10.0.0.5" in page and "/persons/1/" in page
        assert "просмотр карточки" in page
        assert reverse("persons:detail", args=[region.p1.pk]) in page

    def test_reading_the_log_page_records_the_persons_it_named(self, client, region, entries):
        client.force_login(region.fund_user)
        client.get(LOG)
        assert AuditLog.objects.count() == 4
        own = AuditLog.objects.get(object_type="audit_log")
        assert own.user == region.fund_user and own.action == AuditAction.LIST
        assert sorted(own.person_ids) == sorted({region.p1.pk, region.p2.pk})
        client.get(LOG, {"action": "EXPORT"})  # a page that names nobody writes nothing
        assert AuditLog.objects.count() == 4


class TestExport:
    def test_csv_has_filtered_rows_and_is_recorded_as_export(self, client, region, entries):
        client.force_login(region.fund_user)
        response = client.get(EXPORT, {"fmt": "csv", "organization": region.smo2.pk}, REMOTE_ADDR="10.7.7.7")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0][0] == "Когда"
        assert len(rows) == 3  # header + two SMO2 entries
        assert {row[1] for row in rows[1:]} == {region.smo2_l2.username}
        assert {row[8] for row in rows[1:]} == {str(region.p2.pk)}
        export = AuditLog.objects.get(action=AuditAction.EXPORT)
        assert export.user == region.fund_user and export.ip == "10.7.7.7"
        assert export.object_type == "audit_log"
        assert export.query == {"organization": region.smo2.pk, "fmt": "csv", "rows": 2}

    def test_xlsx_download(self, client, region, entries):
        client.force_login(region.fund_user)
        response = client.get(EXPORT, {"fmt": "xlsx", "action": "VIEW"})
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[0][0] == "Когда"
        assert len(rows) == 3
        assert {row[5] for row in rows[1:]} == {"просмотр карточки"}
        assert AuditLog.objects.filter(action=AuditAction.EXPORT, query__fmt="xlsx").count() == 1

    def test_unknown_format_is_404_and_not_recorded(self, client, region):
        client.force_login(region.fund_user)
        assert client.get(EXPORT, {"fmt": "pdf"}).status_code == 404
        assert not AuditLog.objects.exists()
