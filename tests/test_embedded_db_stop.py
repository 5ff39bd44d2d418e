"""The portal stops its embedded PostgreSQL however it is stopped, and a stale handle file never keeps one running.

Each test starts the portal as ``make run`` does (``manage.py runserver`` with its autoreloader: a parent process
and a child that serves) with no DATABASE_URL, in a copy of the project in a temporary folder, so the embedded
server has its own ``var/pgdata``; then stops it as a service manager, ``kill`` or Ctrl-C would, and looks for
postgres processes of that data folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from omsportal.embedded_db import HANDLE_FILE

ROOT = Path(__file__).resolve().parent.parent
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "media", "staticfiles", "node_modules", "out", "__pycache__", "*.pyc", ".ruff_cache"
)
START_TIMEOUT = 120
STOP_TIMEOUT = 150


@pytest.fixture(scope="module")
def portal_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("portal") / "omsportal"
    shutil.copytree(ROOT, target, ignore=COPY_IGNORE)
    yield target
    # Only if a test failed half-way: what it started must not outlive the run.
    for pid in _portal_processes(target):
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()
    _stop_postgres_of(target / "var" / "pgdata")


def _portal_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR"}}
    env["DJANGO_SETTINGS_MODULE"] = "omsportal.settings"
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if (
            process.info["name"] == "postgres"
            and str(pgdata) in cmdline
            and process.info["status"] != psutil.STATUS_ZOMBIE
        ):
            found.append(process)
    return found


def _portal_processes(base: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline", "cwd", "status"]):
        cmdline = process.info["cmdline"] or []
        if "runserver" in cmdline and process.info["cwd"] == str(base) and process.info["status"] != "zombie":
            found.append(process.pid)
    return found


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stop_postgres_of(pgdata: Path) -> None:
    for process in _postgres_of(pgdata):
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGQUIT)  # immediate shutdown
            process.wait(10)


class Portal:
    def __init__(self, base: Path, *, make_run: bool = False):
        self.base = base
        self.pgdata = base / "var" / "pgdata"
        self.port = _free_port()
        self.log = (base / "runserver.log").open("w")
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}"]
        if make_run:  # this test run's virtualenv instead of the copy's own .venv (make install is not run again)
            command = ["make", "run", f"VENV={sys.prefix}", "DEMO_PERSONS=200", f"HOST=127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(
            command,
            cwd=base,
            env=_portal_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as under a service manager or a shell's job control
        )

    def wait_until_serving(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the portal exited with {self.process.returncode}:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.3)
                continue
            if _postgres_of(self.pgdata):
                return
        pytest.fail(f"the portal did not serve within {timeout} s:\n{self.output()}")

    def handles(self) -> list[int]:
        return json.loads((self.pgdata / HANDLE_FILE).read_text())

    def signal_parent(self, signum: int) -> None:
        self.process.send_signal(signum)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def wait_stopped(self) -> None:
        # The last process's exit runs `pg_ctl -w stop`, which itself waits up to 60 s for the shutdown checkpoint:
        # on a disk shared with other heavy writers that wait alone can pass a minute, so the portal gets more.
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            state = self.diagnosis()
            self.signal_group(signal.SIGKILL)
            self.process.wait(10)
            pytest.fail(f"the portal did not stop within {STOP_TIMEOUT} s:\n{self.output()}\n{state}")
        finally:
            self.log.close()

    def diagnosis(self) -> str:
        """What the portal's processes and its postgres were doing when it did not stop (for the next reader)."""
        lines = ["processes of the portal and its server:"]
        watched = {self.process.pid, *_portal_processes(self.base), *(p.pid for p in _postgres_of(self.pgdata))}
        for pid in sorted(watched):
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                lines.append(f"  {pid} {process.status()} ppid={process.ppid()} {' '.join(process.cmdline())[:160]}")
        with contextlib.suppress(OSError, ValueError):
            lines.append(f"handle file: {self.handles()}")
        server_log = self.pgdata / "log"
        if server_log.exists():
            lines.append("postgres log (last lines):")
            lines.extend(server_log.read_text(errors="replace").splitlines()[-15:])
        return "\n".join(lines)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.base / "runserver.log").read_text()[-3000:]


