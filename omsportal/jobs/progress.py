"""The one progress writer of the job kit: the job row's counts, step and log, outside the job's transaction."""

from __future__ import annotations

import datetime
import json
import logging
import time

from django.db import connections
from django.utils import timezone
from psycopg2 import sql

from .models import LOG_ENTRIES_KEPT

logger = logging.getLogger(__name__)

# Progress older than this many seconds may wait: the page polls once a second or two.
DEFAULT_INTERVAL_SECONDS = 0.5


def log_entry(text: str, *, at: datetime.datetime | None = None) -> dict:
    """One line of a job's log: the portal's local time (ISO, with its offset) and a Russian text."""
    return {"at": timezone.localtime(at or timezone.now()).isoformat(timespec="seconds"), "text": text}


# ``log`` with one more entry (a jsonb parameter), keeping the last LOG_ENTRIES_KEPT.
LOG_APPEND = sql.SQL(
    "log = (CASE WHEN jsonb_array_length(log) >= {kept} THEN (log - 0) ELSE log END) || %s::jsonb"
).format(kept=sql.Literal(LOG_ENTRIES_KEPT))


def assignments(names) -> sql.Composed:
    """``a = %s, b = %s``: column names quoted as identifiers; the values go as parameters."""
    return sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in names)


class ProgressWriter:
    """Writes progress of one job row through its own autocommit connection.

    The job's transaction never locks its row while progress is written (a job updates its row only at the very
    end, after the writes), and each update skips a locked row rather than wait, so progress can never block the
    job; it is visible to the page while the job's transaction is still open. Progress is best effort: a failure
    is logged and the writer falls silent. ``progress_at`` is set whenever the written values change: that is how
    the kit tells a job that stands still from one that works (settings.OMS_JOB_STALL_SECONDS).

    ``write(**values)`` writes at once; ``write(force=False, **values)`` at most every ``interval`` seconds.
    """

    def __init__(self, model, pk: int, *, interval: float = DEFAULT_INTERVAL_SECONDS):
        self.table = model._meta.db_table
        self.pk = pk
        self.interval = interval
        self._conn = None
        self._last = 0.0
        self._written: dict = {}
        self._broken = False

    def _cursor(self):
        if self._conn is None:
            self._conn = connections["default"].copy()
        return self._conn.cursor()

    def write(self, *, force: bool = True, **values) -> None:
        if self._broken or not values:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        moved = any(self._written.get(name, object()) != value for name, value in values.items())
        changes = [assignments(values)]
        if moved:
            changes.append(sql.SQL("progress_at = now()"))
        self._execute(sql.SQL(", ").join(changes), list(values.values()))
        self._written.update(values)

    def log(self, text: str) -> None:
        """Append a line to the job's log (and count it as progress)."""
        if self._broken:
            return
        self._execute(sql.SQL("{}, progress_at = now()").format(LOG_APPEND), [json.dumps([log_entry(text)])])

    def _execute(self, changes: sql.Composable, params: list) -> None:
        statement = sql.SQL(
            "UPDATE {table} SET {changes} WHERE id = "
            "(SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)"
        ).format(table=sql.Identifier(self.table), changes=changes)
        try:
            with self._cursor() as cursor:
                cursor.execute("SET statement_timeout = 5000")
                cursor.execute(statement.as_string(cursor.cursor), [*params, self.pk])
        except Exception:
            logger.warning("Progress of %s %s could not be written", self.table, self.pk, exc_info=True)
            self._broken = True

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
