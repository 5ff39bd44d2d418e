"""API of uploads: POST a file → 201 with the status URL; progress and counts; protocol files and rows; isolation."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from omsportal.models import AuditAction, AuditLog
from screening.models import ListUpload, UploadStatus
from tests.scoping_base import assert_read_only, assert_scoped
from tests.screening.test_upload_pages import ERRORS, finished_upload, mixed_list

BASE = "/api/v1/uploads/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def uploads(region):
    region.own = finished_upload(region.mo1, region.mo1_user, errors=ERRORS)
    region.foreign = finished_upload(region.mo2, region.mo2_user)
    return region


def getter(api, url, **params):
    def fetch(user):
        api.force_authenticate(user)
        return api.get(url, params)

    return fetch


@pytest.mark.django_db
class TestRead:
    def test_anonymous_gets_401(self, api, uploads):
        assert api.get(BASE).status_code == 401
        assert api.get(f"{BASE}{uploads.own.pk}/").status_code == 401

    def test_list_is_scoped(self, api, uploads):
        def ids(user):
            api.force_authenticate(user)
            return {row["id"] for row in api.get(BASE).json()["results"]}

        assert ids(uploads.mo1_user) == {uploads.own.pk}
        assert ids(uploads.mo2_user) == {uploads.foreign.pk}
        assert ids(uploads.fund_user) == {uploads.own.pk, uploads.foreign.pk}
        assert ids(uploads.ministry_user) == {uploads.own.pk, uploads.foreign.pk}  # counts, no persons
        assert ids(uploads.smo1_l2) == set()
        assert ids(uploads.smo1_l1) == set()

    def test_detail_owner_reads_outsiders_get_404(self, api, uploads):
        r = uploads
        assert_scoped(
            None,
            getter(api, f"{BASE}{r.own.pk}/"),
            allowed_users=[r.mo1_user, r.fund_user, r.ministry_user],
            denied_users=[r.mo2_user, r.smo1_l1, r.smo1_l2, r.smo1_l3, r.admin_user],
        )

    def test_detail_has_progress_counts_and_links(self, api, uploads):
        api.force_authenticate(uploads.mo1_user)
        body = api.get(f"{BASE}{uploads.own.pk}/").json()
        assert body["status"] == UploadStatus.DONE and body["mo_code"] == "270001"
        assert body["progress"] == {
            "total": 10,
            "read": 10,
            "checked": 10,
            "written": 10,
            "percent": 100,
            "finished": True,
        }
        assert body["counts"] == {
            "total": 10,
            "accepted": 7,
            "rejected": 3,
            "warnings": 0,
            "by_code": {"401": 2, "201": 1},
        }
        assert body["correction"]["required"] is True
        assert body["links"]["status"].endswith(f"{BASE}{uploads.own.pk}/")
        assert body["links"]["protocol_xml"].endswith(f"{BASE}{uploads.own.pk}/protocol.xml")
        assert body["links"]["errors"].endswith(f"{BASE}{uploads.own.pk}/errors/")

    def test_progress_of_a_running_job(self, api, region):
        upload = finished_upload(
            region.mo1,
            region.mo1_user,
            status=UploadStatus.RUNNING,
            records_total=100,
            records_read=100,
            records_checked=50,
            records_written=0,
        )
        api.force_authenticate(region.mo1_user)
        progress = api.get(f"{BASE}{upload.pk}/").json()["progress"]
        assert progress == {"total": 100, "read": 100, "checked": 50, "written": 0, "percent": 50, "finished": False}

    def test_filters(self, api, uploads):
        api.force_authenticate(uploads.fund_user)
        assert [row["id"] for row in api.get(BASE, {"mo": "270002"}).json()["results"]] == [uploads.foreign.pk]
        assert api.get(BASE, {"status": "RUNNING"}).json()["count"] == 0


@pytest.mark.django_db
class TestProtocol:
    def test_errors_paginated_and_filtered_by_code(self, api, uploads):
        api.force_authenticate(uploads.mo1_user)
        body = api.get(f"{BASE}{uploads.own.pk}/errors/", {"code": 401}).json()
        assert body["count"] == 2
        assert [(row["n_zap"], row["code"]) for row in body["results"]] == [(3, 401), (7, 401)]
        assert body["results"][0]["meaning"] == "Прикреплён к другой медицинской организации"
        assert body["results"][0]["comment"] == "Прикреплён к МО 270002"
        page = api.get(f"{BASE}{uploads.own.pk}/errors/", {"page_size": 1, "page": 2}).json()
        assert page["count"] == 3 and len(page["results"]) == 1 and page["results"][0]["n_zap"] == 5

    def test_errors_filter_by_n_zap_and_bad_value(self, api, uploads):
        api.force_authenticate(uploads.mo1_user)
        body = api.get(f"{BASE}{uploads.own.pk}/errors/", {"n_zap": 5}).json()
        assert [row["code"] for row in body["results"]] == [201]
        assert api.get(f"{BASE}{uploads.own.pk}/errors/", {"code": "x"}).status_code == 400

    def test_reading_errors_is_audited(self, api, uploads):
        api.force_authenticate(uploads.fund_user)
        api.get(f"{BASE}{uploads.own.pk}/errors/")
        entry = AuditLog.objects.get()
        assert entry.action == AuditAction.LIST and entry.channel == "api" and entry.person_count == 3

    def test_protocol_endpoints_are_scoped_and_not_for_the_ministry(self, api, uploads):
        r = uploads
        for suffix in ("errors/", "protocol.xml", "protocol.xlsx"):
            assert_scoped(
                None,
                getter(api, f"{BASE}{r.own.pk}/{suffix}"),
                allowed_users=[r.mo1_user, r.fund_user],
                denied_users=[r.mo2_user, r.ministry_user, r.smo1_l2],
            )

    def test_protocol_xml_content_type(self, api, uploads):
        api.force_authenticate(uploads.mo1_user)
        response = api.get(f"{BASE}{uploads.own.pk}/protocol.xml")
        assert response["Content-Type"] == "application/xml"
        assert response.streaming  # from a temporary file, not built in memory
        content = b"".join(response.streaming_content)
        assert b"<FLK_P>" in content and b"<N_ZAP>3</N_ZAP>" in content
        assert AuditLog.objects.get().action == AuditAction.EXPORT

    def test_protocol_xlsx_content_type(self, api, uploads):
        api.force_authenticate(uploads.mo1_user)
        response = api.get(f"{BASE}{uploads.own.pk}/protocol.xlsx")
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        content = b"".join(response.streaming_content)
        assert openpyxl.load_workbook(io.BytesIO(content)).active.max_row >= 4


@pytest.mark.django_db(transaction=True)
class TestCreate:
    def test_mo_uploads_and_gets_201_with_the_status_url(self, api, region):
        api.force_authenticate(region.mo1_user)
        response = api.post(
            BASE,
            {"file": SimpleUploadedFile("PROF_M270001_2701.xml", mixed_list(region)), "kind": "YEARLY"},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        upload = ListUpload.objects.get()
        assert body["id"] == upload.pk and response["Location"] == body["links"]["status"]
        # Eager Celery in tests: the job already ran after the commit.
        status = api.get(body["links"]["status"]).json()
        assert status["status"] == UploadStatus.DONE
        assert status["counts"]["accepted"] == 1 and status["counts"]["rejected"] == 2

    def test_create_is_mo_only(self, api, region):
        def post(user):
            api.force_authenticate(user)
            data = {"file": SimpleUploadedFile("list.xml", mixed_list(region)), "kind": "YEARLY"}
            return api.post(BASE, data, format="multipart")

        assert_read_only(
            None,
            post,
            owners=[region.mo1_user],
            read_only_users=[region.fund_user, region.ministry_user, region.smo1_l2],
            owner_status=201,
        )

    def test_missing_or_wrong_file_is_400(self, api, region):
        api.force_authenticate(region.mo1_user)
        assert api.post(BASE, {"kind": "YEARLY"}, format="multipart").status_code == 400
        response = api.post(BASE, {"file": SimpleUploadedFile("a.exe", b"MZ"), "kind": "YEARLY"}, format="multipart")
        assert response.status_code == 400 and "file" in response.json()
        response = api.post(BASE, {"file": SimpleUploadedFile("a.xml", b"<x/>"), "kind": "WEEKLY"}, format="multipart")
        assert response.status_code == 400 and "kind" in response.json()
        assert not ListUpload.objects.exists()
