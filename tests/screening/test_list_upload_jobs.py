"""The list upload as a job: re-upload replaces atomically, repeated and crashed runs are idempotent, concurrent uploads
are serialized, a dead worker's job can be taken over, progress is visible while the job runs."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from omsportal.jobs.runner import claim_job
from omsportal.locks import LIST_UPLOAD_JOB
from screening.models import (
    EntryState,
    EventBatch,
    ListEntry,
    ListUpload,
    ProtocolError,
    StageEvent,
    UploadStatus,
)
from screening.services import list_upload as service
from screening.services.list_upload import LIST_UPLOAD, list_upload_create, list_upload_process
from screening.tasks import list_upload_task
from tests.factories import insured_person
from tests.screening.factories import codes_of, next_year, rec, upload, zl_list_xml


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(region):
    return [insured_person(smo=region.smo1, mo=region.mo1, last_name=f"Лицо{i}") for i in range(6)]


def pending(region, content: bytes, name="PROF_M270001_2701.xml") -> ListUpload:
    from django.core.files.base import ContentFile

    u = ListUpload(mo=region.mo1, original_name=name, uploaded_by=region.mo1_user)
    u.file.save(name, ContentFile(content), save=False)
    u.save()
    return u


def work_tables() -> int:
    """Temporary work tables of the list pipeline (staging, scr_*) still present in this session."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'scr%%' AND relpersistence = 't'"
            " AND pg_table_is_visible(oid)"
        )
        return cursor.fetchone()[0]


def entries():
    return set(ListEntry.objects.values_list("person_id", "measure", "month", "upload_id"))


def protocol(u):
    return sorted(ProtocolError.objects.filter(upload=u).values_list("n_zap", "code", "field", "comment", "measure"))


# --- Replacement ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reupload_replaces_the_list_and_keeps_the_history(region, people):
    first = upload(region, zl_list_xml([rec(people[0], 1, month=2), rec(people[1], 2, month=2), rec(region.p2, 3)]))
    ListEntry.objects.filter(person=people[0]).update(state=EntryState.STARTED)  # an event already posted
    second = upload(region, zl_list_xml([rec(people[0], 1, month=5), rec(people[2], 2, month=6)]))
    assert entries() == {(people[0].pk, "DVN", 5, second.pk), (people[2].pk, "DVN", 6, second.pk)}
    # The person who stays keeps the entry and its stage state.
    assert ListEntry.objects.get(person=people[0]).state == EntryState.STARTED
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert codes_of(first) == {(3, 401)} and codes_of(second) == set()  # history with protocols stays
    assert ListUpload.objects.filter(mo=region.mo1).count() == 2


@pytest.mark.django_db
def test_a_reupload_that_drops_a_person_with_stage_events_keeps_the_events(region, people):
    first = upload(region, zl_list_xml([rec(people[0], 1), rec(people[1], 2)]))
    dropped = ListEntry.objects.get(person=people[0])
    batch = EventBatch.objects.create(mo=region.mo1, posted_by=region.mo1_user)
    event = StageEvent.objects.create(
        batch=batch, mo=region.mo1, person=people[0], entry=dropped, measure="DVN", event="START1",
        date=timezone.localdate(),
    )  # fmt: skip
    kept = ListEntry.objects.get(person=people[1])
    second = upload(region, zl_list_xml([rec(people[1], 1)]))
    assert second.status == UploadStatus.DONE, second.message
    assert set(ListEntry.objects.values_list("person_id", flat=True)) == {people[1].pk}
    event.refresh_from_db()
    assert event.entry_id is None  # the history of the person stays, detached from the list they left
    # The entry that stays is the same row (its events stay attached), now confirmed by the second upload.
    assert ListEntry.objects.get(person=people[1]).pk == kept.pk
    assert first.pk != second.pk


