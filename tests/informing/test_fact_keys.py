"""The facts' foreign keys are kept by the loader and by Django, not by per-row database triggers.

A million-fact INFORM load paid five foreign-key checks per row (person, SMO, MO, agent, upload), about a third of
its time; facts_load takes each of these ids from a join in the same transaction, as the list entries' writer does.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from informing.models import InformingFact, InformUpload
from participants.models import Organization, Person, User
from tests.informing.test_facts_in import load, records

pytestmark = pytest.mark.django_db


def database_foreign_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.conrelid = %s::regclass AND c.contype = 'f' ORDER BY 1
            """,
            [InformingFact._meta.db_table],
        )
        return [row[0] for row in cursor.fetchall()]


def test_only_the_message_is_checked_by_the_database():
    assert database_foreign_keys() == ["message_id"]


def dangling(field: str, model) -> int:
    """Facts whose ``field`` names a row its table does not have."""
    named = InformingFact.objects.exclude(**{f"{field}__isnull": True})
    return named.filter(~Exists(model.objects.filter(pk=OuterRef(f"{field}_id")))).count()


def test_a_loaded_file_names_only_rows_that_exist(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from informing.formats.inform import inform_xml_bytes

    upload = load(region, inform_xml_bytes(smo=region.smo1.code, records=records(region)), "INFORM.xml")
    assert upload.records_accepted == 2, upload.message
    assert InformingFact.objects.filter(upload=upload).exclude(agent=None).count() == 2
    for field, model in (
        ("person", Person), ("smo", Organization), ("mo", Organization), ("agent", User), ("upload", InformUpload),
    ):  # fmt: skip
        assert dangling(field, model) == 0, field


def test_django_still_cascades_and_nulls(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from informing.formats.inform import inform_xml_bytes

    upload = load(region, inform_xml_bytes(smo=region.smo1.code, records=records(region)), "INFORM.xml")
    person_facts = InformingFact.objects.filter(person=region.p1)
    assert person_facts.exists()
    upload.delete()
    assert person_facts.exists() and not person_facts.exclude(upload=None).exists()
    Person.objects.filter(pk=region.p1.pk).delete()
    assert not InformingFact.objects.filter(person_id=region.p1.pk).exists()
