"""Bench: the obligations engine, the dashboard aggregates and pages, the Ministry's reports at region scale.

Runs in the lists bench database (the 1,000,000-person register with seed_demo's users; seeded when missing) and
writes there, for the current year, 500,000 list entries (150,000 of them on one MO, as one large upload would put
them), stage events (started / stage 1 done / passed) and 2,000,000 informing facts, all by SQL; then times:

- the nightly run: the engine as of today, the figures, the outcomes and the survey quotas of the year, in one
  transaction, twice: first from a clean state (no obligation state, no non-compliance: every state and record is
  written, with its evidence), then the idempotent rerun over what the first wrote (changes nothing);
- the aggregate refresh after the 150,000-record upload (the MO's figures of the year, what follows the job);
- the Fund's dashboard (region, an MO drilled into) as the Fund user: after 5 warm-up requests, 100 requests each,
  p50 / p95 (nearest rank) / max;
- the Ministry's non-compliance report as XLSX and as PDF;
- the floor, in the same run: one GROUP BY of the year's entries per MO and state (no joins).

Run: ``python -m bench --only reports [--persons N]``.
"""

from __future__ import annotations

import datetime
import io
import math
import statistics
import time
from urllib.parse import urlsplit

from bench import line
from bench.lists import _seed, lists_database_url

ENTRIES = 500_000
BIG_MO = 150_000
FACTS = 2_000_000
NONCOMPLIANCE = 300
WARM_UP, REQUESTS = 5, 100


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _generate(year: int) -> None:
    from django.db import connection

    from participants.models import Organization, User
    from screening.models import EventBatch

    mos = list(Organization.objects.filter(kind="MO").order_by("code").values_list("pk", flat=True))
    user = User.objects.filter(role="MO_STAFF").first() or User.objects.first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM informing_informingfact WHERE date >= %s", [datetime.date(year, 1, 1)])
        cur.execute("DELETE FROM screening_stageevent WHERE date >= %s", [datetime.date(year, 1, 1)])
        cur.execute("DELETE FROM screening_listentry WHERE year = %s", [year])
        cur.execute("DELETE FROM reports_obligationstate")
        cur.execute("DELETE FROM reports_noncompliance")
    batches = [EventBatch.objects.create(mo_id=mo, posted_by=user, status="DONE", source="API").pk for mo in mos]
    upload_id = _upload_row(mos[0], user, year)
    with connection.cursor() as cur:
        # 500,000 persons with an open policy: the first 150,000 on MO 0's list, the rest spread over the MOs.
        cur.execute(
            """
            INSERT INTO screening_listentry (upload_id, mo_id, year, measure, month, person_id, smo_id, smo_code,
                district, phone, n_zap, state, doctor_snils, health_group, created_at)
            SELECT %(upload)s,
                CASE WHEN rn <= %(big)s THEN (%(mos)s)[1] ELSE (%(mos)s)[1 + rn %% array_length(%(mos)s, 1)] END,
                %(year)s, CASE WHEN rn %% 3 = 0 THEN 'DVN' ELSE 'PMO' END, 1 + rn %% 12, person_id, smo_id, smo_code,
                '', '', rn,
                CASE WHEN rn %% 10 < 4 THEN 'LISTED' WHEN rn %% 10 < 5 THEN 'STARTED' WHEN rn %% 10 < 6
                     THEN 'STAGE2_SENT' WHEN rn %% 10 < 9 THEN 'STAGE1_DONE' ELSE 'REFUSED' END, '', '', now()
            FROM (SELECT pp.person_id, pp.smo_id, pp.smo_code, row_number() OVER (ORDER BY pp.person_id) AS rn
                  FROM participants_policyperiod pp WHERE pp.date_to IS NULL AND pp.smo_id IS NOT NULL
                  LIMIT %(entries)s) s
            """,
            {"upload": upload_id, "big": BIG_MO, "mos": mos, "year": year, "entries": ENTRIES},
        )
        line("list entries", f"{cur.rowcount:,} for {year}")
        cur.execute(
            """
            INSERT INTO screening_stageevent (batch_id, mo_id, person_id, entry_id, measure, event, date, result,
                health_group, diagnoses, created_at)
            SELECT (%(batches)s)[1 + (le.id %% array_length(%(batches)s, 1))], le.mo_id, le.person_id, le.id,
                le.measure, e.event, make_date(%(year)s, (1 + le.month %% 11)::int, (1 + le.id %% 27)::int),
                1, '', '{}', now()
            FROM screening_listentry le
            CROSS JOIN (VALUES ('START1'), ('END1')) e(event)
            WHERE le.year = %(year)s AND le.state IN ('STARTED', 'STAGE1_DONE', 'STAGE2_SENT')
              AND (e.event = 'START1' OR le.state <> 'STARTED')
            """,
            {"batches": batches, "year": year},
        )
        line("stage events", f"{cur.rowcount:,}")
        cur.execute(
            """
            INSERT INTO informing_informingfact (person_id, smo_id, mo_id, kind, channel, date, outcome, reference,
                agent_id, agent_login, source, posted_at, is_late)
            SELECT le.person_id, le.smo_id, le.mo_id, 'INVITE',
                (ARRAY['SMS','POST','PHONE','MESSENGER','EMAIL'])[1 + (le.id + k) %% 5],
                make_date(%(year)s, (1 + (le.id + k) %% 11)::int, (1 + (le.id * k) %% 27)::int),
                CASE WHEN (le.id + k) %% 5 = 0 THEN 'NOT_DELIVERED' ELSE 'DELIVERED' END, 'ref' || k, NULL, '',
                'FILE', now(), (le.id + k) %% 7 = 0
            FROM screening_listentry le CROSS JOIN generate_series(1, 4) k
            WHERE le.year = %(year)s
            """,
            {"year": year},
        )
        line("informing facts", f"{cur.rowcount:,}")
        cur.execute("ANALYZE")


