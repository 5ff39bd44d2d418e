"""Person search and person card in the web UI: role isolation, search behaviour, audit entries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from omsportal.models import AuditAction, AuditLog
from omsportal.scoping import today
from participants.models import PolicyPeriod
from tests.factories import AttachmentFactory, PersonFactory, PolicyFactory, UserFactory, insured_person
from tests.scoping_base import assert_login_required, assert_scoped

pytestmark = pytest.mark.django_db


def card_url(person) -> str:
    return reverse("persons:detail", args=[person.pk])


def search(client, user, **params):
    client.force_login(user)
    return client.get(reverse("persons:search"), params)


class TestCardIsolation:
    def test_card_owner_read_only_and_outsiders(self, client, region):
        # p1 is insured by SMO1 and attached to MO1.
        assert_scoped(
            client,
            card_url(region.p1),
            allowed_users=[region.smo1_l2, region.smo1_l3, region.mo1_user, region.fund_user],
            denied_users=[region.smo2_l2, region.mo2_user, region.smo1_l1, region.ministry_user, region.admin_user],
        )

    def test_smo_level2_gets_404_for_person_insured_by_another_smo(self, client, region):
        assert_scoped(client, card_url(region.p2), allowed_users=[region.smo2_l2], denied_users=[region.smo1_l2])

    def test_mo_staff_gets_404_for_person_attached_elsewhere(self, client, region):
        assert_scoped(client, card_url(region.p2), allowed_users=[region.mo2_user], denied_users=[region.mo1_user])

    def test_unknown_person_is_404_like_an_outsider(self, client, region):
        client.force_login(region.fund_user)
        assert client.get(reverse("persons:detail", args=[10**9])).status_code == 404

    def test_after_change_of_insurer_old_smo_loses_and_new_smo_gains_the_card(self, client, region):
        person = region.p1
        url = card_url(person)
        assert_scoped(client, url, allowed_users=[region.smo1_l2], denied_users=[region.smo2_l2])
        switch = today() - datetime.timedelta(days=10)
        PolicyPeriod.objects.filter(person=person, date_to__isnull=True).update(
            date_to=switch - datetime.timedelta(days=1)
        )
        PolicyFactory(person=person, smo=region.smo2, date_from=switch)
        assert_scoped(client, url, allowed_users=[region.smo2_l2], denied_users=[region.smo1_l2, region.smo1_l3])

    def test_anonymous_is_sent_to_login(self, client, region):
        assert_login_required(client, card_url(region.p1))
        assert_login_required(client, reverse("persons:search"))

    def test_search_page_is_404_for_ministry_and_admin(self, client, region):
        assert_scoped(
            client,
            reverse("persons:search"),
            allowed_users=[region.mo1_user, region.smo1_l1, region.smo1_l2, region.smo1_l3, region.fund_user],
            denied_users=[region.ministry_user, region.admin_user],
        )


class TestCardContent:
    def test_card_shows_personal_data_contacts_and_both_histories(self, client, region):
        person = PersonFactory(
            last_name="Сидорова",
            first_name="Анна",
            patronymic="Олеговна",
            birth_date=datetime.date(1970, 5, 9),
            phone="+7 914 000-00-01",
            address="г. Хабаровск, ул. Ленина, 1",
            informing_opt_out=True,
            opt_out_date=datetime.date(2024, 2, 1),
        )
        PolicyFactory(
            person=person, smo=region.smo2, date_from=datetime.date(2010, 1, 1), date_to=datetime.date(2019, 12, 31)
        )
        PolicyFactory(person=person, smo=region.smo1, date_from=datetime.date(2020, 1, 1))
        AttachmentFactory(person=person, mo=region.mo1, district="17", date_from=datetime.date(2018, 3, 2))
        client.force_login(region.fund_user)
        page = client.get(card_url(person)).content.decode()
        assert "Сидорова Анна Олеговна" in page
        assert person.enp in page
        assert "09.05.1970" in page  # Russian dates
        assert "+7 914 000-00-01" in page
        assert "г. Хабаровск, ул. Ленина, 1" in page
        assert "отказ от информирования" in page and "01.02.2024" in page
        assert "01.01.2010" in page and "31.12.2019" in page and "01.01.2020" in page
        assert region.smo2.code in page and region.smo1.code in page
        assert "02.03.2018" in page and ">17<" in page

    def test_on_date_form_answers_with_the_period_active_that_day(self, client, region):
        person = PersonFactory()
        PolicyFactory(
            person=person, smo=region.smo2, date_from=datetime.date(2010, 1, 1), date_to=datetime.date(2019, 12, 31)
        )
        PolicyFactory(person=person, smo=region.smo1, date_from=datetime.date(2020, 1, 1))
        AttachmentFactory(
            person=person,
            mo=region.mo2,
            district="4",
            date_from=datetime.date(2012, 1, 1),
            date_to=datetime.date(2021, 6, 30),
        )
        AttachmentFactory(person=person, mo=region.mo1, district="9", date_from=datetime.date(2021, 7, 1))
        client.force_login(region.fund_user)

        response = client.get(card_url(person), {"on": "2015-06-01"})
        answer = response.context["on_date"]
        assert answer["policy"].smo == region.smo2
        assert answer["attachment"].mo == region.mo2 and answer["attachment"].district == "4"
        assert "На 01.06.2015" in response.content.decode()

        answer = client.get(card_url(person), {"on": "2021-07-01"}).context["on_date"]
        assert answer["policy"].smo == region.smo1
        assert answer["attachment"].mo == region.mo1

        answer = client.get(card_url(person), {"on": "2005-01-01"}).context["on_date"]
        assert answer["policy"] is None and answer["attachment"] is None
        assert "не застрахован на эту дату" in client.get(card_url(person), {"on": "2005-01-01"}).content.decode()

    def test_on_date_accepts_russian_date_format(self, client, region):
        client.force_login(region.fund_user)
        response = client.get(card_url(region.p1), {"on": "01.06.2016"})
        assert response.context["on_date"]["day"] == datetime.date(2016, 6, 1)

    def test_bad_on_date_shows_an_error_not_a_crash(self, client, region):
        client.force_login(region.fund_user)
        response = client.get(card_url(region.p1), {"on": "32.13.2020"})
        assert response.status_code == 200
        assert response.context["on_date"] is None
        assert response.context["on_form"].errors


class TestSearch:
    def test_empty_search_says_what_to_enter_and_writes_no_audit(self, client, region):
        response = search(client, region.fund_user)
        assert response.status_code == 200
        assert "Введите ЕНП, СНИЛС или фамилию" in response.content.decode()
        assert not AuditLog.objects.filter(action=AuditAction.SEARCH).exists()

    def test_search_by_enp(self, client, region):
        response = search(client, region.fund_user, q=region.p1.enp)
        assert [p.pk for p in response.context["persons"]] == [region.p1.pk]

    def test_search_by_snils_with_dashes(self, client, region):
        s = region.p2.snils
        formatted = f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}"
        response = search(client, region.fund_user, q=formatted)
        assert [p.pk for p in response.context["persons"]] == [region.p2.pk]

    def test_search_by_surname_name_and_birth_date(self, client, region):
        twin = insured_person(
            smo=region.smo1,
            mo=region.mo1,
            last_name="Иванова",
            first_name="Мария",
            birth_date=datetime.date(1990, 1, 2),
        )
        response = search(client, region.fund_user, q="иванова мария", birth_date="1990-01-02")
        assert [p.pk for p in response.context["persons"]] == [twin.pk]
        response = search(client, region.fund_user, last_name="ИВАНОВА", first_name="мария", birth_date="02.01.1990")
        assert [p.pk for p in response.context["persons"]] == [twin.pk]

    def test_partial_surname_finds_by_prefix_ignoring_case_and_yo(self, client, region):
        fyodorov = insured_person(smo=region.smo1, mo=region.mo1, last_name="Фёдоров", first_name="Иван")
        response = search(client, region.fund_user, q="федо")
        assert [p.pk for p in response.context["persons"]] == [fyodorov.pk]

    def test_search_lists_only_visible_persons(self, client, region):
        # Both p1 (SMO1) and another Иванова insured by SMO2 match the surname.
        other = insured_person(smo=region.smo2, mo=region.mo2, last_name="Иванова", first_name="Ольга")
        found = {p.pk for p in search(client, region.smo1_l2, q="Иванова").context["persons"]}
        assert found == {region.p1.pk}
        found = {p.pk for p in search(client, region.smo2_l2, q="Иванова").context["persons"]}
        assert found == {other.pk}
        found = {p.pk for p in search(client, region.mo1_user, q="Иванова").context["persons"]}
        assert found == {region.p1.pk}
        found = {p.pk for p in search(client, region.fund_user, q="Иванова").context["persons"]}
        assert found == {region.p1.pk, other.pk}

    def test_other_smo_person_found_by_enp_is_not_listed(self, client, region):
        response = search(client, region.smo1_l2, q=region.p2.enp)
        assert list(response.context["persons"]) == []
        assert "Никого не нашли" in response.content.decode()

    def test_results_show_current_smo_and_mo(self, client, region):
        response = search(client, region.fund_user, q=region.p1.enp)
        row = response.context["persons"][0]
        assert row.current_smo_code == region.smo1.code and row.current_mo_code == region.mo1.code
        page = response.content.decode()
        assert region.smo1.short_name in page and region.mo1.short_name in page

    def test_results_are_paginated_by_50(self, client, region):
        for n in range(55):
            insured_person(smo=region.smo1, mo=region.mo1, last_name="Кузнецов", first_name=f"Имя{n:02d}", sex=1)
        first = search(client, region.smo1_l2, q="Кузнецов")
        assert first.context["page_obj"].paginator.count == 55
        assert len(first.context["persons"]) == 50
        second = search(client, region.smo1_l2, q="Кузнецов", page=2)
        assert len(second.context["persons"]) == 5
        assert not {p.pk for p in first.context["persons"]} & {p.pk for p in second.context["persons"]}

    def test_huge_result_is_counted_only_up_to_the_cap(self, client, region, monkeypatch):
        monkeypatch.setattr("participants.views.persons.COUNT_CAP", 3)
        for n in range(5):
            insured_person(smo=region.smo1, mo=region.mo1, last_name="Кузнецова", first_name=f"Имя{n}")
        response = search(client, region.fund_user, q="Кузнецова")
        assert response.context["page_obj"].paginator.count == 3
        assert len(response.context["persons"]) == 3
        assert "Найдено больше 3" in response.content.decode()
        entry = AuditLog.objects.get(action=AuditAction.SEARCH)
        assert entry.query["total"] == 3 and entry.query["total_capped"] is True

    def test_sort_by_surname_and_by_birth_date(self, client, region):
        def person(last_name, year):
            return insured_person(
                smo=region.smo1,
                mo=region.mo1,
                last_name=last_name,
                first_name="Я",
                birth_date=datetime.date(year, 1, 1),
            )

        a, b, c = person("Соболева", 2000), person("Совина", 1950), person("Сорокина", 1975)

        def order(sort):
            return [p.pk for p in search(client, region.fund_user, q="Со", sort=sort).context["persons"]]

        assert order("name") == [a.pk, b.pk, c.pk]
        assert order("-name") == [c.pk, b.pk, a.pk]
        assert order("birth_date") == [b.pk, c.pk, a.pk]
        assert order("-birth_date") == [a.pk, c.pk, b.pk]

    def test_short_or_malformed_query_is_rejected_with_a_hint(self, client, region):
        response = search(client, region.fund_user, q="123")
        assert "ЕНП состоит из 16 цифр" in response.content.decode()
        response = search(client, region.fund_user, q="И")
        assert "не меньше двух букв" in response.content.decode()
        assert not AuditLog.objects.filter(action=AuditAction.SEARCH).exists()

    def test_l1_operator_sees_no_one_without_call_list_items(self, client, region):
        response = search(client, region.smo1_l1, q="Иванова")
        assert list(response.context["persons"]) == []


class TestAuditOfPersonPages:
    def test_card_view_writes_a_view_entry_with_user_person_and_ip(self, client, region):
        client.force_login(region.smo1_l2)
        client.get(card_url(region.p1), REMOTE_ADDR="10.1.2.3")
        entry = AuditLog.objects.get(action=AuditAction.VIEW)
        assert entry.user == region.smo1_l2
        assert entry.organization == region.smo1
        assert entry.person_ids == [region.p1.pk] and entry.person_count == 1
        assert entry.ip == "10.1.2.3"
        assert entry.path == card_url(region.p1)

    def test_on_date_question_is_recorded_with_the_date(self, client, region):
        client.force_login(region.fund_user)
        client.get(card_url(region.p1), {"on": "2016-06-01"})
        entry = AuditLog.objects.get(action=AuditAction.VIEW)
        assert entry.query == {"on": "2016-06-01"}

    def test_denied_card_writes_no_view_entry(self, client, region):
        client.force_login(region.smo2_l2)
        assert client.get(card_url(region.p1)).status_code == 404
        assert not AuditLog.objects.exists()

    def test_search_writes_query_and_ids_of_the_returned_page(self, client, region):
        for n in range(52):
            insured_person(smo=region.smo1, mo=region.mo1, last_name="Смирнов", first_name=f"Имя{n:02d}", sex=1)
        client.force_login(region.smo1_l2)
        response = client.get(reverse("persons:search"), {"q": "Смирнов", "page": 2}, REMOTE_ADDR="10.9.8.7")
        entry = AuditLog.objects.get(action=AuditAction.SEARCH)
        assert entry.user == region.smo1_l2
        assert entry.ip == "10.9.8.7"
        assert entry.query["q"] == "Смирнов" and entry.query["page"] == 2 and entry.query["total"] == 52
        assert entry.person_ids == [p.pk for p in response.context["persons"]]
        assert entry.person_count == 2

    def test_search_without_results_is_still_recorded(self, client, region):
        search(client, region.smo1_l2, q=region.p2.enp)
        entry = AuditLog.objects.get(action=AuditAction.SEARCH)
        assert entry.person_ids == [] and entry.query["q"] == region.p2.enp


def test_guardian_grant_opens_one_card_to_an_l3_expert(client, region):
    """A per-object grant (django-guardian) opens a card outside the SMO's register to one expert only."""
    from guardian.shortcuts import assign_perm

    expert = UserFactory(username="expert", role="SMO_L3", organization=region.smo1)
    assign_perm("participants.view_person", expert, region.p2)
    assert_scoped(client, card_url(region.p2), allowed_users=[expert], denied_users=[region.smo1_l3])
