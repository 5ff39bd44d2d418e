"""Reads of the year's outcomes (reports.services.outcomes keeps the aggregates).

Every listed person accounted for: exactly one outcome of the year for each list entry, and the channel and
representative level credited with each completion (beyond the regulation; domain §3, §6, §8).

Outcomes, the first that applies: passed (the one "passed" selector); stage 2 pending (sent to stage 2, not
finished); died; moved (no longer insured by the entry's SMO in the region); refused; opted out of informing;
informed and did not come (a delivered informing fact of the year, no completion — a started but unfinished stage 1
counts here too); never informed. Counted as of the year's end, or today for the running year. A completion is
credited to the channel of the last delivered fact dated on or before it, and to the role of its representative.
Kept as aggregates (reports.YearOutcome, reports.ChannelCredit) per MO, SMO, measure and the entry's month, rebuilt by
the engine run. "Never informed" is all year long; beside it each group counts those not invited by their invitation
deadline (O9, informing.due's deadline of the entry: no delivered invitation from the list's acceptance to it; those
who opted out of informing aside), the people who fell through the cracks even if they were informed later.
"""

from __future__ import annotations

# ruff: noqa: S608 - the statements are constants of this module built from model tables and the passed selector's
# constant SQL; every value is a query parameter (bandit B608 reviewed, marked nosec)
import datetime

from django.db import connection

from informing.models import InformingFact, OptOut
from informing.selectors.facts import INFORMED_OUTCOMES
from participants.models import PolicyPeriod
from reports.services.figures import ENTRY_MONTH
from screening.models import EntryState
from screening.selectors.passed import passed_sql

PASSED, STAGE2_PENDING, DIED, MOVED = "PASSED", "STAGE2_PENDING", "DIED", "MOVED"
REFUSED, OPTED_OUT, INFORMED_NOT_COME, NEVER_INFORMED = "REFUSED", "OPTED_OUT", "INFORMED_NO_SHOW", "NEVER_INFORMED"
OUTCOMES = (PASSED, STAGE2_PENDING, DIED, MOVED, REFUSED, OPTED_OUT, INFORMED_NOT_COME, NEVER_INFORMED)

FACTS = InformingFact._meta.db_table
OPTOUTS = OptOut._meta.db_table
POLICIES = PolicyPeriod._meta.db_table

ENTRY_OUTCOMES = f"""
SELECT le.id, le.person_id, le.mo_id, le.smo_id, le.measure, {ENTRY_MONTH} AS month, p.passed_on,
  CASE
    WHEN p.person_id IS NOT NULL THEN '{PASSED}'
    WHEN le.state = '{EntryState.STAGE2_SENT}' THEN '{STAGE2_PENDING}'
    WHEN per.death_date IS NOT NULL AND per.death_date <= %(on)s THEN '{DIED}'
    WHEN le.smo_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM {POLICIES} pp WHERE pp.person_id = le.person_id AND pp.smo_id = le.smo_id
        AND pp.date_from <= %(on)s AND (pp.date_to IS NULL OR pp.date_to >= %(on)s)) THEN '{MOVED}'
    WHEN le.state = '{EntryState.REFUSED}' THEN '{REFUSED}'
    WHEN per.informing_opt_out OR EXISTS (
      SELECT 1 FROM {OPTOUTS} o WHERE o.person_id = le.person_id AND o.revoked_at IS NULL AND o.date <= %(on)s)
      THEN '{OPTED_OUT}'
    WHEN EXISTS (
      SELECT 1 FROM {FACTS} f WHERE f.person_id = le.person_id AND f.outcome = ANY(%(informed)s)
        AND f.date BETWEEN %(start)s AND %(on)s) THEN '{INFORMED_NOT_COME}'
    ELSE '{NEVER_INFORMED}'
  END AS outcome
FROM screening_listentry le
JOIN participants_person per ON per.id = le.person_id
LEFT JOIN ({passed_sql()}) p ON p.person_id = le.person_id AND p.measure = le.measure AND p.year = le.year
  AND p.passed_on <= %(on)s
WHERE le.year = %(year)s
"""  # nosec B608 - constant SQL; values are parameters



def counted_on(year: int, today: datetime.date | None = None) -> datetime.date:
    today = today or datetime.date.today()
    return min(today, datetime.date(year, 12, 31))


def entry_outcomes(year: int, today: datetime.date | None = None) -> dict[int, str]:
    """List entry id -> its outcome (for tests and small checks; the pages read the aggregates)."""
    params = {"year": year, "on": counted_on(year, today), "start": datetime.date(year, 1, 1),
              "informed": list(INFORMED_OUTCOMES)}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, outcome FROM ({ENTRY_OUTCOMES}) o", params)  # nosec B608
        return dict(cursor.fetchall())
