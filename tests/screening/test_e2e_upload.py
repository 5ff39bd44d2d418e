"""End to end in headless Chromium: an MO user signs in, drops a ZL_LIST file on the drop zone, sees the protocol.

Runs against pytest-django's live server (transactional database; Celery eager, so the job runs on commit).
Needs a Chromium (tests/browser.py: OMS_CHROMIUM, the system one, or Playwright's own; ``make test`` installs one
when there is none); without it the test fails, never skips.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from django.utils import timezone

from screening.models import ListUpload, ProtocolError, UploadStatus
from tests.browser import MISSING, BrowserMissing, find_browser
from tests.screening.test_upload_pages import finished_upload, mixed_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(os.environ.get("E2E_SCREENSHOT_DIR", "/tmp")) / "omsportal_protocol.png"
TIMEOUT_MS = 15_000

DROP_FILE_JS = """
([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "text/xml" }));
  const zone = document.getElementById("dropzone");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}
"""


@pytest.fixture
def browser(monkeypatch):
    try:
        found = find_browser()
    except BrowserMissing as exc:
        pytest.fail(str(exc))
    if found is None:
        pytest.fail(MISSING)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-dev.txt lists it
        pytest.fail("The Python package `playwright` is missing: pip install -r requirements-dev.txt")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = found.launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_mo_drops_a_list_and_sees_the_protocol(page, region):
    sign_in(page, region.mo1_user.username)
    page.goto("/screening/uploads/")
    assert page.locator("[data-testid=no-uploads]").is_visible()

    content = base64.b64encode(mixed_list(region)).decode()
    page.evaluate(DROP_FILE_JS, ["PROF_M270001_2701.xml", content])
    assert page.locator("[data-testid=dropzone-name]").inner_text() == "PROF_M270001_2701.xml"
    assert page.locator("#id_kind_0").is_checked()  # yearly list by default
    page.click("#upload-submit")

    page.wait_for_url("**/screening/uploads/*/")
    page.locator("[data-testid=protocol-counts]").wait_for()
    assert page.locator("[data-testid=count-total]").inner_text() == "3"
    assert page.locator("[data-testid=count-accepted]").inner_text() == "1"
    assert page.locator("[data-testid=count-rejected]").inner_text() == "2"
    codes = page.locator("[data-testid=codes-table]").inner_text()
    assert "401" in codes and "Прикреплён к другой медицинской организации" in codes
    assert "201" in codes and "не найдено в регистре" in codes
    assert page.locator("[data-testid=correction-clock]").inner_text().startswith("Исправить до")
    assert page.locator("#protocol-chart").is_visible()
    assert page.locator("[data-testid=protocol-errors-table] tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    upload = ListUpload.objects.get()
    assert upload.status == UploadStatus.DONE and upload.uploaded_by == region.mo1_user

    # The history lists the upload with its protocol.
    page.goto("/screening/uploads/")
    assert "PROF_M270001_2701.xml" in page.locator("[data-testid=upload-history]").inner_text()


def test_progress_page_turns_into_the_protocol_by_itself(page, region):
    upload = finished_upload(
        region.mo1,
        region.mo1_user,
        status=UploadStatus.RUNNING,
        records_total=10,
        records_read=10,
        records_checked=4,
        records_written=0,
        protocol_issued_at=None,
    )
    sign_in(page, region.mo1_user.username)
    page.goto(f"/screening/uploads/{upload.pk}/")
    page.locator("[data-testid=upload-progress]").wait_for()
    assert page.locator("[data-testid=progress-checked]").inner_text() == "4"

    # The worker moves on: the polled partial shows it within a couple of seconds.
    ListUpload.objects.filter(pk=upload.pk).update(records_checked=10, records_written=6)
    page.wait_for_function("document.querySelector('[data-testid=progress-written]').textContent.trim() === '6'")

    # The worker finishes: the page reloads into the protocol without anyone pressing F5.
    ProtocolError.objects.create(upload=upload, n_zap=2, code=201, field="ENP")
    ListUpload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.DONE,
        records_written=10,
        records_accepted=9,
        records_rejected=1,
        counts_by_code={"201": 1},
        protocol_issued_at=timezone.now(),
        finished_at=timezone.now(),
    )
    page.locator("[data-testid=protocol-counts]").wait_for()
    assert page.locator("[data-testid=count-rejected]").inner_text() == "1"
