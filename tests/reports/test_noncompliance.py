"""Non-compliance: opened by the engine with its evidence, reviewed by the Fund (confirm, dismiss with a reason),
forwarded to the Ministry (the Fund's O6), seen by each organization for itself; the SMO's O5 report drafted and
filed; every organization's home page shows its obligations; the e-mail digest through a real SMTP server."""

from __future__ import annotations

import datetime
import socket
import time

import pytest
from django.urls import reverse

from reports.engine import run, states_as_of
from reports.models import Filing, NonCompliance, ReviewStatus, State
from reports.services.digest import send_digests
from tests.reports.helpers import upload_on
from tests.scoping_base import as_user, assert_scoped, assert_statuses

D = datetime.date


@pytest.fixture
def overdue(region):
    """O4 of MO 1 overdue since 14.01.2027 (the protocol of 28.12.2026 rejected 3 records)."""
    upload_on(region, D(2026, 12, 28), year=2027, rejected=3)
    run(D(2027, 1, 20))
    return NonCompliance.objects.get(code="O4", organization=region.mo1)


@pytest.mark.django_db
def test_the_record_names_the_organization_the_obligation_the_period_and_the_evidence(client, region, overdue):
    assert (overdue.clause, overdue.period_key, overdue.late_days, overdue.status) == (
        "R II.6", "2026-12-28", 5, ReviewStatus.NEW,
    )  # fmt: skip
    client.force_login(region.fund_user)
    page = client.get(reverse("reports:noncompliance_detail", args=[overdue.pk])).content.decode()
    assert "R II.6" in page and "2026-12-28" in page
    upload = overdue.evidence["uploads"][0]
    assert reverse("screening:upload_detail", args=[upload["id"]]) in page  # a link to the upload behind it


@pytest.mark.django_db
def test_each_organization_sees_its_own_records_and_the_ministry_only_forwarded_ones(client, region, overdue):
    url = reverse("reports:noncompliance_detail", args=[overdue.pk])
    assert_scoped(client, url, allowed_users=[region.fund_user, region.mo1_user],
                  denied_users=[region.mo2_user, region.smo1_l2, region.ministry_user])  # fmt: skip
    overdue.status = ReviewStatus.FORWARDED
    overdue.save()
    assert_scoped(client, url, allowed_users=[region.ministry_user], denied_users=[region.mo2_user])


@pytest.mark.django_db
def test_the_fund_confirms_dismisses_with_a_reason_and_forwards(client, region, overdue):
    url = reverse("reports:noncompliance_detail", args=[overdue.pk])
    # Only the Fund reviews: the MO that owns the record may read it, not decide on it.
    assert_statuses(client, as_user(client, url, method="post", data={"action": "confirm"}),
                    [(403, [region.mo1_user]), (404, [region.mo2_user])])  # fmt: skip
    client.force_login(region.fund_user)
    client.post(url, {"action": "dismiss", "reason": ""})
    overdue.refresh_from_db()
    assert overdue.status == ReviewStatus.NEW  # a dismissal needs its reason
    client.post(url, {"action": "dismiss", "reason": "Сбой загрузки на стороне ТФОМС"})
    overdue.refresh_from_db()
    assert (overdue.status, overdue.reason) == (ReviewStatus.DISMISSED, "Сбой загрузки на стороне ТФОМС")
    client.post(url, {"action": "confirm"})
    overdue.refresh_from_db()
    assert overdue.status == ReviewStatus.CONFIRMED and overdue.reviewed_by == region.fund_user
    client.post(reverse("reports:noncompliance_forward"), {"year": 2026})
    overdue.refresh_from_db()
    assert overdue.status == ReviewStatus.FORWARDED and overdue.forwarded_at is not None
    assert Filing.objects.get(code="O6", period_key="2026").filed_at is not None  # the Fund's O6 is filed
    client.post(url, {"action": "dismiss", "reason": "поздно"})
    overdue.refresh_from_db()
    assert overdue.status == ReviewStatus.FORWARDED  # forwarded records are not reviewed again


@pytest.mark.django_db
def test_the_smo_files_the_o5_list_the_portal_drafted(client, region, settings):
    today = datetime.date.today()
    upload_on(region, datetime.date(today.year - 1, 12, 1), mo=region.mo2, year=today.year)
    client.force_login(region.smo1_l2)
    page = client.get(reverse("reports:filings"), {"show": f"O5:{today.year}"}).content.decode()
    assert region.mo1.code in page  # MO 1 has no list: the draft names it; MO 2 uploaded in time
    client.post(reverse("reports:filings"), {"code": "O5", "period": str(today.year)})
    filing = Filing.objects.get(code="O5", organization=region.smo1, period_key=str(today.year))
    assert [mo["code"] for mo in filing.content["mos"]] == [region.mo1.code]
    run(today)
    assert states_as_of(today).get(code="O5", organization=region.smo1, period_key=str(today.year)).state in (
        State.MET, State.MET_LATE,
    )  # fmt: skip
    # Only SMO level 2 files; the Fund reads what was filed.
    assert_statuses(client, as_user(client, reverse("reports:filings"), method="post", data={"code": "O5"}),
                    [(403, [region.fund_user]), (404, [region.mo1_user, region.ministry_user])])  # fmt: skip


