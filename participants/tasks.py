"""Background jobs of the participants app, declared to the job kit (omsportal.jobs): the register import."""

from __future__ import annotations

from omsportal import locks
from omsportal.jobs.kinds import CLOSE, JobKind, register_job
from participants.services.register_import import REGISTER_IMPORT, register_import_run


def _run(import_id: int, progress) -> None:
    register_import_run(import_id=import_id, progress=progress)


# Load a REGISTER file into the register (the whole file in one transaction). A lost import is closed, not run
# again: the Fund sees at once that the load did not happen and decides when to load the file (the register is
# the ground of every list check, so a load should not land unannounced hours later).
register_import_task = register_job(
    JobKind(
        name=REGISTER_IMPORT,
        model="participants.RegisterImport",
        run=_run,
        lock=locks.REGISTER_IMPORT_JOB,
        label="Загрузки регистра",
        on_lost=CLOSE,
        lost_message="Загрузка прервана: {reason}, в регистре ничего не изменено. Загрузите файл повторно.",
        failed_message=(
            "Внутренняя ошибка при загрузке регистра ({error}); данные не изменены. Обратитесь к администратору."
        ),
    )
)
