"""Documented informing facts in, set-based: from INFORM files, the API, delivery reports, sent e-mails, call
outcomes [R II.10, II.12, domain §6].

Two entry points write :class:`~informing.models.InformingFact` (other apps call :func:`facts_record`):
:func:`facts_record` takes typed facts, :func:`facts_load` batches of COPY text that a reader made (the INFORM file
job makes them in a producer thread, omsportal.jobs.pipeline, while this side stores the previous ones). Both:

1. stream the rows with ``COPY`` into a temporary table, a batch of ``RESOLVE_BATCH`` rows at a time (a million
   facts never sit in memory, on either side);
2. per batch, one ``CREATE TEMP TABLE … AS SELECT`` resolves each row to a person (by ENP, or the id the caller
   gave) and checks that the posting SMO insured the person on the fact's date; records that fail get a protocol
   line (record number, field, Russian reason) and are not loaded;
3. per batch, one ``INSERT … SELECT DISTINCT ON (person, kind, channel, date, reference) … ON CONFLICT DO NOTHING``
   writes the rest: a repeated fact — in the same batch, an earlier batch of the file or already posted — is kept
   once; ``mo`` is the MO of the person's list for the fact's year (DVN/PMO first; else the MO of the current
   attachment), ``is_late`` compares the posting day with the O10 deadline (``informing_fact_days`` working days
   after the date, on the calendar).

All of it is one transaction: a caller that rejects the whole input (a 901 file) leaves nothing behind.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta and fixed fragments of this module are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from omsportal.regional import regional_rules
from omsportal.workdays import add_working_days
from participants.models import AttachmentPeriod, Organization, Person, PolicyPeriod, User
from screening.models import ListEntry

from ..models import Channel, FactSource, InformingFact, Kind, Outcome

MAX_STORED_ERRORS = 10_000  # the protocol keeps this many bad records; the counts stay exact
COPY_CHUNK = 20_000  # rows per COPY
RESOLVE_BATCH = 100_000  # staged rows per resolve + insert

NULL = "\\N"
DROP_TEMP = "DROP TABLE IF EXISTS tmp_facts, tmp_facts_r, tmp_fact_deadlines"
# The staging table's columns; a file's records name no person id and no message (FILE_COLUMNS).
COPY_COLUMNS = ("n", "enp", "person_id", "kind", "channel", "date", "outcome", "reference", "agent_login", "message_id")
FILE_COLUMNS = ("n", "enp", "kind", "channel", "date", "outcome", "reference", "agent_login")

KINDS = frozenset(Kind.values)
CHANNELS = frozenset(Channel.values)
OUTCOMES = frozenset(Outcome.values)


@dataclass
class FactInput:
    """One fact as a caller gives it: typed values (the format readers turn file text into these)."""

    kind: str
    channel: str
    date: datetime.date
    outcome: str
    n: int = 0  # the record number for the protocol (N_ZAP, a line, an index in a JSON batch)
    enp: str = ""
    person_id: int | None = None
    reference: str = ""
    agent_login: str = ""
    message_id: int | None = None


@dataclass
class FactsResult:
    """What a load did: counts and the protocol of bad records ([{"n", "field", "reason"}], capped)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    late: int = 0
    errors: list[dict] = field(default_factory=list)

    def reject(self, n: int, field_name: str, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"n": n, "field": field_name, "reason": reason})


@dataclass
class FactChunk:
    """A batch of records as a reader made it: COPY text of the rows to stage (``columns``), their count, the records
    read so far (for the progress) and the records it refused before staging: (number, field, Russian reason)."""

    text: str
    rows: int
    read: int
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    columns: tuple[str, ...] = COPY_COLUMNS


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    if not any(ch in text for ch in "\\\t\n\r"):
        return text
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def check_fact(fact: FactInput, today: datetime.date) -> tuple[str, str] | None:
    """The typed checks every caller gets (a reader has checked the text already): (field, reason) or None."""
    if fact.kind not in KINDS:
        return "KIND", f"неизвестный вид информирования «{fact.kind}»"
    if fact.channel not in CHANNELS:
        return "CHANNEL", f"неизвестный канал «{fact.channel}»"
    if fact.outcome not in OUTCOMES:
        return "RESULT", f"неизвестный результат «{fact.outcome}»"
    if not isinstance(fact.date, datetime.date):
        return "DATE", "дата не указана"
    if fact.date > today:
        return "DATE", "дата информирования в будущем"
    if fact.date.year < 2000:
        return "DATE", "дата информирования раньше 2000 года"
    if fact.person_id is None and not fact.enp:
        return "ENP", "не указан ЕНП"
    if fact.enp and not (len(fact.enp) == 16 and fact.enp.isascii() and fact.enp.isdigit()):
        return "ENP", "ЕНП должен состоять из 16 цифр"
    if len(fact.reference) > 100:
        return "REF", "номер сообщения длиннее 100 символов"
    if len(fact.agent_login) > 150:
        return "AGENT", "логин представителя длиннее 150 символов"
    return None


