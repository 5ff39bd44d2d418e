"""API v1 organizations: the directory every signed-in user reads, served through the same scoping mechanism."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db.models import Q
from django.urls import reverse
from rest_framework.test import APIClient

from omsportal import access
from omsportal.models import AuditLog
from participants.models import DistrictKind, Organization
from tests.factories import DistrictFactory
from tests.scoping_base import assert_scoped

LIST_URL = reverse("participants_api:organization-list")


def detail_url(org) -> str:
    return reverse("participants_api:organization-detail", args=[org.pk])


@pytest.fixture
def api():
    return APIClient()


def fetcher(api, url, method="get"):
    def fetch(user):
        api.force_authenticate(user)
        return getattr(api, method)(url, {}, format="json")

    return fetch


def all_users(region):
    return [
        region.mo1_user,
        region.smo1_l1,
        region.smo1_l2,
        region.smo1_l3,
        region.fund_user,
        region.ministry_user,
        region.admin_user,
    ]


@pytest.mark.django_db
class TestDirectory:
    def test_every_signed_in_role_reads_the_list_and_a_card(self, api, region):
        responses = assert_scoped(None, fetcher(api, LIST_URL), allowed_users=all_users(region))
        for response in responses.values():
            assert {row["code"] for row in response.json()["results"]} >= {"270001", "270002", "27001", "27002"}
        assert_scoped(None, fetcher(api, detail_url(region.smo2)), allowed_users=all_users(region))

    def test_anonymous_gets_401(self, api, region):
        assert api.get(LIST_URL).status_code == 401
        assert api.get(detail_url(region.mo1)).status_code == 401

    def test_a_missing_organization_is_404_in_russian(self, api, region):
        api.force_authenticate(region.fund_user)
        response = api.get(reverse("participants_api:organization-detail", args=[10**9]))
        assert response.status_code == 404
        assert response.json() == {"detail": "Не найдено."}

    def test_the_directory_is_read_only(self, api, region):
        for method, url in (("post", LIST_URL), ("patch", detail_url(region.mo1)), ("delete", detail_url(region.mo1))):
            assert fetcher(api, url, method)(region.admin_user).status_code == 405
        assert Organization.objects.filter(pk=region.mo1.pk).exists()

    def test_reading_the_directory_is_not_a_personal_data_access(self, api, region):
        api.force_authenticate(region.smo1_l2)
        api.get(LIST_URL)
        api.get(detail_url(region.mo1))
        assert not AuditLog.objects.exists()


def narrow_scope(monkeypatch, scope) -> None:
    """Replace the scope participants/access.py declares for Organization (the hook restrict() reads)."""
    monkeypatch.setitem(access.SCOPES.entries, Organization, replace(access.model_access(Organization), scope=scope))


@pytest.mark.django_db
class TestScopingMechanism:
    def test_the_viewset_serves_only_what_scope_for_user_allows(self, api, region, monkeypatch):
        # Proves the endpoint goes through omsportal.scoping.restrict(): narrow the model's scope and the
        # list shrinks, a card outside it becomes 404.
        narrow_scope(monkeypatch, lambda user: Q(kind="MO"))
        api.force_authenticate(region.fund_user)
        assert {row["kind"] for row in api.get(LIST_URL).json()["results"]} == {"MO"}
        assert api.get(detail_url(region.smo1)).status_code == 404
        assert api.get(detail_url(region.mo1)).status_code == 200

    def test_nothing_when_the_scope_is_none(self, api, region, monkeypatch):
        narrow_scope(monkeypatch, lambda user: None)
        api.force_authenticate(region.fund_user)
        assert api.get(LIST_URL).json()["count"] == 0


@pytest.mark.django_db
class TestFiltersAndCard:
    def test_filter_by_kind(self, api, region):
        api.force_authenticate(region.mo1_user)
        rows = api.get(LIST_URL, {"kind": "SMO"}).json()["results"]
        assert [row["code"] for row in rows] == ["27001", "27002"]

    def test_filter_by_code_and_kind(self, api, region):
        api.force_authenticate(region.mo1_user)
        rows = api.get(LIST_URL, {"code": "270002"}).json()["results"]
        assert [(row["kind"], row["id"]) for row in rows] == [("MO", region.mo2.pk)]
        # the Fund and the Ministry share code 27: the kind tells them apart
        rows = api.get(LIST_URL, {"code": "27", "kind": "FUND"}).json()["results"]
        assert [row["id"] for row in rows] == [region.fund.pk]

    def test_filter_by_is_active(self, api, region):
        Organization.objects.filter(pk=region.mo2.pk).update(is_active=False)
        api.force_authenticate(region.mo1_user)
        codes = {row["code"] for row in api.get(LIST_URL, {"is_active": "false"}).json()["results"]}
        assert codes == {"270002"}

    def test_a_bad_kind_is_refused_in_russian(self, api, region):
        api.force_authenticate(region.mo1_user)
        response = api.get(LIST_URL, {"kind": "CLINIC"})
        assert response.status_code == 400
        assert "CLINIC" in response.json()["kind"][0]
        assert "Выберите корректный вариант" in response.json()["kind"][0]

    def test_default_order_is_kind_then_code_and_ordering_can_change_it(self, api, region):
        api.force_authenticate(region.fund_user)
        rows = api.get(LIST_URL).json()["results"]
        assert [(r["kind"], r["code"]) for r in rows] == sorted((r["kind"], r["code"]) for r in rows)
        rows = api.get(LIST_URL, {"kind": "MO", "ordering": "-code"}).json()["results"]
        assert [r["code"] for r in rows] == ["270002", "270001"]

    def test_card_carries_responsible_person_and_districts(self, api, region):
        Organization.objects.filter(pk=region.mo1.pk).update(
            responsible_name="Петрова А. А.", responsible_phone="+7 4212 000000", hours="8:00–20:00"
        )
        DistrictFactory(mo=region.mo1, number="2", kind=DistrictKind.GP)
        DistrictFactory(mo=region.mo1, number="1")
        DistrictFactory(mo=region.mo2, number="9")
        api.force_authenticate(region.smo1_l2)
        card = api.get(detail_url(region.mo1)).json()
        assert card["responsible_name"] == "Петрова А. А."
        assert card["hours"] == "8:00–20:00"
        assert [(d["number"], d["kind"]) for d in card["districts"]] == [("1", "THER"), ("2", "GP")]

    def test_list_rows_are_short(self, api, region):
        DistrictFactory(mo=region.mo1, number="1")
        api.force_authenticate(region.smo1_l2)
        row = api.get(LIST_URL, {"code": "270001"}).json()["results"][0]
        assert "districts" not in row and "responsible_name" not in row

    def test_card_query_count_is_fixed(self, api, region, django_assert_num_queries):
        for n in range(10):
            DistrictFactory(mo=region.mo1, number=str(n))
        api.force_authenticate(region.fund_user)
        with django_assert_num_queries(2):  # organization + districts
            assert len(api.get(detail_url(region.mo1)).json()["districts"]) == 10