def _upload_row(mo_id: int, user, year: int) -> int:
    from screening.models import ListUpload

    return ListUpload.objects.create(
        mo_id=mo_id, year=year, file="lists/bench.xml", original_name="bench.xml", uploaded_by=user, status="DONE",
        records_accepted=ENTRIES, records_rejected=5, protocol_issued_at=datetime.datetime.now(datetime.UTC),
    ).pk  # fmt: skip


def run(args) -> None:
    from bench import setup_django

    url = lists_database_url()
    line("database", urlsplit(url).path.lstrip("/"))
    _seed(url, args.persons, args.seed, False)
    setup_django(url)
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from pypdf import PdfReader

    from omsportal import locks
    from participants.models import Organization, User
    from reports.engine import run as engine_run
    from reports.models import NonCompliance, ReviewStatus
    from reports.services.figures import refresh_figures
    from reports.services.outcomes import refresh_outcomes
    from reports.services.quotas import refresh_quotas

    settings.ALLOWED_HOSTS = ["*"]
    today = datetime.date.today()
    year = today.year
    start = time.perf_counter()
    _generate(year)
    line("data generated", f"{time.perf_counter() - start:.0f} s")

    def floor():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT mo_id, state, COUNT(*) FROM screening_listentry WHERE year = %s GROUP BY 1, 2", [year]
            )
            cur.fetchall()

    floor()
    floor_seconds = _timed(floor)

    def nightly():
        parts = {}
        with transaction.atomic():
            with connection.cursor() as cur:
                locks.xact_lock(cur, locks.OBLIGATIONS, 0)
            parts["quotas"] = _timed(lambda: refresh_quotas(year, today))  # first, as the run's job does
            start = time.perf_counter()
            counts = engine_run(today)
            parts["engine"] = time.perf_counter() - start
            parts["figures"] = _timed(lambda: refresh_figures(year))
            parts["outcomes"] = _timed(lambda: refresh_outcomes(year, today))
        counts["parts"] = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in parts.items())
        return counts

    start = time.perf_counter()
    counts = nightly()
    first = time.perf_counter() - start
    line("nightly run, first, from a clean state", f"{first:.1f} s ({counts['evaluated']:,} states, "
         f"{counts['changed']:,} written, {counts['noncompliance_created']:,} non-compliance)")  # fmt: skip
    line("  of which", counts["parts"])
    start = time.perf_counter()
    again = nightly()
    line("nightly run, rerun (idempotent)", f"{time.perf_counter() - start:.1f} s ({again['evaluated']:,} states, "
         f"{again['changed']} changed)")  # fmt: skip
    line("  of which", again["parts"])
    big_mo = Organization.objects.filter(kind="MO").order_by("code").first()
    seconds = _timed(lambda: refresh_figures(year, [big_mo.pk]))
    line("aggregate refresh after the 150,000-record upload", f"{seconds:.2f} s")

    client = Client()
    client.force_login(User.objects.get(username="fund"))
    for label, path in (("region", f"?year={year}"), ("MO drill-down", f"?year={year}&mo={big_mo.pk}")):
        url_ = reverse("reports:dashboard") + path
        for _ in range(WARM_UP):
            assert client.get(url_).status_code == 200
        times = sorted(_timed(lambda u=url_: client.get(u)) * 1000 for _ in range(REQUESTS))
        p95 = times[math.ceil(0.95 * len(times)) - 1]  # nearest rank: 95 % of the requests took at most this
        line(f"dashboard page, {label}", f"p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
             f"max {times[-1]:.0f} ms ({REQUESTS} requests)")  # fmt: skip

    NonCompliance.objects.filter(status=ReviewStatus.NEW).order_by("pk").filter(
        pk__in=NonCompliance.objects.order_by("pk").values("pk")[:NONCOMPLIANCE]
    ).update(status=ReviewStatus.FORWARDED)
    forwarded = NonCompliance.objects.filter(status=ReviewStatus.FORWARDED, period_year=year).count()
    ministry = Client()
    ministry.force_login(User.objects.get(username="ministry"))
    for fmt in ("xlsx", "pdf"):
        url_ = reverse("reports:ministry_report", args=[fmt]) + f"?year={year}"
        start = time.perf_counter()
        response = ministry.get(url_)
        seconds = time.perf_counter() - start
        pages = f", {len(PdfReader(io.BytesIO(response.content)).pages)} pages" if fmt == "pdf" else ""
        line(f"Ministry's report, {fmt.upper()}", f"{seconds:.2f} s ({forwarded} records{pages})")
    line("floor: GROUP BY of the year's entries", f"{floor_seconds:.2f} s")
    connection.close()


if __name__ == "__main__":
    from bench.__main__ import main

    main(["--only", "reports"])
