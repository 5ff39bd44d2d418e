"""Jobs that stopped without finishing: started again, or closed with a clear message (run by Celery beat).

A job is lost when its task never reached a worker (the broker or the web process went away between the commit and
the dispatch) or when its worker died mid-file. List uploads are safe to repeat and know whether a worker still runs
them (the upload's advisory lock, see list_upload_claim), so a PENDING or RUNNING upload is simply enqueued again:
the claim takes it only when nobody holds it. An event batch that never started is enqueued again; one RUNNING
longer than the hard task time limit has no worker left (Celery killed it) and is closed as failed, since part of a
batch's work (the file reading) is not repeatable from the job row alone.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from omsportal.jobs import DISPATCH_GRACE_SECONDS, enqueue, redispatch
from participants.models import JobStatus
from screening.models import EventBatch, ListUpload, UploadStatus

GRACE = datetime.timedelta(seconds=DISPATCH_GRACE_SECONDS)
INTERRUPTED = "Обработка прервана: обработчик остановился. Загрузите файл повторно."


def resume_stalled_screening_jobs(*, now: datetime.datetime | None = None, dispatch=enqueue) -> dict[str, int]:
    """Enqueue lost list uploads and event batches again; close event batches whose worker is gone."""
    from screening.tasks import list_upload_task
    from screening.tasks_events import event_batch_process_task

    now = now or timezone.now()
    lost = {"created_at__lt": now - GRACE}
    uploads = redispatch(
        ListUpload.objects.filter(status__in=[UploadStatus.PENDING, UploadStatus.RUNNING], **lost),
        list_upload_task,
        dispatch=dispatch,
    )
    batches = redispatch(
        EventBatch.objects.filter(status=JobStatus.PENDING, source="FILE", **lost),
        event_batch_process_task,
        dispatch=dispatch,
    )
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - GRACE
    closed = EventBatch.objects.filter(status=JobStatus.RUNNING, created_at__lt=dead).update(
        status=JobStatus.FAILED, message=INTERRUPTED
    )
    return {"list_uploads": uploads, "event_batches": batches, "event_batches_closed": closed}
