"""Organization codes (F003, F002) and SNILS are ASCII digits only, in the form and in the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from participants.models import Organization, OrganizationKind, mo_code_validator, smo_code_validator


@pytest.mark.parametrize("code", ["270001", "000000"])
def test_ascii_mo_codes_are_valid(code):
    mo_code_validator(code)


@pytest.mark.parametrize(
    "code",
    ["٢٧٠٠٠١", "２７０００１", "27000²", "270001\n", "27001", "2700011", " 270001"],
)
def test_other_digits_and_trailing_newline_are_not_an_mo_code(code):
    with pytest.raises(ValidationError):
        mo_code_validator(code)


@pytest.mark.parametrize("code", ["٢٧٠٠١", "27001\n", "2700１"])
def test_other_digits_are_not_an_smo_code(code):
    with pytest.raises(ValidationError):
        smo_code_validator(code)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "code"), [(OrganizationKind.MO, "٢٧٠٠٠١"), (OrganizationKind.SMO, "２７００１")])
def test_the_database_refuses_non_ascii_codes(kind, code):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(kind=kind, code=code, name="x")
