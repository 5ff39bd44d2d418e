"""Documented informing facts in, set-based: from INFORM files, the API, delivery reports, sent e-mails, call
outcomes [R II.10, II.12, domain §6].

:func:`facts_record` is the one writer of :class:`~informing.models.InformingFact` (other apps call it too):

1. the typed facts are streamed with ``COPY`` into a temporary table (a million facts never sit in memory);
2. one ``CREATE TEMP TABLE … AS SELECT`` resolves each to a person (by ENP, or the id the caller gave) and checks
   that the posting SMO insured the person on the fact's date; records that fail get a protocol line (record
   number, field, Russian reason) and are not loaded;
3. one ``INSERT … SELECT DISTINCT ON (person, kind, channel, date, reference) … ON CONFLICT DO NOTHING`` writes
   the rest: a repeated fact — in the same file or already posted — is kept once; ``mo`` is the MO of the person's
   list for the fact's year (else the MO of attachment on the date), ``is_late`` compares the posting day with
   the O10 deadline (``informing_fact_days`` working days after the date, on the production calendar).

All of it is one transaction: a caller that rejects the whole input (a 901 file) leaves nothing behind.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta and fixed fragments of this module are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from omsportal.regional import regional_rules
from omsportal.workdays import add_working_days
from participants.models import AttachmentPeriod, Organization, Person, PolicyPeriod, User
from screening.models import ListEntry

from ..models import Channel, FactSource, InformingFact, Kind, Outcome

MAX_STORED_ERRORS = 10_000  # the protocol keeps this many bad records; the counts stay exact
COPY_CHUNK = 20_000

DROP_TEMP = "DROP TABLE IF EXISTS tmp_facts, tmp_facts_r, tmp_fact_deadlines"

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


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _check(fact: FactInput, today: datetime.date) -> tuple[str, str] | None:
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
    if len(fact.reference) > 100:
        return "REF", "номер сообщения длиннее 100 символов"
    if len(fact.agent_login) > 150:
        return "AGENT", "логин представителя длиннее 150 символов"
    return None


def _table(model) -> str:
    return model._meta.db_table


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
    called with the records read so far.
    """
    posted_at = posted_at or timezone.now()
    posted_day = timezone.localdate(posted_at)
    result = FactsResult()
    with transaction.atomic(), connection.cursor() as cur:
        # Dropped here and at the end too: a caller's outer transaction (a test, a job) may run two loads.
        cur.execute(DROP_TEMP)
        cur.execute(
            "CREATE TEMP TABLE tmp_facts (n int, enp text, person_id bigint, kind text, channel text, date date, "
            "outcome text, reference text, agent_login text, message_id bigint) ON COMMIT DROP"
        )
        read = 0
        buffer = io.StringIO()
        rows = 0
        for fact in facts:
            read += 1
            problem = _check(fact, posted_day)
            if problem is not None:
                result.reject(fact.n, *problem)
                continue
            values = (
                fact.n, fact.enp or None, fact.person_id, fact.kind, fact.channel, fact.date.isoformat(),
                fact.outcome, fact.reference, fact.agent_login, fact.message_id,
            )  # fmt: skip
            buffer.write("\t".join(_copy_value(v) for v in values) + "\n")
            rows += 1
            if rows >= COPY_CHUNK:
                _flush(cur, buffer)
                buffer, rows = io.StringIO(), 0
                if on_progress:
                    on_progress(read)
        if rows:
            _flush(cur, buffer)
        if on_progress:
            on_progress(read)
        _resolve(cur, smo)
        _collect_rejects(cur, result)
        _deadlines(cur, posted_day)
        inserted, late = _insert(cur, smo, acting_user, source, upload_id, posted_at)
        cur.execute("SELECT count(*) FROM tmp_facts_r WHERE ok")
        (valid,) = cur.fetchone()
        result.accepted = inserted
        result.late = late
        result.duplicates = valid - inserted
        cur.execute(DROP_TEMP)
    return result


def _flush(cur, buffer: io.StringIO) -> None:
    buffer.seek(0)
    cur.copy_expert(
        "COPY tmp_facts (n, enp, person_id, kind, channel, date, outcome, reference, agent_login, message_id) "
        "FROM STDIN",
        buffer,
    )