@pytest.mark.django_db
def test_the_home_page_shows_the_organizations_own_obligations(client, region):
    today = datetime.date.today()
    protocol_day = today - datetime.timedelta(days=30)
    upload_on(region, protocol_day, year=today.year, rejected=3)
    run(today)
    client.force_login(region.mo1_user)
    page = client.get(reverse("home")).content.decode()
    assert "Обязательства организации" in page and "O4 (R II.6)" in page and protocol_day.isoformat() in page
    # the overdue item links to its non-compliance record (the evidence), which the MO may open
    record = NonCompliance.objects.get(code="O4", organization=region.mo1, period_key=protocol_day.isoformat())
    detail = reverse("reports:noncompliance_detail", args=[record.pk])
    assert f'href="{detail}"' in page and client.get(detail).status_code == 200
    # met late since: the item stays linked to its record
    upload_on(region, today, year=today.year)
    run(today)
    page = client.get(reverse("home")).content.decode()
    assert "Исполнено с опозданием" in page and f'href="{detail}"' in page
    client.force_login(region.mo2_user)
    other = client.get(reverse("home")).content.decode()
    assert protocol_day.isoformat() not in other and detail not in other
    # The Fund's home page is its dashboard, the Ministry's the coverage view.
    client.force_login(region.fund_user)
    assert "Мониторинг профилактических мероприятий" in client.get(reverse("home")).content.decode()
    client.force_login(region.ministry_user)
    assert "Охват профилактическими мероприятиями против плана" in client.get(reverse("home")).content.decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_the_digest_goes_out_through_a_real_smtp_server(region, settings, overdue):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        region.mo1_user.email = "mo1@example.org"
        region.mo1_user.save()
        assert send_digests(D(2027, 1, 20)) >= 1
        for _ in range(50):
            if received:
                break
            time.sleep(0.1)
    finally:
        controller.stop()
    letters = [m for m in received if "mo1@example.org" in m["To"]]
    assert letters, "no letter reached the SMTP server"
    body = letters[0].get_payload(decode=True).decode("utf-8")
    assert "O4 (R II.6)" in body and "2026-12-28" in body and "Просрочено" in body


@pytest.mark.django_db
def test_the_nightly_digest_reflects_the_states_that_nights_run_wrote(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    """Beat's task queues the run; the digest goes out at the end of that run's job, with what it just wrote: what is
    overdue, and what falls due within the next working days (the regional parameter), not what falls due later."""
    from django.utils import timezone

    from omsportal.models import RegionalParameters
    from omsportal.workdays import add_working_days
    from participants.models import Role
    from reports.tasks import nightly_task
    from tests.factories import MOFactory, UserFactory

    today = timezone.localdate()
    RegionalParameters.objects.update_or_create(pk=1, defaults={"digest_working_days": 2})
    mo3 = MOFactory(code="270003")
    UserFactory(username="mo3", role=Role.MO_STAFF, organization=mo3, email="mo3@example.org")
    for user, address in ((region.mo1_user, "mo1@example.org"), (region.mo2_user, "mo2@example.org")):
        user.email = address
        user.save()
    # O4: corrections due 5 working days after each protocol: 1 working day late, due in 1, due in 3.
    days = {mo: add_working_days(today, -n) for mo, n in ((region.mo1, 6), (region.mo2, 4), (mo3, 2))}
    for mo, day in days.items():
        upload_on(region, day, mo=mo, year=today.year, rejected=3)
    with django_capture_on_commit_callbacks(execute=True):
        nightly_task()
    letters = {m.to[0]: m.body for m in mailoutbox}
    assert "mo1@example.org" in letters, "the digest went out before the night's run wrote its states"
    overdue = [line for line in letters["mo1@example.org"].splitlines() if days[region.mo1].isoformat() in line]
    assert len(overdue) == 1 and overdue[0].startswith("- O4 (R II.6)") and "1 рабочий день просрочки" in overdue[0]
    soon = letters["mo2@example.org"].split("Срок наступает до ")[1]
    assert soon.startswith(add_working_days(today, 2).strftime("%d.%m.%Y"))
    assert f"O4 (R II.6) Исправления после протокола: период {days[region.mo2].isoformat()}" in soon
    assert days[mo3].isoformat() not in letters.get("mo3@example.org", "")  # due in 3 working days: not yet


@pytest.mark.django_db
def test_the_nightly_run_joining_a_waiting_run_makes_it_the_nightly_one(region, django_capture_on_commit_callbacks):
    """A run already waiting for the same day is not doubled: beat's run joins it and marks it nightly, which is what
    makes its job send the digest (the digest itself: the test above)."""
    from reports.models import ObligationRun
    from reports.services.runs import start_run
    from reports.tasks import nightly_task

    with django_capture_on_commit_callbacks(execute=False):
        waiting = start_run(trigger="screening.list_upload")
        assert nightly_task() == waiting.pk
    assert ObligationRun.objects.get(pk=waiting.pk).trigger == "nightly"
