"""The Fund's register upload pages: access, upload, live progress, rejected records."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from omsportal.jobs.models import JobStatus
from omsportal.models import AuditAction, AuditLog
from participants.models import Person, RegisterImport
from participants.services.register_import import register_import_create
from participants.views.register import progress_percent
from tests.participants.test_register_import import enp, pers, register_xml
from tests.scoping_base import assert_login_required, assert_scoped


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str = "RS27.xml", *, capture):
    with capture(execute=True):
        return client.post(reverse("register:imports"), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.django_db
class TestAccess:
    def test_only_the_fund_sees_the_pages_others_get_404(self, client, region):
        job = register_import_create(file=io.BytesIO(b"<REGISTER/>"), original_name="a.xml", created_by=None)
        others = [
            region.mo1_user,
            region.smo1_l1,
            region.smo1_l2,
            region.smo1_l3,
            region.ministry_user,
            region.admin_user,
        ]
        for url in (
            reverse("register:imports"),
            reverse("register:detail", args=[job.pk]),
            reverse("register:progress", args=[job.pk]),
        ):
            assert_scoped(client, url, allowed_users=[region.fund_user], denied_users=others)
            assert_login_required(client, url)

    def test_others_cannot_upload(self, client, region, django_capture_on_commit_callbacks):
        client.force_login(region.mo1_user)
        response = upload(client, register_xml([pers(1)]), capture=django_capture_on_commit_callbacks)
        assert response.status_code == 404
        assert not RegisterImport.objects.exists()

    def test_the_menu_shows_the_page_to_the_fund_only(self, client, region):
        client.force_login(region.fund_user)
        assert reverse("register:imports") in client.get(reverse("home")).content.decode()
        client.force_login(region.smo1_l2)
        assert reverse("register:imports") not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
class TestUpload:
    def test_upload_runs_the_job_and_the_detail_shows_counts_and_errors(
        self, client, region, django_capture_on_commit_callbacks
    ):
        client.force_login(region.fund_user)
        data = register_xml([pers(1), pers(2, W="9"), pers(3)])
        response = upload(client, data, capture=django_capture_on_commit_callbacks)
        job = RegisterImport.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("register:detail", args=[job.pk])
        assert job.status == JobStatus.DONE and job.created_by == region.fund_user
        assert Person.objects.filter(enp__in=[enp(1), enp(3)]).count() == 2
        assert AuditLog.objects.get(action=AuditAction.IMPORT).person_count == 2

        page = client.get(response["Location"]).content.decode()
        assert "Завершено" in page or "завершено" in page
        assert 'data-testid="register-errors"' in page
        assert "Пол W должен быть 1" in page and "<td>2</td>" in page
        assert "hx-trigger" not in page  # finished: no more polling

        listing = client.get(reverse("register:imports")).content.decode()
        assert "RS27.xml" in listing and 'data-testid="register-imports"' in listing

    def test_a_rejected_file_says_why_on_the_page(self, client, region, django_capture_on_commit_callbacks):
        client.force_login(region.fund_user)
        bad = b'<?xml version="1.0"?>\n<!DOCTYPE REGISTER [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<REGISTER/>'
        response = upload(client, bad, capture=django_capture_on_commit_callbacks)
        page = client.get(response["Location"]).content.decode()
        assert "DOCTYPE" in page and "Регистр не изменён" in page

    def test_a_file_of_another_type_is_refused_by_the_form(self, client, region, django_capture_on_commit_callbacks):
        client.force_login(region.fund_user)
        response = upload(client, b"a;b", name="register.csv", capture=django_capture_on_commit_callbacks)
        assert response.status_code == 400
        assert "Загрузите файл .xml или .zip" in response.content.decode()
        assert not RegisterImport.objects.exists()

    def test_the_upload_page_has_a_drop_zone(self, client, region):
        client.force_login(region.fund_user)
        page = client.get(reverse("register:imports")).content.decode()
        assert 'id="register-dropzone"' in page and 'enctype="multipart/form-data"' in page
        assert "dataTransfer" in page


@pytest.mark.django_db
class TestProgress:
    def test_a_running_job_is_polled_and_shows_reading_progress(self, client, region):
        job = register_import_create(file=io.BytesIO(b"<REGISTER/>"), original_name="big.xml", created_by=None)
        RegisterImport.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, bytes_total=1000, bytes_read=500, records_read=1234, message="Чтение файла"
        )
        client.force_login(region.fund_user)
        page = client.get(reverse("register:detail", args=[job.pk])).content.decode()
        assert 'hx-trigger="every 1s"' in page and reverse("register:progress", args=[job.pk]) in page
        assert "45%" in page and "1234" in page and "Чтение файла" in page

        partial = client.get(reverse("register:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        assert partial.status_code == 200 and "HX-Refresh" not in partial
        assert "<html" not in partial.content.decode()

    def test_the_poll_reloads_the_page_when_the_job_ends(self, client, region):
        job = register_import_create(file=io.BytesIO(b"<REGISTER/>"), original_name="a.xml", created_by=None)
        RegisterImport.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
        client.force_login(region.fund_user)
        partial = client.get(reverse("register:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        assert partial["HX-Refresh"] == "true"

    def test_percent_reserves_the_end_of_the_bar_for_the_merge(self):
        job = RegisterImport(status=JobStatus.RUNNING, bytes_total=200, bytes_read=100)
        assert progress_percent(job) == 45
        job.bytes_read = 200
        assert progress_percent(job) == 95
        job.status = JobStatus.DONE
        assert progress_percent(job) == 100
        assert progress_percent(RegisterImport(status=JobStatus.PENDING)) == 0

    def test_errors_are_paginated(self, client, region):
        job = register_import_create(file=io.BytesIO(b"<REGISTER/>"), original_name="a.xml", created_by=None)
        errors = [
            {"n_zap": n, "line": n + 2, "field": "ENP", "code": "104", "reason": f"причина {n}"} for n in range(1, 121)
        ]
        RegisterImport.objects.filter(pk=job.pk).update(status=JobStatus.DONE, errors=errors, records_rejected=120)
        client.force_login(region.fund_user)
        url = reverse("register:detail", args=[job.pk])
        first = client.get(url).content.decode()
        assert "причина 50<" in first and "причина 51<" not in first and "стр. 1 из 3" in first
        third = client.get(url, {"page": 3}).content.decode()
        assert "причина 120<" in third and "причина 100<" not in third
