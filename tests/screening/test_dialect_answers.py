"""Answers in kind: each answer file parses as its MIS reads it and names exactly the rejected records, by their
numbers as sent, with the Russian reason; offered on the protocol page and the API beside FLK_P and XLSX."""

import csv
import io
import re
import zipfile

import pytest
from django.urls import reverse
from lxml import etree
from rest_framework.test import APIClient

from omsportal.models import AuditAction, AuditLog
from screening.formats.answers import answer_for, answer_temp_file
from screening.models import UploadStatus
from tests.screening.factories import rec, upload, zl_list_xml
from tests.screening.promed import perm_zip, pskov_csv, vologda_xml
from tests.screening.test_dialect_perm import IDS, cohort

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def answer_bytes(u) -> bytes:
    answer = answer_for(u)
    assert answer is not None
    with answer_temp_file(u, answer) as handle:
        return handle.read()


def rejected_numbers(u) -> set[int]:
    return set(u.protocol_errors.filter(severity="E").values_list("n_zap", flat=True))


def test_perm_oshib_pr_parses_and_names_exactly_the_rejected_records(region):
    content, name = perm_zip(cohort(region), IDS)
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE
    data = answer_bytes(u)
    assert data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>\r\n')
    root = etree.fromstring(data)
    assert root.tag == "OSHIB_PR"
    assert [child.tag for child in root][:4] == ["VERSION", "DATA", "FNAME", "FNAME_I"]
    assert root.findtext("VERSION") == "1.0"
    # ProMed's import finds the export by FNAME_I: PROF_M<digits>T59…_<YY><MM><N>.
    assert re.match(r"PROF_M[0-9]+T59.*_[0-9]{4}.", root.findtext("FNAME_I"))
    assert "ERR" in root.findtext("FNAME") and "ERR" in answer_for(u).file_name(u)
    problems = root.findall("ZAP_OSHIB")
    numbers = {int(p.findtext("NOMER_Z")) for p in problems}
    assert numbers == rejected_numbers(u) == {IDS[1], IDS[3], IDS[4], IDS[5], IDS[7]}
    for problem in problems:
        assert [child.tag for child in problem] == ["OSHIB", "NOMER_Z", "COMMENT"]
        assert int(problem.findtext("OSHIB")) in (201, 203, 401, 501, 601)
        assert re.search("[а-яА-Я]", problem.findtext("COMMENT"))
    by_number = {int(p.findtext("NOMER_Z")): p.findtext("COMMENT") for p in problems}
    assert "270002" in by_number[IDS[1]]  # 401 names the MO of attachment


def test_vologda_echo_has_every_record_as_sent_with_prov(region):
    records = cohort(region)
    content, name = vologda_xml(records, IDS)
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE and u.dialect == "promed_vologda"
    answer = answer_for(u)
    assert answer.file_name(u).startswith("D-F35-M270001-")
    root = etree.fromstring(answer_bytes(u))
    assert root.findtext("ZGLV/FILENAME") == answer.file_name(u).removesuffix(".xml")
    assert root.findtext("ZGLV/CODE_MO") == "270001"
    zaps = root.findall("ZAP")
    assert [int(z.findtext("N_ZAP")) for z in zaps] == IDS  # every record, in the file's order, as sent
    member = zipfile.ZipFile(io.BytesIO(content)).read(name.replace(".zip", ".xml"))
    sent = etree.fromstring(member).findall("ZAP")
    for echoed, original in zip(zaps, sent, strict=True):
        assert [(c.tag, c.text or "") for c in original] == [(c.tag, c.text or "") for c in echoed][: len(original)]
    rejected = rejected_numbers(u)
    for zap in zaps:
        number = int(zap.findtext("N_ZAP"))
        prov = zap.find("PROV")
        accepted = prov.findtext("ENDR") == "0" and not (prov.findtext("COMENTZ") or "")
        assert accepted == (number not in rejected)
        if accepted:
            assert prov.findtext("SMO") == "27001" and len(prov.findtext("ENP")) == 16
    assert rejected == {IDS[1], IDS[3], IDS[4], IDS[5], IDS[7]}


def test_pskov_echo_is_the_csv_as_sent_with_err(region):
    records = [r for r in cohort(region) if r["N_ZAP"] != "6"]
    content, name = pskov_csv(records)
    u = upload(region, content, name=name)
    assert u.status == UploadStatus.DONE
    answer = answer_for(u)
    assert re.fullmatch(r"OD270001[0-9]{8}\.CSV", answer.file_name(u))
    data = answer_bytes(u)
    assert b"\r" not in data and data.decode("windows-1251")
    sent = list(csv.reader(io.StringIO(zipfile.ZipFile(io.BytesIO(content)).read(name[:-4] + ".csv").decode("cp1251")),
                           delimiter=";"))  # fmt: skip
    echoed = list(csv.reader(io.StringIO(data.decode("windows-1251")), delimiter=";"))
    assert len(echoed) == len(sent) and all(len(row) == 15 for row in echoed)
    for number, (row, original) in enumerate(zip(echoed, sent, strict=True), 1):
        assert row[:13] + row[14:] == original[:13] + original[14:]
        assert (row[13] == "Ок") == (number not in rejected_numbers(u))
    assert all(line.startswith('"') for line in data.decode("windows-1251").splitlines())


def test_the_answer_is_offered_beside_flk_p_on_the_page_and_the_api_and_is_audited(region, client):
    content, name = perm_zip([rec(region.p1, 1), rec(region.p2, 2)], IDS[:2])
    u = upload(region, content, name=name)
    client.force_login(region.mo1_user)
    page = client.get(reverse("screening:upload_detail", args=[u.pk])).content.decode()
    url = reverse("screening:protocol_answer", args=[u.pk])
    assert url in page and 'data-testid="download-xml"' in page and "OSHIB_PR" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    assert "ERR_PROF_M270001T59_" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert [int(n.text) for n in etree.fromstring(body).iter("NOMER_Z")] == [IDS[1]]
    assert AuditLog.objects.filter(action=AuditAction.EXPORT, query__format="answer").exists()
    api = APIClient()
    api.force_authenticate(region.fund_user)
    detail = api.get(f"/api/v1/uploads/{u.pk}/").json()
    assert detail["links"]["answer"].endswith(f"/api/v1/uploads/{u.pk}/answer")
    assert api.get(detail["links"]["answer"]).status_code == 200
    api.force_authenticate(region.mo2_user)
    assert api.get(f"/api/v1/uploads/{u.pk}/answer").status_code == 404


def test_no_answer_for_a_canonical_file_or_a_dialect_without_an_import(region, client):
    u = upload(region, zl_list_xml([rec(region.p1, 1)]))
    assert answer_for(u) is None
    client.force_login(region.mo1_user)
    assert client.get(reverse("screening:protocol_answer", args=[u.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(region.mo1_user)
    assert api.get(f"/api/v1/uploads/{u.pk}/").json()["links"]["answer"] is None
