"""The dashboard's aggregate (reports.MonthlyFigures), rebuilt set-based by the jobs that change it: the engine run
(nightly and after every list upload, batch of events or import), for the year or for the MOs a job touched.

One row per MO × SMO (recorded on the entry) × measure × month of the entry: the plan (SMO empty), the persons
listed, identified (an insurer found), informed (once informing has landed), started, stage 1 done, due for
stage 2, stage 2 done and passed (screening.selectors.passed, the one definition); informed: a delivered informing
fact of the entry's year (informing.selectors.facts.INFORMED_OUTCOMES), on time: one of them posted in time (O10).
"""

from __future__ import annotations

# ruff: noqa: S608 - the statements are constants of this module (the passed selector's SQL is a constant too);
# every value is a query parameter (bandit B608 reviewed, marked nosec)
from django.db import connection, transaction

from informing.models import InformingFact
from informing.selectors.facts import INFORMED_OUTCOMES
from screening.models import EntryState
from screening.selectors.passed import passed_sql

STARTED = (
    EntryState.STARTED, EntryState.STAGE1_DONE, EntryState.STAGE2_SENT, EntryState.STAGE2_DONE,
    EntryState.PMO_STARTED, EntryState.PMO_DONE,
)  # fmt: skip
STAGE1_DONE = (EntryState.STAGE1_DONE, EntryState.STAGE2_SENT, EntryState.STAGE2_DONE, EntryState.PMO_DONE)
STAGE2_DUE = (EntryState.STAGE2_SENT, EntryState.STAGE2_DONE)
STAGE2_DONE = (EntryState.STAGE2_DONE,)

FACTS = InformingFact._meta.db_table
# The month an entry is counted in: its planned month, else the first month of its quarter, else January.
ENTRY_MONTH = "COALESCE(le.month, le.quarter * 3 - 2, 1)"

INSERT_ENTRIES = f"""
INSERT INTO reports_monthlyfigures (year, month, mo_id, smo_id, measure, plan, listed, identified, informed,
    informed_on_time, started, stage1_done, stage2_due, stage2_done, passed, refreshed_at)
SELECT le.year, {ENTRY_MONTH}, le.mo_id, le.smo_id, le.measure, 0, COUNT(*),
    COUNT(*) FILTER (WHERE le.smo_id IS NOT NULL), COUNT(f.on_time), COUNT(*) FILTER (WHERE f.on_time),
    COUNT(*) FILTER (WHERE le.state = ANY(%(started)s)),
    COUNT(*) FILTER (WHERE le.state = ANY(%(stage1)s)),
    COUNT(*) FILTER (WHERE le.state = ANY(%(stage2_due)s)),
    COUNT(*) FILTER (WHERE le.state = ANY(%(stage2_done)s)),
    COUNT(p.person_id), now()
FROM screening_listentry le
LEFT JOIN ({passed_sql()}) p ON p.person_id = le.person_id AND p.measure = le.measure AND p.year = le.year
LEFT JOIN LATERAL (
  SELECT bool_or(NOT fa.is_late) AS on_time FROM {FACTS} fa
  WHERE fa.person_id = le.person_id AND fa.outcome = ANY(%(informed)s)
    AND fa.date >= make_date(le.year, 1, 1) AND fa.date < make_date(le.year + 1, 1, 1)
  HAVING COUNT(*) > 0
) f ON true
WHERE le.year = %(year)s AND (%(all)s OR le.mo_id = ANY(%(mos)s))
GROUP BY le.year, {ENTRY_MONTH}, le.mo_id, le.smo_id, le.measure
"""  # nosec B608 - constant SQL; values are parameters

INSERT_PLAN = """
INSERT INTO reports_monthlyfigures (year, month, mo_id, smo_id, measure, plan, listed, identified, informed,
    informed_on_time, started, stage1_done, stage2_due, stage2_done, passed, refreshed_at)
SELECT p.year, l.month, l.mo_id, NULL, l.measure, SUM(l.quantity), 0, 0, 0, 0, 0, 0, 0, 0, 0, now()
FROM screening_yearplanline l JOIN screening_yearplan p ON p.id = l.plan_id
WHERE p.year = %(year)s AND (%(all)s OR l.mo_id = ANY(%(mos)s))
GROUP BY p.year, l.month, l.mo_id, l.measure
"""

DELETE = "DELETE FROM reports_monthlyfigures WHERE year = %(year)s AND (%(all)s OR mo_id = ANY(%(mos)s))"


@transaction.atomic
def refresh_figures(year: int, mo_ids: list[int] | None = None) -> None:
    """Rebuild the figures of ``year`` (of ``mo_ids`` only, when given) from the lists, events and plans."""
    params = {
        "year": year,
        "all": mo_ids is None,
        "mos": list(mo_ids or []),
        "started": list(STARTED),
        "stage1": list(STAGE1_DONE),
        "stage2_due": list(STAGE2_DUE),
        "stage2_done": list(STAGE2_DONE),
        "informed": list(INFORMED_OUTCOMES),
    }
    with connection.cursor() as cursor:
        cursor.execute(DELETE, params)
        cursor.execute(INSERT_ENTRIES, params)
        cursor.execute(INSERT_PLAN, params)
