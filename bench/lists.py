"""Bench: an MO list of 150,000 records (--big: 1,000,000) against a 1,000,000-person register, upload to protocol.

What it prints:
- records per second from upload to protocol: ``list_upload_create(run_async=False)`` (store the file, stream and
  validate it, COPY into staging, set-based identification, protocol rows, replacement of the MO's list, one
  transaction) plus writing the FLK_P protocol to a file as a download does, with the time of each phase; then the
  same file uploaded again (the replacement path: the list exists and is replaced);
- the peak RSS of the worker process (a child process, so the high-water mark is its own);
- the floor, timed in the same run: a plain PostgreSQL ``COPY`` of the same records into a table plus one SQL join
  against the register on ENP; and the ratio of the whole processing to it;
- the least an lxml reader of the file must do (stream it and take every value, no checks, no database), as a
  multiple of the floor, and the ratio of the whole processing to that reading plus the floor, against the target:
  upload to protocol within 2x (reading the XML + the floor).

The register is seeded with ``manage.py seed_demo`` (participants.services.demo, generator
participants.demo.generator) into its own database, DATABASE_URL's name + ``_bench_lists``, kept between runs when it
already holds the requested number of persons (``--reseed`` forces a new one). The list is built from the register:
adults of the biggest MO, DVN when due else PMO, every 10th a DN line, with a realistic sprinkle of problems
(typos → 203, missing ENP → found by SNILS, missing ENP and SNILS → found by name, bad SNILS → 103, repeats → 601,
deceased → 302); ``--big`` takes adults of the whole region, so most of them get 401.

Run: ``python -m bench.lists [--persons N] [--list-records N] [--big] [--reseed]`` or ``python -m bench --only lists``.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only names from code are
# pasted in (table names from model _meta, fixed SQL fragments of this module), every value is a query parameter.
from __future__ import annotations

import datetime
import json
import os
import queue
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

from bench import (
    OUT,
    ROOT,
    Timer,
    base_database_url,
    child_env,
    line,
    manage,
    setup_child_django,
    setup_django,
    time_phases,
)

SUFFIX = "_bench_lists"
# The list target: upload to protocol within this multiple of (reading the XML alone + the floor), both timed in
# the same run. A plain multiple of the floor cannot be met by any reader built on lxml.iterparse (the project's
# rule for files): reading the values out of the XML alone takes about 4x the floor.
TARGET_TO_READING = 2
PLAIN_TABLE = """
    CREATE TABLE bench_lists_plain (
        n_zap integer, enp text, snils text, fam text, im text, ot text, w smallint, dr date, disp text, month smallint
    )
