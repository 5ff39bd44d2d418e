"""What a non-compliance record shows as its evidence: counts, dates and links to the uploads behind it.

No person is named: persons appear as counts (the Ministry reads these records) [domain §2, §10]. An obligation
without its own collector here gets the engine's generic evidence (what proves it, the due date, the met date).
"""

from __future__ import annotations

import contextlib
import contextvars

from django.db.models import Count, Max

from omsportal.obligations import Period
from participants.models import OrganizationKind

# The counts one run files on many records (the persons on an MO's lists of a year, its last batch of events: every
# overdue day of O8 repeats them) are read once per run: sync_noncompliance collects inside :func:`one_run`.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("reports_evidence_memo", default=None)


@contextlib.contextmanager
def one_run():
    """Within it, :func:`_once` answers each (what, arguments) once; outside it every call reads again."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _once(key: tuple, read):
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def _uploads(mo_id: int, **filters) -> list[dict]:
    from screening.models import ListUpload

    rows = ListUpload.objects.filter(mo_id=mo_id, **filters).order_by("created_at")[:20]
    return [
        {
            "id": row.pk,
            "name": row.original_name,
            "kind": row.kind,
            "status": row.status,
            "date": row.created_at.date().isoformat(),
            "accepted": row.records_accepted,
            "rejected": row.records_rejected,
        }
        for row in rows
    ]


def _entries(mo_id: int, year: int) -> int:
    from screening.models import ListEntry

    return _once(("entries", mo_id, year), ListEntry.objects.filter(mo_id=mo_id, year=year).count)


def lists_evidence(mo_id: int, period: Period) -> dict:
    """O2, O7: the MO's uploads of lists for the year and the persons on its lists."""
    return {"uploads": _uploads(mo_id, year=period.year), "counts": {"entries": _entries(mo_id, period.year)}}


def protocol_evidence(mo_id: int, period: Period) -> dict:
    """O3, O4: the uploads of the day, with their accepted and rejected records."""
    return {"uploads": _uploads(mo_id, created_at__date=period.day)}


def events_evidence(mo_id: int, period: Period) -> dict:
    """O8: the persons on the MO's lists of the year and the day of its last batch of events."""
    from screening.models import EventBatch

    last = _once(
        ("last_batch", mo_id), lambda: EventBatch.objects.filter(mo_id=mo_id).aggregate(last=Max("created_at"))["last"]
    )
    return {
        "counts": {"entries": _entries(mo_id, period.year)},
        "dates": {"last_batch": last.date().isoformat() if last else None},
    }


def missing_lists_evidence(smo_id: int, period: Period) -> dict:
    """O5: the MOs without an accepted yearly list for the year (the draft of the SMO's report)."""
    from reports.selectors.filings import mos_without_lists

    mos = _once(("mos_without_lists", period.year), lambda: mos_without_lists(period.year))
    return {"counts": {"mos_without_lists": len(mos)}, "organizations": [mo["code"] for mo in mos][:100]}


def noncompliance_count_evidence(_fund_id, period: Period) -> dict:
    """O6: the confirmed records of the year not yet forwarded to the Ministry."""
    from reports.models import NonCompliance, ReviewStatus

    rows = NonCompliance.objects.filter(period_year=period.year).values("status").annotate(n=Count("id"))
    return {"counts": {row["status"]: row["n"] for row in rows}, "status": ReviewStatus.CONFIRMED}


COLLECTORS = {
    "O2": lists_evidence,
    "O7": lists_evidence,
    "O3": protocol_evidence,
    "O4": protocol_evidence,
    "O8": events_evidence,
    "O5": missing_lists_evidence,
    "O6": noncompliance_count_evidence,
}


def collect(code: str, organization_id: int, debtor_kind: str, period: Period, base: dict) -> dict:
    """The engine's evidence of a state plus the obligation's own (uploads, counts, dates)."""
    evidence = dict(base)
    collector = COLLECTORS.get(code)
    if collector is not None:
        single = debtor_kind in (OrganizationKind.FUND, OrganizationKind.MINISTRY)
        evidence.update(collector(None if single else organization_id, period))
    return evidence
