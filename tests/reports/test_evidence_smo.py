"""The evidence of the SMOs' obligations (and the Fund's control of them): a non-compliance record of O9–O19 names
its counts — persons due and overdue, facts posted late, the survey quota's shortfall — and links to the page
behind it; collected set-based, once per run, not once per organization and period [domain §3, R II.8, II.15]."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from informing.models import InformingFact, Kind, Outcome
from reports.engine import run
from reports.models import NonCompliance, QuotaFigures
from tests.screening.factories import rec, upload, zl_list_xml

D = datetime.date


def record(code, organization, key):
    return NonCompliance.objects.get(code=code, organization=organization, period_key=key)


def fact(region, day, *, late=False, smo=None, kind=Kind.INVITE):
    return InformingFact.objects.create(person=region.p1, smo=smo or region.smo1, mo=region.mo1, kind=kind,
                                        channel="SMS", date=day, outcome=Outcome.DELIVERED, is_late=late,
                                        posted_at=timezone.now())  # fmt: skip


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.mark.django_db
def test_an_invitation_record_names_the_persons_due_and_overdue_and_links_the_due_page(
    region, settings, tmp_path, today, client
):
    settings.MEDIA_ROOT = tmp_path
    year = today.year
    # a person planned for the quarter before this one (in the first quarter: this one, overdue from mid-January)
    quarter = max(1, (today.month - 1) // 3)
    upload(region, zl_list_xml([rec(region.p1, 1, month=str(3 * quarter - 2))], year=year), year=year)
    run(today)  # nobody was invited
    key = f"{year}-Q{quarter}"
    if not NonCompliance.objects.filter(code="O9", organization=region.smo1, period_key=key).exists():
        assert today.month <= 1, "the quarter before this one is past its invitation deadline"
        pytest.skip("the first working days of January: the year's first invitations are not overdue yet")
    evidence = record("O9", region.smo1, key).evidence
    assert evidence["counts"] == {"due": 1, "overdue": 1}
    assert evidence["organizations"] == ["270001"]
    due_page = f"{reverse('informing:due')}?smo={region.smo1.pk}"
    assert evidence["links"][0]["url"] == due_page
    # the SMO without persons on the lists owes nothing there
    assert not NonCompliance.objects.filter(code="O9", organization=region.smo2, period_key=key).exists()
    # the page shows the counts and the link to the Fund, not to the Ministry
    client.force_login(region.fund_user)
    page = client.get(reverse("reports:noncompliance_detail", args=[record("O9", region.smo1, key).pk])).content
    assert due_page.replace("&", "&amp;").encode() in page
    assert "из них срок прошёл" in page.decode()  # the counts under their names, not the stored keys
    client.force_login(region.ministry_user)
    response = client.get(reverse("reports:noncompliance_detail", args=[record("O9", region.smo1, key).pk]))
    assert response.status_code == 404  # not forwarded: the Ministry does not see the record


@pytest.mark.django_db
def test_a_late_facts_record_names_the_late_facts_of_the_month(region, today):
    month_start = today.replace(day=1)
    last_month_end = month_start - datetime.timedelta(days=1)
    fact(region, last_month_end.replace(day=3), late=True)
    fact(region, last_month_end.replace(day=4))
    fact(region, last_month_end.replace(day=5), smo=region.smo2)
    run(today + datetime.timedelta(days=10))  # past the month's due day (the working day after its last day)
    key = f"{last_month_end.year}-{last_month_end.month:02d}"
    evidence = record("O10", region.smo1, key).evidence
    assert (evidence["counts"]["facts"], evidence["counts"]["late_facts"]) == (2, 1)
    assert reverse("informing:control") in evidence["links"][0]["url"]
    assert f"month={last_month_end.month}" in evidence["links"][0]["url"]


@pytest.mark.django_db
def test_a_quota_record_names_the_shortfall_per_part_and_the_mos_short_of_it(region, today):
    # The last quarter ended: the SMO filed no survey report with its quotas met.
    year, quarter = (today.year, (today.month - 1) // 3) if today.month > 3 else (today.year - 1, 4)
    QuotaFigures.objects.create(year=year, quarter=quarter, mo=region.mo1, smo=region.smo1, quota_passed=2,
                                quota_informed=10, surveyed_passed=0, surveyed_informed=4)  # fmt: skip
    QuotaFigures.objects.create(year=year, quarter=quarter, mo=region.mo2, smo=region.smo1, quota_passed=1,
                                quota_informed=2, surveyed_passed=1, surveyed_informed=3)  # fmt: skip
    QuotaFigures.objects.create(year=year, quarter=quarter, mo=region.mo2, smo=region.smo2, quota_passed=5)
    run(today)
    evidence = record("O14", region.smo1, f"{year}-Q{quarter}").evidence
    assert evidence["counts"] == {
        "quota_passed": 3, "surveyed_passed": 1, "quota_informed": 12, "surveyed_informed": 7, "shortfall": 8,
    }  # fmt: skip
    assert evidence["organizations"] == ["270001"]  # MO 2 surveyed beyond its quota
    assert reverse("surveys:quotas") in evidence["links"][0]["url"]
    assert record("O14", region.smo2, f"{year}-Q{quarter}").evidence["counts"]["shortfall"] == 5


@pytest.mark.django_db
def test_every_smo_record_names_counts_or_a_page(region, today):
    """O9–O19 (O18 has no judge yet): none is left with the generic text alone."""
    fact(region, today - datetime.timedelta(days=40), late=True)
    run(today)
    codes = set(NonCompliance.objects.values_list("code", flat=True))
    assert {"O10", "O11", "O12", "O13", "O14", "O17"} <= codes
    for row in NonCompliance.objects.filter(code__in=[f"O{n}" for n in range(9, 20)]):
        assert row.evidence.get("links") and ("counts" in row.evidence or row.code in ("O13", "O17")), row.code
    o11 = NonCompliance.objects.filter(code="O11").order_by("period_key").first()
    assert {"facts", "late_facts", "smos_with_late_facts"} <= set(o11.evidence["counts"])


@pytest.mark.django_db
def test_the_collectors_read_once_per_run_not_per_organization_and_period(region, today):
    """A run files a record for many months of the two SMOs (O10, O15, O16, O19: every month of the year) and
    quarters (O9, O12, O14): the facts of the year, the quota lines and the due counts are read once per run."""
    fact(region, today - datetime.timedelta(days=40), late=True)
    with CaptureQueriesContext(connection) as queries:
        run(today)
    assert NonCompliance.objects.filter(code="O10").count() > 4
    sql = [q["sql"] for q in queries.captured_queries]
    facts = [q for q in sql if 'FROM "informing_informingfact"' in q and "EXTRACT(MONTH" in q and "COUNT(" in q]
    assert 1 <= len(facts) <= 2  # the collectors' facts per SMO and month: this year's (and last year's)
    # O10's judge: the last posting per SMO and month of a year, once per run and year (it was one per SMO and month)
    judged = [q for q in sql if 'MAX("informing_informingfact"."posted_at")' in q]
    assert 1 <= len(judged) <= 2
    quotas = [q for q in sql if 'FROM "reports_quotafigures"' in q]
    assert 1 <= len(quotas) <= 8 and len(quotas) == len(set(quotas))  # once per quarter with a record
    due = [q for q in sql if "count(*) FILTER (WHERE d.deadline <" in q]
    assert len(due) <= 2 * 4 * 2  # the judges' and the collectors' reads: per SMO and kind, not per month
    codes_sql = 'SELECT "participants_organization"."id", "participants_organization"."code"'
    codes = [q for q in sql if q.startswith(codes_sql)]
    assert len(codes) <= 2  # the MOs' and the SMOs' codes


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["O9", "O15", "O16", "O19"])
def test_each_informing_obligation_collects_its_kinds_due_counts(region, today, code):
    """The four "who is due" obligations each read their own kind of informing.due (here: nobody due)."""
    from omsportal.obligations import Period
    from reports.evidence import collect, one_run

    period = Period.of_quarter(today.year, 1) if code == "O9" else Period.of_month(today.year, today.month)
    with one_run():
        evidence = collect(code, region.smo1.pk, "SMO", period, {"text": "t"})
    assert evidence["counts"] == {"due": 0, "overdue": 0} and evidence["text"] == "t"
    assert evidence["links"][0]["url"] == f"{reverse('informing:due')}?smo={region.smo1.pk}"


@pytest.mark.django_db
def test_a_stage2_notice_record_counts_the_persons_past_their_notice_deadline(region, today):
    """O16: sent to stage 2 four months ago, no stage-2 notice: due, and overdue, in the month of the deadline."""
    from omsportal.obligations import Period
    from reports.evidence import collect, one_run
    from screening.models import EntryState, ListEntry
    from tests.reports.helpers import upload_on

    sent = today - datetime.timedelta(days=125)
    entry_upload = upload_on(region, sent - datetime.timedelta(days=30), year=sent.year)
    ListEntry.objects.create(upload=entry_upload, mo=region.mo1, smo=region.smo1, smo_code=region.smo1.code,
                             person=region.p1, year=sent.year, measure="DVN", month=sent.month, n_zap=1,
                             state=EntryState.STAGE2_SENT, state_date=sent)  # fmt: skip
    from informing.due import due_counts

    (line,) = due_counts(smo_id=region.smo1.pk, on=today, kinds=("STAGE2",))
    with one_run():
        evidence = collect("O16", region.smo1.pk, "SMO", Period.of_month(line.deadline.year, line.deadline.month), {})
    assert evidence["counts"] == {"due": 1, "overdue": 1} and evidence["organizations"] == [region.mo1.code]


@pytest.mark.django_db
def test_the_runs_quota_record_names_the_figures_of_the_same_run(region):
    """The run's job refreshes the survey quotas before it judges: an O14 record opened by the run names that run's
    quota figures (they were refreshed after the engine, so the first record of a quarter named none)."""
    from reports.models import ObligationRun
    from reports.services.runs import run_obligations_job
    from tests.surveys.factories import informed, passed, people

    today = timezone.localdate()
    year, quarter = (today.year, (today.month - 1) // 3) if today.month > 3 else (today.year - 1, 4)
    first = D(year, 3 * quarter - 2, 5)
    passed(people(3, smo=region.smo1, mo=region.mo1), mo=region.mo1, day=first, posted_by=region.mo1_user)
    informed(people(4, smo=region.smo1, mo=region.mo1), smo=region.smo1, mo=region.mo1, day=first)
    assert not QuotaFigures.objects.exists()

    class Progress:
        def write(self, **_counts):
            pass

    run_obligations_job(ObligationRun.objects.create(as_of=today, trigger="manual").pk, Progress())
    counts = record("O14", region.smo1, f"{year}-Q{quarter}").evidence["counts"]
    assert (counts["quota_passed"], counts["quota_informed"], counts["shortfall"]) == (1, 2, 3)


@pytest.mark.django_db
def test_a_record_links_only_the_pages_its_reader_may_open_in_the_readers_language(region, today, client):
    """O10's record links the Fund's control of informing: shown to the Fund, not to the SMO's level 2 (the page
    would answer 403); the label follows the reader's language, not the worker's that wrote the record."""
    from django.conf import settings

    month_start = today.replace(day=1)
    last_month_end = month_start - datetime.timedelta(days=1)
    fact(region, last_month_end.replace(day=3), late=True)
    run(today + datetime.timedelta(days=10))
    row = record("O10", region.smo1, f"{last_month_end.year}-{last_month_end.month:02d}")
    url = reverse("reports:noncompliance_detail", args=[row.pk])
    control = reverse("informing:control")
    client.force_login(region.fund_user)
    page = client.get(url).content.decode()
    assert control in page and "Контроль информирования за месяц" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Informing control for the month" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    client.force_login(region.smo1_l2)
    response = client.get(url)
    assert response.status_code == 200 and control not in response.content.decode()


def test_the_ministrys_report_names_the_evidence_as_the_pages_do():
    from reports.formats.ministry import evidence_text

    text = evidence_text({"counts": {"late_facts": 2, "CONFIRMED": 3}, "dates": {"counted_on": "2026-12-01"}})
    assert text == "из них размещены с опозданием: 2; подтверждено: 3; посчитано на: 2026-12-01"