"""


def add_arguments(parser) -> None:
    group = parser.add_argument_group("lists")
    group.add_argument("--list-records", type=int, default=150_000, help="records in the list (150000)")
    group.add_argument("--big", action="store_true", help="a list of 1,000,000 records")
    group.add_argument("--reseed", action="store_true", help="re-create the register even if the database has it")
    group.add_argument("--no-reupload", action="store_true", help="skip the second upload (replacement path)")
    group.add_argument(
        "--dialect-only", action="store_true", help="only the Perm (ProMed) dialect compared to the canonical list"
    )
    group.add_argument(
        "--no-dialect", action="store_true", help="skip the Perm (ProMed) dialect compared to the canonical list"
    )


def lists_database_url() -> str:
    parts = urlsplit(base_database_url())
    name = (parts.path.lstrip("/") or "omsportal").removesuffix(SUFFIX).removesuffix("_bench")
    return urlunsplit(parts._replace(path="/" + name + SUFFIX))


def _maintenance(url: str):
    import psycopg2

    conn = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    conn.autocommit = True
    return conn


def _register_persons(url: str) -> int | None:
    """Persons in the bench database, None when the database does not exist or is not migrated."""
    import psycopg2

    name = urlsplit(url).path.lstrip("/")
    conn = _maintenance(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                return None
    finally:
        conn.close()
    try:
        conn = psycopg2.connect(url)
    except psycopg2.Error:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('participants_person') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT count(*) FROM participants_person")
            return cur.fetchone()[0]
    finally:
        conn.close()


def _seed(url: str, persons: int, seed: int, reseed: bool) -> None:
    have = _register_persons(url)
    if have == persons and not reseed:
        manage(["migrate", "--noinput", "--verbosity", "0"], database_url=url)  # the code may be newer
        line("register", f"{persons:,} persons (reused)")
        return
    name = urlsplit(url).path.lstrip("/")
    if not name.endswith(SUFFIX):
        raise SystemExit(f"refusing to recreate a database not named *{SUFFIX}: {name}")
    conn = _maintenance(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    manage(["migrate", "--noinput", "--verbosity", "0"], database_url=url)
    with Timer() as t:
        manage(["seed_demo", "--persons", str(persons), "--seed", str(seed), "--register-only"], database_url=url)
    line("register", f"{persons:,} persons seeded with seed_demo in {t.seconds:.0f} s")
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()


# --- The list file ------------------------------------------------------------------------------------------------


def _build_list(records: int, big: bool, year: int) -> tuple[Path, Path, str, dict]:
    """Write the ZL_LIST XML and the floor's TSV of the same records; returns (xml, tsv, mo_code, mix)."""
    from django.db import connection, transaction

    from screening.eligibility import current_rules, is_due_dvn

    with connection.cursor() as cur:
        cur.execute(
            "SELECT mo_code, count(*) FROM participants_attachmentperiod WHERE date_to IS NULL "
            "GROUP BY mo_code ORDER BY 2 DESC LIMIT 1"
        )
        mo_code, _ = cur.fetchone()
        cur.execute(
            "SELECT w.snils FROM participants_medicalworker w JOIN participants_organization o ON o.id = w.mo_id "
            "WHERE o.code = %s ORDER BY w.id",
            [mo_code],
        )
        doctors = [row[0] for row in cur.fetchall()] or ["12345678964"]
    OUT.mkdir(parents=True, exist_ok=True)
    # Named after the database: several people may run the benches on one machine at once.
    prefix = f"{connection.settings_dict['NAME']}_zl_list_{records}"
    xml_path, tsv_path = OUT / f"{prefix}.xml", OUT / f"{prefix}.tsv"
    mix = {"DVN": 0, "PMO": 0, "DN": 0, "typo": 0, "no_enp": 0, "no_ids": 0, "bad_snils": 0, "repeat": 0}
    # Adults of the MO first (then of the region, for --big), oldest id first: a deterministic choice.
    query = (
        "SELECT p.enp, coalesce(p.snils, ''), p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date "
        "FROM participants_person p JOIN participants_attachmentperiod a ON a.person_id = p.id AND a.date_to IS NULL "
        "WHERE p.birth_date <= %s {extra} ORDER BY (a.mo_code = %s) DESC, p.id LIMIT %s"
    ).format(extra="" if big else "AND a.mo_code = %s")  # nosec B608
    params = [datetime.date(year - 18, 12, 31)] + ([] if big else [mo_code]) + [mo_code, records]
    rules = current_rules()
    n = 0

    def write(enp, snils, fam, im, ot, sex, birth, disp, xml, tsv) -> None:
        mix[disp] += 1
        w_enp, w_snils, w_fam = _variant(n, enp, snils, fam, mix)
        month = (n % 12) + 1
        measure = (
            f"<DISP>ДН</DISP><KV>{(month - 1) // 3 + 1}</KV><IDDOKT>{doctors[n % len(doctors)]}</IDDOKT>"
            if disp == "DN"
            else f"<DISP>{'ДВН' if disp == 'DVN' else 'ПМО'}</DISP><MONTH>{month}</MONTH>"
        )
        xml.write(_canonical_record(n, w_enp, w_snils, w_fam, im, ot, sex, birth, measure))
        tsv.write(f"{n}\t{w_enp}\t{w_snils}\t{w_fam}\t{im}\t{ot}\t{sex}\t{birth.isoformat()}\t{disp}\t{month}\n")

    with (
        transaction.atomic(),
        connection.chunked_cursor() as cur,
        xml_path.open("w", encoding="utf-8") as xml,
        tsv_path.open("w", encoding="utf-8") as tsv,
    ):
        cur.execute(query, params)
        xml.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<ZL_LIST>\n<ZGLV><VERSION>1.0</VERSION>'
            f"<DATA>{datetime.date.today().isoformat()}</DATA><FILENAME>PROF_M{mo_code}_BENCH</FILENAME>"
            f"<CODE_MO>{mo_code}</CODE_MO><YEAR>{year}</YEAR></ZGLV>\n"
        )
        for enp, snils, fam, im, ot, sex, birth in cur:
            if n >= records:
                break
            n += 1
            disp = "DN" if n % 10 == 0 else ("DVN" if is_due_dvn(year - birth.year, rules) else "PMO")
            write(enp, snils, fam, im, ot, sex, birth, disp, xml, tsv)
            if n % 1000 == 999 and n < records:  # the same person again for the same measure: 601
                n += 1
                mix["repeat"] += 1
                write(enp, snils, fam, im, ot, sex, birth, disp, xml, tsv)
            if big and disp != "DN" and n % 3 == 0 and n < records:  # a region has fewer adults than lines:
                n += 1  # some persons also carry a DN line (another record, another measure)
                write(enp, snils, fam, im, ot, sex, birth, "DN", xml, tsv)
        xml.write("</ZL_LIST>\n")
    mix["records"] = n
    return xml_path, tsv_path, mo_code, mix