@pytest.mark.django_db
def test_a_reupload_of_an_unchanged_list_rewrites_no_entry(region, people):
    content = zl_list_xml([rec(people[0], 1), rec(people[1], 2, month=4)])
    upload(region, content)
    before = {row[0]: row for row in ListEntry.objects.values_list("id", "month", "upload_id")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM screening_listentry ORDER BY id")
        versions = cursor.fetchall()
    again = upload(region, content)
    assert again.status == UploadStatus.DONE and again.records_written == 2  # both stay on the list
    assert {row[0]: row for row in ListEntry.objects.values_list("id", "month", "upload_id")} == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM screening_listentry ORDER BY id")
        assert cursor.fetchall() == versions  # no new row versions: nothing was rewritten


@pytest.mark.django_db
def test_a_reupload_replaces_only_the_measures_it_carries(region, people):
    dn = [{"DISP": "ДН", "KV": "1", "IDDOKT": "12345678964"}]
    first = upload(region, zl_list_xml([rec(people[0], 1), rec(people[1], 2, measures=dn)]))
    # A whole new DVN list (it removes the whole current one): the MO confirms the replacement.
    second = upload(region, zl_list_xml([rec(people[2], 1)]), confirm_replace=True)
    assert set(ListEntry.objects.values_list("person_id", "measure")) == {(people[1].pk, "DN"), (people[2].pk, "DVN")}
    first.refresh_from_db()
    assert first.is_current and second.is_current  # the first still supplies the DN list
    third = upload(region, zl_list_xml([rec(people[3], 1, measures=dn)]), kind="DN", confirm_replace=True)
    first.refresh_from_db()
    assert not first.is_current and third.is_current
    assert set(ListEntry.objects.values_list("person_id", "measure")) == {(people[3].pk, "DN"), (people[2].pk, "DVN")}


@pytest.mark.django_db
def test_a_quarterly_update_goes_through_the_same_path_and_replaces_the_list(region, people):
    upload(region, zl_list_xml([rec(people[0], 1), rec(people[1], 2)]))
    update = upload(region, zl_list_xml([rec(people[1], 1, month=10), rec(people[4], 2, month=11)]), kind="UPDATE")
    assert update.kind == "UPDATE" and update.status == UploadStatus.DONE
    assert set(ListEntry.objects.values_list("person_id", "month")) == {(people[1].pk, 10), (people[4].pk, 11)}


# --- Idempotency --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_repeated_task_is_idempotent(region, people):
    u = pending(region, zl_list_xml([rec(people[0], 1), rec(region.p2, 2), rec(people[0], 3)]))
    list_upload_task(u.pk)
    once = (entries(), protocol(u))
    list_upload_task(u.pk)  # a redelivery after the job finished: the claim fails, nothing happens
    assert (entries(), protocol(u)) == once
    # Even forced to run again, the processing gives the same list and protocol, without duplicates.
    ListUpload.objects.filter(pk=u.pk).update(status=UploadStatus.RUNNING)
    list_upload_process(upload_id=u.pk)
    assert (entries(), protocol(u)) == once
    assert ProtocolError.objects.filter(upload=u).count() == 2 and ListEntry.objects.count() == 1
    assert work_tables() == 0


@pytest.mark.django_db
def test_a_crash_after_staging_leaves_nothing_and_the_rerun_completes(region, people, monkeypatch):
    previous = upload(region, zl_list_xml([rec(people[5], 1)]))
    content = zl_list_xml([rec(people[0], 1), rec(region.p2, 2), rec(people[1], 3, W="7")])
    u = pending(region, content)
    ListUpload.objects.filter(pk=u.pk).update(replace_confirmed=True)  # it replaces the whole previous list

    def crash(_upload):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(service, "_after_staging_hook", crash)
    assert claim_job(LIST_UPLOAD, u.pk)
    with pytest.raises(RuntimeError):
        list_upload_process(upload_id=u.pk)
    u.refresh_from_db()
    assert u.status == UploadStatus.FAILED
    assert not ProtocolError.objects.filter(upload=u).exists() and work_tables() == 0
    assert entries() == {(people[5].pk, "DVN", 3, previous.pk)}  # the old list is intact

    monkeypatch.setattr(service, "_after_staging_hook", None)
    list_upload_task(u.pk)  # redelivered: the lock is free, so the job is taken over
    u.refresh_from_db()
    assert u.status == UploadStatus.DONE
    assert codes_of(u) == {(2, 401), (3, 102)}
    assert entries() == {(people[0].pk, "DVN", 3, u.pk)}
    clean = upload(region, content)
    assert protocol(clean) == protocol(u)


@pytest.mark.django_db
def test_the_task_runs_through_enqueue_after_commit(region, people, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    with django_capture_on_commit_callbacks(execute=True):
        u = list_upload_create(
            mo=region.mo1,
            file=ContentFile(zl_list_xml([rec(people[0], 1)])),
            original_name="list.xml",
            uploaded_by=region.mo1_user,
        )
    u.refresh_from_db()
    assert u.status == UploadStatus.DONE and u.records_accepted == 1


# --- Claiming --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_running_job_is_taken_over_only_when_its_worker_is_gone(region, people):
    u = pending(region, zl_list_xml([rec(people[0], 1)]))
    assert claim_job(LIST_UPLOAD, u.pk)
    # A live worker holds the upload's advisory lock in its transaction: nobody else may claim.
    worker = connections["default"].copy()
    try:
        with worker.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LIST_UPLOAD_JOB.key, u.pk])
            assert not claim_job(LIST_UPLOAD, u.pk)
            cursor.execute("ROLLBACK")  # the worker dies: PostgreSQL releases its lock
        assert claim_job(LIST_UPLOAD, u.pk)
    finally:
        worker.close()
    list_upload_process(upload_id=u.pk)
    assert ListUpload.objects.get(pk=u.pk).status == UploadStatus.DONE
    assert not claim_job(LIST_UPLOAD, u.pk)  # a finished job is never claimed again


