"""Jobs that stopped are picked up again: by Celery beat every 5 minutes, by ``resume_jobs`` at ``make run``."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from omsportal.celery import app
from participants.models import JobStatus, RegisterImport
from participants.services.register_import import register_import_create
from participants.services.stalled import resume_stalled_register_imports
from screening.models import EventBatch, ListEntry, ListUpload, UploadStatus
from screening.services.stalled import resume_stalled_screening_jobs
from tests.factories import insured_person
from tests.participants.test_register_import import pers, register_xml
from tests.screening.factories import rec, zl_list_xml

LATER = datetime.timedelta(minutes=3)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def lost_upload(region, *, status=UploadStatus.PENDING) -> ListUpload:
    """An upload whose task never reached a worker (or whose worker died): the row is all that is left."""
    person = insured_person(smo=region.smo1, mo=region.mo1)
    upload = ListUpload(mo=region.mo1, original_name="PROF.xml", uploaded_by=region.mo1_user, status=status)
    upload.file.save("PROF.xml", ContentFile(zl_list_xml([rec(person, 1)])), save=False)
    upload.save()
    return upload


@pytest.mark.django_db
@pytest.mark.parametrize("status", [UploadStatus.PENDING, UploadStatus.RUNNING])
def test_a_lost_list_upload_is_processed_again(region, status, django_capture_on_commit_callbacks):
    upload = lost_upload(region, status=status)
    with django_capture_on_commit_callbacks(execute=True):
        done = resume_stalled_screening_jobs(now=timezone.now() + LATER)
    assert done["list_uploads"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE and ListEntry.objects.filter(upload=upload).count() == 1


@pytest.mark.django_db
def test_a_fresh_or_finished_upload_is_left_alone(region, django_capture_on_commit_callbacks):
    upload = lost_upload(region)
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_stalled_screening_jobs(now=timezone.now())["list_uploads"] == 0  # may be on its way
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PENDING
    ListUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.DONE)
    assert resume_stalled_screening_jobs(now=timezone.now() + LATER)["list_uploads"] == 0


@pytest.mark.django_db
def test_an_event_batch_whose_worker_is_gone_is_closed_with_a_reason(region):
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status=JobStatus.RUNNING)
    young = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status=JobStatus.RUNNING)
    limit = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    EventBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - limit - LATER)
    assert resume_stalled_screening_jobs()["event_batches_closed"] == 1
    batch.refresh_from_db()
    young.refresh_from_db()
    assert batch.status == JobStatus.FAILED and "Загрузите файл повторно" in batch.message
    assert young.status == JobStatus.RUNNING


@pytest.mark.django_db
def test_a_lost_register_import_is_loaded_and_a_dead_one_closed(region, django_capture_on_commit_callbacks):
    job = register_import_create(file=io.BytesIO(register_xml([pers(1)])), original_name="a.xml", created_by=None)
    dead = register_import_create(file=io.BytesIO(register_xml([pers(2)])), original_name="b.xml", created_by=None)
    limit = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    RegisterImport.objects.filter(pk=dead.pk).update(status=JobStatus.RUNNING, started_at=timezone.now() - limit)
    with django_capture_on_commit_callbacks(execute=True):
        done = resume_stalled_register_imports(now=timezone.now() + LATER)
    assert done == {"register_imports": 1, "register_imports_closed": 1}
    job.refresh_from_db()
    dead.refresh_from_db()
    assert job.status == JobStatus.DONE and job.records_loaded == 1
    assert dead.status == JobStatus.FAILED and "ничего не изменено" in dead.message


@pytest.mark.django_db
def test_the_command_runs_the_lost_jobs_before_returning(region, settings):
    settings.OMS_INPROCESS_JOBS = True  # make run: no broker, no beat
    upload = lost_upload(region)
    out = io.StringIO()
    call_command("resume_jobs", "--now", stdout=out)
    assert "загрузки списков запущены повторно: 1" in out.getvalue()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE


def test_beat_runs_the_sweepers_every_five_minutes():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert tasks == {"participants.resume_stalled_jobs", "screening.resume_stalled_jobs"}
    assert tasks <= set(app.tasks)
    assert all(entry["schedule"] <= 300 for entry in schedule.values())
