"""The Chromium that the browser tests drive through Playwright, found or installed before ``make test`` runs them.

Which one, in this order:

1. ``OMS_CHROMIUM``, when set: that executable, or nothing (a wrong path is an error, not a reason to look further);
2. the system Chromium on PATH (``chromium``, ``chromium-browser``, ``google-chrome``...);
3. the Chromium that Playwright itself downloaded (``playwright install chromium``).

With none of them, ``python -m tests.browser`` (the first step of ``make test``) installs one: Debian's ``chromium``
package with apt-get when it runs as root on a machine that has apt-get, else Playwright's own download. When that
fails too it stops with one sentence that says what to install. The browser fixture uses :func:`find_browser`
(never installs) and fails with the same sentence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

ENV = "OMS_CHROMIUM"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MISSING = (
    "No Chromium for the browser tests: install one (Debian/Ubuntu: `apt-get install chromium`, as root), "
    "or run `.venv/bin/python -m playwright install --with-deps chromium`, "
    f"or set {ENV} to a Chromium executable, then run `make test` again."
)
APT_INSTALL = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"])
INSTALL_TIMEOUT = 900


class BrowserMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Browser:
    executable: str | None  # None: Playwright's own download, which Playwright finds by itself
    source: str

    def launch(self, playwright):
        return playwright.chromium.launch(executable_path=self.executable, args=LAUNCH_ARGS)


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def playwright_chromium_launches() -> bool:
    """Whether Playwright starts a Chromium of its own download (headless), without any executable_path."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return False
    try:
        with sync_playwright() as playwright:
            playwright.chromium.launch(args=LAUNCH_ARGS).close()
    except Error:
        return False
    return True


def find_browser(
    *,
    env: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
    names: Sequence[str] = SYSTEM_NAMES,
    playwright_own: Callable[[], bool] = playwright_chromium_launches,
) -> Browser | None:
    """The browser to use, or None; never installs anything. Raises BrowserMissing for a wrong OMS_CHROMIUM."""
    chosen = env.get(ENV, "").strip()
    if chosen:
        if not _is_executable(chosen):
            raise BrowserMissing(f"{ENV}={chosen} is not an executable file: point it at a Chromium, or unset it.")
        return Browser(chosen, ENV)
    for name in names:
        path = which(name)
        if path:
            return Browser(path, "system")
    if playwright_own():
        return Browser(None, "playwright")
    return None


def _run(command: Sequence[str]) -> bool:
    """Run an install step quietly (its output is noise when it works, and the sentence says what to do if not)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(list(command), env=env, timeout=INSTALL_TIMEOUT, capture_output=True, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def ensure_browser(
    *,
    env: Mapping[str, str] = os.environ,
    which: Callable[[str], str | None] = shutil.which,
    names: Sequence[str] = SYSTEM_NAMES,
    playwright_own: Callable[[], bool] = playwright_chromium_launches,
    is_root: Callable[[], bool] = lambda: os.geteuid() == 0,
    run: Callable[[Sequence[str]], bool] = _run,
) -> Browser:
    """The browser to use, installing one when there is none; raises BrowserMissing (one sentence) when it can't."""

    def find() -> Browser | None:
        return find_browser(env=env, which=which, names=names, playwright_own=playwright_own)

    found = find()
    if found:
        return found
    if is_root() and which("apt-get"):
        print("No Chromium found: installing Debian's package (apt-get install chromium).", file=sys.stderr, flush=True)
        if all(run(command) for command in APT_INSTALL):
            found = find()
            if found:
                return found
    print(
        "No system Chromium: trying Playwright's own download (playwright install chromium).",
        file=sys.stderr,
        flush=True,
    )
    if run([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = find()
        if found:
            return found
    raise BrowserMissing(MISSING)


def launch_error(browser: Browser) -> str | None:
    """None when the browser starts headless and stops again, else the first line of Playwright's error."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser.launch(playwright).close()
    except Error as exc:
        return (str(exc).strip().splitlines() or ["no message"])[0]
    return None


def main() -> int:
    try:
        browser = ensure_browser()
    except BrowserMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    where = browser.executable or "Playwright's own Chromium"
    error = launch_error(browser)
    if error:
        print(f"{where} does not start headless ({error}): {MISSING}", file=sys.stderr)
        return 1
    print(f"Browser tests: {where} ({browser.source}).", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
