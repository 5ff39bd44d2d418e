"""Facts in: INFORM files in every format give the same facts; the protocol of bad records; the JSON batch; the
command line; delivery reports."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from informing.formats.inform import RECORD_FIELDS, inform_csv_bytes, inform_xml_bytes
from informing.models import Batch, BatchMessage, ContactCorrection, InformingFact, InformUpload, MessageStatus
from informing.services.uploads import inform_upload_create
from participants.models import Person

pytestmark = pytest.mark.django_db


def records(region):
    day = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    return [
        {"N_ZAP": "1", "ENP": region.p1.enp, "KIND": "INVITE", "CHANNEL": "SMS", "DATE": day, "RESULT": "DELIVERED",
         "REF": "m-1", "AGENT": "smo1_l2"},
        {"N_ZAP": "2", "ENP": region.p1.enp, "KIND": "INVITE", "CHANNEL": "SMS", "DATE": day, "RESULT": "DELIVERED",
         "REF": "m-1", "AGENT": "smo1_l2"},  # the same fact again
        {"N_ZAP": "3", "ENP": region.p1.enp, "KIND": "INVITE", "CHANNEL": "POST", "DATE": day, "RESULT": "DELIVERED",
         "REF": "", "AGENT": ""},  # post: REF and AGENT may be empty
        {"N_ZAP": "4", "ENP": region.p1.enp, "KIND": "WHAT", "CHANNEL": "SMS", "DATE": day, "RESULT": "DELIVERED",
         "REF": "x", "AGENT": "a"},
        {"N_ZAP": "5", "ENP": region.p1.enp[:-1] + str((int(region.p1.enp[-1]) + 1) % 10), "KIND": "INVITE",
         "CHANNEL": "SMS", "DATE": day, "RESULT": "DELIVERED", "REF": "x", "AGENT": "a"},
        {"N_ZAP": "6", "ENP": region.p2.enp, "KIND": "INVITE", "CHANNEL": "PHONE", "DATE": day, "RESULT": "REFUSED",
         "REF": "c-1", "AGENT": "smo1_l2"},  # insured by SMO 2
        {"N_ZAP": "7", "ENP": region.p1.enp, "KIND": "INVITE", "CHANNEL": "SMS", "DATE": "01.02.2026",
         "RESULT": "DELIVERED", "REF": "x", "AGENT": "a"},
    ]  # fmt: skip


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(RECORD_FIELDS))
    for r in rows:
        sheet.append([r.get(f, "") for f in RECORD_FIELDS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(name, content) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, content)
    return out.getvalue()


def load(region, content, name):
    return inform_upload_create(smo=region.smo1, file=ContentFile(content, name=name), original_name=name,
                                uploaded_by=region.smo1_l2, run_async=False)  # fmt: skip


@pytest.mark.parametrize("fmt", ["xml", "csv", "xlsx", "zip"])
def test_inform_files_in_every_format_give_the_same_facts(region, settings, tmp_path, fmt):
    settings.MEDIA_ROOT = tmp_path
    rows = records(region)
    content = {
        "xml": lambda: inform_xml_bytes(smo=region.smo1.code, records=rows),
        "csv": lambda: inform_csv_bytes(rows),
        "xlsx": lambda: xlsx_bytes(rows),
        "zip": lambda: zipped("INFORM.xml", inform_xml_bytes(smo=region.smo1.code, records=rows)),
    }[fmt]()
    upload = load(region, content, f"INFORM.{fmt}")
    assert upload.status == "DONE", upload.message
    assert (upload.records_accepted, upload.records_duplicate, upload.records_rejected) == (2, 1, 4)
    reasons = {e["n"]: e["field"] for e in upload.errors}
    assert reasons == {4: "KIND", 5: "ENP", 6: "ENP", 7: "DATE"}
    facts = set(InformingFact.objects.values_list("person_id", "kind", "channel", "reference", "agent_id"))
    assert facts == {
        (region.p1.pk, "INVITE", "SMS", "m-1", region.smo1_l2.pk),
        (region.p1.pk, "INVITE", "POST", "", region.smo1_l2.pk),
    }  # the uploader when AGENT is empty


def test_another_smos_file_is_refused_whole(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = load(region, inform_xml_bytes(smo=region.smo2.code, records=records(region)), "INFORM.xml")
    assert upload.status == "REJECTED"
    assert "902" in upload.message and region.smo2.code in upload.message
    assert not InformingFact.objects.exists()


def test_a_broken_file_is_refused_whole_with_a_russian_reason(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = load(region, b"<?xml version='1.0'?><INFORM><ZGLV><VERSION>1.0</VERSION>", "INFORM.xml")
    assert upload.status == "REJECTED" and "Файл отклонён" in upload.message
    assert not InformingFact.objects.exists()


def test_the_json_batch_endpoint(region):
    api = APIClient()
    api.force_authenticate(region.smo1_l2)
    response = api.post("/api/v1/informing/facts/", {"facts": records(region)}, format="json")
    assert response.status_code == 201, response.content
    assert (response.data["records_accepted"], response.data["records_rejected"]) == (2, 4)
    assert response.data["errors"][0] == {"n": 4, "field": "KIND", "reason": response.data["errors"][0]["reason"]}
    api.force_authenticate(region.smo1_l3)
    assert api.post("/api/v1/informing/facts/", {"facts": records(region)}, format="json").status_code == 403
    listing = api.get("/api/v1/informing/facts/")
    assert listing.status_code == 200 and listing.data["count"] == 2
    api.force_authenticate(region.smo2_l2)
    assert api.get("/api/v1/informing/facts/").data["count"] == 0


def test_upload_inform_command(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "INFORM.csv"
    path.write_bytes(inform_csv_bytes(records(region)))
    out = io.StringIO()
    call_command("upload_inform", str(path), "--smo", region.smo1.code, stdout=out)
    assert "принято 2, повторных 1, отклонено 4" in out.getvalue()
    assert "запись 7: DATE" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("upload_inform", str(path), "--smo", "99999", stdout=out)


def test_a_delivery_report_gives_facts_and_an_unknown_number_removes_the_phone(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Person.objects.filter(pk=region.p1.pk).update(phone="+79141112233")
    batch = Batch.objects.create(smo=region.smo1, kind="INVITE", year=2026, due_on=timezone.localdate(),
                                 status="SENT", sent_at=timezone.now(), created_by=region.smo1_l2)  # fmt: skip
    m1 = BatchMessage.objects.create(batch=batch, person=region.p1, channel="SMS", address="+79141112233",
                                     status=MessageStatus.SENT)  # fmt: skip
    other = Batch.objects.create(smo=region.smo2, kind="INVITE", year=2026, due_on=timezone.localdate())
    m2 = BatchMessage.objects.create(batch=other, person=region.p2, channel="SMS", status=MessageStatus.SENT)
    when = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    report = (f"MSG_ID;STATUS;STATUS_TIME;ERROR\n{m1.pk};UNKNOWN_NUMBER;{when}T10:00:00;нет абонента\n"
              f"{m2.pk};DELIVERED;{when}T10:00:00;\n999999999;DELIVERED;{when}T10:00:00;\n").encode()  # fmt: skip
    upload = inform_upload_create(smo=region.smo1, file=ContentFile(report, name="dr.csv"), original_name="dr.csv",
                                  uploaded_by=region.smo1_l2, kind="DELIVERY", run_async=False)  # fmt: skip
    assert upload.status == "DONE", upload.message
    assert (upload.records_accepted, upload.records_rejected) == (1, 2)
    assert [e["field"] for e in upload.errors] == ["MSG_ID", "MSG_ID"]  # another SMO's message, an unknown one
    fact = InformingFact.objects.get()
    assert (fact.outcome, fact.reference, fact.message_id) == ("NOT_DELIVERED", str(m1.pk), m1.pk)
    m1.refresh_from_db()
    assert m1.status == MessageStatus.NOT_DELIVERED
    assert Person.objects.get(pk=region.p1.pk).phone == ""
    assert ContactCorrection.objects.get().reason == "UNKNOWN"
    assert InformUpload.objects.count() == 1


def test_the_short_path_for_well_formed_records_gives_what_the_full_checks_give():
    """A well-formed record takes one regular expression and the check digit in bytes operations; every record, good
    or bad, must give the staging row or the (field, reason) that validate_fact and the loader's checks give."""
    import random

    from informing.formats.inform import RawFact, _file_line, fact_chunks, validate_fact
    from informing.services.facts import FactInput, check_fact
    from participants.identifiers import enp_with_check

    today = datetime.date(2026, 11, 23)
    rng = random.Random(12)
    good = enp_with_check("270186551226268")
    choices = {
        "enp": [good, good[:15] + str((int(good[15]) + 1) % 10), good[:15], "27018655122626８", "", " " + good],
        "kind": ["INVITE", "invite", "DN", "WHAT", ""],
        "channel": ["SMS", "POST", "VISIT", "sms", "PIGEON", ""],
        "date": ["2026-11-20", "2026-11-24", "1999-12-31", "2026-02-30", "20.11.2026", "2026-1-20", ""],
        "result": ["DELIVERED", "REFUSED", "refused", "LOST", ""],
        "ref": ["m-1", "", "r" * 100, "r" * 101, "a\tb", "a\\b", "ссылка"],
        "agent": ["smo1_l2", "", "a" * 150, "a" * 151, "агент"],
    }
    fields = ("enp", "kind", "channel", "date", "result", "ref", "agent")
    raws = []
    for n in range(1, 3001):  # a good record with none, one or two fields changed at random
        values = {f: choices[f][0] for f in fields}
        for f in rng.sample(fields, rng.choice((0, 0, 1, 2))):
            values[f] = rng.choice(choices[f])
        raws.append(RawFact(n, *(values[f] for f in fields)))
    expected_lines, expected_rejects = [], []
    for raw in raws:
        checked = validate_fact(raw)
        problem = checked if not isinstance(checked, FactInput) else check_fact(checked, today)
        if problem is None:
            expected_lines.append(_file_line(checked))
        else:
            expected_rejects.append((raw.number, *problem))
    chunks = list(fact_chunks(raws, today=today, size=7))
    assert "".join(c.text for c in chunks) == "".join(expected_lines)
    assert [r for c in chunks for r in c.rejects] == expected_rejects
    assert sum(c.rows for c in chunks) == len(expected_lines) and chunks[-1].read == len(raws)
    assert 100 < len(expected_lines) < len(raws) - 100  # both paths were taken