def _canonical_record(n, enp, snils, fam, im, ot, sex, birth, measure: str) -> str:
    """One SV_PR_MER of the canonical ZL_LIST (empty elements left out) with one SV_PL_MER."""
    return (
        f"<SV_PR_MER><N_ZAP>{n}</N_ZAP>"
        + (f"<ENP>{enp}</ENP>" if enp else "")
        + (f"<SNILS>{snils}</SNILS>" if snils else "")
        + f"<FAM>{escape(fam)}</FAM><IM>{escape(im)}</IM>"
        + (f"<OT>{escape(ot)}</OT>" if ot else "")
        + f"<W>{sex}</W><DR>{birth.isoformat()}</DR><SV_PL_MER>{measure}</SV_PL_MER></SV_PR_MER>\n"
    )


def _variant(n: int, enp: str, snils: str, fam: str, mix: dict) -> tuple[str, str, str]:
    """The record as written, with the realistic sprinkle of problems (typo, no ENP, no ids, bad SNILS)."""
    w_enp, w_fam = enp, fam
    w_snils = f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}" if snils else ""
    if n % 100 == 50:
        w_fam, mix["typo"] = fam + "а", mix["typo"] + 1
    elif n % 200 == 70:
        w_enp, mix["no_enp"] = "", mix["no_enp"] + 1
    elif n % 300 == 110:
        w_enp, w_snils, mix["no_ids"] = "", "", mix["no_ids"] + 1
    elif n % 500 == 130 and snils:
        w_snils, mix["bad_snils"] = snils[:9] + f"{(int(snils[9:]) + 1) % 100:02d}", mix["bad_snils"] + 1
    return w_enp, w_snils, w_fam


# A ProMed record number: its database id, large and with gaps (shared/formats-regional.md §1).
PERM_ID_BASE, PERM_ID_STEP = 5_900_000_000_000, 7


