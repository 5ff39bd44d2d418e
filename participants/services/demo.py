"""Seeding of the synthetic demo region: organizations, districts, doctors, demo users and persons.

Persons, policy periods and attachment periods go in with PostgreSQL ``COPY`` in chunks (never a query
per row, never all rows in memory): a producer thread turns the shared person stream
(participants.demo.generator.iter_persons) into COPY text while the main thread feeds the previous chunk
to the server, so Python and PostgreSQL work at the same time. Nothing is dropped: indexes and the
"one open policy / one open attachment" constraints are checked as rows arrive. The whole seed is one
transaction: a failure leaves the database as it was.

Measured (2 cores shared with other jobs, PostgreSQL 15 with default settings, all 7 person indexes and
the deferred foreign keys in place): 1,000,000 persons + 1.13M policy and 1.15M attachment periods in
115 s, of which ~80 s streaming and ~35 s commit (deferred FK checks) and ANALYZE; 290 MB client memory.
Random-order ENP/SNILS/names took 570 s under similar load: keep keys in order (see _chunks).
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only names from code are
# pasted in (table names from model _meta, fixed SQL fragments of this module), every value is a query parameter.
from __future__ import annotations

import datetime
import io
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.demo.generator import RegionSpec, demo_users, iter_persons, region_spec
from participants.identifiers import name_key
from participants.models import (
    AttachmentPeriod,
    District,
    MedicalWorker,
    Organization,
    Person,
    PolicyPeriod,
    User,
)

PERSON_COLUMNS = (
    "id", "enp", "snils", "last_name", "first_name", "patronymic", "name_key", "sex", "birth_date", "death_date",
    "address", "phone", "email", "informing_opt_out", "opt_out_date", "updated_at",
)  # fmt: skip
POLICY_COLUMNS = ("person_id", "smo_code", "smo_id", "date_from", "date_to")
ATTACHMENT_COLUMNS = ("person_id", "mo_code", "mo_id", "district", "date_from", "date_to")
DEFAULT_CHUNK = 50_000
_NULL = "\\N"
# Any constant works: it only serializes concurrent seeds (two `make run` at once).
_ADVISORY_LOCK = 27_0001


class DemoSeedError(Exception):
    """The demo region cannot be seeded into this database as asked."""


@dataclass
class DemoSeedResult:
    """What demo_region_seed did: counts of created rows and the elapsed time in seconds."""

    skipped: bool = False
    organizations: int = 0
    districts: int = 0
    workers: int = 0
    users: int = 0
    persons: int = 0
    policies: int = 0
    attachments: int = 0
    seconds: float = 0.0


@dataclass
class _Chunk:
    persons: str
    policies: str
    attachments: str
    count: int
    policy_count: int
    attachment_count: int


def demo_region_seed(
    *,
    persons: int,
    mos: int = 8,
    smos: int = 3,
    seed: int = 1,
    if_empty: bool = False,
    as_of: datetime.date | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int, int, float], None] | None = None,
) -> DemoSeedResult:
    """Create the demo region of ``seed`` with ``persons`` insured persons, in one transaction.

    With ``if_empty`` nothing happens when the register already holds persons; without it such a database
    is refused (DemoSeedError), since the demo ENPs could collide with real ones. Organizations, districts,
    doctors and users that already exist (same codes, numbers, SNILS, usernames) are kept as they are.
    ``progress(done, total, seconds)`` is called after every chunk.
    """
    if persons < 0:
        raise DemoSeedError(_("Число застрахованных не может быть отрицательным"))
    started = time.monotonic()
    spec = region_spec(seed=seed, mos=mos, smos=smos)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        if Person.objects.exists():
            if if_empty:
                return DemoSeedResult(skipped=True, seconds=time.monotonic() - started)
            raise DemoSeedError(
                _("В регистре уже есть застрахованные лица: демонстрационные данные загружаются только в пустую базу")
            )
        result = DemoSeedResult()
        orgs = _organizations_create(spec, result)
        _districts_and_workers_create(spec, orgs, result)
        _users_create(spec, orgs, result)
        if persons:
            _persons_copy(spec, orgs, result, persons=persons, as_of=as_of, chunk_size=chunk_size,
                          progress=progress, started=started)  # fmt: skip
    result.seconds = time.monotonic() - started
    return result


def _organizations_create(spec: RegionSpec, result: DemoSeedResult) -> dict[tuple[str, str], Organization]:
    existing = {(o.kind, o.code): o for o in Organization.objects.all()}
    missing = [Organization(**o.model_fields()) for o in spec.organizations if (o.kind, o.code) not in existing]
    Organization.objects.bulk_create(missing)
    result.organizations = len(missing)
    return {(o.kind, o.code): o for o in Organization.objects.all()}


def _districts_and_workers_create(
    spec: RegionSpec, orgs: dict[tuple[str, str], Organization], result: DemoSeedResult
) -> None:
    before = District.objects.count()
    District.objects.bulk_create(
        [
            District(mo=orgs[("MO", mo.code)], number=d.number, kind=d.kind, name=d.name)
            for mo in spec.mos
            for d in mo.districts
        ],
        ignore_conflicts=True,
    )
    result.districts = District.objects.count() - before
    mo_ids = [orgs[("MO", mo.code)].id for mo in spec.mos]
    district_ids = {(mo_id, number): pk for pk, mo_id, number in
                    District.objects.filter(mo_id__in=mo_ids).values_list("id", "mo_id", "number")}  # fmt: skip
    before = MedicalWorker.objects.count()
    workers = []
    for mo in spec.mos:
        mo_id = orgs[("MO", mo.code)].id
        for d in mo.districts:
            workers.append(
                MedicalWorker(
                    mo_id=mo_id,
                    snils=d.worker_snils,
                    full_name=d.worker_name,
                    position=d.worker_position,
                    district_id=district_ids[(mo_id, d.number)],
                )
            )
    MedicalWorker.objects.bulk_create(workers, ignore_conflicts=True)
    result.workers = MedicalWorker.objects.count() - before


def _users_create(spec: RegionSpec, orgs: dict[tuple[str, str], Organization], result: DemoSeedResult) -> None:
    # One hash for every demo user: hashing is deliberately slow (PBKDF2), and all share DEMO_PASSWORD.
    password = make_password(settings.DEMO_PASSWORD)
    wanted = demo_users(spec)
    existing = set(User.objects.filter(username__in=[u.username for u in wanted]).values_list("username", flat=True))
    users = [
        User(
            username=u.username,
            password=password,
            role=u.role,
            organization=orgs[(u.org_kind, u.org_code)] if u.org_kind else None,
            last_name=u.last_name,
            first_name=u.first_name,
            patronymic=u.patronymic,
            email=f"{u.username}@example.org",
            is_staff=u.role == "ADMIN",
            is_superuser=u.role == "ADMIN",
        )
        for u in wanted
        if u.username not in existing
    ]
    User.objects.bulk_create(users)
    result.users = len(users)


def _persons_copy(
    spec: RegionSpec,
    orgs: dict[tuple[str, str], Organization],
    result: DemoSeedResult,
    *,
    persons: int,
    as_of: datetime.date | None,
    chunk_size: int,
    progress: Callable[[int, int, float], None] | None,
    started: float,
) -> None:
    person_table, policy_table = Person._meta.db_table, PolicyPeriod._meta.db_table
    attachment_table = AttachmentPeriod._meta.db_table
    with connection.cursor() as cursor:
        # Reserve ids up front so periods can reference persons without a lookup; the lock keeps other
        # writers from taking ids from the sequence in between.
        cursor.execute(f"LOCK TABLE {person_table} IN SHARE ROW EXCLUSIVE MODE")
        max_id = f"SELECT COALESCE(max(id), 0) + 1 FROM {person_table}"  # noqa: S608  # nosec B608 - name from _meta
        next_id_sql = f"SELECT GREATEST(nextval(pg_get_serial_sequence(%s, 'id')), ({max_id}))"
        cursor.execute(next_id_sql, [person_table])
        first_id = cursor.fetchone()[0]
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [person_table, first_id + persons - 1])

        smo_ids = {code: org.id for (kind, code), org in orgs.items() if kind == "SMO"}
        mo_ids = {code: org.id for (kind, code), org in orgs.items() if kind == "MO"}
        rows = iter_persons(spec=spec, persons=persons, as_of=as_of)
        chunks = _chunks(rows, first_id=first_id, chunk_size=chunk_size, smo_ids=smo_ids, mo_ids=mo_ids)
        for chunk in _prefetched(chunks):
            _copy(cursor, person_table, PERSON_COLUMNS, chunk.persons)
            _copy(cursor, policy_table, POLICY_COLUMNS, chunk.policies)
            _copy(cursor, attachment_table, ATTACHMENT_COLUMNS, chunk.attachments)
            result.persons += chunk.count
            result.policies += chunk.policy_count
            result.attachments += chunk.attachment_count
            if progress:
                progress(result.persons, persons, time.monotonic() - started)
        for table in (person_table, policy_table, attachment_table):
            cursor.execute(f"ANALYZE {table}")


def _chunks(rows, *, first_id: int, chunk_size: int, smo_ids: dict, mo_ids: dict) -> Iterator[_Chunk]:
    """COPY text (tab-separated, \\N for NULL) of persons and their periods, chunk_size persons at a time.

    The generated strings come from fixed lists and digits: no tab, newline or backslash needs escaping.
    Person rows of a chunk are sorted by name key, so the name indexes take them in order (ENP and SNILS
    already grow with the record number): measured 2x faster COPY into a register of 1M than stream order.
    """
    now = timezone.now().isoformat()
    p_lines: list[tuple[str, str]] = []
    pol_lines: list[str] = []
    att_lines: list[str] = []
    for p in rows:
        pid = first_id + p.n - 1
        death = p.death_date.isoformat() if p.death_date else _NULL
        opt_out = p.opt_out_date.isoformat() if p.opt_out_date else _NULL
        key = name_key(p.last_name, p.first_name, p.patronymic)
        p_lines.append(
            (
                key,
                f"{pid}\t{p.enp}\t{p.snils or _NULL}\t{p.last_name}\t{p.first_name}\t{p.patronymic}\t"
                f"{key}\t{p.sex}\t{p.birth_date.isoformat()}\t{death}\t"
                f"{p.address}\t{p.phone}\t{p.email}\t{'t' if p.opt_out_date else 'f'}\t{opt_out}\t{now}\n",
            )
        )
        for code, date_from, date_to in p.policies:
            smo_id = smo_ids.get(code)
            pol_lines.append(
                f"{pid}\t{code}\t{_NULL if smo_id is None else smo_id}\t{date_from.isoformat()}\t"
                f"{_NULL if date_to is None else date_to.isoformat()}\n"
            )
        for code, district, date_from, date_to in p.attachments:
            att_lines.append(
                f"{pid}\t{code}\t{mo_ids[code]}\t{district}\t{date_from.isoformat()}\t"
                f"{_NULL if date_to is None else date_to.isoformat()}\n"
            )
        if len(p_lines) >= chunk_size:
            yield _chunk(p_lines, pol_lines, att_lines)
            p_lines, pol_lines, att_lines = [], [], []
    if p_lines:
        yield _chunk(p_lines, pol_lines, att_lines)


def _chunk(p_lines: list[tuple[str, str]], pol_lines: list[str], att_lines: list[str]) -> _Chunk:
    p_lines.sort()
    return _Chunk(
        "".join(line for _key, line in p_lines), "".join(pol_lines), "".join(att_lines),
        len(p_lines), len(pol_lines), len(att_lines),
    )  # fmt: skip


_DONE = object()


def _prefetched(chunks: Iterator[_Chunk], depth: int = 2) -> Iterator[_Chunk]:
    """Build the next chunks in a thread while the caller COPYs the current one; at most ``depth`` wait.

    The thread never touches the database. An error in it is re-raised here; if the caller stops early
    (a COPY failed), the thread notices the stop flag and ends.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed over to the consumer, which re-raises it
            offer(exc)

    thread = threading.Thread(target=produce, name="seed-demo-producer", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _copy(cursor, table: str, columns: tuple[str, ...], text: str) -> None:
    if not text:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, io.StringIO(text), size=1 << 20)
    else:  # psycopg 3
        with raw.copy(sql) as copy:
            copy.write(text)


# --------------------------------------------------------------------------------------------------
# Demo logins (read by the demo_logins command; no personal data involved)
# --------------------------------------------------------------------------------------------------

DEFAULT_DEMO_PASSWORD = "demo"  # noqa: S105 - the documented default of settings.DEMO_PASSWORD
DEMO_USERNAME_REGEX = r"^(admin|fund|ministry|mo_[0-9]{6}|smo_[0-9]{5}_l[123])$"
_ROLE_ORDER = ("ADMIN", "FUND", "MINISTRY", "MO_STAFF", "SMO_L1", "SMO_L2", "SMO_L3")


def demo_login_rows() -> list[tuple[str, str, str]]:
    """(username, role label, organization) of the demo users present in the database, admin first."""
    users = User.objects.filter(username__regex=DEMO_USERNAME_REGEX).select_related("organization")
    ordered = sorted(
        users,
        key=lambda u: (
            u.organization.kind if u.organization else "",
            u.organization.code if u.organization else "",
            _ROLE_ORDER.index(u.role) if u.role in _ROLE_ORDER else len(_ROLE_ORDER),
        ),
    )
    return [(u.username, str(u.get_role_display()), str(u.organization) if u.organization else "—") for u in ordered]
