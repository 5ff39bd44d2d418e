"""Bench: load a REGISTER file of N persons (default 1,000,000) and compare with a plain COPY of the same rows.

What it prints:
- persons per second of ``manage.py import_register`` (the real command: stream, validate, COPY into
  staging, set-based merge, one transaction), with the time of each phase;
- the peak RSS of the import process, for N and for N/10, to show that memory does not grow with the file;
- the floor: PostgreSQL ``COPY`` of the same rows (one row per person, the file's columns) into a plain
  table without indexes or constraints, on the same server.

The import runs in a child process (``python -m bench.register --child FILE``) so its RSS high-water mark is
its own. The file comes from participants.demo.generator (the seed_demo generator) when it is installed,
else from bench/register_file.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import (
    OUT,
    ROOT,
    Timer,
    bench_database_url,
    child_env,
    line,
    recreate_database,
    setup_child_django,
    setup_django,
    time_phases,
)

ROW_QUERY = """
    SELECT p.enp, p.snils, p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date,
           lp.smo_code, lp.date_from, lp.date_to, la.mo_code, la.district, la.date_from, p.death_date,
           p.address, p.phone, p.email
    FROM participants_person p
    LEFT JOIN LATERAL (SELECT smo_code, date_from, date_to FROM participants_policyperiod
                       WHERE person_id = p.id ORDER BY date_from DESC LIMIT 1) lp ON true
    LEFT JOIN LATERAL (SELECT mo_code, district, date_from FROM participants_attachmentperiod
                       WHERE person_id = p.id ORDER BY date_from DESC LIMIT 1) la ON true
"""
PLAIN_TABLE = """
    CREATE TABLE bench_register_plain (
        enp text, snils text, last_name text, first_name text, patronymic text, sex smallint, birth_date date,
        smo_code text, d_beg date, d_end date, mo_code text, district text, datez date, death_date date,
        address text, phone text, email text
    )