def _build_dialect_pair(records: int, year: int) -> tuple[Path, Path, str, dict]:
    """The same records as a canonical ZL_LIST and in the Perm (ProMed) dialect, as that MIS writes it (windows-1251,
    standalone, CRLF, tabs, every template element even when empty, NOMER_Z database ids, QUART, ДВ4/ОПВ). The
    Perm export has no ДН, so neither file has DN lines; the rest is the list bench's mix."""
    from django.db import connection, transaction

    from screening.eligibility import current_rules, is_due_dvn
    from tests.screening.promed import perm_header, perm_record

    with connection.cursor() as cur:
        cur.execute(
            "SELECT mo_code, count(*) FROM participants_attachmentperiod WHERE date_to IS NULL "
            "GROUP BY mo_code ORDER BY 2 DESC LIMIT 1"
        )
        mo_code, _ = cur.fetchone()
    OUT.mkdir(parents=True, exist_ok=True)  # --dialect-only on a fresh checkout builds no other file first
    prefix = f"{connection.settings_dict['NAME']}_dialect_{records}"
    canonical_path, perm_path = OUT / f"{prefix}.xml", OUT / f"PROF_M{mo_code}T59_{prefix}.xml"
    mix = {"DVN": 0, "PMO": 0, "typo": 0, "no_enp": 0, "no_ids": 0, "bad_snils": 0}
    rules = current_rules()
    n = 0
    with (
        transaction.atomic(),
        connection.chunked_cursor() as cur,
        canonical_path.open("w", encoding="utf-8") as xml,
        perm_path.open("w", encoding="windows-1251", newline="") as perm,
    ):
        cur.execute(
            "SELECT p.enp, coalesce(p.snils, ''), p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date "
            "FROM participants_person p JOIN participants_attachmentperiod a ON a.person_id = p.id "
            "AND a.date_to IS NULL WHERE p.birth_date <= %s AND a.mo_code = %s ORDER BY p.id LIMIT %s",
            [datetime.date(year - 18, 12, 31), mo_code, records],
        )
        xml.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<ZL_LIST>\n<ZGLV><VERSION>1.0</VERSION>'
            f"<DATA>{datetime.date.today().isoformat()}</DATA><FILENAME>PROF_M{mo_code}_BENCH</FILENAME>"
            f"<CODE_MO>{mo_code}</CODE_MO><YEAR>{year}</YEAR></ZGLV>\n"
        )
        perm.write('<?xml version="1.0" encoding="windows-1251" standalone="yes"?>\r\n<ZL_LIST>\r\n')
        perm.write(perm_header(code_mo=mo_code, year=year, filename=perm_path.stem))
        for enp, snils, fam, im, ot, sex, birth in cur:
            n += 1
            disp = "ДВН" if is_due_dvn(year - birth.year, rules) else "ПМО"
            mix["DVN" if disp == "ДВН" else "PMO"] += 1
            w_enp, w_snils, w_fam = _variant(n, enp, snils, fam, mix)
            month = (n % 12) + 1
            measure = f"<DISP>{disp}</DISP><MONTH>{month}</MONTH>"
            xml.write(_canonical_record(n, w_enp, w_snils, w_fam, im, ot, sex, birth, measure))
            record = {
                "ENP": w_enp, "SNILS": w_snils, "FAM": escape(w_fam), "IM": escape(im), "OT": escape(ot),
                "W": str(sex), "DR": birth.isoformat(), "measures": [{"DISP": disp, "MONTH": str(month)}],
            }  # fmt: skip
            perm.write(perm_record(record, PERM_ID_BASE + PERM_ID_STEP * n, pg_dates=n % 2 == 0))
        xml.write("</ZL_LIST>\n")
        perm.write("</ZL_LIST>\r\n")
    mix["records"] = n
    return canonical_path, perm_path, mo_code, mix


