"""What a non-compliance record shows as its evidence: counts, dates and links to the uploads and pages behind it.

No person is named: persons appear as counts (the Ministry reads these records) [domain §2, §10]. An obligation
without its own collector here gets the engine's generic evidence (what proves it, the due date, the met date).
"""

from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import ExtractMonth
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.obligations import QUARTER, Period
from participants.models import Organization, OrganizationKind

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


# --- the SMOs' obligations (and the Fund's control of them): counts per SMO read once per run, links to the pages ----


def _month_span(period: Period) -> tuple[datetime.date, datetime.date]:
    """The period's days: a month, or a quarter (MONTH / QUARTER periods)."""
    if period.kind == QUARTER:
        first, last = 3 * period.number - 2, 3 * period.number
    else:
        first = last = period.number
    last_day = calendar.monthrange(period.year, last)[1]
    return datetime.date(period.year, first, 1), datetime.date(period.year, last, last_day)


def _link(label, name: str, **query) -> dict:
    """A page behind the record: its label stored as the Russian source text (translated when shown, in the
    reader's language: :func:`visible_links`) and its address."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(label)
    return {"label": text, "url": f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)}


def visible_links(evidence: dict, user) -> list[dict]:
    """The record's links that ``user`` may open (the capability of the page each one leads to), labels in the
    reader's language: an SMO's level 2 is not sent to the Fund's control page."""
    shown = []
    for link in evidence.get("links") or []:
        try:
            match = resolve(urlsplit(link["url"]).path)
        except Resolver404:
            continue
        capability = getattr(getattr(match.func, "view_class", None), "capability", None)
        if capability is not None and capability.allows(user):
            shown.append({"label": translation.gettext(link["label"]), "url": link["url"]})
    return shown


def _codes(kind: str) -> dict[int, str]:
    """Organization id -> code of the organizations of ``kind``: once per run."""
    return _once(("codes", kind), lambda: dict(Organization.objects.filter(kind=kind).values_list("pk", "code")))


def _due_today(smo_id: int, kind: str) -> list:
    """The SMO's persons due ``kind`` today per MO and deadline (informing.due, as the judges read it): once per SMO
    and kind in a run, whatever the number of periods with a record."""
    from informing.due import due_counts

    today = timezone.localdate()
    return _once(("due", smo_id, kind, today), lambda: due_counts(smo_id=smo_id, on=today, kinds=(kind,)))


def _due_evidence(kind: str):
    """O9, O15, O16, O19: the persons due with a deadline in the period, those of them past it, the MOs they are on
    the lists of; a link to the SMO's page of who is due (its persons behind each count, for those who see them)."""

    def collect_due(smo_id: int | None, period: Period) -> dict:
        if smo_id is None:
            return {}
        since, until = _month_span(period)
        rows = [c for c in _due_today(smo_id, kind) if c.deadline and since <= c.deadline <= until]
        codes = _codes(OrganizationKind.MO)
        late_mos = sorted({codes.get(c.mo_id, "") for c in rows if c.overdue and c.mo_id})
        return {
            "counts": {"due": sum(c.due for c in rows), "overdue": sum(c.overdue for c in rows)},
            "dates": {"counted_on": timezone.localdate().isoformat()},
            "organizations": late_mos[:100],
            "links": [_link(_("Кто подлежит информированию"), "informing:due", smo=smo_id)],
        }

    return collect_due


def _facts_of_year(year: int) -> dict[tuple[int, int], dict]:
    """(SMO id, month) -> the informing facts of the month and those posted late (O10), for the year: one grouped
    query per run and year."""
    from informing.models import InformingFact

    def read():
        rows = (
            InformingFact.objects.filter(date__range=(datetime.date(year, 1, 1), datetime.date(year, 12, 31)))
            .annotate(month=ExtractMonth("date"))
            .values("smo_id", "month")
            .order_by()
            .annotate(facts=Count("id"), late=Count("id", filter=Q(is_late=True)))
        )
        return {(row["smo_id"], row["month"]): {"facts": row["facts"], "late": row["late"]} for row in rows}

    return _once(("facts_of_year", year), read)


def late_facts_evidence(smo_id: int | None, period: Period) -> dict:
    """O10: the SMO's facts of the month and how many were posted late; a link to the Fund's control of the month."""
    month = _facts_of_year(period.year).get((smo_id, period.number), {"facts": 0, "late": 0})
    return {
        "counts": {"facts": month["facts"], "late_facts": month["late"]},
        "links": [_link(_("Контроль информирования за месяц"), "informing:control", year=period.year,
                        month=period.number)],
    }  # fmt: skip


