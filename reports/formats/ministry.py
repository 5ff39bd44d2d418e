"""The Ministry's non-compliance report [R II.8, II.15]: the organizations, the obligation, the period and the
evidence, as XLSX (omsportal.exports) and as a PDF (WeasyPrint). Counts and dates only: no person is named."""

from __future__ import annotations

import threading

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.exports import table_xlsx
from reports.evidence import label
from reports.selectors.states import obligation_titles


def evidence_text(evidence: dict) -> str:
    """The evidence in one line: what proves it, the counts, the dates, the uploads (name, date, counts)."""
    parts = []
    for name, value in (evidence.get("counts") or {}).items():
        parts.append(f"{label(name)}: {value}")
    for name, value in (evidence.get("dates") or {}).items():
        parts.append(f"{label(name)}: {value or '—'}")
    uploads = evidence.get("uploads") or []
    if uploads:
        shown = "; ".join(f"№{u['id']} {u['date']} {u['status']} +{u['accepted']}/-{u['rejected']}" for u in uploads[:5])  # noqa: E501
        parts.append(_("загрузки: %(list)s") % {"list": shown})
    if evidence.get("organizations"):
        parts.append(_("МО: %(codes)s") % {"codes": ", ".join(evidence["organizations"][:30])})
    return "; ".join(parts)


def report_rows(records) -> list[dict]:
    titles = obligation_titles()
    return [
        {
            "organization_code": r.organization.code,
            "organization": r.organization.display_name,
            "kind": r.organization.get_kind_display(),
            "code": r.code,
            "clause": r.clause,
            "title": titles.get(r.code, ("", ""))[1],
            "period": r.period_key,
            "due": r.due_on,
            "late_days": r.late_days,
            "met_on": r.met_on,
            "status": r.get_status_display(),
            "evidence": evidence_text(r.evidence),
        }
        for r in records
    ]


HEADERS_KEYS = ("organization_code", "organization", "kind", "code", "clause", "title", "period", "due", "late_days",
                "met_on", "status", "evidence")  # fmt: skip


def headers() -> list[str]:
    return [_("Код"), _("Организация"), _("Вид"), _("Обязательство"), _("Пункт"), _("Содержание"), _("Период"),
            _("Срок"), _("Просрочка, раб. дней"), _("Исполнено позже"), _("Статус"), _("Подтверждение")]  # fmt: skip


def noncompliance_xlsx(rows: list[dict], year: int) -> bytes:
    return table_xlsx(headers(), ([row[k] for k in HEADERS_KEYS] for row in rows), title=f"Нарушения {year}")


def legend(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(code, clause, title) of each obligation the rows name, once, in the order of the codes."""
    seen = {row["code"]: (row["code"], row["clause"], row["title"]) for row in rows}
    return [seen[code] for code in sorted(seen, key=lambda c: (len(c), c))]


_fonts = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, loaded once (fontconfig's setup is not redone per report)."""
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return _fonts.config


def noncompliance_pdf(rows: list[dict], year: int, coverage: list[dict] = ()) -> bytes:
    """The Ministry's PDF: the year's coverage against the plan per MO and month, the obligations named, and the
    confirmed non-compliance with its period and evidence."""
    from weasyprint import HTML

    html = render_to_string(
        "reports/ministry_report.html",
        {"rows": rows, "year": year, "legend": legend(rows), "coverage": coverage, "month_numbers": range(1, 13),
         "made": timezone.localtime()},
    )  # fmt: skip
    config = _font_config()
    return HTML(string=html).write_pdf(font_config=config)
