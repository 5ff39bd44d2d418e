"""Keeping the year's outcomes and channel credits (reports.YearOutcome, reports.ChannelCredit): rebuilt set-based by
the engine run; what they mean is in reports.selectors.outcomes."""

from __future__ import annotations

# ruff: noqa: S608 - the statement is a constant built from model tables and the outcomes' constant SQL; every value
# is a query parameter (bandit B608 reviewed, marked nosec)
import datetime

from django.db import connection, transaction

from informing.due import invite_deadlines_sql, workdays_table
from informing.selectors.facts import INFORMED_OUTCOMES
from omsportal.regional import regional_rules
from reports.selectors.outcomes import ENTRY_OUTCOMES, FACTS, OPTED_OUT, OUTCOMES, PASSED, counted_on

__all__ = ["OUTCOMES", "refresh_outcomes"]

REFRESH = f"""
DELETE FROM reports_yearoutcome WHERE year = %(year)s;
DELETE FROM reports_channelcredit WHERE year = %(year)s;
DROP TABLE IF EXISTS tmp_outcomes;
CREATE TEMP TABLE tmp_outcomes ON COMMIT DROP AS
SELECT o.*, (o.outcome <> '{OPTED_OUT}' AND d.deadline IS NOT NULL AND d.deadline < %(on)s AND NOT EXISTS (
    SELECT 1 FROM {FACTS} f WHERE f.person_id = o.person_id AND f.kind = 'INVITE' AND f.outcome = 'DELIVERED'
      AND f.date >= d.accepted AND f.date <= d.deadline)) AS not_invited
FROM (SELECT * FROM ({ENTRY_OUTCOMES}) x OFFSET 0) o  -- not flattened: each entry's outcome is worked out once
LEFT JOIN ({invite_deadlines_sql()}) d ON d.entry_id = o.id;
INSERT INTO reports_yearoutcome (year, month, mo_id, smo_id, measure, outcome, persons, not_invited_by_deadline,
    counted_on)
SELECT %(year)s, month, mo_id, smo_id, measure, outcome, COUNT(*), COUNT(*) FILTER (WHERE not_invited), %(on)s
FROM tmp_outcomes
GROUP BY month, mo_id, smo_id, measure, outcome;
INSERT INTO reports_channelcredit (year, month, mo_id, smo_id, measure, channel, level, persons)
SELECT %(year)s, t.month, t.mo_id, t.smo_id, t.measure, COALESCE(last.channel, ''), COALESCE(last.level, ''), COUNT(*)
FROM tmp_outcomes t
LEFT JOIN LATERAL (
  SELECT f.channel, u.role AS level FROM {FACTS} f LEFT JOIN participants_user u ON u.id = f.agent_id
  WHERE f.person_id = t.person_id AND f.outcome = ANY(%(informed)s) AND f.date <= t.passed_on
    AND f.date >= %(start)s
  ORDER BY f.date DESC, f.id DESC LIMIT 1
) last ON true
WHERE t.outcome = '{PASSED}'
GROUP BY t.month, t.mo_id, t.smo_id, t.measure, COALESCE(last.channel, ''), COALESCE(last.level, '');
"""  # nosec B608 - constant SQL; values are parameters


@transaction.atomic
def refresh_outcomes(year: int, today: datetime.date | None = None) -> None:
    """Rebuild the year's outcomes and channel credits of every list entry of ``year`` (with, per group, those not
    invited by their invitation deadline)."""
    from django.conf import settings

    params = {
        "year": year,
        "on": counted_on(year, today),
        "start": datetime.date(year, 1, 1),
        "informed": list(INFORMED_OUTCOMES),
        "n": regional_rules().informing_working_days,  # the invitation deadlines' N (informing.due)
        "tz": settings.TIME_ZONE,
    }
    with connection.cursor() as cursor:
        workdays_table(cursor, params["on"])
        cursor.execute(REFRESH, params)
        cursor.execute("DROP TABLE IF EXISTS tmp_due_workdays")