def _resolve(cur, smo: Organization) -> None:
    """Person by ENP (or the given id) and whether ``smo`` insured them on the fact's date, for every record."""
    cur.execute("ANALYZE tmp_facts")
    cur.execute(
        f"""
        CREATE TEMP TABLE tmp_facts_r ON COMMIT DROP AS
        SELECT t.*, coalesce(t.person_id, p.id) AS pid,
               EXISTS (
                   SELECT 1 FROM {_table(PolicyPeriod)} pp
                   WHERE pp.person_id = coalesce(t.person_id, p.id) AND pp.smo_id = %(smo)s
                     AND pp.date_from <= t.date AND (pp.date_to IS NULL OR pp.date_to >= t.date)
               ) AS insured,
               false AS ok
        FROM tmp_facts t
        LEFT JOIN {_table(Person)} p ON t.person_id IS NULL AND p.enp = t.enp
        """,  # noqa: S608  # nosec B608
        {"smo": smo.pk},
    )
    cur.execute("UPDATE tmp_facts_r SET ok = (pid IS NOT NULL AND insured)")


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


def _deadlines(cur, posted_day: datetime.date) -> None:
    """The O10 deadline of every fact date in the load (few distinct dates), on the production calendar."""
    cur.execute("CREATE TEMP TABLE tmp_fact_deadlines (date date PRIMARY KEY, deadline date) ON COMMIT DROP")
    cur.execute("SELECT DISTINCT date FROM tmp_facts_r WHERE ok")
    days = [row[0] for row in cur.fetchall()]
    if not days:
        return
    offset = regional_rules().informing_fact_days
    rows = [(day, add_working_days(day, offset) if offset else day) for day in days]
    buffer = io.StringIO("".join(f"{day.isoformat()}\t{deadline.isoformat()}\n" for day, deadline in rows))
    cur.copy_expert("COPY tmp_fact_deadlines (date, deadline) FROM STDIN", buffer)


def _insert(cur, smo, acting_user, source, upload_id, posted_at) -> tuple[int, int]:
    """The INSERT of every valid record once; returns (inserted, of them late)."""
    posted_day = timezone.localdate(posted_at)
    cur.execute(
        f"""
        WITH ins AS (
            INSERT INTO {_table(InformingFact)} (
                person_id, smo_id, mo_id, kind, channel, date, outcome, reference, agent_id, agent_login, source,
                upload_id, message_id, posted_at, is_late
            )
            SELECT DISTINCT ON (r.pid, r.kind, r.channel, r.date, coalesce(r.reference, ''))
                   r.pid, %(smo)s,
                   coalesce(le_dvn.mo_id, le_pmo.mo_id, le_dn.mo_id, att.mo_id),
                   r.kind, r.channel, r.date, r.outcome, coalesce(r.reference, ''),
                   coalesce(u.id, CASE WHEN coalesce(r.agent_login, '') = '' THEN %(acting)s::bigint END),
                   coalesce(nullif(r.agent_login, ''), %(acting_login)s::text, ''),
                   %(source)s, %(upload)s, r.message_id, %(posted_at)s,
                   %(posted_day)s > d.deadline
            FROM tmp_facts_r r
            JOIN tmp_fact_deadlines d ON d.date = r.date
            LEFT JOIN {_table(ListEntry)} le_dvn
                   ON le_dvn.person_id = r.pid AND le_dvn.year = extract(year FROM r.date) AND le_dvn.measure = 'DVN'
            LEFT JOIN {_table(ListEntry)} le_pmo
                   ON le_pmo.person_id = r.pid AND le_pmo.year = extract(year FROM r.date) AND le_pmo.measure = 'PMO'
            LEFT JOIN {_table(ListEntry)} le_dn
                   ON le_dn.person_id = r.pid AND le_dn.year = extract(year FROM r.date) AND le_dn.measure = 'DN'
            LEFT JOIN LATERAL (
                SELECT a.mo_id FROM {_table(AttachmentPeriod)} a
                WHERE a.person_id = r.pid AND a.date_from <= r.date AND (a.date_to IS NULL OR a.date_to >= r.date)
                ORDER BY a.date_from DESC LIMIT 1
            ) att ON true
            LEFT JOIN {_table(User)} u ON u.username = r.agent_login AND u.organization_id = %(smo)s
            WHERE r.ok
            ORDER BY r.pid, r.kind, r.channel, r.date, coalesce(r.reference, ''), r.n
            ON CONFLICT (person_id, kind, channel, date, reference) DO NOTHING
            RETURNING is_late
        )
        SELECT count(*), count(*) FILTER (WHERE is_late) FROM ins
        """,  # noqa: S608  # nosec B608
        {
            "smo": smo.pk,
            "acting": acting_user.pk if acting_user is not None else None,
            "acting_login": acting_user.username if acting_user is not None else None,
            "source": source,
            "upload": upload_id,
            "posted_at": posted_at,
            "posted_day": posted_day,
        },
    )
    inserted, late = cur.fetchone()
    return inserted, late
