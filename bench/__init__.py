"""Benchmarks run by ``make bench`` (``python -m bench``): each module measures one bulk path.

Every bench works in its own database, the DATABASE_URL database with the suffix ``_bench``, which it
drops and re-creates, so a bench never touches a development database. Helpers shared by the modules
live here; the modules are listed in ``bench.__main__.MODULES``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def base_database_url() -> str:
    """The configured database URL, or the embedded server's when DATABASE_URL is not set."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    sys.path.insert(0, str(ROOT))
    from omsportal.embedded_db import embedded_database_url

    return embedded_database_url(ROOT)


def bench_database_url(base: str | None = None) -> str:
    parts = urlsplit(base or base_database_url())
    name = parts.path.lstrip("/") or "omsportal"
    if not name.endswith("_bench"):
        name += "_bench"
    return urlunsplit(parts._replace(path="/" + name))


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    """Drop and create the bench database, then migrate it (in a child process, to keep this one light)."""
    import psycopg2

    name = urlsplit(url).path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"refusing to recreate a database not named *_bench: {name}")
    conn = psycopg2.connect(_maintenance_url(url))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    manage(["migrate", "--noinput", "--verbosity", "0"], database_url=url)


# The bench runs production settings (DEBUG off), which require a key; it signs nothing that leaves the bench.
BENCH_SECRET_KEY = "bench-only-not-a-secret"


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "omsportal.settings")
    env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    env.update(extra)
    return env


def manage(args: list[str], *, database_url: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=child_env(database_url, **extra),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )


def setup_django(database_url: str) -> None:
    """Configure Django in this process against the bench database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omsportal.settings")
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def children_peak_rss_mb() -> float:
    """High-water mark of resident memory over the child processes waited for so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_child_django() -> None:
    """Django in a bench's child process (DATABASE_URL comes from child_env)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omsportal.settings")
    import django

    django.setup()


def time_phases(phases: dict[str, float], wrap: list[tuple[object, str, str]]) -> None:
    """Measurement only: replace each ``module.name`` by a wrapper adding its seconds to ``phases[label]``,
    without changing what it does."""

    def timed(label, func):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - start

        return wrapper

    for module, name, label in wrap:
        setattr(module, name, timed(label, getattr(module, name)))


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}", flush=True)