def _table(model) -> str:
    return model._meta.db_table


def copy_line(fact: FactInput) -> str:
    """A checked fact as a row of the staging table (COPY_COLUMNS), in COPY text format."""
    # Codes and dates are checked values (no tab, backslash or newline can be in them); the free texts (reference,
    # login) and the optional ids go through _copy_value.
    return (
        f"{fact.n}\t{fact.enp or NULL}\t{NULL if fact.person_id is None else fact.person_id}\t{fact.kind}\t"
        f"{fact.channel}\t{fact.date.isoformat()}\t{fact.outcome}\t{_copy_value(fact.reference)}\t"
        f"{_copy_value(fact.agent_login)}\t{NULL if fact.message_id is None else fact.message_id}\n"
    )


def _chunks(facts: Iterable[FactInput], today: datetime.date) -> Iterator[FactChunk]:
    lines: list[str] = []
    rejects: list[tuple[int, str, str]] = []
    read = 0
    for fact in facts:
        read += 1
        problem = check_fact(fact, today)
        if problem is not None:
            rejects.append((fact.n, *problem))
            continue
        lines.append(copy_line(fact))
        if len(lines) >= COPY_CHUNK:
            yield FactChunk("".join(lines), len(lines), read, rejects)
            lines, rejects = [], []
    yield FactChunk("".join(lines), len(lines), read, rejects)


