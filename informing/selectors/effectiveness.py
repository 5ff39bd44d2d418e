"""Channel effectiveness [R II.10, O12]: of the persons informed per channel, kind, MO and month, the share who
came for what they were told about within 30, 60 and 90 days of the fact (the stage event of :data:`OUTCOME_EVENT`);
A/B arms of batches with a 95 % confidence interval for the difference (Newcombe's hybrid score interval); the
Fund's O11 control counts per SMO and month.

Each read is one SQL statement over the facts of one SMO (or all, for the Fund's control), grouped in the database.
"""

# SQL built from strings (bandit B608, reviewed; each statement marked nosec B608): only table names from model
# _meta are pasted in; every value is a query parameter.
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from participants.models import Organization, Person
from screening.models import ListEntry, StageEvent

from ..due import may_be_informed_sql
from ..models import Batch, BatchMessage, ControlRun, InformingFact, Kind

T_BATCH = Batch._meta.db_table
T_PERSON = Person._meta.db_table

T_FACT = InformingFact._meta.db_table
T_EVENT = StageEvent._meta.db_table
T_MSG = BatchMessage._meta.db_table
T_ENTRY = ListEntry._meta.db_table
WINDOWS = (30, 60, 90)
Z95 = 1.959963984540054

# The stage event that shows each kind of informing worked: an invitation, a reminder or a repeat invitation — the
# start of stage 1 of the DVN or of the PMO; a stage-2 notice — stage 2 (the events know no "stage 2 started": its
# finish, END2, is the first stage-2 event an MO posts). A DN reminder has none: DN visits are not stage events
# (they come with the invoice registers, a later issue); nor have a turning-18 notice (choosing an MO) and an
# appeal's result. Their rows show the informed persons and no shares.
OUTCOME_EVENT: dict[str, str | None] = {
    Kind.INVITE: "START1",
    Kind.REMIND: "START1",
    Kind.REPEAT: "START1",
    Kind.STAGE2: "END2",
    Kind.DN: None,
    Kind.AGE18: None,
    Kind.APPEAL: None,
}


def _outcome_params() -> dict:
    measured = [(kind, event) for kind, event in OUTCOME_EVENT.items() if event]
    return {"ev_kinds": [str(k) for k, _e in measured], "ev_events": [e for _k, e in measured]}


@dataclass(frozen=True)
class EffectRow:
    channel: str
    kind: str
    mo_id: int | None
    month: datetime.date
    informed: int
    came30: int | None  # None: the kind has no stage event that shows it worked (OUTCOME_EVENT)
    came60: int | None
    came90: int | None

    @property
    def measured(self) -> bool:
        return self.came30 is not None

    def share(self, days: int) -> float | None:
        came = {30: self.came30, 60: self.came60, 90: self.came90}[days]
        if came is None:
            return None
        return came / self.informed if self.informed else 0.0


def channel_effectiveness(*, smo_id: int, date_from: datetime.date, date_to: datetime.date) -> list[EffectRow]:
    """Per channel, kind, MO and month of the first delivered fact of each person: informed and came in 30/60/90
    (the kind's stage event on or after the fact; None for a kind without one)."""
    sql = f"""
        WITH f AS (
            SELECT person_id, channel, kind, mo_id, date_trunc('month', date)::date AS month, min(date) AS d
            FROM {T_FACT}
            WHERE smo_id = %(smo)s AND outcome = 'DELIVERED' AND date BETWEEN %(a)s AND %(b)s
            GROUP BY 1, 2, 3, 4, 5
        ), s AS (
            SELECT f.*, ke.event AS outcome_event, (
                SELECT min(e.date) FROM {T_EVENT} e
                WHERE e.person_id = f.person_id AND e.event = ke.event AND e.date >= f.d
            ) AS started
            FROM f LEFT JOIN unnest(%(ev_kinds)s::text[], %(ev_events)s::text[]) AS ke(kind, event)
                ON ke.kind = f.kind
        )
        SELECT channel, kind, mo_id, month, count(*),
               CASE WHEN bool_or(outcome_event IS NOT NULL) THEN count(*) FILTER (WHERE started <= d + 30) END,
               CASE WHEN bool_or(outcome_event IS NOT NULL) THEN count(*) FILTER (WHERE started <= d + 60) END,
               CASE WHEN bool_or(outcome_event IS NOT NULL) THEN count(*) FILTER (WHERE started <= d + 90) END
        FROM s GROUP BY 1, 2, 3, 4 ORDER BY 4, 1, 2, 3
    """  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(sql, {"smo": smo_id, "a": date_from, "b": date_to, **_outcome_params()})
        return [EffectRow(*row) for row in cur.fetchall()]


def by_channel(rows: list[EffectRow]) -> list[dict]:
    """The rows summed per channel, for the chart and the report's first sheet: ``informed`` all informed persons,
    ``measured`` those of kinds with a stage event that shows the informing worked; the shares are of ``measured``
    (a DN reminder does not count as one that nobody came for; None when no kind of the channel is measured)."""
    out: dict[str, dict] = {}
    for r in rows:
        item = out.setdefault(
            r.channel, {"channel": r.channel, "informed": 0, "measured": 0, "came30": 0, "came60": 0, "came90": 0}
        )
        item["informed"] += r.informed
        if not r.measured:
            continue
        item["measured"] += r.informed
        item["came30"] += r.came30
        item["came60"] += r.came60
        item["came90"] += r.came90
    for item in out.values():
        for days in WINDOWS:
            item[f"share{days}"] = round(100 * item[f"came{days}"] / item["measured"], 1) if item["measured"] else None
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