def _clear_year(year: int) -> None:
    """A clean start for the lists of the year (earlier bench runs), in SQL: the ORM would load every row."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM screening_protocolerror e USING screening_listupload u "
            "WHERE u.id = e.upload_id AND u.year = %s",
            [year],
        )
        cur.execute("DELETE FROM screening_listentry WHERE year = %s", [year])
        cur.execute("DELETE FROM screening_listupload WHERE year = %s", [year])
        cur.execute("VACUUM ANALYZE screening_listentry")
    connection.close()


# The Perm dialect's target: upload to protocol within this share of the canonical file's time, same run.
DIALECT_TARGET = 0.10


def dialect_comparison(url: str, records: int, year: int, rounds: int = 2) -> None:
    """The same records uploaded as a canonical ZL_LIST and in the Perm dialect, alternately, each into an empty list
    of the year; the best of ``rounds`` of each (the machine is shared), and whether the verdicts agree."""
    setup_django(url)
    with Timer() as t:
        canonical, perm, mo_code, mix = _build_dialect_pair(records, year)
    line(
        "dialect pair",
        f"{mix['records']:,} records: canonical {canonical.stat().st_size / 2**20:.0f} MB, Perm (ProMed) "
        f"{perm.stat().st_size / 2**20:.0f} MB windows-1251 ({t.seconds:.0f} s)",
    )
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for label, path in (("canonical", canonical), ("perm", perm)):
            _clear_year(year)
            run = _process_in_child(path, url, mo_code, 1)["runs"][0]
            run["total"] = run["upload_seconds"] + run["protocol_seconds"]
            if label not in best or run["total"] < best[label]["total"]:
                best[label] = run
    c, p = best["canonical"], best["perm"]
    line("  canonical ZL_LIST, upload to protocol", f"{c['total']:.1f} s (best of {rounds})")
    line("  Perm dialect, upload to protocol", f"{p['total']:.1f} s (best of {rounds})")
    # Every phase of the two best runs side by side: the SQL of the same rows costs the same in both, so a phase
    # that differs much says how loaded the machine was during one of them.
    for phase in dict.fromkeys([*c["phases"], *p["phases"]]):
        figures = f"canonical {c['phases'].get(phase, 0):.2f} s, Perm {p['phases'].get(phase, 0):.2f} s"
        line(f"    {phase.strip()}", figures)
    line("    FLK_P protocol XML", f"canonical {c['protocol_seconds']:.2f} s, Perm {p['protocol_seconds']:.2f} s")

    # 701 is compared by month in one and by quarter in the other: the records' verdicts are what must agree.
    def verdicts(run: dict) -> tuple:
        return run["accepted"], run["rejected"], {k: v for k, v in run["counts_by_code"].items() if k != "701"}

    same = verdicts(c) == verdicts(p)
    line("  same verdicts", f"{'yes' if same else 'NO'} (accepted {p['accepted']:,}, rejected {p['rejected']:,})")
    extra = p["total"] / c["total"] - 1
    line("  Perm / canonical", f"{extra * 100:+.0f} %")
    met = "met" if extra <= DIALECT_TARGET and same else "NOT met"
    line(f"target (Perm dialect within {DIALECT_TARGET * 100:.0f} % of the canonical)", met)


# --- The floor -----------------------------------------------------------------------------------------------------


def _floor(tsv_path: Path) -> tuple[int, int, float]:
    """COPY of the same records into a plain table plus one join against the register on ENP, timed together."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_lists_plain, bench_lists_joined")
    with Timer() as t, connection.cursor() as cur, tsv_path.open("r", encoding="utf-8") as data:
        cur.execute(PLAIN_TABLE)
        cur.copy_expert("COPY bench_lists_plain FROM STDIN", data)
        cur.execute(
            "CREATE TABLE bench_lists_joined AS SELECT l.n_zap, p.id AS person_id "
            "FROM bench_lists_plain l JOIN participants_person p ON p.enp = l.enp"
        )
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bench_lists_plain), (SELECT count(*) FROM bench_lists_joined)")
        rows, joined = cur.fetchone()
        cur.execute("DROP TABLE IF EXISTS bench_lists_plain, bench_lists_joined")
    return rows, joined, t.seconds


def _read_floor(xml_path: Path) -> tuple[int, float]:
    """The least any lxml reader of the file does: stream it with iterparse (the project's safe options) and take
    the text of every element of every record, with no checks, no conversions and no database."""
    from lxml import etree

    records = 0
    with Timer() as t:
        context = etree.iterparse(
            str(xml_path), events=("end",), tag="SV_PR_MER", resolve_entities=False, load_dtd=False,
            no_network=True, huge_tree=True, remove_comments=True, remove_pis=True,
        )  # fmt: skip
        for _event, element in context:
            _values = [(item.tag, item.text) for item in element.iter()]
            records += 1
            element.clear(keep_tail=False)
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return records, t.seconds


