"""Register imports that stopped without finishing (run by Celery beat, see screening.services.stalled too).

An import whose task never reached a worker (PENDING past a grace period) is enqueued again; the claim makes a
second delivery a no-op. An import RUNNING longer than the hard task time limit has no worker left: its single
transaction was rolled back with the worker, so nothing of it is in the register, and it is closed as failed.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from omsportal.jobs import enqueue
from participants.models import JobStatus, RegisterImport

GRACE = datetime.timedelta(minutes=2)
INTERRUPTED = "Загрузка прервана: обработчик остановился, в регистре ничего не изменено. Загрузите файл повторно."


def resume_stalled_register_imports(*, now: datetime.datetime | None = None, dispatch=enqueue) -> dict[str, int]:
    from participants.tasks import register_import_task

    now = now or timezone.now()
    pending = list(
        RegisterImport.objects.filter(status=JobStatus.PENDING, created_at__lt=now - GRACE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for import_id in pending:
        dispatch(register_import_task, import_id)
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - GRACE
    closed = RegisterImport.objects.filter(status=JobStatus.RUNNING, started_at__lt=dead).update(
        status=JobStatus.FAILED, message=INTERRUPTED, finished_at=now
    )
    return {"register_imports": len(pending), "register_imports_closed": closed}
