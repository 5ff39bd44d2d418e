"""The plan against the lists and the check-ups done, per MO and month, with a chart and an XLSX download."""

from __future__ import annotations

import io

from django import forms
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.exports import attachment, safe_filename, write_cell, write_cells
from omsportal.views.base import PortalView
from participants.models import Role
from screening.access import READ_PLAN_PROGRESS
from screening.models import MEASURE_LABELS, PLAN_MEASURES, PlanStatus
from screening.selectors.plans import MONTH_NAMES
from screening.selectors.progress import FIGURES, plan_progress, progress_mos

XLSX_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLORS = {"plan": "#adb5bd", "listed": "#0d6efd", "done": "#198754"}


def figure_labels() -> dict[str, str]:
    return {"plan": _("план"), "listed": _("в списках"), "done": _("прошли")}


def quarter_name(quarter: int) -> str:
    return _("%(q)s квартал") % {"q": ("I", "II", "III", "IV")[quarter - 1]}


class PlanProgressForm(forms.Form):
    year = forms.IntegerField(label=_lazy("Год"), min_value=2000, max_value=2100)
    measure = forms.ChoiceField(
        label=_lazy("Мероприятие"),
        required=False,
        choices=[("", _lazy("ДВН и ПМО")), *[(m, MEASURE_LABELS[m]) for m in PLAN_MEASURES]],
    )
    mo = forms.ModelChoiceField(label=_lazy("МО"), queryset=None, required=False, empty_label=_lazy("все МО"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mo"].queryset = progress_mos(user=user)
        self.fields["mo"].label_from_instance = lambda mo: f"{mo.code} {mo.display_name}"
        if user.role == Role.MO_STAFF:
            del self.fields["mo"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"


class _ProgressMixin:
    capability = READ_PLAN_PROGRESS

    def progress(self, request):
        data = {"year": timezone.localdate().year, **request.GET.dict()}
        form = PlanProgressForm(data, user=request.user)
        if not form.is_valid():
            return form, None
        cleaned = form.cleaned_data
        return form, plan_progress(
            user=request.user, year=cleaned["year"], measure=cleaned.get("measure") or "", mo=cleaned.get("mo")
        )


class PlanProgressView(_ProgressMixin, PortalView):
    """Plan → listed → done: a chart of the months (the region, or one MO) and a table of the MOs."""

    def get(self, request):
        form, progress = self.progress(request)
        context = {"form": form, "progress": progress, "labels": figure_labels()}
        if progress is not None:
            labels = figure_labels()
            chosen = progress.rows[0] if len(progress.rows) == 1 else progress.total
            today = timezone.localdate()
            month_so_far = today.month if progress.year == today.year else (12 if progress.year < today.year else 0)
            quarters = chosen.quarters()
            if chosen.by_quarter:  # entries planned for a quarter only: the months would not show them
                chart_labels = [quarter_name(q["quarter"]) for q in quarters]
                chart_data = {name: [q[name] for q in quarters] for name in FIGURES}
            else:
                chart_labels = [str(name)[:3] for name in MONTH_NAMES]
                chart_data = {name: getattr(chosen, name) for name in FIGURES}
            context.update(
                chosen=chosen,
                month_so_far=month_so_far,
                so_far=chosen.to_date(month_so_far) if month_so_far else None,
                month_rows=[(str(MONTH_NAMES[m["month"] - 1]), m) for m in chosen.months()],
                quarter_rows=[(quarter_name(q["quarter"]), q) for q in quarters],
                approved=progress.plan_status == PlanStatus.APPROVED,
                chart={
                    "type": "bar",
                    "labels": chart_labels,
                    "datasets": [
                        {"label": str(labels[name]), "data": chart_data[name], "backgroundColor": COLORS[name]}
                        for name in FIGURES
                    ],
                },
            )
        return render(request, "screening/plan_progress.html", context, status=200 if progress else 400)


class PlanProgressExportView(_ProgressMixin, PortalView):
    """The same figures as XLSX: one row per MO, measure filter and month (and a sheet of totals per MO)."""

    def get(self, request):
        _form, progress = self.progress(request)
        if progress is None:
            return PlanProgressView.as_view()(request)
        import xlsxwriter

        labels = figure_labels()
        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet(_("По месяцам"))
        header = [_("Код МО"), _("МО"), _("Месяц"), labels["plan"], labels["listed"], labels["done"]]
        write_cells(sheet, 0, 0, header, bold)
        sheet.set_column(0, 0, 10)
        sheet.set_column(1, 1, 40)
        sheet.set_column(2, 5, 12)
        line = 1
        for row in progress.rows:
            for m in row.months():
                write_cells(sheet, line, 0, [row.mo.code, row.mo.display_name, m["month"], m["plan"], m["listed"],
                                             m["done"]])  # fmt: skip
                line += 1
        write_cell(
            sheet,
            line + 1,
            0,
            _("В списках — записи с месяцем; записи с кварталом без месяца и без периода — на листе «По кварталам»."),
        )
        totals = book.add_worksheet(_("Итого по МО"))
        write_cells(totals, 0, 0, [_("Код МО"), _("МО"), labels["plan"], labels["listed"], labels["done"]], bold)
        totals.set_column(1, 1, 40)
        for n, row in enumerate(progress.rows, start=1):
            t = row.totals
            write_cells(totals, n, 0, [row.mo.code, row.mo.display_name, t["plan"], t["listed"], t["done"]])
        note = _("Год %(year)s, %(measure)s; план %(status)s") % {
            "year": progress.year,
            "measure": MEASURE_LABELS.get(progress.measure, _("ДВН и ПМО")) if progress.measure else _("ДВН и ПМО"),
            "status": _("утверждён") if progress.plan_status == PlanStatus.APPROVED else _("не утверждён"),
        }
        write_cell(totals, len(progress.rows) + 2, 0, note)
        quarters = book.add_worksheet(_("По кварталам"))
        no_month = _("из них без месяца")
        write_cells(quarters, 0, 0, [_("Код МО"), _("МО"), _("Квартал"), labels["plan"], labels["listed"], no_month,
                                     labels["done"]], bold)  # fmt: skip
        quarters.set_column(1, 1, 40)
        quarters.set_column(2, 6, 14)
        line = 1
        for row in progress.rows:
            for q in row.quarters():
                write_cells(quarters, line, 0, [row.mo.code, row.mo.display_name, quarter_name(q["quarter"]),
                                                q["plan"], q["listed"], q["quarter_only"], q["done"]])  # fmt: skip
                line += 1
            if row.listed_free:
                # as the page shows it: no plan and no «done» by period for these entries
                write_cells(quarters, line, 0, [row.mo.code, row.mo.display_name, _("без периода"), None,
                                                row.listed_free, row.listed_free, None])  # fmt: skip
                line += 1
        write_cell(
            quarters,
            line + 1,
            0,
            _(
                "План и прошли — суммы трёх месяцев квартала; в списках — записи с "
                "месяцем квартала и записи с кварталом без месяца (выгрузки МИС по "
                "кварталам). «Без периода» — записи без месяца и квартала."
            ),
        )
        book.close()
        name = safe_filename(f"plan_progress_{progress.year}_{progress.measure or 'all'}.xlsx")
        return attachment(output.getvalue(), filename=name, content_type=XLSX_CONTENT)


urlpatterns = [
    path("plans/progress/", PlanProgressView.as_view(), name="plan_progress"),
    path("plans/progress/export.xlsx", PlanProgressExportView.as_view(), name="plan_progress_export"),
]