def facts_record(
    *,
    smo: Organization,
    facts: Iterable[FactInput],
    acting_user: User | None,
    source: str = FactSource.API,
    upload_id: int | None = None,
    posted_at: datetime.datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> FactsResult:
    """Record documented facts of ``smo`` in bulk (see the module docstring); returns counts and bad records.

    ``acting_user`` is the representative of facts that name none (a manual or API post); ``on_progress(n)`` is
    called with the records read so far. ``facts`` is read in this thread (it may be a query's iterator).
    """
    posted_at = posted_at or timezone.now()
    return facts_load(
        smo=smo, chunks=_chunks(facts, timezone.localdate(posted_at)), acting_user=acting_user, source=source,
        upload_id=upload_id, posted_at=posted_at, on_progress=on_progress,
    )  # fmt: skip


def facts_load(
    *,
    smo: Organization,
    chunks: Iterable[FactChunk],
    acting_user: User | None,
    source: str = FactSource.API,
    upload_id: int | None = None,
    posted_at: datetime.datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> FactsResult:
    """Record the facts of batches of COPY text (:class:`FactChunk`, each row checked as :func:`check_fact` does);
    every RESOLVE_BATCH staged rows are resolved and inserted while the next chunks come (see the module)."""
    posted_at = posted_at or timezone.now()
    load = _Load(smo, acting_user, source, upload_id, posted_at)
    with transaction.atomic(), connection.cursor() as cur:
        # Dropped here and at the end too: a caller's outer transaction (a test, a job) may run two loads.
        cur.execute(DROP_TEMP)
        cur.execute(
            "CREATE TEMP TABLE tmp_facts (n int, enp text, person_id bigint, kind text, channel text, date date, "
            "outcome text, reference text, agent_login text, message_id bigint) ON COMMIT DROP"
        )
        cur.execute("CREATE TEMP TABLE tmp_fact_deadlines (date date PRIMARY KEY, deadline date) ON COMMIT DROP")
        raw = cur.cursor  # psycopg2's cursor under Django's wrapper
        staged = read = 0
        for chunk in chunks:
            for n, field_name, reason in chunk.rejects:
                load.result.reject(n, field_name, reason)
            if chunk.rows:
                raw.copy_expert(f"COPY tmp_facts ({', '.join(chunk.columns)}) FROM STDIN", io.StringIO(chunk.text))
                staged += chunk.rows
            read = chunk.read
            if staged >= RESOLVE_BATCH:
                load.apply(cur)
                staged = 0
            if on_progress:
                on_progress(read)
        if staged:
            load.apply(cur)
        cur.execute(DROP_TEMP)
    return load.result


class _Load:
    """One load's constants and counts; :meth:`apply` resolves and inserts the staged rows, then empties them."""

    def __init__(self, smo, acting_user, source, upload_id, posted_at) -> None:
        self.smo = smo
        self.posted_at = posted_at
        self.posted_day = timezone.localdate(posted_at)
        self.params = {
            "smo": smo.pk,
            "acting": acting_user.pk if acting_user is not None else None,
            "acting_login": acting_user.username if acting_user is not None else None,
            "source": source,
            "upload": upload_id,
            "posted_at": posted_at,
            "posted_day": self.posted_day,
        }
        self.result = FactsResult()
        self.deadline_days: set[datetime.date] = set()

    def apply(self, cur) -> None:
        _resolve(cur, self.smo)
        _collect_rejects(cur, self.result)
        self._deadlines(cur)
        inserted, late = _insert(cur, self.params)
        cur.execute("SELECT count(*) FROM tmp_facts_r WHERE ok")
        (valid,) = cur.fetchone()
        self.result.accepted += inserted
        self.result.late += late
        self.result.duplicates += valid - inserted
        cur.execute("TRUNCATE tmp_facts")
        cur.execute("DROP TABLE tmp_facts_r")

    def _deadlines(self, cur) -> None:
        """The O10 deadline of every fact date of the load (few distinct dates), on the production calendar."""
        cur.execute("SELECT DISTINCT date FROM tmp_facts_r WHERE ok")
        days = [row[0] for row in cur.fetchall() if row[0] not in self.deadline_days]
        if not days:
            return
        offset = regional_rules().informing_fact_days
        rows = [(day, add_working_days(day, offset) if offset else day) for day in days]
        buffer = io.StringIO("".join(f"{day.isoformat()}\t{deadline.isoformat()}\n" for day, deadline in rows))
        cur.copy_expert("COPY tmp_fact_deadlines (date, deadline) FROM STDIN", buffer)
        self.deadline_days.update(days)


def _resolve(cur, smo: Organization) -> None:
    """Person by ENP (or the given id) and whether ``smo`` insured them on the fact's date, for every record."""
    # The staged rows' statistics come from their pages (a temporary table is never analyzed on its own); they are
    # enough for the hash joins below, and an ANALYZE of each batch cost more than it saved.
    cur.execute(
        f"""
        CREATE TEMP TABLE tmp_facts_r ON COMMIT DROP AS
        SELECT x.*, x.pid IS NOT NULL AND EXISTS (
                   SELECT 1 FROM {_table(PolicyPeriod)} pp
                   WHERE pp.person_id = x.pid AND pp.smo_id = %(smo)s
                     AND pp.date_from <= x.date AND (pp.date_to IS NULL OR pp.date_to >= x.date)
               ) AS ok
        FROM (
            SELECT t.*, coalesce(t.person_id, p.id) AS pid, extract(year FROM t.date)::int AS year
            FROM tmp_facts t
            LEFT JOIN {_table(Person)} p ON t.person_id IS NULL AND p.enp = t.enp
            OFFSET 0  -- not flattened: the EXISTS below is evaluated once per row
        ) x
        """,  # noqa: S608  # nosec B608
        {"smo": smo.pk},
    )


def _collect_rejects(cur, result: FactsResult) -> None:
    cur.execute("SELECT count(*) FROM tmp_facts_r WHERE NOT ok")
    (bad,) = cur.fetchone()
    if not bad:
        return
    room = max(0, MAX_STORED_ERRORS - len(result.errors))
    cur.execute("SELECT n, pid IS NULL FROM tmp_facts_r WHERE NOT ok ORDER BY n LIMIT %s", [room])
    for n, missing in cur.fetchall():
        if missing:
            result.errors.append({"n": n, "field": "ENP", "reason": "лицо не найдено в регистре"})
        else:
            result.errors.append(
                {"n": n, "field": "ENP", "reason": "лицо не застраховано в вашей СМО на дату информирования"}
            )
    result.rejected += bad


def _insert(cur, params: dict) -> tuple[int, int]:
    """The INSERT of every valid record once; returns (inserted, of them late)."""
    cur.execute(
        f"""
        WITH ins AS (
            INSERT INTO {_table(InformingFact)} (
                person_id, smo_id, mo_id, kind, channel, date, outcome, reference, agent_id, agent_login, source,
                upload_id, message_id, posted_at, is_late
            )
            SELECT DISTINCT ON (r.pid, r.kind, r.channel, r.date, coalesce(r.reference, ''))
                   r.pid, %(smo)s, coalesce(le.mo_id, att.mo_id),
                   r.kind, r.channel, r.date, r.outcome, coalesce(r.reference, ''),
                   coalesce(u.id, CASE WHEN coalesce(r.agent_login, '') = '' THEN %(acting)s::bigint END),
                   coalesce(nullif(r.agent_login, ''), %(acting_login)s::text, ''),
                   %(source)s, %(upload)s, r.message_id, %(posted_at)s,
                   %(posted_day)s > d.deadline
            FROM tmp_facts_r r
            JOIN tmp_fact_deadlines d ON d.date = r.date
            -- Hash joins, not a probe per fact (1,000,000 facts: a lateral lookup per row cost 48 s of the load).
            LEFT JOIN {_table(ListEntry)} le ON le.person_id = r.pid AND le.year = r.year
            LEFT JOIN {_table(AttachmentPeriod)} att ON att.person_id = r.pid AND att.date_to IS NULL
            LEFT JOIN {_table(User)} u ON u.username = r.agent_login AND u.organization_id = %(smo)s
            WHERE r.ok
            ORDER BY r.pid, r.kind, r.channel, r.date, coalesce(r.reference, ''), le.measure = 'DN', r.n
            ON CONFLICT (person_id, kind, channel, date, reference) DO NOTHING
            RETURNING is_late
        )
        SELECT count(*), count(*) FILTER (WHERE is_late) FROM ins
        """,  # noqa: S608  # nosec B608
        params,
    )
    inserted, late = cur.fetchone()
    return inserted, late