def test_a_file_loaded_in_many_small_batches_gives_the_same_facts_and_protocol(region, settings, tmp_path,
                                                                                monkeypatch):  # fmt: skip
    """The file job stores and resolves the file batch by batch while the next records are read: batches of two
    records give what one batch gives, and a fact repeated in a later batch is still kept once."""
    from informing.services import facts as service

    settings.MEDIA_ROOT = tmp_path
    rows = [*records(region), dict(records(region)[0], N_ZAP="8")]  # the first fact again, in the last batch

    def run():
        InformingFact.objects.all().delete()
        upload = load(region, inform_xml_bytes(smo=region.smo1.code, records=rows), "INFORM.xml")
        assert upload.status == "DONE", upload.message
        facts = set(InformingFact.objects.values_list("person_id", "kind", "channel", "reference", "agent_id"))
        counts = (upload.records_accepted, upload.records_duplicate, upload.records_rejected)
        return counts, sorted((e["n"], e["field"], e["reason"]) for e in upload.errors), facts

    whole = run()
    monkeypatch.setattr(service, "COPY_CHUNK", 2)
    monkeypatch.setattr(service, "RESOLVE_BATCH", 2)
    import informing.formats.inform as inform

    monkeypatch.setattr(inform, "COPY_CHUNK", 2)
    batched = run()
    assert batched == whole
    assert whole[0] == (2, 2, 4)
