"""``make bench`` on a fresh machine: every part prepares what it needs, so the whole bench runs from empty bench
databases (here at a small size: the figures are not the point, the parts finding what they need is)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# The bench databases: <NAME>_bench and <NAME>_bench_lists, named after this run's database, so that test runs of
# several checkouts against one server never drop each other's.
NAME = f"{urlsplit(settings.DATABASE_URL).path.lstrip('/') or 'omsportal'}_selftest"
DATABASES = (f"{NAME}_bench", f"{NAME}_bench_lists")


def _url(name: str) -> str:
    return urlunsplit(urlsplit(settings.DATABASE_URL)._replace(path="/" + name))


def _drop_bench_databases() -> None:
    conn = psycopg2.connect(_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name in DATABASES:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture
def no_bench_databases():
    _drop_bench_databases()
    yield
    _drop_bench_databases()


def _bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(NAME), "DJANGO_SETTINGS_MODULE": "omsportal.settings"}
    return subprocess.run(
        [sys.executable, "-m", "bench", "--persons", "3000", "--list-records", "300", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_whole_bench_runs_from_empty_bench_databases(no_bench_databases):
    done = _bench("--no-flat-check", "--no-reupload")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert out.index("== register ==") < out.index("== lists ==") < out.index("== scoping ==")
    assert "import_register " in out and "3,000 persons in" in out
    assert "upload to protocol / (reading the XML + floor)" in out
    assert "target (<= 2x (reading the XML + floor))" in out and "<= 3x floor" not in out
    assert "SMO level-2 or MO user" not in out + done.stderr
    scoping = out[out.index("== scoping ==") :]
    assert "persons visible (count)" in scoping and "list entries, first page" in scoping


def test_the_scoping_part_alone_seeds_the_register_and_uploads_a_list(no_bench_databases):
    done = _bench("--only", "scoping")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3,000 persons seeded with seed_demo" in done.stdout
    assert "the lists bench's list is uploaded first" in done.stdout
    assert "list entries, first page" in done.stdout
