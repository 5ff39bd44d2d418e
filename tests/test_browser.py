"""Which Chromium the browser tests get, and what ``make test`` does when the machine has none (tests/browser.py).

The machine that runs these tests has a Chromium; a machine without one is what ``which`` answers here (nothing on
PATH), and the install steps are recorded instead of run. The last test runs the real first step of ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import APT_INSTALL, ENV, MISSING, Browser, BrowserMissing, ensure_browser, find_browser

ROOT = Path(__file__).resolve().parent.parent


def nothing_on_path(name):
    return None


class Machine:
    """A machine for ensure_browser: what is on PATH, whether Playwright's own Chromium starts, who runs, and which
    install commands work (and what they put on the machine)."""

    def __init__(self, *, on_path=(), playwright_own=False, root=False, works=()):
        self.on_path = dict(on_path)
        self.playwright_installed = playwright_own
        self.root = root
        self.works = works
        self.ran = []

    def which(self, name):
        return self.on_path.get(name)

    def run(self, command):
        command = list(command)
        self.ran.append(command)
        step = "apt" if command[0] == "apt-get" else "playwright"
        if step not in self.works:
            return False
        if command[:2] == ["apt-get", "install"]:
            self.on_path["chromium"] = "/usr/bin/chromium"
        if step == "playwright":
            self.playwright_installed = True
        return True

    def ensure(self, env=None):
        return ensure_browser(
            env=env or {},
            which=self.which,
            playwright_own=lambda: self.playwright_installed,
            is_root=lambda: self.root,
            run=self.run,
        )


def test_the_system_chromium_on_path_is_used():
    found = find_browser(env={}, which={"chromium": "/usr/bin/chromium"}.get, playwright_own=lambda: True)
    assert found == Browser("/usr/bin/chromium", "system")


def test_oms_chromium_wins_and_a_wrong_one_is_an_error_not_a_fallback(tmp_path):
    chrome = tmp_path / "chrome"
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(0o755)
    found = find_browser(env={ENV: str(chrome)}, which={"chromium": "/usr/bin/chromium"}.get)
    assert found == Browser(str(chrome), ENV)
    with pytest.raises(BrowserMissing, match=f"{ENV}=/no/such/chrome is not an executable file"):
        find_browser(env={ENV: "/no/such/chrome"}, which={"chromium": "/usr/bin/chromium"}.get)


def test_without_a_system_chromium_playwrights_own_download_is_used():
    assert find_browser(env={}, which=nothing_on_path, playwright_own=lambda: True) == Browser(None, "playwright")
    assert find_browser(env={}, which=nothing_on_path, playwright_own=lambda: False) is None


def test_a_present_browser_installs_nothing():
    machine = Machine(on_path={"chromium": "/usr/bin/chromium", "apt-get": "/usr/bin/apt-get"}, root=True)
    assert machine.ensure() == Browser("/usr/bin/chromium", "system")
    assert machine.ran == []


def test_as_root_with_apt_get_the_debian_package_is_installed():
    machine = Machine(on_path={"apt-get": "/usr/bin/apt-get"}, root=True, works=("apt",))
    assert machine.ensure() == Browser("/usr/bin/chromium", "system")
    assert machine.ran == [list(command) for command in APT_INSTALL]


def test_without_root_playwrights_download_is_tried_instead_of_apt():
    machine = Machine(on_path={"apt-get": "/usr/bin/apt-get"}, root=False, works=("playwright",))
    assert machine.ensure() == Browser(None, "playwright")
    assert machine.ran == [[sys.executable, "-m", "playwright", "install", "chromium"]]


def test_when_apt_fails_playwrights_download_is_the_next_try():
    machine = Machine(on_path={"apt-get": "/usr/bin/apt-get"}, root=True, works=("playwright",))
    assert machine.ensure() == Browser(None, "playwright")
    assert [command[:2] for command in machine.ran] == [["apt-get", "update"], [sys.executable, "-m"]]


def test_when_nothing_can_be_installed_it_stops_with_one_sentence_saying_what_to_install():
    machine = Machine(root=True)  # no apt-get on this machine, and Playwright's download fails (closed network)
    with pytest.raises(BrowserMissing) as failure:
        machine.ensure()
    assert str(failure.value) == MISSING
    assert machine.ran == [[sys.executable, "-m", "playwright", "install", "chromium"]]
    assert MISSING.count(". ") == 0 and MISSING.endswith("again.")
    assert "apt-get install chromium" in MISSING and "playwright install" in MISSING


def test_the_first_step_of_make_test_finds_a_browser_or_says_what_to_install():
    env = {**os.environ}
    env.pop(ENV, None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.browser"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().startswith("Browser tests: ")
    wrong = subprocess.run(
        [sys.executable, "-m", "tests.browser"],
        cwd=ROOT,
        env={**env, ENV: "/no/such/chrome"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 1
    said = f"{ENV}=/no/such/chrome is not an executable file: point it at a Chromium, or unset it."
    assert wrong.stderr.strip() == said
