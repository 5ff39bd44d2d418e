"""The Fund's dashboard (its home page) and the Ministry's coverage view (its home page) [domain §8; R II.8, II.13,
II.15]: figures from reports.MonthlyFigures with filters (period, measure, MO, SMO), Chart.js charts, drill-down
from the region to an MO or SMO and on to its persons (the screening list pages, scoped and audited there); every
table downloads as CSV or XLSX (omsportal.exports)."""

from __future__ import annotations

from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from omsportal.exports import XLSX_CONTENT_TYPE, attachment, table_download
from omsportal.navigation import home_sections, menu_for
from omsportal.views.base import PortalTemplateView, PortalView
from participants.models import OrganizationKind
from reports.access import READ_COVERAGE, READ_DASHBOARD, READ_MINISTRY_REPORT
from reports.formats.ministry import noncompliance_pdf, noncompliance_xlsx, report_rows
from reports.selectors.dashboard import (
    FUNNEL,
    OUTCOME_LABELS,
    Filters,
    active_organizations,
    by_month,
    by_organization,
    channel_credits,
    coverage,
    ministry_noncompliance,
    organization,
    outcomes_by_organization,
    quotas_by_mo,
    totals,
)
from reports.selectors.states import summary
from screening.access import READ_LIST_PERSONS
from screening.models import Measure

MONTHS = range(1, 13)


