"""Background jobs of screening, declared to the job kit (omsportal.jobs): list uploads and EVENTS files.

Each task is the kit's: it takes the job id, claims the job (a redelivered task for a finished job does nothing),
holds the kind's lock while the service runs and records what escapes it. Services start these jobs by name
(``enqueue_job``) and never import this module.
"""

from __future__ import annotations

from django.db.models import Q

from omsportal import locks
from omsportal.jobs.kinds import CLOSE, RESUME, JobKind, register_job
from screening.services.events import EVENT_BATCH, SOURCE_FILE, event_batch_run
from screening.services.list_upload import LIST_UPLOAD, list_upload_process


def _process_upload(upload_id: int, progress) -> None:
    list_upload_process(upload_id=upload_id, progress=progress)


# A lost upload runs again: one transaction, its staging and protocol rows are rebuilt from the stored file.
list_upload_task = register_job(
    JobKind(
        name=LIST_UPLOAD,
        model="screening.ListUpload",
        run=_process_upload,
        lock=locks.LIST_UPLOAD_JOB,
        label="Загрузки списков",
        on_lost=RESUME,
        rerun_failed=True,
    )
)

# A lost batch is closed: an API batch's records lived only in the request, and an MO re-posts a file at once.
event_batch_process_task = register_job(
    JobKind(
        name=EVENT_BATCH,
        model="screening.EventBatch",
        run=event_batch_run,
        lock=locks.EVENT_BATCH_JOB,
        label="Пакеты событий",
        on_lost=CLOSE,
        failed_message="Ошибка обработки пакета ({error}); обратитесь в ТФОМС",
        dispatchable=Q(source=SOURCE_FILE),
    )
)
