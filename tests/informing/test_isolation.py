"""Role isolation of informing with the shared base (tests/scoping_base): every page and endpoint that names an SMO's
object is tried as its owner, the Fund, the other roles of the SMO, an MO, the Ministry and another SMO's level 2;
every write is refused to whoever may not make it, and leaves nothing behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from informing.models import BatchStatus, InformingFact, InformUpload, OptOut, VersionStatus
from informing.services import opt_out_record
from informing.services.batches import batch_create, batch_send
from informing.services.texts import template_create, version_submit
from informing.services.uploads import inform_upload_create
from tests.factories import insured_person
from tests.informing.helpers import accepted_upload, approved, entry, record_fact
from tests.scoping_base import as_user, assert_scoped, assert_statuses

pytestmark = pytest.mark.django_db
D = datetime.date
ON = D(2026, 4, 1)




@pytest.fixture
def owned(region):
    """SMO 1's objects: a text, a sent batch (SMS, post, phone; assigned to its level 1), a fact, an INFORM upload
    with a protocol, an opt-out, persons due an invitation."""
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    people = [
        insured_person(smo=region.smo1, mo=region.mo1, first_name="Анна", phone="+7 914 111-22-33"),
        insured_person(smo=region.smo1, mo=region.mo1, first_name="Вера", address="г. Хабаровск, ул. Ленина, 1"),
        insured_person(smo=region.smo1, mo=region.mo1, first_name="Глеб", phone="+7 914 444-55-66"),
    ]
    for n, person in enumerate(people, start=1):
        entry(upload, person, smo=region.smo1, month=5, n=n)
    sms = approved(region, "SMS", "{имя_отчество}, ждём вас")
    post = approved(region, "POST", "Уважаемая(ый) {имя_отчество}!")
    batch = batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2, arms=[{"SMS": sms.pk,
                         "POST": post.pk}], on=ON, run_async=False, assigned_to=region.smo1_l1)  # fmt: skip
    assert batch.status == BatchStatus.DONE, batch.message
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    pending = batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2, arms=[{"SMS": sms.pk}],
                           on=ON, run_async=False)  # fmt: skip
    record_fact(region.smo1, region.p1, date=D(2026, 3, 2), ref="iso-1")
    day = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    content = (f"N_ZAP;ENP;KIND;CHANNEL;DATE;RESULT;REF;AGENT\r\n1;{region.p1.enp};INVITE;SMS;{day};DELIVERED;m;a\r\n"
               f"2;{region.p1.enp};WHAT;SMS;{day};DELIVERED;m;a\r\n").encode()  # fmt: skip
    inform = inform_upload_create(smo=region.smo1, file=ContentFile(content, name="inform.csv"),
                                  original_name="inform.csv", uploaded_by=region.smo1_l2, run_async=False)  # fmt: skip
    inform.refresh_from_db()
    assert inform.errors, "the upload needs a protocol of a bad record"
    opted = insured_person(smo=region.smo1, mo=region.mo1, first_name="Дарья")
    opt_out_record(person=opted, acting_user=region.smo1_l2)
    draft = template_create(smo=region.smo1, kind="REMIND", channel="SMS", name="to approve", body="{имя_отчество}",
                            created_by=region.smo1_l2)  # fmt: skip
    submitted = draft.versions.get()
    version_submit(version=submitted, user=region.smo1_l2)
    return {
        "template": sms.template, "batch": batch, "pending": pending,
        "fact": InformingFact.objects.get(reference="iso-1"), "upload": inform, "opted": opted, "draft": draft,
        "submitted": submitted, "people": people,
    }  # fmt: skip


def outsiders(region):
    """Who has no business with SMO 1's informing at all: an MO, the Ministry, another SMO's level 2."""
    return [region.mo1_user, region.ministry_user, region.smo2_l2]


def test_another_smo_and_other_roles_cannot_open_smo1s_informing_objects(client, region, owned):
    readers = [region.smo1_l2, region.smo1_l3, region.fund_user]
    pages = [
        reverse("informing:text", args=[owned["template"].pk]),
        reverse("informing:upload", args=[owned["upload"].pk]),
        reverse("informing:upload", args=[owned["upload"].pk]) + "?page=1",  # the protocol's pages
    ]
    for url in pages:
        assert_scoped(client, url, allowed_users=readers, denied_users=[*outsiders(region), region.smo1_l1])
    # The due page and its drill-down, the effectiveness page: another SMO's are 404, not one's own under its name.
    smo1 = f"?smo={region.smo1.pk}"
    for name in ("informing:due", "informing:due_persons", "informing:effectiveness", "informing:effectiveness_report"):
        assert_scoped(client, reverse(name) + smo1, allowed_users=readers,
                      denied_users=[*outsiders(region), region.smo1_l1])  # fmt: skip
    # Batch files: SMO 1's readers, the assigned level 1 the phone list only; everyone else 404.
    batch = owned["batch"]
    for fmt in ("sms", "letters", "mailing"):
        assert_scoped(client, reverse("informing:batch_file", args=[batch.pk, fmt]), allowed_users=readers,
                      denied_users=[*outsiders(region), region.smo1_l1])  # fmt: skip
    assert_scoped(client, reverse("informing:batch", args=[batch.pk]), allowed_users=[*readers, region.smo1_l1],
                  denied_users=outsiders(region))  # fmt: skip
    # The opt-outs: a page of SMO 1's insured; another SMO's level 2 gets its own page without SMO 1's person.
    responses = assert_scoped(client, reverse("informing:optouts"), allowed_users=[*readers, region.smo2_l2],
                              denied_users=[region.mo1_user, region.ministry_user, region.smo1_l1])  # fmt: skip
    assert owned["opted"].full_name in responses[region.smo1_l2].content.decode()
    assert owned["opted"].full_name not in responses[region.smo2_l2].content.decode()
    due = assert_scoped(client, reverse("informing:due_persons") + "?kind=INVITE&on=2026-04-01",
                        allowed_users=[region.smo1_l2, region.smo2_l2])  # fmt: skip
    assert owned["people"][0].full_name in due[region.smo1_l2].content.decode()
    assert owned["people"][0].full_name not in due[region.smo2_l2].content.decode()


def test_another_smo_and_other_roles_cannot_read_smo1s_facts_and_uploads_through_the_api(region, owned):
    api = APIClient()

    def getter(url):
        def fetch(user):
            api.force_authenticate(user)
            return api.get(url)

        return fetch

    for url in (f"/api/v1/informing/facts/{owned['fact'].pk}/", f"/api/v1/informing/uploads/{owned['upload'].pk}/"):
        assert_scoped(None, getter(url), allowed_users=[region.smo1_l2, region.smo1_l3, region.fund_user],
                      denied_users=[region.smo2_l2])  # fmt: skip
        # Roles that do not read informing at all are refused the endpoint itself.
        assert_statuses(None, getter(url), [(403, [region.mo1_user, region.ministry_user, region.smo1_l1])])
    listing = getter("/api/v1/informing/facts/")
    api.force_authenticate(region.smo2_l2)
    assert listing(region.smo2_l2).json()["count"] == 0


def test_batch_send_and_cancel_are_refused_to_whoever_may_not_make_them(client, region, owned):
    pending = owned["pending"]
    url = reverse("informing:batch", args=[pending.pk])
    for action in ("send", "cancel"):
        assert_statuses(client, as_user(client, url, method="post", data={"action": action}), [
            (403, [region.smo1_l1, region.smo1_l3, region.fund_user]),
            (404, outsiders(region)),
        ])  # fmt: skip
    pending.refresh_from_db()
    assert pending.status == BatchStatus.DONE and pending.sent_at is None
    # Level 1 is refused even the batch assigned to it.
    assigned = as_user(client, reverse("informing:batch", args=[owned["batch"].pk]), method="post",
                       data={"action": "cancel"})  # fmt: skip
    assert_statuses(client, assigned, [(403, [region.smo1_l1])])
    # The owner may.
    assert_statuses(client, as_user(client, url, method="post", data={"action": "cancel"}), [(302, [region.smo1_l2])])
    pending.refresh_from_db()
    assert pending.status == BatchStatus.CANCELLED


def test_an_opt_out_is_refused_to_whoever_may_not_record_it(client, region, owned):
    person = owned["people"][0]
    data = {"enp": person.enp, "action": "optout", "note": ""}
    post = as_user(client, reverse("informing:optouts"), method="post", data=data)
    results = assert_statuses(client, post, [
        (403, [region.smo1_l3, region.fund_user]),
        (404, [region.mo1_user, region.ministry_user, region.smo1_l1]),
        (400, [region.smo2_l2]),  # SMO 2 does not insure the person: a form error, the same as for no such ENP
    ])  # fmt: skip
    assert "не застраховано в вашей СМО" in results[region.smo2_l2].content.decode()
    wrong = as_user(client, reverse("informing:optouts"), method="post",
                    data={"enp": person.enp, "action": "wrong_PHONE", "note": ""})  # fmt: skip
    assert_statuses(client, wrong, [(400, [region.smo2_l2]), (404, [region.mo1_user])])
    assert not OptOut.objects.filter(person=person).exists()
    person.refresh_from_db()
    assert person.phone and not person.informing_opt_out


def test_an_inform_upload_is_refused_to_whoever_may_not_post_facts(client, region, owned):
    before = InformUpload.objects.count()

    def browser(user):
        client.logout()
        client.force_login(user)
        file = ContentFile(b"N_ZAP;ENP;KIND;CHANNEL;DATE;RESULT;REF;AGENT\r\n", name="inform.csv")
        return client.post(reverse("informing:facts"), {"kind": "INFORM", "file": file})

    assert_statuses(client, browser, [(403, [region.smo1_l3, region.fund_user]),
                                      (404, [region.mo1_user, region.ministry_user, region.smo1_l1])])  # fmt: skip
    api = APIClient()

    def through_api(user):
        api.force_authenticate(user)
        file = ContentFile(b"N_ZAP;ENP;KIND;CHANNEL;DATE;RESULT;REF;AGENT\r\n", name="inform.csv")
        return api.post("/api/v1/informing/uploads/", {"kind": "INFORM", "file": file}, format="multipart")

    def json_facts(user):
        api.force_authenticate(user)
        return api.post("/api/v1/informing/facts/", {"facts": []}, format="json")

    refused = [region.smo1_l1, region.smo1_l3, region.mo1_user, region.ministry_user, region.fund_user]
    assert_statuses(None, through_api, [(403, refused)])
    assert_statuses(None, json_facts, [(403, refused)])
    assert InformUpload.objects.count() == before


def test_text_approval_is_the_funds_only(client, region, owned):
    version = owned["submitted"]
    url = reverse("informing:text", args=[owned["draft"].pk])
    for action in ("approve", "return"):
        post = as_user(client, url, method="post", data={"action": action, "version": version.pk, "comment": "x"})
        assert_statuses(client, post, [
            (403, [region.smo1_l2, region.smo1_l3]),
            (404, [region.smo1_l1, region.mo1_user, region.ministry_user, region.smo2_l2]),
        ])  # fmt: skip
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    # Nor may anyone but the owner's level 2 change or submit the text.
    edit = as_user(client, url, method="post", data={"action": "save", "body": "{имя_отчество}!"})
    assert_statuses(client, edit, [(403, [region.smo1_l3, region.fund_user]), (404, [region.smo2_l2])])
    assert owned["draft"].versions.count() == 1
    post = as_user(client, url, method="post", data={"action": "approve", "version": version.pk})
    assert_statuses(client, post, [(302, [region.fund_user])])
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED


def test_an_mo_sees_counts_of_informed_persons_on_its_lists_and_no_contacts(client, region, owned):
    record_fact(region.smo1, owned["people"][0], date=D(2026, 4, 2), ref="iso-2")
    url = reverse("informing:counts") + "?year=2026"
    responses = assert_scoped(client, url, allowed_users=[region.mo1_user, region.ministry_user, region.fund_user])
    page = responses[region.mo1_user].content.decode()
    assert 'data-testid="informed-counts"' in page and region.mo1.code in page
    for person in (region.p1, *owned["people"]):
        for value in (person.enp, person.last_name, person.phone, person.address):
            if value:
                assert value not in page
    other = assert_scoped(client, url, allowed_users=[region.mo2_user])[region.mo2_user].content.decode()
    assert region.mo1.code not in other  # MO 2 has no informed persons on its lists
    for name in (
        "informing:due",
        "informing:facts",
        "informing:optouts",
        "informing:texts",
        "informing:batches",
        "informing:effectiveness",
    ):
        assert_scoped(client, reverse(name), denied_users=[region.mo1_user])


def test_a_new_text_and_the_preview_are_refused_to_whoever_may_not_write_texts(client, region, owned):
    from informing.models import Template

    count = Template.objects.count()
    data = {"kind": "INVITE", "channel": "SMS", "name": "x", "subject": "", "body": "{имя_отчество}"}
    create = as_user(client, reverse("informing:texts"), method="post", data=data)
    assert_statuses(
        client,
        create,
        [(403, [region.smo1_l3, region.fund_user]), (404, [region.smo1_l1, region.mo1_user, region.ministry_user])],
    )
    assert Template.objects.count() == count
    preview = as_user(client, reverse("informing:text_preview", args=[owned["template"].pk]), method="post",
                      data={"body": "{имя_отчество}"})  # fmt: skip
    assert_statuses(client, preview, [
        (200, [region.smo1_l2, region.fund_user]),
        (403, [region.smo1_l3]),
        (404, [region.smo2_l2, region.smo1_l1, region.mo1_user, region.ministry_user]),
    ])  # fmt: skip