def _assert_no_postgres_left(portal: Portal) -> None:
    deadline = time.monotonic() + 15
    while _postgres_of(portal.pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _postgres_of(portal.pgdata)
    assert not left, f"postgres still running: {[p.pid for p in left]}\n{portal.output()}"
    assert portal.handles() == []


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("parent", id="kill-the-portal"),  # `kill PID` of runserver, as `kill` or make (on SIGTERM) does
        pytest.param("group", id="service-manager"),  # every process of the portal at once
    ],
)
def test_sigterm_stops_the_embedded_postgres(portal_dir, how):
    portal = Portal(portal_dir)
    portal.wait_until_serving()
    assert len(portal.handles()) == 2  # the autoreloader's parent and the child that serves
    if how == "parent":
        portal.signal_parent(signal.SIGTERM)
    else:
        portal.signal_group(signal.SIGTERM)
    portal.wait_stopped()
    _assert_no_postgres_left(portal)


def test_a_stale_handle_file_does_not_keep_the_server_running(portal_dir):
    # A portal killed outright (SIGKILL, a crash) cannot stop its server: postgres stays, its ids stay in the file.
    killed = Portal(portal_dir)
    killed.wait_until_serving()
    stale = killed.handles()
    killed.signal_group(signal.SIGKILL)
    killed.wait_stopped()
    assert _postgres_of(killed.pgdata), "postgres is a process of its own: a killed portal leaves it running"
    assert killed.handles() == stale and not any(_running(pid) for pid in stale)

    # The next portal forgets the dead ids, and a clean Ctrl-C (SIGINT to the foreground group) stops the server.
    portal = Portal(portal_dir)
    portal.wait_until_serving()
    assert not set(stale) & set(portal.handles())
    portal.signal_group(signal.SIGINT)
    portal.wait_stopped()
    _assert_no_postgres_left(portal)


def test_a_command_stopped_with_sigterm_exits_normally_and_stops_the_server(portal_dir):
    """Not only runserver: any manage.py command that uses the embedded server (a long seed_demo, a shell)."""
    pgdata = portal_dir / "var" / "pgdata"
    code = (
        "import django, sys, time; django.setup(); from django.db import connection; connection.ensure_connection(); "
        "print('ready', flush=True); time.sleep(120)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=portal_dir, env=_portal_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        assert _postgres_of(pgdata)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    assert not _postgres_of(pgdata)
    assert json.loads((pgdata / HANDLE_FILE).read_text()) == []


def test_a_child_still_dying_when_its_parent_exits_does_not_keep_the_server_running(portal_dir):
    """Ctrl-C to runserver: its autoreloader sends its child SIGKILL after a quarter of a second and exits without
    waiting for it; on a loaded machine the child was not gone yet when the parent looked, the parent left the server
    to it, and the killed child never stopped it. Here the child dies a second after its parent starts exiting."""
    pgdata = portal_dir / "var" / "pgdata"
    serve = (
        "import django, time; django.setup(); from django.db import connection; connection.ensure_connection(); "
        "print('ready', flush=True); time.sleep(120)"
    )
    parent = (
        "import django, subprocess, sys; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); "
        f"child = subprocess.Popen([sys.executable, '-c', {serve!r}], stdout=subprocess.PIPE, text=True); "
        "assert child.stdout.readline().strip() == 'ready'; "
        "subprocess.Popen(['sh', '-c', f'sleep 1; kill -9 {child.pid}']); "
        "print('exiting', child.pid, flush=True)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", parent], cwd=portal_dir, env=_portal_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.wait(60) == 0
        child = int(process.stdout.read().split()[-1])
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(child)
        assert not _postgres_of(pgdata), "the killed child never stopped the server its parent left to it"
        assert json.loads((pgdata / HANDLE_FILE).read_text()) == []
    finally:
        if process.poll() is None:
            process.kill()
        if _postgres_of(pgdata):  # only when it failed: the next test starts from a stopped server
            _stop_postgres_of(pgdata)
            (pgdata / HANDLE_FILE).write_text("[]")


def test_sigterm_to_make_run_stops_the_portal_and_the_embedded_postgres(portal_dir):
    """``make run`` (migrate, a small demo region, the server) stopped as ``kill MAKE_PID`` does: make passes the
    signal to its child, the server (it replaced the recipe's shell), which exits cleanly."""
    portal = Portal(portal_dir, make_run=True)
    portal.wait_until_serving(timeout=240)
    portal.signal_parent(signal.SIGTERM)  # the make process
    portal.wait_stopped()
    deadline = time.monotonic() + 15
    while _portal_processes(portal_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _portal_processes(portal_dir), portal.output()
    _assert_no_postgres_left(portal)
