"""Every PostgreSQL advisory lock of the portal, in one registry: ``pg_advisory_*lock(space, key)``.

An advisory lock is a pair of int4: the first names what is locked (a *space*, declared here once), the second
which one (a job id, a year, an MO id). Two modules that chose their keys separately could take each other's lock
by accident and wait for no reason; a space declared here cannot collide with another (``_check`` at import, and
tests/omsportal/test_locks.py). A space may take a span of first keys (one space per year, say): the span is part
of the declaration, so no other space can fall inside it.

Add a space: a new line in :data:`SPACES` with a value not inside any other span, and a comment saying what it
serializes. Take it with the helpers below, never with a literal number.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

INT4_MAX = 2**31 - 1


@dataclass(frozen=True)
class LockSpace:
    """A first key (or a span of them) of the two-key advisory locks and what it serializes."""

    name: str
    key: int
    doc: str
    span: int = 1  # first keys key .. key + span - 1 belong to this space

    def first_key(self, offset: int = 0) -> int:
        if not 0 <= offset < self.span:
            raise ValueError(f"{self.name}: offset {offset} is outside the span of {self.span}")
        return self.key + offset


# The job kinds' own spaces: (space, job id) is held by the worker running that job for the whole run (see
# omsportal.jobs.runner); a job whose lock is free has no live worker.
REGISTER_IMPORT_JOB = LockSpace("REGISTER_IMPORT_JOB", 0x5201, "a worker runs this register import")
LIST_UPLOAD_JOB = LockSpace("LIST_UPLOAD_JOB", 0x5C01, "a worker runs this list upload")
EVENT_BATCH_JOB = LockSpace("EVENT_BATCH_JOB", 0x5E01, "a worker runs this batch of stage events")
INFORM_UPLOAD_JOB = LockSpace("INFORM_UPLOAD_JOB", 0x1F01, "a worker runs this INFORM file or delivery report")
INFORM_BATCH_JOB = LockSpace("INFORM_BATCH_JOB", 0x1F02, "a worker builds or sends this informing batch")
# Domain locks, taken inside a job's transaction.
REGISTER = LockSpace("REGISTER", 0x5202, "(space, 0): one register import at a time")
LIST_MO_YEAR = LockSpace(
    "LIST_MO_YEAR", 0x5C02_0000, "(space + year, MO id): one MO's files for one year are applied in turn", span=3000
)
LIST_YEAR = LockSpace("LIST_YEAR", 0x5C03, "(space, year): the final step of a list upload (602 and the insert)")
EVENTS_MO = LockSpace("EVENTS_MO", 0x329, "(space, MO id): one batch of stage events of an MO at a time")
CALL_LIST_BUILD_JOB = LockSpace("CALL_LIST_BUILD_JOB", 0x5D01, "a worker builds this call list")
CALL_LIST_SMO = LockSpace("CALL_LIST_SMO", 0x5D02, "(space, SMO id): the call lists of one SMO are built in turn")
OBLIGATIONS_RUN_JOB = LockSpace("OBLIGATIONS_RUN_JOB", 0x0B01, "a worker runs this obligations engine run")
OBLIGATIONS = LockSpace("OBLIGATIONS", 0x0B02, "(space, 0): one obligations engine run (and figures refresh) at a time")

SPACES: tuple[LockSpace, ...] = (
    REGISTER_IMPORT_JOB,
    LIST_UPLOAD_JOB,
    EVENT_BATCH_JOB,
    INFORM_UPLOAD_JOB,
    INFORM_BATCH_JOB,
    REGISTER,
    LIST_MO_YEAR,
    LIST_YEAR,
    EVENTS_MO,
    CALL_LIST_BUILD_JOB,
    CALL_LIST_SMO,
    OBLIGATIONS_RUN_JOB,
    OBLIGATIONS,
)


def _check(spaces: tuple[LockSpace, ...]) -> None:
    """Names unique, keys int4, spans disjoint: two spaces never share a first key."""
    names = [space.name for space in spaces]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate lock space names: {names}")
    ranges = sorted((space.key, space.key + space.span - 1, space.name) for space in spaces)
    for lo, hi, name in ranges:
        if not (0 <= lo <= hi <= INT4_MAX):
            raise ValueError(f"lock space {name} is not an int4 range")
    for (_lo1, hi1, name1), (lo2, _hi2, name2) in itertools.pairwise(ranges):
        if lo2 <= hi1:
            raise ValueError(f"lock spaces {name1} and {name2} overlap")


_check(SPACES)


def xact_lock(cursor, space: LockSpace, key: int, *, offset: int = 0) -> None:
    """Wait for the lock; PostgreSQL releases it when the current transaction ends."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space.first_key(offset), key])


def try_xact_lock(cursor, space: LockSpace, key: int, *, offset: int = 0) -> bool:
    """Take the lock if it is free (until the transaction ends); False when another session holds it."""
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [space.first_key(offset), key])
    return bool(cursor.fetchone()[0])


def session_lock(cursor, space: LockSpace, key: int) -> None:
    """Wait for the lock and hold it until :func:`session_unlock` or the end of the connection."""
    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [space.first_key(), key])


def session_unlock(cursor, space: LockSpace, key: int) -> None:
    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space.first_key(), key])


def holder_pids(cursor, space: LockSpace, key: int) -> list[int]:
    """Backends holding the lock (two-key advisory locks are classid = space, objid = key, objsubid = 2)."""
    cursor.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = %s AND objid = %s AND objsubid = 2 AND database = ("
        " SELECT oid FROM pg_database WHERE datname = current_database())",
        [space.first_key(), key],
    )
    return [row[0] for row in cursor.fetchall()]
