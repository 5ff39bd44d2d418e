"""The directory of participants and an organization's page [R II.24]."""

from __future__ import annotations

import pytest
from django.urls import reverse

from participants.models import DistrictKind, MedicalWorker
from tests.factories import DistrictFactory, MOFactory
from tests.scoping_base import assert_login_required, assert_scoped

pytestmark = pytest.mark.django_db


@pytest.fixture
def mo_with_staff(region):
    mo = region.mo1
    mo.address = "г. Хабаровск, ул. Карла Маркса, 10"
    mo.hours = "пн–пт 8:00–20:00, сб 9:00–14:00"
    mo.phone = "+7 4212 00-00-10"
    mo.responsible_name = "Орлова Нина Петровна"
    mo.responsible_phone = "+7 4212 00-00-11"
    mo.save()
    d1 = DistrictFactory(mo=mo, number="2", kind=DistrictKind.THERAPEUTIC)
    d2 = DistrictFactory(mo=mo, number="10", kind=DistrictKind.GP)
    MedicalWorker.objects.create(
        mo=mo, snils="11223344595", full_name="Белов Олег Ильич", position="врач-терапевт участковый", district=d1
    )
    MedicalWorker.objects.create(
        mo=mo, snils="11223344696", full_name="Акимова Ирина", position="врач общей практики", district=d2
    )
    return mo


def test_every_role_reads_the_directory(client, region):
    assert_scoped(
        client,
        reverse("organizations"),
        allowed_users=[
            region.mo1_user,
            region.smo1_l1,
            region.smo1_l2,
            region.smo1_l3,
            region.fund_user,
            region.ministry_user,
            region.admin_user,
        ],
    )
    assert_login_required(client, reverse("organizations"))


def test_directory_lists_all_kinds_with_contacts_and_responsible_person(client, region, mo_with_staff):
    client.force_login(region.smo1_l2)
    page = client.get(reverse("organizations")).content.decode()
    for org in (region.mo1, region.mo2, region.smo1, region.smo2, region.fund, region.ministry):
        assert reverse("organization_detail", args=[org.pk]) in page
    assert "г. Хабаровск, ул. Карла Маркса, 10" in page
    assert "пн–пт 8:00–20:00, сб 9:00–14:00" in page
    assert "+7 4212 00-00-10" in page
    assert "Орлова Нина Петровна" in page and "+7 4212 00-00-11" in page
    # The rest have no responsible person yet: the page says so instead of staying silent.
    assert "не указано" in page


def test_directory_filters_by_kind_and_text(client, region):
    client.force_login(region.mo1_user)
    response = client.get(reverse("organizations"), {"kind": "SMO"})
    assert {o.pk for o in response.context["organizations"]} == {region.smo1.pk, region.smo2.pk}
    response = client.get(reverse("organizations"), {"q": region.mo2.code})
    assert [o.pk for o in response.context["organizations"]] == [region.mo2.pk]


def test_directory_hides_inactive_organizations_unless_asked(client, region):
    closed = MOFactory(code="279999", is_active=False)
    client.force_login(region.fund_user)
    assert closed not in client.get(reverse("organizations")).context["organizations"]
    assert closed in client.get(reverse("organizations"), {"inactive": "1"}).context["organizations"]


def test_directory_orders_clinics_first(client, region):
    client.force_login(region.fund_user)
    kinds = [o.kind for o in client.get(reverse("organizations")).context["organizations"]]
    assert kinds == sorted(kinds, key=["MO", "SMO", "FUND", "MINISTRY"].index)


def test_mo_page_lists_districts_in_number_order_and_medical_workers(client, region, mo_with_staff):
    client.force_login(region.smo2_l2)
    response = client.get(reverse("organization_detail", args=[mo_with_staff.pk]))
    assert response.status_code == 200
    assert [d.number for d in response.context["districts"]] == ["2", "10"]
    assert [w.full_name for w in response.context["workers"]] == ["Акимова Ирина", "Белов Олег Ильич"]
    page = response.content.decode()
    assert "врач-терапевт участковый" in page and "Орлова Нина Петровна" in page
    # Workers' SNILS is not published in the directory.
    assert "11223344595" not in page


def test_smo_page_has_contacts_but_no_districts(client, region):
    client.force_login(region.mo1_user)
    response = client.get(reverse("organization_detail", args=[region.smo1.pk]))
    assert response.status_code == 200
    assert "districts" not in response.context
    assert region.smo1.name in response.content.decode()


def test_unknown_organization_is_404(client, region):
    client.force_login(region.fund_user)
    assert client.get(reverse("organization_detail", args=[10**9])).status_code == 404


def test_menu_links_to_the_directory(client, region):
    client.force_login(region.ministry_user)
    assert reverse("organizations") in client.get(reverse("home")).content.decode()
