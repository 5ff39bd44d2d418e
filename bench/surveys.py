"""Bench: survey quotas of every MO of a 1,000,000-person region for a quarter, and 32 operators working a call list.

Runs in the lists bench database (the 1,000,000-person register of seed_demo, with its MOs, SMOs and users; seeded
here when missing, as the scoping bench does). For a quarter of its own (Q2 of 2031, so nothing else the database
holds is counted) it writes, set-based, the stage events of the persons who passed (every 9th person, ~111,000)
and delivered informing facts (every 5th, ~200,000, some of them passed too), then:

- **quotas**: ``surveys.quotas.quota_rows`` for every MO and SMO of the quarter (the level-2 page, the report and
  the Fund's view all read it), run twice, the second (warm) time printed; the floor is the least that reads the
  same rows — the distinct persons per MO of the passing events and of the facts, two plain ``GROUP BY``s;
- **calls**: a call list of 100,000 items of the largest SMO, worked by 32 operators at once, each a process of
  its own with its own database session, each pressing "next call" (``surveys.services.calls.call_next``, as the
  workspace and the API call it: one statement) and closing the item (``call_outcome_record``, refused: one
  statement), ``--calls`` claims in all (10,000 by default; ``--calls 0`` works the whole list). Printed: claims,
  items claimed twice (must be 0: each operator's claimed ids are collected and compared, and every item must have
  exactly one attempt), the p50 / p95 of a claim and of a close, and two floors of the same run, both a
  primary-key ``UPDATE`` of one item no operator takes (autocommit, one round trip, as the claim) by the same 32
  processes: *among the claims*, one after every 4th close, so timed at the same moments and under the same load as
  the claims; and *alone*, 50 by each process, all together, before the claims start (what any single-row write costs
  at that concurrency on this machine, with nothing else of the bench running). The list is vacuumed after it is
  built (the machines run without autovacuum: the previous run's deleted items would otherwise be dead entries at
  the head of the claim index).

``--pause-ms`` makes each operator pause after each call (the default, 0, presses the button back to back: 32
operators then keep the 2 cores busy by themselves, and every round trip waits for a core).

Run: ``python -m bench --only surveys [--call-items N] [--operators N] [--calls N] [--pause-ms MS]``.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import statistics
import time
from urllib.parse import urlsplit

from bench import Timer, line
from bench.lists import _seed, lists_database_url

YEAR, QUARTER = 2031, 2
DAY = datetime.date(YEAR, 5, 15)
QUOTA_TARGET_S = 5.0
CLAIM_TARGET_MS = 30.0
MARK = "bench-surveys"


def add_arguments(parser) -> None:
    parser.add_argument("--call-items", type=int, default=100_000, help="items of the call list (100000)")
    parser.add_argument("--operators", type=int, default=32, help="operators working it at once (32)")
    parser.add_argument(
        "--calls", type=int, default=10_000, help="claims (each closed) the operators make in all; 0: the whole list"
    )
    parser.add_argument("--no-quotas", action="store_true", help="only the operators (skip the quotas part)")
    parser.add_argument(
        "--pause-ms", type=float, default=0.0,
        help="each operator's pause after a call, ms (0: none, the operators press the button back to back)",
    )  # fmt: skip


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _prepare_quarter(cursor) -> None:
    """The quarter's passing events and informing facts, written set-based (idempotent: the old ones go first)."""
    cursor.execute("DELETE FROM screening_stageevent WHERE batch_id IN (SELECT id FROM screening_eventbatch"
                   " WHERE original_name = %s)", [MARK])  # fmt: skip
    cursor.execute("DELETE FROM screening_eventbatch WHERE original_name = %s", [MARK])
    cursor.execute("DELETE FROM informing_informingfact WHERE reference = %s", [MARK])
    cursor.execute("SELECT id FROM participants_user WHERE role = 'MO_STAFF' ORDER BY id LIMIT 1")
    poster = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO screening_eventbatch (status, created_at, attempts, records_total, records_read, errors,
            message, log, mo_id, posted_by_id, source, original_name, file, records_accepted, records_rejected)
        SELECT 'DONE', now(), 0, 0, 0, '[]', '', '[]', o.id, %s, 'API', %s, '', 0, 0
        FROM participants_organization o WHERE o.kind = 'MO'
        """,
        [poster, MARK],
    )
    cursor.execute(
        """
        INSERT INTO screening_stageevent (batch_id, mo_id, person_id, measure, event, date, health_group, diagnoses,
            created_at)
        SELECT b.id, a.mo_id, a.person_id, 'DVN', 'END1', %s::date - (a.person_id %% 40)::int, '', '{}', now()
        FROM participants_attachmentperiod a
        JOIN screening_eventbatch b ON b.mo_id = a.mo_id AND b.original_name = %s
        WHERE a.date_to IS NULL AND a.person_id %% 9 = 0
        """,
        [DAY, MARK],
    )
    cursor.execute(
        """
        INSERT INTO informing_informingfact (person_id, smo_id, mo_id, kind, channel, date, outcome, reference,
            agent_login, source, posted_at, is_late)
        SELECT a.person_id, p.smo_id, a.mo_id, 'INVITE', 'SMS', %s::date - (a.person_id %% 30)::int, 'DELIVERED',
            %s, '', 'FILE', now(), FALSE
        FROM participants_attachmentperiod a
        JOIN participants_policyperiod p ON p.person_id = a.person_id AND p.date_to IS NULL AND p.smo_id IS NOT NULL
        WHERE a.date_to IS NULL AND a.person_id %% 5 = 1
        """,
        [DAY, MARK],
    )
    cursor.execute("ANALYZE screening_stageevent")
    cursor.execute("ANALYZE informing_informingfact")


def _quota_floor(cursor) -> float:
    start = time.perf_counter()
    cursor.execute(
        "SELECT mo_id, COUNT(DISTINCT person_id) FROM screening_stageevent WHERE event = 'END1'"
        " AND date BETWEEN %s AND %s GROUP BY mo_id",
        [datetime.date(YEAR, 4, 1), datetime.date(YEAR, 6, 30)],
    )
    cursor.fetchall()
    cursor.execute(
        "SELECT mo_id, COUNT(DISTINCT person_id) FROM informing_informingfact WHERE outcome = 'DELIVERED'"
        " AND date BETWEEN %s AND %s GROUP BY mo_id",
        [datetime.date(YEAR, 4, 1), datetime.date(YEAR, 6, 30)],
    )
    cursor.fetchall()
    return time.perf_counter() - start


def _bench_quotas() -> None:
    from django.db import connection

    from surveys.quotas import quota_rows

    with connection.cursor() as cursor, Timer() as prep:
        _prepare_quarter(cursor)
    line("quarter's data", f"written in {prep.seconds:.1f} s")
    rows = quota_rows(YEAR, QUARTER)
    with Timer() as t:
        rows = quota_rows(YEAR, QUARTER)
    with connection.cursor() as cursor:
        _quota_floor(cursor)
        floor = _quota_floor(cursor)
    passed = sum(r.passed for r in rows)
    informed = sum(r.informed_not_passed for r in rows)
    mos = len({r.mo_id for r in rows})
    line("quotas: (MO, SMO) lines", f"{len(rows):,} lines, {mos} MOs; {passed:,} passed, {informed:,} informed")
    line("quotas: every MO of the quarter", f"{t.seconds:.2f} s (target <= {QUOTA_TARGET_S:.0f} s)")
    line("floor: distinct persons per MO, 2 GROUP BYs", f"{floor:.2f} s ({t.seconds / floor:.1f}x)")


# --- 32 operators ---------------------------------------------------------------------------------------------


def _build_call_list(items: int, operators: int):
    """A DONE call list of ``items`` items of the SMO insuring the most persons, and its operators."""
    from django.db import connection
    from django.utils import timezone

    from participants.models import Organization, Role, User
    from surveys.models import CallList, CallPurpose, Questionnaire

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_callattempt WHERE item_id IN (SELECT i.id FROM surveys_callitem i"
                       " JOIN surveys_calllist l ON l.id = i.call_list_id WHERE l.message = %s)", [MARK])  # fmt: skip
        cursor.execute("DELETE FROM surveys_surveyresponse WHERE item_id IN (SELECT i.id FROM surveys_callitem i"
                       " JOIN surveys_calllist l ON l.id = i.call_list_id WHERE l.message = %s)", [MARK])  # fmt: skip
        cursor.execute("DELETE FROM surveys_callitem WHERE call_list_id IN (SELECT id FROM surveys_calllist"
                       " WHERE message = %s)", [MARK])  # fmt: skip
        cursor.execute("DELETE FROM surveys_calllist WHERE message = %s", [MARK])
        cursor.execute(
            "SELECT smo_id FROM participants_policyperiod WHERE date_to IS NULL AND smo_id IS NOT NULL"
            " GROUP BY smo_id ORDER BY COUNT(*) DESC LIMIT 1"
        )
        smo_id = cursor.fetchone()[0]
    smo = Organization.objects.get(pk=smo_id)
    version = Questionnaire.objects.get(code="why-not-passed").versions.order_by("-number").first()
    call_list = CallList.objects.create(
        smo=smo, year=YEAR, quarter=QUARTER, purpose=CallPurpose.NOT_REACHED, seed=1, status="DONE", version=version,
        message=MARK,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO surveys_callitem (call_list_id, person_id, mo_id, smo_id, purpose, is_open, stratum, phone,
                state, outcome, tries, tried_slots, due_at)
            SELECT %s, p.person_id, a.mo_id, p.smo_id, 'NOT_REACHED', TRUE, 'OTHER', '+79990000000', 'READY', '', 0,
                '', %s
            FROM participants_policyperiod p
            JOIN participants_attachmentperiod a ON a.person_id = p.person_id AND a.date_to IS NULL
            WHERE p.smo_id = %s AND p.date_to IS NULL
              AND NOT EXISTS (SELECT 1 FROM surveys_callitem o WHERE o.person_id = p.person_id
                              AND o.purpose = 'NOT_REACHED' AND o.is_open)
            ORDER BY p.person_id LIMIT %s
            """,
            [call_list.pk, timezone.now() - datetime.timedelta(minutes=1), smo_id, items],
        )
        created = cursor.rowcount
        # The deleted items of the previous run are dead entries at the head of the claim index, which every pick
        # would step over (this machine runs without autovacuum): the list starts as a first run's does.
        cursor.execute("VACUUM (ANALYZE) surveys_callitem")
    users = []
    for n in range(operators):
        user, _ = User.objects.get_or_create(
            username=f"bench_operator_{n:02d}", defaults={"role": Role.SMO_L1, "organization": smo}
        )
        if user.organization_id != smo.pk or user.role != Role.SMO_L1:
            User.objects.filter(pk=user.pk).update(organization=smo, role=Role.SMO_L1)
        users.append(user.pk)
    return call_list, created, users