def control_evidence(_fund_id, period: Period) -> dict:
    """O11: the region's facts of the month, the late ones and the SMOs that posted late; a link to the control."""
    rows = {smo: n for (smo, month), n in _facts_of_year(period.year).items() if month == period.number}
    return {
        "counts": {
            "facts": sum(n["facts"] for n in rows.values()),
            "late_facts": sum(n["late"] for n in rows.values()),
            "smos_with_late_facts": sum(1 for smo, n in rows.items() if n["late"] and smo),
        },
        "links": [_link(_("Контроль информирования за месяц"), "informing:control", year=period.year,
                        month=period.number)],
    }  # fmt: skip


def channel_report_evidence(smo_id: int | None, period: Period) -> dict:
    """O12: the SMO's informing facts of the quarter the report is about; a link to its channel effectiveness."""
    facts = sum(
        n["facts"] for (smo, month), n in _facts_of_year(period.year).items()
        if smo == smo_id and 3 * period.number - 2 <= month <= 3 * period.number
    )  # fmt: skip
    return {
        "counts": {"facts": facts},
        "links": [_link(_("Эффективность каналов за квартал"), "informing:effectiveness", smo=smo_id,
                        year=period.year, quarter=period.number)],
    }  # fmt: skip


def _quota_lines(year: int, quarter: int) -> dict[int | None, list]:
    """SMO id -> its lines of reports.QuotaFigures of the quarter (the dashboard's aggregate): once per run."""
    from reports.models import QuotaFigures

    def read():
        lines: dict[int | None, list] = {}
        for line in QuotaFigures.objects.filter(year=year, quarter=quarter):
            lines.setdefault(line.smo_id, []).append(line)
        return lines

    return _once(("quota_lines", year, quarter), read)


def quota_evidence(smo_id: int | None, period: Period) -> dict:
    """O14: the quarter's quota per part (passed, informed not passed), the surveys done, the shortfall and the MOs
    whose quota is not met; a link to the quota page."""
    lines = _quota_lines(period.year, period.number).get(smo_id, [])
    short_passed = sum(max(0, line.quota_passed - line.surveyed_passed) for line in lines)
    short_informed = sum(max(0, line.quota_informed - line.surveyed_informed) for line in lines)
    codes = _codes(OrganizationKind.MO)
    short_mos = sorted(
        codes.get(line.mo_id, "") for line in lines
        if line.surveyed_passed < line.quota_passed or line.surveyed_informed < line.quota_informed
    )  # fmt: skip
    return {
        "counts": {
            "quota_passed": sum(line.quota_passed for line in lines),
            "surveyed_passed": sum(line.surveyed_passed for line in lines),
            "quota_informed": sum(line.quota_informed for line in lines),
            "surveyed_informed": sum(line.surveyed_informed for line in lines),
            "shortfall": short_passed + short_informed,
        },
        "organizations": short_mos[:100],
        "links": [_link(_("Квоты опроса за квартал"), "surveys:quotas", year=period.year, quarter=period.number)],
    }


def filing_evidence(smo_id: int | None, period: Period) -> dict:
    """O13, O17: a link to the reports the SMO files (the drafts the portal prepares)."""
    return {"links": [_link(_("Отчёты для представления"), "reports:filings")]}


# What the pages call each count and date of the evidence (a key without a label is shown as it is stored).
LABELS = {
    "entries": _lazy("лиц в списках года"),
    "mos_without_lists": _lazy("МО без списков"),
    "last_batch": _lazy("последний пакет событий"),
    "due": _lazy("подлежат информированию со сроком в периоде"),
    "overdue": _lazy("из них срок прошёл"),
    "counted_on": _lazy("посчитано на"),
    "facts": _lazy("фактов информирования"),
    "late_facts": _lazy("из них размещены с опозданием"),
    "smos_with_late_facts": _lazy("СМО с опозданиями"),
    "quota_passed": _lazy("квота: прошедшие"),
    "surveyed_passed": _lazy("опрошено прошедших"),
    "quota_informed": _lazy("квота: проинформированные, не прошедшие"),
    "surveyed_informed": _lazy("опрошено проинформированных"),
    "shortfall": _lazy("недостаёт опросов"),
}


def label(key: str) -> str:
    """What the pages and the Ministry's report call a count or date of the evidence (O6 counts records by their
    review status: its label)."""
    if key in LABELS:
        return str(LABELS[key])
    from reports.models import ReviewStatus

    if key in ReviewStatus.values:
        return str(ReviewStatus(key).label)
    return key


COLLECTORS = {
    "O9": _due_evidence("INVITE"),
    "O10": late_facts_evidence,
    "O11": control_evidence,
    "O12": channel_report_evidence,
    "O13": filing_evidence,
    "O14": quota_evidence,
    "O15": _due_evidence("REPEAT"),
    "O16": _due_evidence("STAGE2"),
    "O17": filing_evidence,
    "O19": _due_evidence("AGE18"),
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