def wilson(came: int, size: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``came``/``size`` (never outside [0, 1], sound at 0 % and 100 %)."""
    if size <= 0:
        return 0.0, 1.0
    p = came / size
    denominator = 1 + z * z / size
    centre = p + z * z / (2 * size)
    half = z * math.sqrt(p * (1 - p) / size + z * z / (4 * size * size))
    return max(0.0, (centre - half) / denominator), min(1.0, (centre + half) / denominator)


def compare(arm: Arm, base: Arm, z: float = Z95) -> ArmComparison:
    """The difference of two shares (``arm`` − ``base``) with its 95 % interval: Newcombe's hybrid score interval
    from the two Wilson intervals (Newcombe 1998, method 10) — unlike Wald's it does not collapse to a point at 0 %
    or 100 % (1 of 1 against 0 of 1 is not "significant"). An empty arm says nothing: the interval is [−1, 1]."""
    p1, p2 = arm.share, base.share
    diff = p1 - p2
    if not arm.size or not base.size:
        return ArmComparison(arm, base, diff, -1.0, 1.0)
    l1, u1 = wilson(arm.came, arm.size, z)
    l2, u2 = wilson(base.came, base.size, z)
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return ArmComparison(arm, base, diff, low, high)


def batch_arms(*, batch_id: int, days: int = 90) -> list[Arm]:
    """Per arm of a sent batch: every person assigned to the arm (sent, not delivered, unreachable by the arm's
    channels, skipped after an opt-out — as randomised, so that arms split by channel stay comparable), and of them
    who came within ``days`` of the batch's sending (the stage event of the batch's kind, OUTCOME_EVENT; a person the
    arm could not reach counts as not reached by it, and came if they came anyway). Empty for a batch not sent or
    of a kind without a stage event."""
    from django.conf import settings

    sql = f"""
        WITH b AS (
            SELECT b.id, (b.sent_at AT TIME ZONE %(tz)s)::date AS sent, ke.event
            FROM {T_BATCH} b
            JOIN unnest(%(ev_kinds)s::text[], %(ev_events)s::text[]) AS ke(kind, event) ON ke.kind = b.kind
            WHERE b.id = %(batch)s AND b.sent_at IS NOT NULL
        )
        SELECT m.arm, count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM {T_EVENT} e WHERE e.person_id = m.person_id AND e.event = b.event
                     AND e.date >= b.sent AND e.date <= b.sent + %(days)s
               ))
        FROM {T_MSG} m JOIN b ON b.id = m.batch_id
        GROUP BY m.arm ORDER BY m.arm
    """  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(sql, {"batch": batch_id, "days": days, "tz": settings.TIME_ZONE, **_outcome_params()})
        return [Arm(*row) for row in cur.fetchall()]


def control_counts(*, year: int, month: int, today: datetime.date | None = None) -> list[dict]:
    """The Fund's O11 control: per SMO, the month's facts, the late ones, and the persons listed for the year (as
    their SMO was recorded on the list) still without a delivered invitation — of those the SMO still has to inform
    on the month's last day (or today, within the month): not opted out, alive, still insured by it, by the same
    condition as who is due (informing.due.may_be_informed_sql)."""
    first = datetime.date(year, month, 1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    on = max(first, min(last, today or timezone.localdate()))
    eligible = may_be_informed_sql(person="p", person_id="e.person_id", smo="e.smo_id", on="%(on)s")
    sql = f"""
        WITH facts AS (
            SELECT smo_id, count(*) AS facts, count(*) FILTER (WHERE is_late) AS late
            FROM {T_FACT} WHERE date >= make_date(%(y)s, %(m)s, 1)
              AND date < make_date(%(y)s, %(m)s, 1) + interval '1 month'
            GROUP BY smo_id
        ), uninvited AS (
            SELECT e.smo_id, count(DISTINCT e.person_id) AS uninvited
            FROM {T_ENTRY} e
            JOIN {T_PERSON} p ON p.id = e.person_id
            WHERE e.year = %(y)s AND e.measure IN ('DVN', 'PMO') AND e.smo_id IS NOT NULL AND {eligible}
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
        cur.execute(sql, {"y": year, "m": month, "on": on})
        return [{"smo_id": s, "facts": f, "late": lt, "uninvited": u} for s, f, lt, u in cur.fetchall()]


def organizations_by_id(ids) -> dict[int, Organization]:
    """The organizations of ``ids`` (MOs or SMOs of the rows of a page), by id."""
    return {o.pk: o for o in Organization.objects.filter(pk__in={i for i in ids if i})}


def control_runs(*, year: int, month: int):
    """The Fund's recorded runs of the O11 control of a month, with who ran them."""
    return ControlRun.objects.filter(year=year, month=month).select_related("run_by")
