"""A job handed to a real Celery worker through Redis, end to end."""

import time

import pytest

from omsportal.celery import app


@app.task(name="tests.record_marker")
def record_marker(org_code: str) -> None:
    from tests.factories import FundFactory

    FundFactory(code=org_code, name="Маркер задания")


@pytest.mark.celery_worker
def test_a_task_runs_on_a_real_worker_through_redis(real_celery_worker):
    from participants.models import Organization

    record_marker.delay("99")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Organization.objects.filter(code="99", name="Маркер задания").exists():
            break
        time.sleep(0.2)
    assert Organization.objects.filter(code="99", name="Маркер задания").exists()
