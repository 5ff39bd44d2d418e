"""API v1 persons: role isolation (owner / read-only / outsider), filters, ordering, pagination, card, audit."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from omsportal.models import AuditAction, AuditLog
from omsportal.scoping import today
from participants.models import PolicyPeriod
from tests.factories import AttachmentFactory, MOFactory, PersonFactory, PolicyFactory, insured_person
from tests.scoping_base import assert_scoped

LIST_URL = reverse("participants_api:person-list")


def detail_url(person) -> str:
    return reverse("participants_api:person-detail", args=[person.pk])


@pytest.fixture
def api():
    return APIClient()


def fetcher(api, url, method="get", data=None):
    def fetch(user):
        api.force_authenticate(user)
        return getattr(api, method)(url, data or {}, format="json")

    return fetch


def listed_ids(api, user, **params) -> set[int]:
    api.force_authenticate(user)
    response = api.get(LIST_URL, params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
class TestRoleIsolation:
    def test_card_owner_and_read_only_members_get_it_outsiders_get_404(self, api, region):
        # p1 is insured by SMO1 and attached to MO1.
        assert_scoped(
            None,
            fetcher(api, detail_url(region.p1)),
            allowed_users=[region.smo1_l2, region.smo1_l3, region.mo1_user, region.fund_user],
            denied_users=[region.smo2_l2, region.mo2_user, region.smo1_l1, region.ministry_user, region.admin_user],
        )

    def test_smo_l2_gets_404_for_a_person_insured_by_another_smo(self, api, region):
        api.force_authenticate(region.smo1_l2)
        response = api.get(detail_url(region.p2))
        assert response.status_code == 404
        assert response.json() == {"detail": "Не найдено."}  # the same answer as a missing id, in Russian

    def test_outside_scope_and_missing_id_answer_alike(self, api, region):
        api.force_authenticate(region.mo1_user)
        outside = api.get(detail_url(region.p2))
        missing = api.get(reverse("participants_api:person-detail", args=[10**9]))
        assert (outside.status_code, outside.json()) == (missing.status_code, missing.json())

    def test_mo_staff_gets_404_for_a_person_attached_elsewhere(self, api, region):
        api.force_authenticate(region.mo2_user)
        assert api.get(detail_url(region.p1)).status_code == 404
        assert api.get(detail_url(region.p2)).status_code == 200

    def test_list_returns_only_visible_persons(self, api, region):
        assert listed_ids(api, region.smo1_l2) == {region.p1.pk}
        assert listed_ids(api, region.smo2_l2) == {region.p2.pk}
        assert listed_ids(api, region.mo1_user) == {region.p1.pk}
        assert listed_ids(api, region.mo2_user) == {region.p2.pk}
        assert listed_ids(api, region.fund_user) == {region.p1.pk, region.p2.pk}
        assert listed_ids(api, region.smo1_l1) == set()

    def test_ministry_and_administrator_get_an_empty_list_and_404(self, api, region):
        for user in (region.ministry_user, region.admin_user):
            api.force_authenticate(user)
            response = api.get(LIST_URL)
            assert response.status_code == 200
            assert response.json()["count"] == 0
            assert api.get(detail_url(region.p1)).status_code == 404

    def test_filters_never_widen_the_scope(self, api, region):
        assert listed_ids(api, region.smo1_l2, enp=region.p2.enp) == set()
        assert listed_ids(api, region.smo1_l2, smo="27002") == set()
        assert listed_ids(api, region.mo1_user, q="Петров") == set()

    def test_smo_view_follows_the_register_when_the_person_changes_insurer(self, api, region):
        switch = today() - datetime.timedelta(days=1)
        PolicyPeriod.objects.filter(person=region.p1, date_to__isnull=True).update(
            date_to=switch - datetime.timedelta(days=1)
        )
        PolicyFactory(person=region.p1, smo=region.smo2, date_from=switch)
        assert_scoped(
            None,
            fetcher(api, detail_url(region.p1)),
            allowed_users=[region.smo2_l2],
            denied_users=[region.smo1_l2],
        )
        assert listed_ids(api, region.smo2_l2) == {region.p1.pk, region.p2.pk}

    def test_a_person_granted_with_guardian_is_visible_through_the_same_mechanism(self, api, region):
        assign_perm("participants.view_person", region.smo1_l3, region.p2)
        api.force_authenticate(region.smo1_l3)
        assert api.get(detail_url(region.p2)).status_code == 200
        assert listed_ids(api, region.smo1_l3) == {region.p1.pk, region.p2.pk}

    def test_the_endpoint_is_read_only_even_for_the_owner(self, api, region):
        for method, url in (("post", LIST_URL), ("put", detail_url(region.p1)), ("delete", detail_url(region.p1))):
            response = fetcher(api, url, method, {"last_name": "X"})(region.fund_user)
            assert response.status_code == 405
            assert "не разрешен" in response.json()["detail"]
        region.p1.refresh_from_db()
        assert region.p1.last_name == "Иванова"

    def test_anonymous_is_refused_with_401(self, api, region):
        assert api.get(LIST_URL).status_code == 401
        assert api.get(detail_url(region.p1)).status_code == 401
        assert not AuditLog.objects.exists()


@pytest.mark.django_db
class TestFilters:
    @pytest.fixture
    def people(self, region):
        """Fund sees everyone; a few more persons to tell filters apart."""
        korolyova = insured_person(
            smo=region.smo1,
            mo=region.mo2,
            last_name="Королёва",
            first_name="Алёна",
            birth_date=datetime.date(1980, 5, 1),
        )
        korolev = insured_person(
            smo=region.smo2,
            mo=region.mo1,
            last_name="Королев",
            first_name="Иван",
            sex=1,
            birth_date=datetime.date(1975, 1, 2),
        )
        return korolyova, korolev

    def test_enp(self, api, region, people):
        assert listed_ids(api, region.fund_user, enp=region.p2.enp) == {region.p2.pk}

    def test_snils_plain_or_formatted(self, api, region, people):
        digits = region.p1.snils
        formatted = f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"
        assert listed_ids(api, region.fund_user, snils=digits) == {region.p1.pk}
        assert listed_ids(api, region.fund_user, snils=formatted) == {region.p1.pk}

    def test_last_name_is_a_case_and_yo_insensitive_prefix(self, api, region, people):
        korolyova, korolev = people
        assert listed_ids(api, region.fund_user, last_name="королев") == {korolyova.pk, korolev.pk}
        assert listed_ids(api, region.fund_user, last_name="КОРОЛЁВА") == {korolyova.pk}
        assert listed_ids(api, region.fund_user, last_name="Кор") == {korolyova.pk, korolev.pk}

    def test_first_name_with_last_name_and_birth_date(self, api, region, people):
        korolyova, korolev = people
        assert listed_ids(api, region.fund_user, last_name="королева", first_name="ал") == {korolyova.pk}
        # with a first name the surname is taken whole
        assert listed_ids(api, region.fund_user, last_name="королев", first_name="алена") == set()
        assert listed_ids(api, region.fund_user, first_name="Иван") == {korolev.pk}
        assert listed_ids(api, region.fund_user, last_name="королев", birth_date="1975-01-02") == {korolev.pk}

    def test_smo_and_mo_codes_of_today(self, api, region, people):
        korolyova, korolev = people
        assert listed_ids(api, region.fund_user, smo="27001") == {region.p1.pk, korolyova.pk}
        assert listed_ids(api, region.fund_user, mo="270001") == {region.p1.pk, korolev.pk}
        assert listed_ids(api, region.fund_user, smo="27001", mo="270002") == {korolyova.pk}

    def test_smo_code_ignores_closed_policies(self, api, region):
        person = PersonFactory(last_name="Бывший")
        PolicyFactory(
            person=person, smo=region.smo1, date_from=datetime.date(2015, 1, 1), date_to=datetime.date(2019, 12, 31)
        )
        PolicyFactory(person=person, smo=region.smo2, date_from=datetime.date(2020, 1, 1))
        assert person.pk not in listed_ids(api, region.fund_user, smo="27001")
        assert person.pk in listed_ids(api, region.fund_user, smo="27002")

    def test_free_text_q_finds_by_enp_snils_or_surname_words(self, api, region, people):
        _, korolev = people
        assert listed_ids(api, region.fund_user, q=region.p1.enp) == {region.p1.pk}
        assert listed_ids(api, region.fund_user, q=region.p2.snils) == {region.p2.pk}
        assert listed_ids(api, region.fund_user, q="королёв ив") == {korolev.pk}

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"birth_date": "14.03.1961"}, "birth_date", "Неверная дата: ожидается ГГГГ-ММ-ДД"),
            ({"birth_date": "1961-02-30"}, "birth_date", "Неверная дата: ожидается ГГГГ-ММ-ДД"),
            ({"enp": "12345"}, "enp", "Неверный ЕНП: ожидается 16 цифр"),
            ({"snils": "123-456"}, "snils", "Неверный СНИЛС: ожидается 11 цифр"),
            ({"smo": "2700"}, "smo", "Неверный код СМО: ожидается 5 цифр"),
            ({"mo": "27000A"}, "mo", "Неверный код МО: ожидается 6 цифр"),
        ],
    )
    def test_bad_filter_values_are_refused_in_russian(self, api, region, params, field, message):
        api.force_authenticate(region.fund_user)
        response = api.get(LIST_URL, params)
        assert response.status_code == 400
        assert response.json() == {field: [message]}
        assert not AuditLog.objects.exists()

    def test_list_rows_carry_todays_smo_and_mo(self, api, region):
        api.force_authenticate(region.smo1_l2)
        (row,) = api.get(LIST_URL).json()["results"]
        assert row["enp"] == region.p1.enp
        assert (row["current_smo_code"], row["current_mo_code"], row["current_district"]) == ("27001", "270001", "1")
        assert "address" not in row and "policies" not in row  # the card carries contacts and history


@pytest.mark.django_db
class TestOrderingAndPagination:
    @pytest.fixture
    def many(self, region):
        return [
            insured_person(
                smo=region.smo1,
                mo=region.mo1,
                last_name="Сидоров",
                first_name="Ян",
                birth_date=datetime.date(1950 + i, 1, 1),
            )
            for i in range(5)
        ]

    def test_default_order_is_by_name_then_birth_date(self, api, region, many):
        api.force_authenticate(region.smo1_l2)
        rows = api.get(LIST_URL).json()["results"]
        assert [r["id"] for r in rows] == [region.p1.pk] + [p.pk for p in many]

    def test_ordering_parameter(self, api, region, many):
        api.force_authenticate(region.smo1_l2)
        rows = api.get(LIST_URL, {"ordering": "-birth_date", "last_name": "Сидоров"}).json()["results"]
        assert [r["id"] for r in rows] == [p.pk for p in reversed(many)]

    def test_equal_sort_keys_do_not_shuffle_rows_between_pages(self, api, region):
        twins = [insured_person(smo=region.smo1, mo=region.mo1, last_name="Двойня") for _ in range(4)]
        api.force_authenticate(region.smo1_l2)
        seen = []
        for page in (1, 2):
            body = api.get(
                LIST_URL, {"last_name": "Двойня", "ordering": "last_name", "page_size": 2, "page": page}
            ).json()
            seen += [r["id"] for r in body["results"]]
        assert seen == sorted(p.pk for p in twins)

    def test_page_size_and_count(self, api, region, many):
        api.force_authenticate(region.smo1_l2)
        body = api.get(LIST_URL, {"page_size": 2}).json()
        assert body["count"] == 6
        assert len(body["results"]) == 2
        assert "page=2" in body["next"]

    def test_page_past_the_end_is_404_in_russian(self, api, region):
        api.force_authenticate(region.smo1_l2)
        response = api.get(LIST_URL, {"page": 99})
        assert response.status_code == 404
        assert "Неправильная страница" in response.json()["detail"]

    def test_list_query_count_does_not_grow_with_rows(self, api, region, many, django_assert_num_queries):
        api.force_authenticate(region.smo1_l2)
        # single grants? + count + page (today's SMO/MO as subqueries) + audit insert
        with django_assert_num_queries(4):
            assert len(api.get(LIST_URL).json()["results"]) == 6


@pytest.mark.django_db
class TestCard:
    def test_card_carries_contacts_and_history_newest_first(self, api, region):
        person = PersonFactory(last_name="Архивная", phone="+79990000000")
        PolicyFactory(
            person=person, smo=region.smo2, date_from=datetime.date(2010, 1, 1), date_to=datetime.date(2019, 12, 31)
        )
        PolicyFactory(person=person, smo=region.smo1, date_from=datetime.date(2020, 1, 1))
        AttachmentFactory(person=person, mo=region.mo1, district="7", date_from=datetime.date(2020, 1, 1))
        api.force_authenticate(region.smo1_l2)
        card = api.get(detail_url(person)).json()
        assert card["phone"] == "+79990000000"
        assert [(p["smo_code"], p["date_to"]) for p in card["policies"]] == [("27001", None), ("27002", "2019-12-31")]
        assert card["policies"][0]["smo"]["id"] == region.smo1.pk
        assert card["attachments"] == [
            {
                "mo_code": "270001",
                "mo": {
                    "id": region.mo1.pk,
                    "kind": "MO",
                    "code": "270001",
                    "name": region.mo1.name,
                    "short_name": region.mo1.short_name,
                },
                "district": "7",
                "date_from": "2020-01-01",
                "date_to": None,
            }
        ]
        assert card["current_smo_code"] == "27001"

    def test_a_code_missing_from_the_directory_shows_with_a_null_organization(self, api, region):
        person = PersonFactory()
        PolicyPeriod.objects.create(person=person, smo_code="27099", smo=None, date_from=datetime.date(2020, 1, 1))
        AttachmentFactory(person=person, mo=MOFactory(code="270077"))
        api.force_authenticate(region.fund_user)
        card = api.get(detail_url(person)).json()
        assert card["policies"] == [{"smo_code": "27099", "smo": None, "date_from": "2020-01-01", "date_to": None}]

    def test_card_query_count_is_fixed(self, api, region, django_assert_num_queries):
        for year in range(2000, 2010):
            PolicyFactory(
                person=region.p1,
                smo=region.smo1,
                date_from=datetime.date(year, 1, 1),
                date_to=datetime.date(year, 12, 31),
            )
        api.force_authenticate(region.fund_user)
        # person + policies (with SMOs) + attachments (with MOs) + audit insert
        with django_assert_num_queries(4):
            assert len(api.get(detail_url(region.p1)).json()["policies"]) == 11


@pytest.mark.django_db
class TestAudit:
    def test_list_writes_a_search_entry_with_the_query_and_the_ids_on_the_page(self, api, region):
        extra = insured_person(smo=region.smo1, mo=region.mo1, last_name="Иванова", first_name="Анна")
        api.force_authenticate(region.smo1_l2)
        response = api.get(LIST_URL, {"last_name": "иванова", "page_size": 1}, REMOTE_ADDR="10.0.0.7")
        first_id = response.json()["results"][0]["id"]
        entry = AuditLog.objects.get()
        assert entry.action == AuditAction.SEARCH
        assert entry.channel == "api"
        assert entry.user == region.smo1_l2 and entry.organization == region.smo1
        assert entry.person_ids == [first_id]  # only the page shown, not the whole result
        assert entry.person_count == 1
        assert entry.query == {"last_name": "иванова", "page_size": "1"}
        assert entry.ip == "10.0.0.7"
        assert entry.path.startswith(LIST_URL)
        assert {first_id} < {region.p1.pk, extra.pk}

    def test_card_writes_a_view_entry(self, api, region):
        api.force_authenticate(region.mo1_user)
        api.get(detail_url(region.p1))
        entry = AuditLog.objects.get()
        assert (entry.action, entry.channel, entry.person_ids, entry.object_type) == (
            AuditAction.VIEW,
            "api",
            [region.p1.pk],
            "person",
        )

    def test_a_refused_card_writes_no_view_entry(self, api, region):
        api.force_authenticate(region.mo1_user)
        api.get(detail_url(region.p2))
        assert not AuditLog.objects.filter(action=AuditAction.VIEW).exists()

    def test_an_empty_result_is_still_recorded(self, api, region):
        api.force_authenticate(region.ministry_user)
        api.get(LIST_URL, {"q": "Иванова"})
        entry = AuditLog.objects.get()
        assert (entry.action, entry.person_ids, entry.query) == (AuditAction.SEARCH, [], {"q": "Иванова"})
