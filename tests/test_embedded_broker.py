"""The embedded broker that the worker tests use when REDIS_URL is not set (CI sets it, so this test keeps the
embedded path honest there too): a Celery worker gets a task through it, and nothing is left running after it."""

import time

import psutil
import pytest

from tests.brokers import embedded_redis


def _valkey_servers() -> set[int]:
    """Running valkey-server processes (a zombie left for init to reap has stopped)."""
    return {
        p.pid
        for p in psutil.process_iter(["name", "status"])
        if p.info["name"] and "valkey-server" in p.info["name"] and p.info["status"] != psutil.STATUS_ZOMBIE
    }


@pytest.mark.celery_worker
def test_the_embedded_valkey_carries_a_celery_task_and_stops_with_the_block():
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    before = _valkey_servers()
    with embedded_redis() as url:
        assert url.startswith("redis://127.0.0.1:")
        started = _valkey_servers() - before
        assert len(started) == 1
        app = Celery("embedded_broker_test", broker=url, set_as_current=False)
        app.conf.update(result_backend=None, task_always_eager=False, worker_hijack_root_logger=False)
        done = []

        @app.task(name="embedded_broker_test.mark")
        def mark(value):
            done.append(value)

        with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            mark.delay("sent through the embedded broker")
            deadline = time.monotonic() + 20
            while not done and time.monotonic() < deadline:
                time.sleep(0.1)
        assert done == ["sent through the embedded broker"]
    assert not started & _valkey_servers()
