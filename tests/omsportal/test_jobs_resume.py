"""Jobs that stopped are picked up again or closed: by Celery beat every 5 minutes, by ``resume_jobs`` at ``make run``.

One sweeper walks every registered job kind the same way: a job that never reached a worker is dispatched again; a
RUNNING job whose worker is gone (its lock is free: ``kill -9``) or whose progress stood still longer than the limit
is resumed or closed as its kind declares, with the reason in its log; a job out of attempts is closed, never
retried in a loop; and ``resume_jobs`` dispatches without running anything in the foreground.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from omsportal import locks
from omsportal.celery import app
from omsportal.jobs import kinds as kinds_module
from omsportal.jobs.dispatch import child_environment
from omsportal.jobs.kinds import CLOSE, RESUME, JobKind, job_kind, job_kinds
from omsportal.jobs.models import JobStatus
from omsportal.jobs.progress import ProgressWriter
from omsportal.jobs.resume import resume_jobs
from participants.models import Person, RegisterImport
from participants.services.register_import import REGISTER_IMPORT, register_import_create
from screening.models import EventBatch, ListEntry, ListUpload, UploadStatus
from screening.services import list_upload as list_service
from screening.services.events import EVENT_BATCH
from screening.services.list_upload import LIST_UPLOAD
from screening.tasks import list_upload_task
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


def lost_batch(region, *, status=JobStatus.RUNNING) -> EventBatch:
    batch = EventBatch(mo=region.mo1, posted_by=region.mo1_user, original_name="ev.xml", status=status)
    batch.file.save("ev.xml", ContentFile(b"<EVENTS/>"), save=False)
    batch.save()
    return batch


def lost_import(*, status=JobStatus.RUNNING) -> RegisterImport:
    job = register_import_create(file=io.BytesIO(register_xml([pers(1)])), original_name="a.xml", created_by=None)
    RegisterImport.objects.filter(pk=job.pk).update(status=status)
    return job


LOST_JOBS = {LIST_UPLOAD: lambda region: lost_upload(region, status=UploadStatus.RUNNING)}
LOST_JOBS[EVENT_BATCH] = lost_batch
LOST_JOBS[REGISTER_IMPORT] = lambda region: lost_import()


# --- What the sweeper did before the kit, kept -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [UploadStatus.PENDING, UploadStatus.RUNNING])
def test_a_lost_list_upload_is_processed_again(region, status, django_capture_on_commit_callbacks):
    upload = lost_upload(region, status=status)
    with django_capture_on_commit_callbacks(execute=True):
        done = resume_jobs(now=timezone.now() + LATER)[LIST_UPLOAD]
    assert done["dispatched"] + done["resumed"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE and ListEntry.objects.filter(upload=upload).count() == 1


@pytest.mark.django_db
def test_a_fresh_or_finished_upload_is_left_alone(region, django_capture_on_commit_callbacks):
    upload = lost_upload(region)
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_jobs(now=timezone.now())[LIST_UPLOAD]["dispatched"] == 0  # may be on its way
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PENDING
    ListUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.DONE)
    assert resume_jobs(now=timezone.now() + LATER)[LIST_UPLOAD] == {"dispatched": 0, "resumed": 0, "closed": 0}


@pytest.mark.django_db
def test_an_event_batch_whose_worker_is_gone_is_closed_with_a_reason(region):
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status=JobStatus.RUNNING)
    young = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user, status=JobStatus.RUNNING)
    limit = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    EventBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - limit - LATER)
    assert resume_jobs()[EVENT_BATCH]["closed"] == 1
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
        done = resume_jobs(now=timezone.now() + LATER)[REGISTER_IMPORT]
    assert done == {"dispatched": 1, "resumed": 0, "closed": 1}
    job.refresh_from_db()
    dead.refresh_from_db()
    assert job.status == JobStatus.DONE and job.records_loaded == 1
    assert dead.status == JobStatus.FAILED and "ничего не изменено" in dead.message


def test_beat_runs_the_one_sweeper_every_five_minutes():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    sweepers = [entry for entry in schedule.values() if entry["task"] == "omsportal.resume_jobs"]
    assert len(sweepers) == 1 and sweepers[0]["schedule"] <= 300  # one sweeper for every kind of job
    assert tasks <= set(app.tasks)  # the other entries (the nightly obligations run) are registered tasks


# --- Every kind, the same way ------------------------------------------------------------------------------------


def test_every_kind_is_registered_with_its_task_and_lock():
    app.loader.import_default_modules()
    names = {kind.name for kind in job_kinds()}
    assert {LIST_UPLOAD, EVENT_BATCH, REGISTER_IMPORT} <= names
    assert names <= set(app.tasks)  # each kind's task is found by name, as a worker finds it
    spaces = [kind.lock for kind in job_kinds()]
    assert len(set(spaces)) == len(spaces) and set(spaces) <= set(locks.SPACES)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(LOST_JOBS))
def test_every_kind_resumes_or_closes_a_job_whose_worker_is_gone(region, name, django_capture_on_commit_callbacks):
    kind = job_kind(name)
    job = LOST_JOBS[name](region)
    with django_capture_on_commit_callbacks(execute=True):
        done = resume_jobs(now=timezone.now() + LATER)[name]
    job.refresh_from_db()
    assert job.status != JobStatus.RUNNING
    assert any("обработчик остановился" in entry["text"] for entry in job.log), job.log
    if kind.on_lost == CLOSE:
        assert done["closed"] == 1 and job.status == JobStatus.FAILED and "обработчик остановился" in job.message
    else:
        assert done["resumed"] == 1 and job.status in job.FINISHED_STATUSES and job.attempts == 1


@pytest.mark.django_db
def test_a_kind_registered_later_is_swept_without_changing_the_sweeper(region, monkeypatch):
    ran = []
    future = JobKind(
        name="tests.future_kind",
        model="participants.RegisterImport",
        run=lambda pk, progress: ran.append(pk),
        lock=locks.REGISTER_IMPORT_JOB,
        label="Будущие задания",
        on_lost=CLOSE,
    )
    kinds_module.KINDS.discover()
    monkeypatch.setattr(kinds_module.KINDS, "entries", {future.name: future})
    job = lost_import()
    done = resume_jobs(now=timezone.now() + LATER)
    assert done == {"tests.future_kind": {"dispatched": 0, "resumed": 0, "closed": 1}}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and ran == []


# --- Killed, stuck, failing again and again ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_register_import_killed_with_kill_9_is_closed_not_left_reading(region, tmp_path):
    """The real case: ``import_register`` in its own process, killed mid-file; the job must not say "Чтение файла"
    for ever, and the register is as it was."""
    path = tmp_path / "big.xml"
    path.write_bytes(register_xml([pers(n) for n in range(1, 30_001)]))
    persons_before = Person.objects.count()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_register", str(path)],
        env=child_environment(),
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        job = None
        while time.monotonic() < deadline and child.poll() is None:
            job = RegisterImport.objects.filter(status=JobStatus.RUNNING, message="Чтение файла").first()
            if job is not None:
                break
            time.sleep(0.05)
        assert job is not None, "the import did not start reading in time"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.message == "Чтение файла"  # what the Fund saw for hours
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # PostgreSQL ends the dead client's session (and its lock) within moments
        if resume_jobs(now=timezone.now() + LATER)[REGISTER_IMPORT]["closed"]:
            break
        time.sleep(0.2)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "ничего не изменено" in job.message
    assert any("обработчик остановился" in entry["text"] for entry in job.log)
    assert Person.objects.count() == persons_before


@pytest.mark.django_db
def test_a_job_without_progress_for_longer_than_the_limit_is_treated_as_lost(region, settings):
    settings.OMS_JOB_STALL_SECONDS = 600
    stuck = lost_upload(region, status=UploadStatus.RUNNING)
    moving = lost_upload(region, status=UploadStatus.RUNNING)
    now = timezone.now()
    ListUpload.objects.filter(pk=stuck.pk).update(started_at=now - LATER * 20, progress_at=now - LATER * 4)
    ListUpload.objects.filter(pk=moving.pk).update(started_at=now - LATER * 20, progress_at=now - LATER)
    workers = []
    for upload in (stuck, moving):  # two live workers, each holding its job's lock, one of them in a loop
        worker = connections["default"].copy()
        with worker.cursor() as cursor:
            locks.session_lock(cursor, locks.LIST_UPLOAD_JOB, upload.pk)
        workers.append(worker)
    try:
        done = resume_jobs(now=now, dispatch=lambda name, pk: None)[LIST_UPLOAD]
        assert done == {"dispatched": 0, "resumed": 1, "closed": 0}
        stuck.refresh_from_db()
        moving.refresh_from_db()
        assert stuck.status == UploadStatus.PENDING  # queued again, to run on a fresh worker
        assert any("не продвигалась 12 мин." in entry["text"] for entry in stuck.log), stuck.log
        assert moving.status == UploadStatus.RUNNING and moving.log == []
        # The stuck worker's database session was ended: its transaction can never commit, its lock is free.
        with pytest.raises(Exception), workers[0].cursor() as cursor:
            cursor.execute("SELECT 1")
        with workers[1].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        for worker in workers:
            worker.close()


@pytest.mark.django_db
def test_a_stuck_job_of_a_kind_that_closes_says_why_in_its_message(region, settings):
    settings.OMS_JOB_STALL_SECONDS = 600
    job = lost_import()
    now = timezone.now()
    RegisterImport.objects.filter(pk=job.pk).update(started_at=now - LATER * 20, progress_at=now - LATER * 20)
    worker = connections["default"].copy()
    try:
        with worker.cursor() as cursor:
            locks.session_lock(cursor, locks.REGISTER_IMPORT_JOB, job.pk)
        assert resume_jobs(now=now)[REGISTER_IMPORT]["closed"] == 1
    finally:
        worker.close()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "не продвигалась 60 мин." in job.message and "ничего не изменено" in job.message


@pytest.mark.django_db
def test_a_job_that_keeps_failing_is_not_retried_in_a_loop(region, monkeypatch, settings):
    settings.OMS_JOB_MAX_ATTEMPTS = 3
    upload = lost_upload(region)
    runs = []

    def crash(_upload):
        runs.append(1)
        raise RuntimeError("the worker dies on this file")

    monkeypatch.setattr(list_service, "_after_staging_hook", crash)
    for _redelivery in range(6):
        with contextlib.suppress(RuntimeError):
            list_upload_task(upload.pk)
    assert len(runs) == 3  # three attempts, then no more
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED and upload.attempts == 3
    assert "после 3 попыток" in upload.message
    assert any("попытки исчерпаны" in entry["text"] for entry in upload.log)


@pytest.mark.django_db
def test_a_lost_job_out_of_attempts_is_closed_instead_of_resumed(region, settings, django_capture_on_commit_callbacks):
    settings.OMS_JOB_MAX_ATTEMPTS = 2
    upload = lost_upload(region, status=UploadStatus.RUNNING)
    ListUpload.objects.filter(pk=upload.pk).update(attempts=2)
    with django_capture_on_commit_callbacks(execute=True):
        done = resume_jobs(now=timezone.now() + LATER)[LIST_UPLOAD]
    assert done == {"dispatched": 0, "resumed": 0, "closed": 1}
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED and "после 2 попыток" in upload.message
    assert "обработчик остановился" in upload.message and not ListEntry.objects.exists()


# --- make run ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_dispatches_and_returns_at_once(region, settings):
    """``make run`` calls resume_jobs before the server: it must hand old jobs to other processes, not run them."""
    settings.OMS_INPROCESS_JOBS = True  # make run: no broker, no beat
    upload = lost_upload(region)
    out = io.StringIO()
    started = time.monotonic()
    call_command("resume_jobs", "--now", stdout=out)
    returned_after = time.monotonic() - started
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PENDING  # not run here: the command did not wait for it
    assert returned_after < 5, returned_after
    assert "Загрузки списков: запущено повторно 1" in out.getvalue()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and upload.status != UploadStatus.DONE:
        time.sleep(0.2)
        upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE  # done by the process the command started


# --- The progress writer ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_moves_progress_at_only_when_the_values_change(region):
    upload = lost_upload(region, status=UploadStatus.RUNNING)
    writer = ProgressWriter(ListUpload, upload.pk)
    try:
        writer.write(records_read=10)
        upload.refresh_from_db()
        first = upload.progress_at
        assert upload.records_read == 10 and first is not None
        time.sleep(0.05)
        writer.write(records_read=10)  # the same values: the job stands still
        upload.refresh_from_db()
        assert upload.progress_at == first
        writer.write(records_read=11)
        upload.refresh_from_db()
        assert upload.progress_at > first
        writer.log("Шаг")
        upload.refresh_from_db()
        assert upload.log[-1]["text"] == "Шаг"
    finally:
        writer.close()


def test_the_kinds_declare_resume_or_close():
    assert {kind.on_lost for kind in job_kinds()} <= {RESUME, CLOSE}
    with pytest.raises(ValueError):
        JobKind(name="x", model="a.B", run=lambda *a: None, lock=locks.LIST_UPLOAD_JOB, label="x", on_lost="retry")


@pytest.mark.django_db
def test_the_job_page_shows_the_log_with_the_reason(client, region):
    from django.urls import reverse

    job = lost_import()
    resume_jobs(now=timezone.now() + LATER)
    client.force_login(region.fund_user)
    page = client.get(reverse("register:detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-log"' in page and "Прервано: обработчик остановился; закрыто" in page
