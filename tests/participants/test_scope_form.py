"""How the one scope is written for PostgreSQL: one IN subquery for a single source (an SMO), ORed EXISTS for
several; a single grant adds its branch only for the user who has one. (Plans at region scale: ``make bench``,
bench/scoping.py.)"""

import pytest
from guardian.shortcuts import assign_perm

from omsportal.scoping import persons_visible_to
from participants.models import Person
from tests.factories import insured_person


def sql_of(user) -> str:
    return str(persons_visible_to(user).query).upper()


@pytest.mark.django_db
def test_an_smo_scope_is_one_in_subquery_without_union_or_or(region):
    sql = sql_of(region.smo1_l2)
    assert '"PARTICIPANTS_PERSON"."ID" IN (SELECT' in sql and "UNION" not in sql and "EXISTS" not in sql


@pytest.mark.django_db
def test_several_sources_are_ored_exists_and_a_grant_counts_only_for_its_user(region):
    sql = sql_of(region.mo1_user)  # attached to the MO, or on its lists
    assert "EXISTS" in sql and "UNION" not in sql
    stranger = insured_person(smo=region.smo2, mo=region.mo2, last_name="Чужой")
    assert not persons_visible_to(region.smo1_l2).filter(pk=stranger.pk).exists()
    assign_perm("participants.view_person", region.smo1_l2, stranger)
    assert persons_visible_to(region.smo1_l2).filter(pk=stranger.pk).exists()
    assert set(persons_visible_to(region.smo1_l2).values_list("pk", flat=True)) == {region.p1.pk, stranger.pk}
    assert not persons_visible_to(region.smo1_l3).filter(pk=stranger.pk).exists()
    assert Person.objects.filter(pk=stranger.pk).exists()
