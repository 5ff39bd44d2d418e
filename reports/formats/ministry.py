"""The Ministry's non-compliance report [R II.8, II.15]: the organizations, the obligation, the period and the
evidence, as XLSX (omsportal.exports) and as a PDF (WeasyPrint). Counts and dates only: no person is named."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.exports import table_xlsx
from reports.selectors.states import obligation_titles


def evidence_text(evidence: dict) -> str:
    """The evidence in one line: what proves it, the counts, the dates, the uploads (name, date, counts)."""
    parts = []
    for name, value in (evidence.get("counts") or {}).items():
        parts.append(f"{name}: {value}")
    for name, value in (evidence.get("dates") or {}).items():
        parts.append(f"{name}: {value or '—'}")
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


def noncompliance_pdf(rows: list[dict], year: int) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "reports/ministry_report.html",
        {"rows": rows, "year": year, "headers": headers(), "made": timezone.localtime()},
    )
    return HTML(string=html).write_pdf()