# Set before the operators' processes fork: they start each phase together.
_BARRIER = None
FLOOR_ALONE = 50  # pk UPDATEs per operator in the floor phase before the claims
# Among the claims, a floor write after every FLOOR_EVERY-th close: each is a commit, and every commit of the run waits
# for the same WAL flushes (most of the operators' waiting), so one after each close would slow the claims by itself.
FLOOR_EVERY = 4


def _operator(args, results) -> None:
    try:
        results.put(json.dumps(_operate(*args)))
    except BaseException as exc:  # the parent reports it (and the barrier breaks for the others)
        results.put(json.dumps({"error": repr(exc)}))
        raise


def _operate(user_id: int, floor_ids: list[int], share: int | None, pause: float) -> dict:
    """One operator in a process of its own. First, all together, FLOOR_ALONE primary-key UPDATEs of items no
    operator takes (the floor alone: 32 sessions doing nothing but single-row writes); then, all together, claim and
    close until the share is done or nothing is left, with one such UPDATE after every FLOOR_EVERY-th close (the
    floor timed at the same moments, under the same load, as the claims)."""
    from django.db import connection, connections

    connections.close_all()
    from participants.models import User
    from surveys.models import CallOutcome
    from surveys.services.calls import call_next, call_outcome_record

    user = User.objects.select_related("organization").get(pk=user_id)
    alone, floor, claims, closes, ids = [], [], [], [], []
    with connection.cursor() as cursor:

        def write(n: int) -> float:
            start = time.perf_counter()
            cursor.execute("UPDATE surveys_callitem SET tries = tries WHERE id = %s", [floor_ids[n % len(floor_ids)]])
            return (time.perf_counter() - start) * 1000

        _BARRIER.wait(timeout=300)
        alone = [write(n) for n in range(FLOOR_ALONE)]
        _BARRIER.wait(timeout=300)
        while share is None or len(ids) < share:
            start = time.perf_counter()
            item = call_next(operator=user)  # as the workspace and the API call it: the claim's length is the region's
            claims.append((time.perf_counter() - start) * 1000)
            if item is None:
                claims.pop()  # the last, empty answer is not a claim
                break
            ids.append(item.pk)
            start = time.perf_counter()
            call_outcome_record(operator=user, item_id=item.pk, outcome=CallOutcome.REFUSED)
            closes.append((time.perf_counter() - start) * 1000)
            if len(ids) % FLOOR_EVERY == 0:
                floor.append(write(len(ids) // FLOOR_EVERY))
            if pause:
                time.sleep(pause)
    connections.close_all()
    return {"alone": alone, "floor": floor, "claims": claims, "closes": closes, "ids": ids}


def _pick_plan(smo_id: int) -> str:
    """The pick of "next call" under EXPLAIN (ANALYZE, BUFFERS), rolled back: the index pages it read, the rows it
    stepped over, its time; and the oldest open transaction of the whole server (while one is open, an index scan
    cannot mark the entries of claimed items dead, and every pick visits their rows again)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM surveys_callitem WHERE smo_id = %s AND is_open"
            " AND state <> 'DONE' AND due_at <= now() ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            [smo_id],
        )
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        cursor.execute(
            "SELECT COALESCE(EXTRACT(EPOCH FROM now() - MIN(xact_start)), 0) FROM pg_stat_activity"
            " WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()"
        )
        oldest = float(cursor.fetchone()[0])
        transaction.set_rollback(True)
    top = plan[0]["Plan"]
    buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    took = plan[0]["Execution Time"]
    return f"{buffers} buffers, {took:.2f} ms (the server's oldest open transaction: {oldest:.0f} s old)"


def _bench_calls(items: int, operators: int, calls: int, pause_ms: float = 0.0) -> None:
    from django.db import connection, connections

    from surveys.models import CallAttempt

    with Timer() as prep:
        call_list, created, users = _build_call_list(items, operators)
    line("call list", f"{created:,} items of one SMO in {prep.seconds:.1f} s")
    line("the pick, before the claims", _pick_plan(call_list.smo_id))
    share = -(-calls // operators) if calls else None
    # The floor's items: the last of the list (the claims take the list by id, so a share never reaches them; with
    # --calls 0 a claim may skip one a floor write is locking for a moment, as it would any locked item).
    floor_ids = list(call_list.items.order_by("-id").values_list("id", flat=True)[: 50 * operators])
    connections.close_all()
    global _BARRIER
    context = multiprocessing.get_context("fork")
    _BARRIER = context.Barrier(operators)
    queue = context.Queue()
    processes = [
        context.Process(target=_operator, args=((user_id, floor_ids[n::operators], share, pause_ms / 1000), queue))
        for n, user_id in enumerate(users)
    ]
    with Timer() as t:
        for process in processes:
            process.start()
        results = [json.loads(queue.get(timeout=3600)) for _ in processes]
        for process in processes:
            process.join()
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        raise SystemExit(f"call bench: {len(failed)} operators failed: {failed[0]}")
    claims = [ms for r in results for ms in r["claims"]]
    closes = [ms for r in results for ms in r["closes"]]
    floor = [ms for r in results for ms in r["floor"]]
    alone = [ms for r in results for ms in r["alone"]]
    ids = [pk for r in results for pk in r["ids"]]
    twice = len(ids) - len(set(ids))
    line("the pick, after the claims", _pick_plan(call_list.smo_id))
    with connection.cursor() as cursor:
        # Every item handed out was called exactly once; none of the others was called at all.
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE n <> 1), COUNT(*) FROM (SELECT a.item_id, COUNT(*) AS n"
            " FROM surveys_callattempt a JOIN surveys_callitem i ON i.id = a.item_id WHERE i.call_list_id = %s"
            " GROUP BY a.item_id) x",
            [call_list.pk],
        )
        not_once, called = cursor.fetchone()
    attempts = CallAttempt.objects.filter(item__call_list=call_list).count()
    paused = f", a pause of {pause_ms:g} ms after each" if pause_ms else ", back to back"
    line(f"calls: {operators} operators, {created:,} items", f"{len(ids):,} claims in {t.seconds:.1f} s "
         f"({len(ids) / t.seconds:,.0f} claims+closes/s{paused})")  # fmt: skip
    line("calls: items claimed twice", f"{twice} (items without exactly one call: {not_once}; calls {attempts:,})")
    line("calls: claim p50 / p95", f"{statistics.median(claims):.1f} / {_p(claims, 0.95):.1f} ms "
         f"(target p95 <= {CLAIM_TARGET_MS:.0f} ms)")  # fmt: skip
    line("calls: close (refused) p50 / p95", f"{statistics.median(closes):.1f} / {_p(closes, 0.95):.1f} ms")
    floor_p50 = statistics.median(floor)
    line("floor: pk UPDATE p50 / p95, among the claims", f"{floor_p50:.1f} / {_p(floor, 0.95):.1f} ms "
         f"(claim p95 {_p(claims, 0.95) / _p(floor, 0.95):.1f}x)")  # fmt: skip
    line(f"floor: pk UPDATE p50 / p95, {operators} sessions alone", f"{statistics.median(alone):.1f} / "
         f"{_p(alone, 0.95):.1f} ms ({len(alone):,} writes before the claims)")  # fmt: skip
    expected = created if share is None else min(created, share * operators)
    if twice or not_once or called != len(ids) or len(ids) != expected:
        raise SystemExit("call bench: an item was handed out twice or not at all")


def run(args) -> None:
    from bench import setup_django

    url = lists_database_url()
    line("database", urlsplit(url).path.lstrip("/"))
    _seed(url, args.persons, args.seed, False)
    setup_django(url)
    from surveys.shipped import ensure_loaded

    ensure_loaded()
    if not args.no_quotas:
        _bench_quotas()
    _bench_calls(args.call_items, args.operators, args.calls, args.pause_ms)


if __name__ == "__main__":
    from bench.__main__ import main

    main(["--only", "surveys"])