# --- Concurrency and progress ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_mo_and_year_are_serialized(region, people, monkeypatch):
    a = pending(region, zl_list_xml([rec(people[0], 1, month=1), rec(people[1], 2, month=1), rec(people[2], 3)]))
    b = pending(region, zl_list_xml([rec(people[1], 1, month=9), rec(people[3], 2, month=9)]))
    # Either file replaces most of the other's list: both are confirmed replacements here.
    ListUpload.objects.filter(pk__in=[a.pk, b.pk]).update(replace_confirmed=True)
    started = threading.Barrier(2)

    def slow(_upload):
        import time

        time.sleep(0.3)  # widen the window in which the two jobs would interleave

    monkeypatch.setattr(service, "_after_staging_hook", slow)
    failures = []

    def work(upload_id):
        try:
            started.wait()
            list_upload_task(upload_id)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u.pk,)) for u in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == UploadStatus.DONE
    final = set(ListEntry.objects.values_list("person_id", "month", "upload_id"))
    list_a = {(people[0].pk, 1, a.pk), (people[1].pk, 1, a.pk), (people[2].pk, 3, a.pk)}
    list_b = {(people[1].pk, 9, b.pk), (people[3].pk, 9, b.pk)}
    assert final in (list_a, list_b)  # exactly one file's records, never a mix
    winner = a if final == list_a else b
    assert winner.finished_at > (b if winner is a else a).finished_at
    assert [u.is_current for u in (a, b)] == [winner is a, winner is b]
    assert ListEntry.objects.filter(year=next_year()).count() == len(final)


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_another_connection_while_the_job_runs(region, people, monkeypatch):
    u = pending(region, zl_list_xml([rec(p, i) for i, p in enumerate(people, 1)]))
    seen = {}

    def look(_upload):
        other = connections["default"].copy()
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT status, records_read, records_checked, records_total FROM screening_listupload"
                    " WHERE id = %s",
                    [u.pk],
                )
                seen["during"] = cursor.fetchone()
                cursor.execute("SELECT to_regclass('scr_staging') IS NOT NULL")
                seen["staged_visible"] = cursor.fetchone()[0]
        finally:
            other.close()

    monkeypatch.setattr(service, "_after_staging_hook", look)
    list_upload_task(u.pk)
    assert seen["during"] == ("RUNNING", 6, 6, 6)  # read and checked while the file streams
    # The staged records live in the job's own temporary table; the progress counters are visible to all.
    assert seen["staged_visible"] is False
    u.refresh_from_db()
    assert (u.status, u.records_read, u.records_checked, u.records_written) == (UploadStatus.DONE, 6, 6, 6)


@pytest.mark.django_db
def test_a_region_sized_list_refreshes_the_statistics_of_the_lists(region, people, monkeypatch):
    def reltuples() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'screening_listentry'")
            return cursor.fetchone()[0]

    upload(region, zl_list_xml([rec(people[0], 1)]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE screening_listentry")  # a known starting point: one entry
    assert reltuples() == 1
    upload(region, zl_list_xml([rec(p, i) for i, p in enumerate(people[:3], 1)]))  # small: does not pay for it
    assert reltuples() == 1
    monkeypatch.setattr(service, "ANALYZE_LISTS_AFTER", 4)
    upload(region, zl_list_xml([rec(p, i) for i, p in enumerate(people, 1)]))
    assert reltuples() == len(people)  # analyzed in the upload's transaction: the pages plan on the new list
