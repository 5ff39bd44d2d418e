import pytest
from django.contrib.auth.models import AnonymousUser

from omsportal.scoping import persons_visible_to
from screening.models import ListEntry, ListUpload
from tests.factories import PersonFactory


@pytest.mark.django_db
def test_mo_staff_sees_a_person_on_its_list_even_when_attached_elsewhere(region):
    outsider = PersonFactory()
    assert not persons_visible_to(region.mo1_user).filter(pk=outsider.pk).exists()
    upload = ListUpload.objects.create(mo=region.mo1, year=2027, uploaded_by=region.mo1_user, original_name="x.xml")
    ListEntry.objects.create(
        upload=upload, mo=region.mo1, year=2027, measure="PMO", month=3, person=outsider, smo_code="27001", n_zap=1
    )
    assert persons_visible_to(region.mo1_user).filter(pk=outsider.pk).exists()
    assert not persons_visible_to(region.mo2_user).filter(pk=outsider.pk).exists()


@pytest.mark.django_db
def test_anonymous_sees_nobody(region):
    assert not persons_visible_to(AnonymousUser()).exists()