# --- The worker process --------------------------------------------------------------------------------------------


def _process_in_child(path: Path, url: str, mo_code: str, uploads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_media_") as media:
        done = subprocess.run(
            [sys.executable, "-m", "bench.lists", "--child", str(path), mo_code, str(uploads)],
            env=child_env(url, MEDIA_ROOT=media, LOG_LEVEL="WARNING"),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("the list processing failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def upload_list(url: str, records: int, *, big: bool, year: int, uploads: int) -> tuple[Path, Path, str, dict, dict]:
    """Build the list file from the bench register, clear the year's lists and upload it in a worker process;
    returns (xml, tsv, mo_code, mix, the worker's report). The bench database must hold the register."""
    setup_django(url)
    from django.db import connection

    with Timer() as t:
        xml_path, tsv_path, mo_code, mix = _build_list(records, big, year)
    line(
        "list file",
        f"{mix['records']:,} records, {xml_path.stat().st_size / 2**20:.0f} MB, MO {mo_code} ({t.seconds:.0f} s)",
    )
    line("  mix", ", ".join(f"{k} {v:,}" for k, v in mix.items() if k != "records"))
    connection.close()
    _clear_year(year)
    return xml_path, tsv_path, mo_code, mix, _process_in_child(xml_path, url, mo_code, uploads)


def run(args) -> None:
    url = lists_database_url()
    line("database", urlsplit(url).path.lstrip("/"))
    _seed(url, args.persons, args.seed, args.reseed)
    year = datetime.date.today().year + 1
    records = 1_000_000 if args.big else args.list_records
    if args.dialect_only:
        dialect_comparison(url, records, year)
        return
    uploads = 1 if args.no_reupload else 2
    xml_path, tsv_path, _mo_code, mix, result = upload_list(url, records, big=args.big, year=year, uploads=uploads)
    first = result["runs"][0]
    n = mix["records"]
    total = first["upload_seconds"] + first["protocol_seconds"]
    line("upload to protocol", f"{n:,} records in {total:.1f} s = {n / total:,.0f} records/s")
    line("  list_upload_create (store + process)", f"{first['upload_seconds']:.1f} s")
    for phase, seconds in first["phases"].items():
        line(f"    {phase}", f"{seconds:.2f} s")
    line("  FLK_P protocol XML", f"{first['protocol_seconds']:.2f} s ({first['protocol_kb']:,} KB)")
    line("  counts", f"accepted {first['accepted']:,}, rejected {first['rejected']:,}, warnings {first['warnings']}")
    line("  by code", ", ".join(f"{code}: {count:,}" for code, count in first["counts_by_code"].items()))
    if len(result["runs"]) > 1:
        again = result["runs"][1]
        seconds = again["upload_seconds"] + again["protocol_seconds"]
        line("re-upload of the same file (replaces the list)", f"{seconds:.1f} s = {n / seconds:,.0f} records/s")
    line(
        "peak RSS of the worker process",
        f"{result['peak_rss_mb']:.0f} MB ({first['peak_rss_processing_mb']:.0f} MB before the protocol XML)",
    )

    from django.db import connection

    rows, joined, floor_seconds = _floor(tsv_path)
    line("floor: COPY + one join on ENP", f"{rows:,} rows ({joined:,} joined) in {floor_seconds:.2f} s")
    line("upload to protocol / floor", f"{total / floor_seconds:.1f}x")
    read_records, read_seconds = _read_floor(xml_path)
    line(
        "  reading the XML alone (lxml, every value, no checks)",
        f"{read_records:,} records in {read_seconds:.2f} s = {read_seconds / floor_seconds:.1f}x the floor",
    )
    to_reading = total / (read_seconds + floor_seconds)
    line("upload to protocol / (reading the XML + floor)", f"{to_reading:.1f}x")
    met = "met" if to_reading <= TARGET_TO_READING else "NOT met"
    line(f"target (<= {TARGET_TO_READING}x (reading the XML + floor))", met)
    connection.close()
    if not args.no_dialect and not args.big:
        dialect_comparison(url, records, year)


def _peak_rss_mb() -> float:
    """VmHWM of this process. Not ru_maxrss: Linux carries the parent's high-water mark over fork+exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        for row in status:
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: str, mo_code: str, uploads: int) -> None:
    setup_child_django()
    from django.core.files import File

    from participants.models import Organization, Role, User
    from screening.formats.flk import protocol_temp_file
    from screening.services import identification as ident
    from screening.services import list_upload as service

    phases: dict[str, float] = {}
    time_phases(
        phases,
        [
            (service, "_stage", "read, validate, COPY, one-record checks"),
            (ident, "check_rows", "  of which one-record checks (SQL, beside parsing)"),
            (ident, "analyze", "statistics of the work tables"),
            (ident, "file_errors", "601, 102 (whole file)"),
            (ident, "other_mo_errors", "602"),
            (ident, "accept", "accepted rows"),
            (ident, "write_errors", "protocol rows"),
            (ident, "replace_entries", "replace the MO's list"),
            (ident, "plan_warnings", "701"),
            (service, "_finish", "job row, current flags, commit"),
        ],
    )

    # The producer thread's own CPU time (reading, validating, COPY text) and wall time, and how long the stage's
    # thread waited for its batches: a stage bound by the producer waits long, one bound by the SQL checks hardly.
    # The producer is the generator of COPY chunks that omsportal.jobs.pipeline.read_ahead runs in its thread.
    from omsportal.jobs import pipeline

    chunks = service._chunks

    def timed_chunks(*args, **kwargs):
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            yield from chunks(*args, **kwargs)
        finally:
            phases["  producer thread CPU (read, validate, COPY text)"] = time.thread_time() - cpu
            phases["  producer thread wall"] = time.perf_counter() - start

    class TimedQueue(queue.Queue):
        def get(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return super().get(*args, **kwargs)
            finally:
                label = "  waiting for the producer's batches"
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - start

    service._chunks = timed_chunks
    pipeline.queue = types.SimpleNamespace(Queue=TimedQueue, Empty=queue.Empty)

    # A worker that has issued a protocol before: the production calendar (holidays package) is loaded once per
    # process, not per list.
    from omsportal.workdays import add_working_days

    add_working_days(datetime.date.today(), 5)
    mo = Organization.objects.get(kind="MO", code=mo_code)
    user = User.objects.filter(organization=mo, role=Role.MO_STAFF).first() or User.objects.filter(role="ADMIN").first()
    runs = []
    for _ in range(uploads):
        phases.clear()
        with open(path, "rb") as handle, Timer() as t:
            upload = service.list_upload_create(
                mo=mo, file=File(handle, name=os.path.basename(path)), original_name=os.path.basename(path),
                uploaded_by=user, run_async=False,
            )  # fmt: skip
        if upload.status != "DONE":
            raise SystemExit(f"upload {upload.pk}: {upload.status} {upload.message}")
        rss_processing = _peak_rss_mb()  # before the protocol
        with Timer() as p, protocol_temp_file(upload, "xml") as protocol:  # what a download streams
            protocol_bytes = protocol.seek(0, os.SEEK_END)
        timed_apart = sum(seconds for label, seconds in phases.items() if not label.startswith("  "))
        phases["store the file, claim, the rest"] = max(0.0, t.seconds - timed_apart)
        runs.append(
            {
                "upload_seconds": t.seconds,
                "protocol_seconds": p.seconds,
                "protocol_kb": protocol_bytes // 1024,
                "phases": dict(phases),
                "accepted": upload.records_accepted,
                "rejected": upload.records_rejected,
                "warnings": upload.warnings,
                "counts_by_code": upload.counts_by_code,
                "peak_rss_mb": _peak_rss_mb(),
                "peak_rss_processing_mb": rss_processing,
            }
        )
    print(json.dumps({"runs": runs, "peak_rss_mb": _peak_rss_mb()}))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        from bench.__main__ import main

        main(["--only", "lists", *sys.argv[1:]])
