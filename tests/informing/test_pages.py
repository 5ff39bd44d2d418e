"""Paths of informing that had no test: the due page and its drill-down (scoping, audit, filters, overdue in red),
an INFORM upload in the browser and through POST /api/v1/informing/uploads/, what the letters PDF and the phone
list hold."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from informing.formats.batchfiles import letters_pdf, phone_list_xlsx
from informing.models import Batch, BatchStatus, InformingFact, InformUpload
from informing.services.batches import batch_create, batch_send
from omsportal.models import AuditAction, AuditLog
from tests.factories import MOFactory, insured_person
from tests.informing.helpers import accepted_upload, approved, entry

pytestmark = pytest.mark.django_db
D = datetime.date




@pytest.fixture
def due(region):
    """On 20 April 2026: two persons of MO 1 due an invitation of Q2 by 14 April (overdue), one of MO 3 in Q1 by the
    Q1 deadline (overdue too), one of SMO 2 (never on SMO 1's pages)."""
    mo3 = MOFactory(code="270003")
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    upload3 = accepted_upload(mo3, region.mo1_user, year=2026, accepted=D(2026, 4, 13))
    people = [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Сидорова{n}") for n in range(2)]
    for n, person in enumerate(people, start=1):
        entry(upload, person, smo=region.smo1, month=5, n=n)
    q1 = insured_person(smo=region.smo1, mo=mo3, last_name="Кузнецова")
    entry(upload3, q1, smo=region.smo1, month=2, n=1)
    entry(upload, region.p2, smo=region.smo2, month=5, n=9)
    return {"people": people, "q1": q1, "mo3": mo3}


def test_the_due_page_counts_per_kind_mo_and_deadline_with_the_overdue_in_red(client, region, due):
    client.force_login(region.smo1_l2)
    page = client.get(reverse("informing:due"), {"on": "2026-04-20"}).content.decode()
    # Q2: the 10th working day of April 2026 is 14 April; Q1 of MO 3: 10 working days after 13 April, 27 April.
    rows = re.findall(r'<tr( class="table-danger")?>(.*?)</tr>', page, re.S)
    overdue = [body for red, body in rows if red]
    assert len(overdue) == 1 and "14.04.2026" in overdue[0] and 'class="text-danger fw-semibold"' in overdue[0]
    assert any("27.04.2026" in body and not red for red, body in rows)
    assert "просрочено" in page
    # The drill-down links carry the kind, MO, deadline and day.
    assert f"kind=INVITE&amp;mo={region.mo1.pk}&amp;deadline=2026-04-14&amp;on=2026-04-20" in page


def test_the_drill_down_is_scoped_filtered_paginated_and_audited(client, region, due):
    url = reverse("informing:due_persons")
    client.force_login(region.smo1_l2)
    base = {"kind": "INVITE", "on": "2026-04-20"}
    page = client.get(url, base).content.decode()
    names = [p.last_name for p in due["people"]] + ["Кузнецова"]
    assert all(name in page for name in names) and region.p2.full_name not in page
    # Overdue shown red, the rest not.
    cells = re.findall(r"<td( class=\"text-danger fw-semibold\")?>(\d\d\.\d\d\.2026)</td>", page)
    assert sorted(cells) == [("", "27.04.2026"), (' class="text-danger fw-semibold"', "14.04.2026"),
                             (' class="text-danger fw-semibold"', "14.04.2026")]  # fmt: skip
    # Filters: by MO, by deadline, overdue only.
    by_mo = client.get(url, {**base, "mo": due["mo3"].pk}).content.decode()
    assert "Кузнецова" in by_mo and due["people"][0].last_name not in by_mo
    by_deadline = client.get(url, {**base, "deadline": "2026-04-14"}).content.decode()
    assert "Кузнецова" not in by_deadline and due["people"][1].last_name in by_deadline
    overdue = client.get(url, {**base, "overdue": "1"}).content.decode()
    assert "Кузнецова" not in overdue and all(p.last_name in overdue for p in due["people"])
    # The read is audited with the persons shown, and the query.
    entry = AuditLog.objects.filter(user=region.smo1_l2, action=AuditAction.LIST).order_by("-pk").first()
    assert entry is not None
    assert sorted(entry.person_ids) == sorted(p.pk for p in due["people"])
    assert entry.query == {"kind": "INVITE", "on": "2026-04-20", "overdue": "1"}
    # Another SMO sees none of these; the Fund picks the SMO.
    client.force_login(region.smo2_l2)
    other = client.get(url, base).content.decode()
    assert not any(name in other for name in names)
    client.force_login(region.fund_user)
    fund = client.get(url, {**base, "smo": region.smo1.pk}).content.decode()
    assert all(name in fund for name in names)


def test_the_drill_down_paginates(client, region, due, monkeypatch):
    from informing.views import due as due_views

    monkeypatch.setattr(due_views, "PAGE_SIZE", 2)
    client.force_login(region.smo1_l2)
    url = reverse("informing:due_persons")
    first = client.get(url, {"kind": "INVITE", "on": "2026-04-20"})
    second = client.get(url, {"kind": "INVITE", "on": "2026-04-20", "page": 2})
    assert len(first.context["lines"]) == 2 and len(second.context["lines"]) == 1
    shown = {line["person"].pk for line in first.context["lines"]} | {line["person"].pk for line in
                                                                       second.context["lines"]}  # fmt: skip
    assert shown == {*(p.pk for p in due["people"]), due["q1"].pk}


def inform_csv(*rows) -> bytes:
    lines = ["N_ZAP;ENP;KIND;CHANNEL;DATE;RESULT;REF;AGENT"] + [";".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_an_inform_upload_in_the_browser_gives_facts_and_a_protocol(client, region, django_capture_on_commit_callbacks):
    day = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    content = inform_csv(("1", region.p1.enp, "INVITE", "SMS", day, "DELIVERED", "web-1", "smo1_l2"),
                         ("2", region.p1.enp, "WHAT", "SMS", day, "DELIVERED", "web-2", "smo1_l2"))  # fmt: skip
    client.force_login(region.smo1_l2)
    with django_capture_on_commit_callbacks(execute=True):  # the job starts after the upload's commit
        response = client.post(reverse("informing:facts"),
                               {"kind": "INFORM", "file": ContentFile(content, name="inform.csv")})  # fmt: skip
    upload = InformUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("informing:upload", args=[upload.pk])
    upload.refresh_from_db()
    assert upload.smo_id == region.smo1.pk and upload.is_finished
    assert list(InformingFact.objects.values_list("person_id", "reference")) == [(region.p1.pk, "web-1")]
    page = client.get(response["Location"]).content.decode()
    assert "inform.csv" in page and "KIND" in page  # the protocol names the record's field
    assert [(e["n"], e["field"]) for e in upload.errors] == [(2, "KIND")]
    # A form error, not a crash: no file.
    assert client.post(reverse("informing:facts"), {"kind": "INFORM"}).status_code == 400


def test_post_api_informing_uploads(region, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(region.smo1_l2)
    day = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    content = inform_csv(("1", region.p1.enp, "INVITE", "POST", day, "DELIVERED", "api-1", "smo1_l2"),
                         ("2", region.p2.enp, "INVITE", "POST", day, "DELIVERED", "api-2", "smo1_l2"))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        file = ContentFile(content, name="i.csv")
        response = api.post("/api/v1/informing/uploads/", {"kind": "INFORM", "file": file}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    upload = InformUpload.objects.get(pk=body["id"])
    assert upload.smo_id == region.smo1.pk and upload.created_by_id == region.smo1_l2.pk
    assert list(InformingFact.objects.values_list("reference", flat=True)) == ["api-1"]  # p2 is SMO 2's insured
    detail = api.get(f"/api/v1/informing/uploads/{upload.pk}/").json()
    assert detail["errors"] and detail["errors"][0]["field"] == "ENP"
    # No file: a 400 with the field named.
    bad = api.post("/api/v1/informing/uploads/", {"kind": "INFORM"}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()


@pytest.fixture
def sent_batch(region):
    """A sent batch: a letter to Вера (address) and a call to Глеб (phone)."""
    upload = accepted_upload(region.mo1, region.mo1_user, year=2026, accepted=D(2025, 12, 20))
    vera = insured_person(smo=region.smo1, mo=region.mo1, last_name="Орлова", first_name="Вера",
                          patronymic="Павловна", address="680000, г. Хабаровск, ул. Ленина, д. 1, кв. 2")  # fmt: skip
    gleb = insured_person(smo=region.smo1, mo=region.mo1, last_name="Соколов", first_name="Глеб",
                          patronymic="Ильич", sex=1, phone="+7 914 444-55-66")  # fmt: skip
    entry(upload, vera, smo=region.smo1, month=5, n=1)
    entry(upload, gleb, smo=region.smo1, month=5, n=2)
    arms = [{"POST": approved(region, "POST", "Уважаемая(ый) {имя_отчество}! Приглашаем на диспансеризацию.").pk,
             "PHONE": approved(region, "PHONE", "Здравствуйте, {имя_отчество}! Звоним из СМО.").pk}]  # fmt: skip
    batch = batch_create(smo=region.smo1, kind="INVITE", created_by=region.smo1_l2, arms=arms, on=D(2026, 4, 1),
                         run_async=False, assigned_to=region.smo1_l1)  # fmt: skip
    assert batch.status == BatchStatus.DONE, batch.message
    batch_send(batch=batch, user=region.smo1_l2, run_async=False)
    batch.refresh_from_db()
    return {"batch": batch, "vera": vera, "gleb": gleb}


def written(writer, batch) -> bytes:
    out = io.BytesIO()
    writer(batch, out)
    return out.getvalue()


def test_the_letters_pdf_holds_each_persons_name_and_address_block(region, sent_batch):
    batch: Batch = sent_batch["batch"]
    reader = PdfReader(io.BytesIO(written(letters_pdf, batch)))
    assert len(reader.pages) == 1  # one letter: Глеб is called, not written to
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Орлова Вера Павловна" in text
    assert "680000, г. Хабаровск, ул. Ленина, д. 1, кв. 2" in text
    assert "Уважаемая(ый) Вера Павловна! Приглашаем на диспансеризацию." in text
    assert region.smo1.name in text  # the sender's block
    assert "Соколов" not in text


def test_the_phone_list_holds_the_persons_to_call_with_their_phone_and_script(client, region, sent_batch):
    batch = sent_batch["batch"]
    rows = list(openpyxl.load_workbook(io.BytesIO(written(phone_list_xlsx, batch))).active.iter_rows(values_only=True))
    assert rows[0] == ("№ звонка", "ФИО", "ЕНП", "Телефон", "МО", "Сценарий")
    gleb = sent_batch["gleb"]
    # The phone as the person's record has it: a text cell with the quote prefix, shown as written (omsportal.exports).
    assert [r[1:] for r in rows[1:]] == [
        ("Соколов Глеб Ильич", gleb.enp, "+7 914 444-55-66", region.mo1.code,
         "Здравствуйте, Глеб Ильич! Звоним из СМО.")
    ]  # fmt: skip
    # The assigned level-1 operator downloads it (and only it); the download is audited.
    client.force_login(region.smo1_l1)
    response = client.get(reverse("informing:batch_file", args=[batch.pk, "phone"]))
    assert response.status_code == 200
    downloaded = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert list(downloaded.iter_rows(values_only=True)) == rows
    assert client.get(reverse("informing:batch_file", args=[batch.pk, "letters"])).status_code == 404
    log = AuditLog.objects.get(user=region.smo1_l1, action=AuditAction.EXPORT)
    assert log.person_ids == [gleb.pk]