"""


def add_arguments(parser) -> None:
    group = parser.add_argument_group("register")
    group.add_argument("--register-file", help="load this REGISTER file instead of generating one")
    group.add_argument("--regenerate", action="store_true", help="regenerate the file even if bench/out has it")
    group.add_argument(
        "--register-reload",
        action="store_true",
        help="then load the same file again (every person exists, nothing changes): the monthly-merge path",
    )
    group.add_argument(
        "--no-flat-check", action="store_true", help="skip the N/10 load that shows memory does not grow with N"
    )


def _generator():
    try:
        from participants.demo.generator import write_register_xml

        return write_register_xml, "participants.demo.generator"
    except ImportError:
        from bench.register_file import write_register_xml

        return write_register_xml, "bench/register_file.py"


def _file_for(persons: int, seed: int, regenerate: bool) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"register_{persons}_s{seed}.xml"
    write, source = _generator()
    if path.exists() and not regenerate:
        line("file", f"{path.relative_to(ROOT)} ({path.stat().st_size / 2**20:.0f} MB, reused)")
        return path
    partial = path.with_suffix(".part")
    with Timer() as t:
        write(partial, persons=persons, seed=seed, mos=8, smos=3)
    partial.rename(path)
    line("file", f"{path.relative_to(ROOT)} ({path.stat().st_size / 2**20:.0f} MB, {source}, {t.seconds:.0f} s)")
    return path


def _create_organizations(seed: int) -> int:
    """The MOs and SMOs the generated file refers to, so the merge links FKs as it would in production."""
    from participants.models import Organization

    try:
        from participants.demo.generator import region_spec
    except ImportError:
        return 0
    spec = region_spec(seed=seed, mos=8, smos=3)
    orgs = [Organization(**org.model_fields()) for org in spec.organizations]
    Organization.objects.bulk_create(orgs, ignore_conflicts=True)
    return len(orgs)


def _import_in_child(path: Path, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_media_") as media:
        done = subprocess.run(
            [sys.executable, "-m", "bench.register", "--child", str(path)],
            env=child_env(url, MEDIA_ROOT=media, LOG_LEVEL="WARNING"),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("the import failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _copy_floor(rows_expected: int) -> tuple[int, float]:
    from django.db import connection

    with tempfile.NamedTemporaryFile(prefix="bench_rows_", suffix=".tsv", dir=OUT, delete=False) as dump:
        dump_path = Path(dump.name)
    try:
        with connection.cursor() as cur, dump_path.open("w", encoding="utf-8") as out:
            cur.copy_expert(f"COPY ({ROW_QUERY}) TO STDOUT", out)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_register_plain")
            cur.execute(PLAIN_TABLE)
        with Timer() as t, connection.cursor() as cur, dump_path.open("r", encoding="utf-8") as data:
            cur.copy_expert("COPY bench_register_plain FROM STDIN", data)
            cur.execute("SELECT count(*) FROM bench_register_plain")
            (rows,) = cur.fetchone()
    finally:
        dump_path.unlink(missing_ok=True)
    if rows != rows_expected:
        line("warning", f"floor copied {rows} rows, the import loaded {rows_expected}")
    return rows, t.seconds


def _load(path: Path, url: str, seed: int) -> dict:
    from django.db import connections

    connections.close_all()
    recreate_database(url)
    _create_organizations(seed)
    connections.close_all()
    return _import_in_child(path, url)


def run(args) -> None:
    url = bench_database_url()
    line("database", url.rsplit("/", 1)[-1] + " (dropped and re-created)")
    setup_django(url)
    persons = args.persons
    path = Path(args.register_file) if args.register_file else _file_for(persons, args.seed, args.regenerate)

    small = None
    if not args.no_flat_check and not args.register_file and persons >= 1000:
        small_path = _file_for(persons // 10, args.seed, args.regenerate)
        small = _load(small_path, url, args.seed)

    result = _load(path, url, args.seed)
    loaded = result["records_loaded"]
    rate = loaded / result["seconds"] if result["seconds"] else 0
    line("import_register", f"{loaded:,} persons in {result['seconds']:.1f} s = {rate:,.0f} persons/s")
    line("  of which the job (claimed to finished)", f"{result['job_seconds']:.1f} s")
    for phase, seconds in result["phases"].items():
        line(f"  {phase}", f"{seconds:.1f} s")
    counts = (result["records_read"], result["records_created"], result["records_rejected"])
    line("  counts", "read {:,}, created {:,}, rejected {:,}".format(*counts))
    line("peak RSS of the import process", f"{result['peak_rss_mb']:.0f} MB")
    if small:
        line(
            f"  same, file of {small['records_read']:,} persons",
            f"{small['peak_rss_mb']:.0f} MB (flat: independent of N)",
        )

    if args.register_reload:
        again = _import_in_child(path, url)
        rate_again = again["records_loaded"] / again["seconds"] if again["seconds"] else 0
        line(
            "same file again (all persons exist)",
            f"{again['records_loaded']:,} persons in {again['seconds']:.1f} s = {rate_again:,.0f} persons/s",
        )
        for phase, phase_seconds in again["phases"].items():
            line(f"  {phase}", f"{phase_seconds:.1f} s")
        line("  peak RSS", f"{again['peak_rss_mb']:.0f} MB")

    rows, seconds = _copy_floor(loaded)
    floor_rate = rows / seconds if seconds else 0
    line("floor: COPY into a plain table", f"{rows:,} rows in {seconds:.1f} s = {floor_rate:,.0f} rows/s")
    if rate:
        line("import time / floor time", f"{result['seconds'] / seconds:.1f}x")


# --- The child: one import, timed by phase, reporting its own peak RSS ---------------------------------


def _child(path: str) -> None:
    import resource

    setup_child_django()
    from django.core.management import call_command

    from participants.models import RegisterImport
    from participants.services import register_import as service

    phases: dict[str, float] = {}
    time_phases(
        phases,
        [
            (service, "_read_into_stage", "read, validate, COPY to staging"),
            (service, "_reject_duplicates", "duplicates in the file"),
            (service, "_reject_history_rewrites", "check against loaded history"),
            (service, "_upsert_persons", "persons: update + insert"),
            (service, "_build_plan", "plan: latest periods"),
            (service, "_merge_policies", "policy periods"),
            (service, "_merge_attachments", "attachment periods"),
        ],
    )

    with open(os.devnull, "w") as sink, Timer() as t:
        call_command("import_register", path, "--errors", "0", stdout=sink)
    job = RegisterImport.objects.latest("id")
    job_seconds = (job.finished_at - job.started_at).total_seconds()
    phases["store the upload, commit, the rest"] = max(0.0, t.seconds - sum(phases.values()))
    report = {
        "seconds": t.seconds,
        "job_seconds": job_seconds,
        "phases": phases,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "records_read": job.records_read,
        "records_loaded": job.records_loaded,
        "records_created": job.records_created,
        "records_rejected": job.records_rejected,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        from bench.__main__ import main

        main(["--only", "register", *sys.argv[1:]])
