"""factory_boy factories shared by the tests."""

from __future__ import annotations

import datetime

import factory

from participants.identifiers import enp_with_check, name_key, snils_with_check
from participants.models import (
    AttachmentPeriod,
    District,
    Organization,
    OrganizationKind,
    Person,
    PolicyPeriod,
    Role,
    User,
)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("kind", "code")

    kind = OrganizationKind.MO
    code = factory.Sequence(lambda n: f"27{n + 1:04d}")
    name = factory.LazyAttribute(lambda o: f"Организация {o.code}")
    short_name = factory.LazyAttribute(lambda o: f"Орг {o.code}")


class MOFactory(OrganizationFactory):
    kind = OrganizationKind.MO
    code = factory.Sequence(lambda n: f"27{n + 1:04d}")
    name = factory.LazyAttribute(lambda o: f"КГБУЗ «Поликлиника № {o.code[-2:]}»")


class SMOFactory(OrganizationFactory):
    kind = OrganizationKind.SMO
    code = factory.Sequence(lambda n: f"27{n + 1:03d}")
    name = factory.LazyAttribute(lambda o: f"АО «Страховая компания {o.code}»")


class FundFactory(OrganizationFactory):
    kind = OrganizationKind.FUND
    code = "27"
    name = "ХКФОМС"


class MinistryFactory(OrganizationFactory):
    kind = OrganizationKind.MINISTRY
    code = "27"
    name = "Министерство здравоохранения края"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    mo = factory.SubFactory(MOFactory)
    number = factory.Sequence(lambda n: str(n + 1))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.MO_STAFF
    organization = factory.SubFactory(MOFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _enp(n: int) -> str:
    # Far from the small numbers that test files build ENPs from (the register tests use 27 + n + 500): a factory
    # person must never share an ENP with a record of a test file, however many persons earlier tests made.
    return enp_with_check(f"27{7 * 10**12 + n:013d}")


def _snils(n: int) -> str:
    return snils_with_check(f"{100000000 + n * 7:09d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    enp = factory.Sequence(lambda n: _enp(n + 1))
    snils = factory.Sequence(lambda n: _snils(n + 1))
    last_name = "Иванова"
    first_name = "Мария"
    patronymic = "Петровна"
    name_key = factory.LazyAttribute(lambda o: name_key(o.last_name, o.first_name, o.patronymic))
    sex = 2
    birth_date = datetime.date(1961, 3, 14)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyPeriod

    person = factory.SubFactory(PersonFactory)
    smo = factory.SubFactory(SMOFactory)
    smo_code = factory.LazyAttribute(lambda o: o.smo.code)
    date_from = datetime.date(2015, 1, 1)
    date_to = None


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttachmentPeriod

    person = factory.SubFactory(PersonFactory)
    mo = factory.SubFactory(MOFactory)
    mo_code = factory.LazyAttribute(lambda o: o.mo.code)
    district = "1"
    date_from = datetime.date(2015, 1, 1)
    date_to = None


def insured_person(*, smo: Organization, mo: Organization, **kwargs) -> Person:
    """A person insured by ``smo`` and attached to ``mo`` since 2015."""
    person = PersonFactory(**kwargs)
    PolicyFactory(person=person, smo=smo)
    AttachmentFactory(person=person, mo=mo)
    return person