def _int(value, low, high, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def filters_from(request) -> Filters:
    get = request.GET
    today = timezone.localdate()
    month_from = _int(get.get("from"), 1, 12, 1)
    month_to = _int(get.get("to"), 1, 12, 12)
    measure = get.get("measure", "")
    mo_id = _int(get.get("mo"), 1, 2**31 - 1, None)
    smo_id = _int(get.get("smo"), 1, 2**31 - 1, None)
    return Filters(
        year=_int(get.get("year"), 2000, 2100, today.year),
        month_from=min(month_from, month_to),
        month_to=max(month_from, month_to),
        measure=measure if measure in Measure.values else "",
        mo_id=mo_id,
        smo_id=smo_id,
    )


def org_table(filters: Filters, by: str):
    headers = [_("Код"), _("Организация"), *[str(label) for _name, label in FUNNEL], _("исполнено в срок"),
               _("с опозданием"), _("просрочено"), _("проинформированы в срок")]  # fmt: skip
    rows = by_organization(filters, by, timezone.localdate())
    names = [name for name, _label in FUNNEL]
    table = [[r["code"], r["name"], *[r[n] for n in names], r["met"], r["late"], r["overdue"], r["informed_on_time"]]
             for r in rows]  # fmt: skip
    return headers, table, rows


def outcome_table(filters: Filters, by: str):
    headers = [_("Код"), _("Организация"), *[str(label) for _code, label in OUTCOME_LABELS], _("всего"),
               _("не приглашены в срок")]  # fmt: skip
    rows = outcomes_by_organization(filters, by)
    return headers, [
        [r["code"], r["name"], *[r[c] for c, _l in OUTCOME_LABELS], r["total"], r["not_invited"]] for r in rows
    ]


def quota_table(filters: Filters):
    headers = [_("Код"), _("Организация"), _("Квартал"), _("Квота опроса"), _("из них прошедшие"),
               _("из них проинформированные"), _("В списках обзвона"), _("Опрошено"), _("Квота выполнена")]  # fmt: skip
    rows = quotas_by_mo(filters)
    table = [[r["code"], r["name"], r["quarter"], r["quota"], r["quota_passed"], r["quota_informed"], r["listed"],
              r["surveyed"], _("да") if r["met"] else _("нет")] for r in rows]  # fmt: skip
    return headers, table, rows


def month_table(filters: Filters):
    headers = [_("Месяц"), *[str(label) for _name, label in FUNNEL]]
    names = [name for name, _label in FUNNEL]
    rows = by_month(filters)
    return headers, [[r["month"], *[r[n] or 0 for n in names]] for r in rows], rows


class DashboardView(PortalTemplateView):
    capability = READ_DASHBOARD
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = filters_from(self.request)
        _h, _r, mo_rows = org_table(filters, "mo")
        _h, _r, smo_rows = org_table(filters, "smo")
        _h, _r, months = month_table(filters)
        query = self.request.GET.copy()
        chart = {
            "type": "line",
            "labels": [str(m["month"]) for m in months],
            "datasets": [{"label": str(label), "data": [m[name] or 0 for m in months]} for name, label in FUNNEL],
        }
        persons_url = None
        mo, smo = organization(filters.mo_id), organization(filters.smo_id)
        if (mo is not None or smo is not None) and READ_LIST_PERSONS.allows(self.request.user):
            # on to the persons of the MO and/or the SMO: the list page scopes them to the user and audits the read
            params = {"year": filters.year}
            if mo is not None:
                params["mo"] = mo.code
            if smo is not None:
                params["smo"] = smo.code
            if filters.measure:
                params["measure"] = filters.measure
            if filters.month_from == filters.month_to:
                params["month"] = filters.month_from
            persons_url = reverse("screening:list_entries") + "?" + urlencode(params)
        context.update(
            filters=filters,
            funnel=FUNNEL,
            totals=totals(filters),
            mo_rows=mo_rows,
            smo_rows=smo_rows,
            months=months,
            chart=chart,
            mo=mo,
            smo=smo,
            mos=active_organizations(OrganizationKind.MO),
            smos=active_organizations(OrganizationKind.SMO),
            quotas=quotas_by_mo(filters),
            measures=Measure.choices,
            month_numbers=MONTHS,
            query=query.urlencode(),
            persons_url=persons_url,
            outcome_labels=OUTCOME_LABELS,
            outcomes_mo=outcomes_by_organization(filters, "mo"),
            outcomes_smo=outcomes_by_organization(filters, "smo"),
            channels=channel_credits(filters),
            obligations=summary(timezone.localdate()),
            sections=home_sections(menu_for(self.request.user)),
        )
        return context


class DashboardExportView(PortalView):
    """A table of the dashboard (by MO, by SMO, by month, the obligations) as CSV or XLSX."""

    capability = READ_DASHBOARD

    def get(self, request, table: str, fmt: str):
        if fmt not in ("csv", "xlsx"):
            raise Http404("no such format")
        filters = filters_from(request)
        if table in ("mo", "smo"):
            headers, rows, _raw = org_table(filters, table)
        elif table == "months":
            headers, rows, _raw = month_table(filters)
        elif table == "quotas":
            headers, rows, _raw = quota_table(filters)
        elif table in ("outcomes_mo", "outcomes_smo"):
            headers, rows = outcome_table(filters, table.split("_")[1])
        elif table == "channels":
            headers = [_("СМО"), _("Канал"), _("Уровень представителя"), _("Прошли")]
            credits = channel_credits(filters)
            rows = [[r["smo"], r["channel"] or "—", r["level"] or "—", r["persons"]] for r in credits]
        elif table == "obligations":
            headers = [_("Обязательство"), _("Пункт"), _("Состояние"), _("Организаций"), _("Организации")]
            rows = [
                [item["code"], item["clause"], str(state), len(orgs), ", ".join(orgs)]
                for item in summary(timezone.localdate())
                for state, orgs in item["states"]
            ]
        else:
            raise Http404("no such table")
        return table_download(headers, rows, name=f"monitoring_{table}_{filters.year}", fmt=fmt)


class CoverageView(PortalTemplateView):
    """The Ministry's home page: plan against done per MO and month for the year; the non-compliance reports."""

    capability = READ_COVERAGE
    template_name = "reports/coverage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _int(self.request.GET.get("year"), 2000, 2100, timezone.localdate().year)
        rows = coverage(year)
        context.update(year=year, rows=rows, month_numbers=MONTHS, sections=home_sections(menu_for(self.request.user)))
        context["ministry_reports"] = READ_MINISTRY_REPORT.allows(self.request.user)
        context["chart"] = {
            "type": "bar",
            "labels": [row["code"] for row in rows],
            "datasets": [
                {"label": _("план"), "data": [row["plan"] for row in rows]},
                {"label": _("прошли"), "data": [row["passed"] for row in rows]},
            ],
        }
        return context


class CoverageExportView(PortalView):
    capability = READ_COVERAGE

    def get(self, request, fmt: str):
        if fmt not in ("csv", "xlsx"):
            raise Http404("no such format")
        year = _int(request.GET.get("year"), 2000, 2100, timezone.localdate().year)
        headers = [_("Код МО"), _("МО")]
        for month in MONTHS:
            headers += [_("план, мес. %(m)s") % {"m": month}, _("прошли, мес. %(m)s") % {"m": month}]
        headers += [_("план за год"), _("прошли за год"), _("% плана")]
        rows = []
        for row in coverage(year):
            cells = [value for pair in row["months"] for value in pair]
            rows.append([row["code"], row["name"], *cells, row["plan"], row["passed"], row["percent"]])
        return table_download(headers, rows, name=f"coverage_{year}", fmt=fmt)


class MinistryReportView(PortalView):
    """The confirmed non-compliance of a year (forwarded ones for the Ministry) as XLSX or PDF, no person named; the
    PDF opens with the year's coverage against the plan per MO and month (the coverage page's figures)."""

    capability = READ_MINISTRY_REPORT

    def get(self, request, fmt: str):
        if fmt not in ("xlsx", "pdf"):
            raise Http404("no such format")
        year = _int(request.GET.get("year"), 2000, 2100, timezone.localdate().year)
        rows = report_rows(ministry_noncompliance(request.user, year))
        name = f"noncompliance_{year}"
        if fmt == "xlsx":
            return attachment(noncompliance_xlsx(rows, year), filename=f"{name}.xlsx", content_type=XLSX_CONTENT_TYPE)
        pdf = noncompliance_pdf(rows, year, coverage(year))
        return attachment(pdf, filename=f"{name}.pdf", content_type="application/pdf")


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/<str:table>.<str:fmt>", DashboardExportView.as_view(), name="dashboard_export"),
    path("coverage/", CoverageView.as_view(), name="coverage"),
    path("coverage/export.<str:fmt>", CoverageExportView.as_view(), name="coverage_export"),
    path("ministry/noncompliance.<str:fmt>", MinistryReportView.as_view(), name="ministry_report"),
]
