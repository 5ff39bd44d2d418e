"""Channel effectiveness [R II.10, O12]: of the persons informed per channel, kind, MO and month, the share who
started the measure within 30, 60 and 90 days of the fact (from stage events); A/B arms of batches with a 95 %
confidence interval for the difference; the Fund's O11 control counts per SMO and month.

Each read is one SQL statement over the facts of one SMO (or all, for the Fund's control), grouped in the database.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import connection

from participants.models import Organization
from screening.models import ListEntry, StageEvent

from ..models import BatchMessage, ControlRun, InformingFact, MessageStatus

T_FACT = InformingFact._meta.db_table
T_EVENT = StageEvent._meta.db_table
T_MSG = BatchMessage._meta.db_table
T_ENTRY = ListEntry._meta.db_table
WINDOWS = (30, 60, 90)
Z95 = 1.959963984540054


@dataclass(frozen=True)
class EffectRow:
    channel: str
    kind: str
    mo_id: int | None
    month: datetime.date
    informed: int
    came30: int
    came60: int
    came90: int

    def share(self, days: int) -> float:
        came = {30: self.came30, 60: self.came60, 90: self.came90}[days]
        return came / self.informed if self.informed else 0.0


def channel_effectiveness(*, smo_id: int, date_from: datetime.date, date_to: datetime.date) -> list[EffectRow]:
    """Per channel, kind, MO and month of the first delivered fact of each person: informed and came in 30/60/90."""
    sql = f"""
        WITH f AS (
            SELECT person_id, channel, kind, mo_id, date_trunc('month', date)::date AS month, min(date) AS d
            FROM {T_FACT}
            WHERE smo_id = %(smo)s AND outcome = 'DELIVERED' AND date BETWEEN %(a)s AND %(b)s
            GROUP BY 1, 2, 3, 4, 5
        ), s AS (
            SELECT f.*, (
                SELECT min(e.date) FROM {T_EVENT} e
                WHERE e.person_id = f.person_id AND e.event = 'START1' AND e.date >= f.d
            ) AS started
            FROM f
        )
        SELECT channel, kind, mo_id, month, count(*),
               count(*) FILTER (WHERE started <= d + 30), count(*) FILTER (WHERE started <= d + 60),
               count(*) FILTER (WHERE started <= d + 90)
        FROM s GROUP BY 1, 2, 3, 4 ORDER BY 4, 1, 2, 3
    """  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(sql, {"smo": smo_id, "a": date_from, "b": date_to})
        return [EffectRow(*row) for row in cur.fetchall()]


def by_channel(rows: list[EffectRow]) -> list[dict]:
    """The rows summed per channel, for the chart and the report's first sheet."""
    out: dict[str, dict] = {}
    for r in rows:
        item = out.setdefault(r.channel, {"channel": r.channel, "informed": 0, "came30": 0, "came60": 0, "came90": 0})
        item["informed"] += r.informed
        item["came30"] += r.came30
        item["came60"] += r.came60
        item["came90"] += r.came90
    for item in out.values():
        for days in WINDOWS:
            item[f"share{days}"] = round(100 * item[f"came{days}"] / item["informed"], 1) if item["informed"] else 0.0
    return sorted(out.values(), key=lambda i: i["channel"])


@dataclass(frozen=True)
class Arm:
    arm: int
    size: int
    came: int

    @property
    def share(self) -> float:
        return self.came / self.size if self.size else 0.0


@dataclass(frozen=True)
class ArmComparison:
    arm: Arm
    base: Arm
    difference: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def compare(arm: Arm, base: Arm) -> ArmComparison:
    """The difference of two shares with its 95 % Wald interval."""
    p1, p2 = arm.share, base.share
    se = math.sqrt((p1 * (1 - p1) / arm.size if arm.size else 0) + (p2 * (1 - p2) / base.size if base.size else 0))
    diff = p1 - p2
    return ArmComparison(arm, base, diff, diff - Z95 * se, diff + Z95 * se)


def batch_arms(*, batch_id: int, days: int = 90) -> list[Arm]:
    """Per arm of a sent batch: persons sent a message, and of them who started within ``days`` of the sending."""
    sql = f"""
        SELECT m.arm, count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM {T_EVENT} e WHERE e.person_id = m.person_id AND e.event = 'START1'
                     AND e.date >= m.sent_at::date AND e.date <= m.sent_at::date + %(days)s
               ))
        FROM {T_MSG} m
        WHERE m.batch_id = %(batch)s AND m.status = ANY(%(sent)s) AND m.sent_at IS NOT NULL
        GROUP BY m.arm ORDER BY m.arm
    """  # noqa: S608  # nosec B608
    sent = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.NOT_DELIVERED]
    with connection.cursor() as cur:
        cur.execute(sql, {"batch": batch_id, "days": days, "sent": sent})
        return [Arm(*row) for row in cur.fetchall()]


def control_counts(*, year: int, month: int) -> list[dict]:
    """The Fund's O11 control: per SMO, the month's facts, the late ones, and the persons listed for the year (as
    their SMO was recorded on the list) still without a delivered invitation."""
    sql = f"""
        WITH facts AS (
            SELECT smo_id, count(*) AS facts, count(*) FILTER (WHERE is_late) AS late
            FROM {T_FACT} WHERE date >= make_date(%(y)s, %(m)s, 1)
              AND date < make_date(%(y)s, %(m)s, 1) + interval '1 month'
            GROUP BY smo_id
        ), uninvited AS (
            SELECT e.smo_id, count(DISTINCT e.person_id) AS uninvited
            FROM {T_ENTRY} e
            WHERE e.year = %(y)s AND e.measure IN ('DVN', 'PMO') AND e.smo_id IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM {T_FACT} f WHERE f.person_id = e.person_id AND f.kind = 'INVITE'
                    AND f.outcome = 'DELIVERED' AND f.date >= make_date(%(y)s - 1, 7, 1)
                    AND f.date <= make_date(%(y)s, 12, 31)
              )
            GROUP BY e.smo_id
        )
        SELECT coalesce(f.smo_id, u.smo_id) AS smo_id, coalesce(f.facts, 0), coalesce(f.late, 0),
               coalesce(u.uninvited, 0)
        FROM facts f FULL JOIN uninvited u ON u.smo_id = f.smo_id
        ORDER BY 1
    """  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(sql, {"y": year, "m": month})
        return [{"smo_id": s, "facts": f, "late": lt, "uninvited": u} for s, f, lt, u in cur.fetchall()]


def organizations_by_id(ids) -> dict[int, Organization]:
    """The organizations of ``ids`` (MOs or SMOs of the rows of a page), by id."""
    return {o.pk: o for o in Organization.objects.filter(pk__in={i for i in ids if i})}


def control_runs(*, year: int, month: int):
    """The Fund's recorded runs of the O11 control of a month, with who ran them."""
    return ControlRun.objects.filter(year=year, month=month).select_related("run_by")
