"""Register imports that stopped without finishing (run by Celery beat, see screening.services.stalled too).

An import whose task never reached a worker (PENDING past a grace period) is enqueued again; the claim makes a
second delivery a no-op. An import RUNNING longer than the hard task time limit has no worker left: its single
transaction was rolled back with the worker, so nothing of it is in the register, and it is closed as failed.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from omsportal.jobs import DISPATCH_GRACE_SECONDS, enqueue, redispatch
from participants.models import JobStatus, RegisterImport

GRACE = datetime.timedelta(seconds=DISPATCH_GRACE_SECONDS)
INTERRUPTED = "Загрузка прервана: обработчик остановился, в регистре ничего не изменено. Загрузите файл повторно."


def resume_stalled_register_imports(*, now: datetime.datetime | None = None, dispatch=enqueue) -> dict[str, int]:
    from participants.tasks import register_import_task

    now = now or timezone.now()
    pending = redispatch(
        RegisterImport.objects.filter(status=JobStatus.PENDING, created_at__lt=now - GRACE),
        register_import_task,
        dispatch=dispatch,
    )
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - GRACE
    closed = RegisterImport.objects.filter(status=JobStatus.RUNNING, started_at__lt=dead).update(
        status=JobStatus.FAILED, message=INTERRUPTED, finished_at=now
    )
    return {"register_imports": pending, "register_imports_closed": closed}
