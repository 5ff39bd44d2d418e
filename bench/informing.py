"""Bench: informing at region scale — who is due, a batch of 100,000 SMS, 1,000,000 INFORM facts.

Works in its own database (``<DATABASE_URL name>_bench_informing``), which it fills itself when it does not hold the
requested size: an SMO insuring ``--informing-insured`` persons (500,000) attached to 10 MOs, and
``--informing-entries`` (250,000) DVN list entries of the year, months spread over the year, a mobile phone each.
Each figure is the portal's own code path, next to a floor measured in the same run:

- **who is due** (``informing.due.due_counts``: every kind's rule, on the production calendar) for that SMO on
  15 May; floor: one ``count(*)`` of the SMO's list entries joined to its insured, grouped by MO and month.
  Target ≤ 5 s.
- **a batch of 100,000 SMS** built (the ``informing.batch`` job: due set, channel choice, rendering, COPY) and its
  SMS batch file written into the temporary file a download streams; floor: COPY of 100,000 rendered rows into a
  plain table and COPY of them out as CSV. Target ≤ 10 s.
- **1,000,000 INFORM facts** (an XML file, two facts per insured person) loaded by ``manage.py upload_inform`` in a
  child process started by a small Python process of its own (so its peak RSS is the loader's own, not the bench
  process's it was forked from); floor: COPY of the same rows into a plain table.
  Targets ≥ 30,000 facts/s, RSS ≤ 300 MB.

Run: ``python -m bench --only informing`` (``--informing-insured 50000 --informing-entries 25000`` for a quick run).
"""

from __future__ import annotations

import datetime
import io
import time
from urllib.parse import urlsplit, urlunsplit

from bench import OUT, Timer, base_database_url, children_peak_rss_mb, line, manage

SUFFIX = "_bench_informing"
MOS = 10
SMO_CODE = "27901"
FACTS_FILE_NAME = "inform_{n}.xml"


def add_arguments(parser) -> None:
    # Default: the sizes of the issue (500,000 / 250,000 / 100,000 / 1,000,000) for a 1,000,000-person run, scaled
    # down with a smaller --persons (the bench self-test runs all parts at 3,000).
    parser.add_argument("--informing-insured", type=int, help="insured persons of the SMO (--persons / 2)")
    parser.add_argument("--informing-entries", type=int, help="list entries (insured / 2)")
    parser.add_argument("--informing-sms", type=int, help="SMS in the batch (entries * 2 / 5)")
    parser.add_argument("--informing-facts", type=int, help="INFORM facts loaded (insured * 2)")


