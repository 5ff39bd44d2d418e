"""Background jobs of surveys, declared to the job kit (omsportal.jobs): building a call list."""

from __future__ import annotations

from omsportal import locks
from omsportal.jobs.kinds import RESUME, JobKind, register_job
from surveys.services.call_lists import CALL_LIST_BUILD, call_list_build

# A lost build runs again: one transaction, everything it needs is on the list's row (the rule and the seed).
call_list_build_task = register_job(
    JobKind(
        name=CALL_LIST_BUILD,
        model="surveys.CallList",
        run=call_list_build,
        lock=locks.CALL_LIST_BUILD_JOB,
        label="Списки обзвона",
        on_lost=RESUME,
        rerun_failed=True,
        failed_message="Ошибка формирования списка ({error}); сформируйте список заново",
    )
)
