"""End to end in headless Chromium: a Fund user approves a text, then a level-2 user makes a batch with it and sees
its counts per channel. Runs against pytest-django's live server (Celery eager: the batch job runs on commit)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from informing.models import Batch, BatchStatus, TemplateVersion, VersionStatus
from informing.services.texts import template_create, version_submit
from participants.models import Person
from tests.informing.helpers import accepted_upload, entry
from tests.screening.test_e2e_upload import browser, page, sign_in  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_fund_approves_a_text_and_level_2_makes_a_batch(page, region, browser, live_server):  # noqa: F811
    today = timezone.localdate()
    Person.objects.filter(pk=region.p1.pk).update(phone="+79141234567")
    upload = accepted_upload(
        region.mo1, region.mo1_user, year=today.year, accepted=datetime.date(today.year - 1, 12, 20)
    )
    entry(upload, region.p1, smo=region.smo1, month=today.month)
    template = template_create(smo=region.smo1, kind="INVITE", channel="SMS", name="Приглашение СМС",
                               body="{имя_отчество}, приглашаем на диспансеризацию в {мо}.",
                               created_by=region.smo1_l2)  # fmt: skip
    version = template.versions.get()
    version_submit(version=version, user=region.smo1_l2)

    sign_in(page, region.fund_user.username)
    page.goto(f"/informing/texts/{template.pk}/")
    page.locator("[data-testid=approve]").click()
    page.locator("[data-testid=version-status-1]").filter(has_text="согласован").wait_for()
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED

    page.context.clear_cookies()
    sign_in(page, region.smo1_l2.username)
    page.goto("/informing/batches/")
    page.select_option("select[name=kind]", "INVITE")
    page.select_option("select[name=a_SMS]", str(TemplateVersion.objects.get(pk=version.pk).pk))
    page.locator("[data-testid=make-batch]").click()
    page.wait_for_url("**/informing/batches/*/")
    page.locator("[data-testid=batch-status][data-status=DONE]").wait_for()
    assert "СМС" in page.locator("[data-testid=batch-counts]").inner_text()
    batch = Batch.objects.get()
    assert (batch.status, batch.counts) == (BatchStatus.DONE, {"SMS": 1})
    page.locator("[data-testid=send-batch]").click()
    page.locator("[data-testid=file-sms]").wait_for()