def _sizes(args) -> None:
    args.informing_insured = args.informing_insured or max(100, args.persons // 2)
    args.informing_entries = args.informing_entries or args.informing_insured // 2
    args.informing_sms = args.informing_sms or args.informing_entries * 2 // 5
    args.informing_facts = args.informing_facts or args.informing_insured * 2


def database_url() -> str:
    parts = urlsplit(base_database_url())
    name = (parts.path.lstrip("/") or "omsportal").removesuffix("_bench") + SUFFIX
    return urlunsplit(parts._replace(path="/" + name))


def _maintenance(url: str):
    import psycopg2

    conn = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    conn.autocommit = True
    return conn


def _sized(url: str, insured: int, entries: int) -> bool:
    import psycopg2

    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM participants_person")
            persons = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM screening_listentry")
            listed = cur.fetchone()[0]
        return persons == insured and listed == entries
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def _prepare(url: str, insured: int, entries: int, year: int) -> None:
    """Re-create the database with the SMO's insured, their attachments and the list entries (COPY, in SQL)."""
    name = urlsplit(url).path.lstrip("/")
    if not name.endswith(SUFFIX):
        raise SystemExit(f"refusing to recreate a database not named *{SUFFIX}: {name}")
    conn = _maintenance(url)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    manage(["migrate", "--noinput", "--verbosity", "0"], database_url=url)
    from bench import setup_django

    setup_django(url)
    from django.db import connection

    from participants.identifiers import enp_with_check
    from participants.models import Organization, OrganizationKind, Role, User

    smo = Organization.objects.create(kind=OrganizationKind.SMO, code=SMO_CODE, name="СМО бенча", phone="+74212000000")
    mos = [
        Organization.objects.create(kind=OrganizationKind.MO, code=f"27{9000 + i:04d}", name=f"МО {i}",
                                    address=f"г. Хабаровск, ул. Бенча, {i}", hours="8:00–20:00", phone="+74212111111")
        for i in range(MOS)
    ]  # fmt: skip
    l2 = User.objects.create(username="bench_l2", role=Role.SMO_L2, organization=smo)
    mo_user = User.objects.create(username="bench_mo", role=Role.MO_STAFF, organization=mos[0])
    buffer = io.StringIO()
    for i in range(insured):
        enp = enp_with_check(f"27{8 * 10**12 + i:013d}")
        born = datetime.date(1950 + i % 55, 1 + i % 12, 1 + i % 28)
        phone = f"+7914{i % 10_000_000:07d}"
        buffer.write(f"{enp}\tИванова\tМария\tПетровна\tИВАНОВА|МАРИЯ|ПЕТРОВНА\t2\t{born}\t{phone}\t\t\tf\tnow\n")
    buffer.seek(0)
    with connection.cursor() as cur:
        cur.copy_expert(
            "COPY participants_person (enp, last_name, first_name, patronymic, name_key, sex, birth_date, phone, "
            "email, address, informing_opt_out, updated_at) FROM STDIN",
            buffer,
        )
        mo_ids = [m.pk for m in mos]
        cur.execute(
            "INSERT INTO participants_policyperiod (person_id, smo_code, smo_id, date_from) "
            "SELECT id, %s, %s, '2015-01-01' FROM participants_person",
            [SMO_CODE, smo.pk],
        )
        cur.execute(
            "INSERT INTO participants_attachmentperiod (person_id, mo_code, mo_id, district, date_from) "
            "SELECT p.id, o.code, o.id, '', '2015-01-01' FROM participants_person p "
            "JOIN participants_organization o ON o.id = (%s::bigint[])[1 + p.id %% %s]",
            [mo_ids, MOS],
        )
    from screening.models import ListUpload

    upload = ListUpload.objects.create(
        mo=mos[0], year=year, file="lists/bench.xml", original_name="bench.xml", uploaded_by=mo_user,
        status="DONE", protocol_issued_at=datetime.datetime(year - 1, 12, 20, 12, tzinfo=datetime.UTC),
        is_current=True,
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO screening_listentry (upload_id, mo_id, year, measure, month, doctor_snils, person_id, "
            "smo_id, smo_code, district, phone, n_zap, state, health_group, created_at) "
            "SELECT %s, a.mo_id, %s, 'DVN', 1 + (p.id %% 12), '', p.id, %s, %s, '', '', p.id, 'LISTED', '', now() "
            "FROM participants_person p JOIN participants_attachmentperiod a ON a.person_id = p.id "
            "ORDER BY p.id LIMIT %s",
            [upload.pk, year, smo.pk, SMO_CODE, entries],
        )
        cur.execute("ANALYZE")
    from informing.services.texts import template_create, version_approve, version_submit

    fund = Organization.objects.create(kind=OrganizationKind.FUND, code="27", name="ТФОМС")
    fund_user = User.objects.create(username="bench_fund", role=Role.FUND, organization=fund)
    template = template_create(
        smo=smo, kind="INVITE", channel="SMS", name="Приглашение", created_by=l2,
        body="{имя_отчество}, приглашаем на диспансеризацию в {мо}, {адрес_мо}, {часы_мо}. Тел. {телефон_смо}",
    )  # fmt: skip
    version = template.versions.get()
    version_submit(version=version, user=l2)
    version_approve(version=version, user=fund_user)
    del l2


def _facts_file(path, n: int) -> None:
    """An INFORM XML file (the canonical twin) of ``n`` facts: two per insured person (SMS and phone), a week back;
    and the same rows as a TSV for the floor."""
    from django.db import connection

    day = (datetime.date.today() - datetime.timedelta(days=7)).isoformat()
    with connection.cursor() as cur:
        cur.execute("SELECT enp FROM participants_person ORDER BY id LIMIT %s", [(n + 1) // 2])
        enps = [row[0] for row in cur.fetchall()]
    with open(path, "w", encoding="utf-8") as out, open(str(path) + ".tsv", "w", encoding="utf-8") as tsv:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<INFORM><ZGLV><VERSION>1.0</VERSION>'
                  f"<DATA>{day}</DATA><FILENAME>INFORM_BENCH</FILENAME><SMO>{SMO_CODE}</SMO></ZGLV>\n")  # fmt: skip
        written = 0
        for enp in enps:
            for channel in ("SMS", "PHONE"):
                if written == n:
                    break
                written += 1
                out.write(f"<FACT><N_ZAP>{written}</N_ZAP><ENP>{enp}</ENP><KIND>INVITE</KIND><CHANNEL>{channel}</CHANNEL>"
                          f"<DATE>{day}</DATE><RESULT>DELIVERED</RESULT><REF>r{written}</REF><AGENT>bench_l2</AGENT>"
                          "</FACT>\n")  # fmt: skip
                tsv.write(f"{written}\t{enp}\tINVITE\t{channel}\t{day}\tDELIVERED\tr{written}\tbench_l2\n")
        out.write("</INFORM>\n")


# A child's peak RSS counts the RSS of the process it was forked from (Linux keeps the high-water mark across exec):
# this bench process holds the register and the batch by then, so the loader is started by a small Python process
# of its own, which reports its child's peak.
_RSS_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(f'peak-rss-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def _measured_manage(args: list[str], url: str):
    """``manage.py args`` as a child of a small process: (the completed process, the command's own peak RSS in MB)."""
    import subprocess
    import sys

    from bench import ROOT, child_env

    done = subprocess.run(
        [sys.executable, "-c", _RSS_OF_CHILD, sys.executable, str(ROOT / "manage.py"), *args],
        env=child_env(url), cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    peak = [line for line in done.stderr.splitlines() if line.startswith("peak-rss-kib ")]
    return done, int(peak[-1].split()[1]) / 1024 if peak else children_peak_rss_mb()


def run(args) -> None:
    _sizes(args)
    url = database_url()
    year = datetime.date.today().year
    line("database", urlsplit(url).path.lstrip("/"))
    if _sized(url, args.informing_insured, args.informing_entries):
        manage(["migrate", "--noinput", "--verbosity", "0"], database_url=url)
        line("data", f"{args.informing_insured:,} insured, {args.informing_entries:,} list entries (reused)")
        from bench import setup_django

        setup_django(url)
    else:
        with Timer() as t:
            _prepare(url, args.informing_insured, args.informing_entries, year)
        line("data", f"{args.informing_insured:,} insured, {args.informing_entries:,} list entries ({t.seconds:.0f} s)")
    from django.db import connection, transaction

    from informing.due import due_counts
    from informing.formats.batchfiles import batch_file
    from informing.models import Batch, BatchMessage, InformingFact, TemplateVersion
    from informing.services.batches import batch_create, batch_send
    from participants.models import Organization, User

    smo = Organization.objects.get(code=SMO_CODE, kind="SMO")
    l2 = User.objects.get(username="bench_l2")
    on = datetime.date(year, 5, 15)
    # Fresh runs: no facts or batches of an earlier run.
    with connection.cursor() as cur:
        cur.execute("TRUNCATE informing_informingfact, informing_batchmessage, informing_batch, informing_informupload")
        cur.execute("ANALYZE")

    # --- who is due ---
    due_counts(smo_id=smo.pk, on=on)  # warm
    with Timer() as t:
        counts = due_counts(smo_id=smo.pk, on=on)
    due_seconds = t.seconds
    with Timer() as floor, connection.cursor() as cur:
        cur.execute(
            "SELECT e.mo_id, e.month, count(*) FROM screening_listentry e "
            "WHERE e.person_id IN (SELECT person_id FROM participants_policyperiod WHERE smo_id = %s) "
            "GROUP BY 1, 2",
            [smo.pk],
        )
        cur.fetchall()
    total = sum(c.due for c in counts)
    line("who is due (all kinds, 15 May)", f"{due_seconds:.2f} s for {total:,} due, {len(counts)} lines")
    line(
        "  floor: count of listed insured by MO/month",
        f"{floor.seconds:.2f} s ({due_seconds / max(floor.seconds, 1e-6):.1f}x)",
    )
    line("  target", f"<= 5 s: {'met' if due_seconds <= 5 else 'NOT met'}")

    # --- a batch of SMS ---
    version = TemplateVersion.objects.filter(template__smo=smo, status="APPROVED").first()
    per_mo = {}
    with connection.cursor() as cur:
        cur.execute("SELECT mo_id, count(*) FROM screening_listentry WHERE month <= 6 GROUP BY mo_id ORDER BY mo_id")
        per_mo = dict(cur.fetchall())
    chosen, size = [], 0
    for mo_id, n in per_mo.items():
        if size >= args.informing_sms:
            break
        chosen.append(mo_id)
        size += n
    with Timer() as built:
        batch = batch_create(smo=smo, kind="INVITE", created_by=l2, arms=[{"SMS": version.pk}], on=on,
                             mo_ids=chosen, run_async=False)  # fmt: skip
    batch_send(batch=batch, user=l2, run_async=False)
    batch.refresh_from_db()
    with Timer() as exported:
        content = batch_file(batch, "sms")  # the temporary file the download streams
    file_bytes = content.seek(0, 2)
    content.close()
    sms = BatchMessage.objects.filter(batch=batch, channel="SMS").count()
    batch_seconds = built.seconds + exported.seconds
    with Timer() as floor, transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_sms (id bigint, person_id bigint, phone text, text text) ON COMMIT DROP")
        cur.execute(
            "INSERT INTO bench_sms SELECT id, person_id, address, text FROM informing_batchmessage WHERE batch_id = %s",
            [batch.pk],
        )
        rows = io.StringIO()
        cur.copy_expert("COPY (SELECT id, phone, text FROM bench_sms) TO STDOUT WITH (FORMAT csv, DELIMITER ';')", rows)
        buffer = io.StringIO(rows.getvalue())
        cur.execute("CREATE TEMP TABLE bench_sms2 (id bigint, phone text, text text) ON COMMIT DROP")
        cur.copy_expert("COPY bench_sms2 FROM STDIN WITH (FORMAT csv, DELIMITER ';')", buffer)
    line(f"batch of {sms:,} SMS: built (job) + file", f"{batch_seconds:.2f} s (build {built.seconds:.2f} s, file "
         f"{exported.seconds:.2f} s, {file_bytes / 1e6:.0f} MB)")  # fmt: skip
    line(
        "  floor: COPY of the rows in and out",
        f"{floor.seconds:.2f} s ({batch_seconds / max(floor.seconds, 1e-6):.1f}x)",
    )
    line("  target", f"<= 10 s: {'met' if batch_seconds <= 10 else 'NOT met'}")
    Batch.objects.filter(pk=batch.pk).delete()

    # --- INFORM facts ---
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / FACTS_FILE_NAME.format(n=args.informing_facts)
    if not path.exists():
        _facts_file(path, args.informing_facts)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE informing_informingfact, informing_informupload")
    start = time.perf_counter()
    done, rss = _measured_manage(["upload_inform", str(path), "--smo", SMO_CODE], url)
    seconds = time.perf_counter() - start
    loaded = InformingFact.objects.count()
    from informing.models import InformUpload

    job = InformUpload.objects.order_by("-pk").first()
    job_seconds = (job.finished_at - job.started_at).total_seconds() if job and job.finished_at else seconds
    with Timer() as floor, transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_facts (n int, enp text, kind text, channel text, date date, result text, "
            "ref text, agent text) ON COMMIT DROP"
        )
        with open(str(path) + ".tsv", encoding="utf-8") as handle:
            cur.copy_expert("COPY bench_facts FROM STDIN", handle)
    rate = loaded / job_seconds if job_seconds else 0
    line(f"{args.informing_facts:,} INFORM facts (XML, upload_inform)", f"{job_seconds:.1f} s = {rate:,.0f} facts/s "
         f"({loaded:,} loaded; the job, claimed to finished)")  # fmt: skip
    line("  the command, with its start-up", f"{seconds:.1f} s ({done.stdout.strip().splitlines()[0][:50]})")
    line("  peak RSS of the loader", f"{rss:.0f} MB")
    line("  floor: COPY of the same rows", f"{floor.seconds:.2f} s ({job_seconds / max(floor.seconds, 1e-6):.1f}x)")
    line("  targets", f">= 30,000 facts/s: {'met' if rate >= 30_000 else 'NOT met'}; RSS <= 300 MB: "
         f"{'met' if rss <= 300 else 'NOT met'}")  # fmt: skip
