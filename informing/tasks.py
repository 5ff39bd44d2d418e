"""Background jobs of informing, declared to the job kit (omsportal.jobs): INFORM files and delivery reports, and
batches (built, then sent). Services start them by name (``enqueue_job``) and never import this module."""

from __future__ import annotations

from omsportal import locks
from omsportal.jobs.kinds import RESUME, JobKind, register_job

from .services.batches import BATCH_JOB, batch_run
from .services.uploads import INFORM_UPLOAD, inform_upload_run

# A lost upload runs again: one transaction, from the stored file.
inform_upload_task = register_job(
    JobKind(
        name=INFORM_UPLOAD,
        model="informing.InformUpload",
        run=inform_upload_run,
        lock=locks.INFORM_UPLOAD_JOB,
        label="Загрузки фактов информирования",
        on_lost=RESUME,
        lost_message="Обработка прервана: {reason}. Загрузите файл повторно.",
    )
)

# A lost batch runs again: its build is one transaction (nothing of a killed one is left), its sending takes up the
# e-mails not yet handed to SMTP and never repeats one (see informing.services.batches).
batch_task = register_job(
    JobKind(
        name=BATCH_JOB,
        model="informing.Batch",
        run=batch_run,
        lock=locks.INFORM_BATCH_JOB,
        label="Рассылки",
        on_lost=RESUME,
        lost_message="Формирование рассылки прервано: {reason}. Создайте её повторно.",
    )
)
