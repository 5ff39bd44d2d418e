"""Channel effectiveness (30/60/90 days, a chart per channel, A/B arms), the quarterly report to the Fund with its
state (O12), and the Fund's monthly control of SMO informing (O11) [R II.10, II.13]."""

from __future__ import annotations

import datetime
import io
import json

import xlsxwriter
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.exports import attachment, write_cells
from omsportal.obligations import Period, obligation
from omsportal.views.base import PortalView, ScopedObjectMixin

from ..access import CONTROL_INFORMING, READ_INFORMED_COUNTS, READ_INFORMING, WORK_INFORMING
from ..models import Batch, Channel, Kind
from ..selectors.batches import sent_batches
from ..selectors.effectiveness import (
    WINDOWS,
    batch_arms,
    by_channel,
    channel_effectiveness,
    compare,
    control_counts,
    control_runs,
    organizations_by_id,
)
from ..selectors.facts import informed_counts
from ..services.reports import channel_report_file, control_run_record
from .common import page_smo, smo_choices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _quarter(request) -> tuple[int, int]:
    today = timezone.localdate()
    default_q = (today.month - 1) // 3  # the last finished quarter
    year = today.year if default_q else today.year - 1
    default_q = default_q or 4
    try:
        year = int(request.GET.get("year") or year)
        quarter = int(request.GET.get("quarter") or default_q)
    except ValueError:
        quarter = default_q
    return max(2000, min(year, 2100)), max(1, min(quarter, 4))


def _span(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * quarter - 2, 1)
    end = (
        datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def _quarter_rows(request):
    """The page's SMO and quarter, its effectiveness rows and the codes of their MOs."""
    smo = page_smo(request)
    year, quarter = _quarter(request)
    start, end = _span(year, quarter)
    rows = channel_effectiveness(smo_id=smo.pk, date_from=start, date_to=end)
    mos = {pk: mo.code for pk, mo in organizations_by_id(r.mo_id for r in rows).items()}
    return smo, year, quarter, rows, mos


def report_state(smo_id: int, year: int, quarter: int) -> dict:
    """O12 for the quarter: the due date and the state — not due, filed (on time or late), late."""
    o12 = obligation("O12")
    period = Period.of_quarter(year, quarter)
    due = o12.due_on(period)
    filed = o12.met_on(smo_id, period)
    today = timezone.localdate()
    if filed:
        state = "filed" if filed <= due else "filed_late"
    elif today > due:
        state = "late"
    else:
        state = "not_due"
    labels = {"not_due": _("срок не наступил"), "filed": _("представлен"), "filed_late": _("представлен с опозданием"),
              "late": _("просрочен")}  # fmt: skip
    return {"due": due, "filed": filed, "state": state, "label": labels[state]}


class EffectivenessView(ScopedObjectMixin, PortalView):
    """Per channel, kind, MO and month: informed and the share who came in 30/60/90 days; chart; A/B arms."""

    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    model = Batch

    def get(self, request):
        smo, year, quarter, rows, mos = _quarter_rows(request)
        channels = by_channel(rows)
        for c in channels:
            c["label"] = str(Channel(c["channel"]).label)
        table = [
            {"month": r.month, "channel_label": Channel(r.channel).label, "kind_label": Kind(r.kind).label,
             "mo_code": mos.get(r.mo_id, ""), "informed": r.informed, "came30": r.came30, "came60": r.came60,
             "came90": r.came90, "measured": r.measured}
            for r in rows
        ]  # fmt: skip
        chart = {
            "labels": [str(Channel(c["channel"]).label) for c in channels],
            "series": {str(d): [c[f"share{d}"] for c in channels] for d in WINDOWS},
        }
        ab = []
        for batch in self.scoped(sent_batches(smo))[:20]:
            if len(batch.arms) < 2:
                continue
            arms = batch_arms(batch_id=batch.pk)
            if len(arms) < 2:
                continue
            base = arms[0]
            ab.append({"batch": batch, "arms": arms, "comparisons": [compare(a, base) for a in arms[1:]]})
        context = {
            "smo": smo, "smos": smo_choices(request), "year": year, "quarter": quarter, "rows": table,
            "channels": channels, "chart": json.dumps(chart), "ab": ab, "tab": "effect",
            "report": report_state(smo.pk, year, quarter), "windows": WINDOWS,
            "can_file": WORK_INFORMING.allows(request.user) and request.user.organization_id == smo.pk,
        }  # fmt: skip
        return render(request, "informing/effectiveness.html", context)

    def post(self, request):
        """File the quarterly report to the Fund (O12): the figures are kept as filed."""
        smo = request.user.organization
        year, quarter = int(request.POST.get("year", 0) or 0), int(request.POST.get("quarter", 0) or 0)
        if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
            messages.error(request, _("Неверный квартал."))
            return redirect("informing:effectiveness")
        start, end = _span(year, quarter)
        channels = by_channel(channel_effectiveness(smo_id=smo.pk, date_from=start, date_to=end))
        if channel_report_file(smo=smo, year=year, quarter=quarter, user=request.user, channels=channels):
            messages.success(
                request, _("Отчёт за %(q)s квартал %(y)s года представлен в ТФОМС.") % {"q": quarter, "y": year}
            )
        else:
            messages.warning(request, _("Отчёт за этот квартал уже представлен."))
        return redirect(f"{request.path}?year={year}&quarter={quarter}")


class EffectivenessReportView(PortalView):
    """The quarterly report as XLSX: per channel, and per channel, kind, MO and month; with its O12 state."""

    capability = READ_INFORMING

    def get(self, request):
        smo, year, quarter, rows, mos = _quarter_rows(request)
        state = report_state(smo.pk, year, quarter)
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("Каналы")
        title = _("Эффективность каналов информирования, СМО %(smo)s, %(q)s квартал %(y)s г.")
        write_cells(sheet, 0, 0, [title % {"smo": smo.code, "q": quarter, "y": year}], bold)
        due = _("Срок представления: %(due)s; состояние: %(state)s")
        write_cells(sheet, 1, 0, [due % {"due": f"{state['due']:%d.%m.%Y}", "state": state["label"]}])
        header = [_("Канал"), _("Проинформировано"), _("в т. ч. по видам, где учитывается явка"),
                  _("Пришли за 30 дней, %"), _("за 60 дней, %"), _("за 90 дней, %")]  # fmt: skip
        write_cells(sheet, 3, 0, [str(h) for h in header], bold)
        for n, c in enumerate(by_channel(rows), start=4):
            write_cells(
                sheet, n, 0, [str(Channel(c["channel"]).label), c["informed"], c["measured"], c["share30"],
                              c["share60"], c["share90"]],
            )  # fmt: skip
        detail = book.add_worksheet(str(_("По видам, МО и месяцам"))[:31])
        columns = [_("Месяц"), _("Канал"), _("Вид"), _("МО"), _("Проинформировано"), _("Пришли за 30"), _("за 60"),
                   _("за 90")]  # fmt: skip
        write_cells(detail, 0, 0, [str(c) for c in columns], bold)
        not_counted = str(_("явка не учитывается"))
        for n, r in enumerate(rows, start=1):
            labels = [r.month.strftime("%Y-%m"), str(Channel(r.channel).label), str(Kind(r.kind).label)]
            came = [r.came30, r.came60, r.came90] if r.measured else [not_counted, "", ""]
            write_cells(detail, n, 0, [*labels, mos.get(r.mo_id, ""), r.informed, *came])
        book.close()
        return attachment(out.getvalue(), filename=f"channels_{smo.code}_{year}_Q{quarter}.xlsx", content_type=XLSX)


class ControlView(PortalView):
    """The Fund's control (O11): per SMO and month the facts, the late ones and the listed persons still without an
    invitation; running the control records it."""

    capability = CONTROL_INFORMING

    def _month(self, request) -> tuple[int, int]:
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year") or request.POST.get("year") or today.year)
            month = int(request.GET.get("month") or request.POST.get("month") or today.month)
        except ValueError:
            year, month = today.year, today.month
        return max(2000, min(year, 2100)), max(1, min(month, 12))

    def get(self, request):
        year, month = self._month(request)
        rows = control_counts(year=year, month=month)
        smos = organizations_by_id(r["smo_id"] for r in rows)
        for r in rows:
            r["smo"] = smos.get(r["smo_id"])
        runs = control_runs(year=year, month=month)
        o11 = obligation("O11")
        context = {"rows": rows, "year": year, "month": month, "runs": runs, "tab": "control",
                   "due": o11.due_on(Period.of_month(year, month))}  # fmt: skip
        return render(request, "informing/control.html", context)

    def post(self, request):
        year, month = self._month(request)
        rows = control_counts(year=year, month=month)
        control_run_record(year=year, month=month, user=request.user, rows=rows)
        messages.success(request, _("Контроль за %(m)02d.%(y)s записан.") % {"m": month, "y": year})
        return redirect(f"{request.path}?year={year}&month={month}")


class InformedCountsView(PortalView):
    """Counts of informed persons per MO and kind for the year (no persons, no contacts): MOs see their own lists',
    SMOs their own facts, the Fund and the Ministry the region's."""

    capability = READ_INFORMED_COUNTS

    def get(self, request):
        try:
            year = max(2000, min(int(request.GET.get("year") or timezone.localdate().year), 2100))
        except ValueError:
            year = timezone.localdate().year
        rows = informed_counts(user=request.user, by=("mo_id", "kind"), date_from=datetime.date(year, 1, 1),
                               date_to=datetime.date(year, 12, 31))  # fmt: skip
        mos = organizations_by_id(r["mo_id"] for r in rows)
        for r in rows:
            r["mo"] = mos.get(r["mo_id"])
            r["kind_label"] = Kind(r["kind"]).label
        return render(request, "informing/counts.html", {"rows": rows, "year": year})


urlpatterns = [
    path("counts/", InformedCountsView.as_view(), name="counts"),
    path("effectiveness/", EffectivenessView.as_view(), name="effectiveness"),
    path("effectiveness/report.xlsx", EffectivenessReportView.as_view(), name="effectiveness_report"),
    path("control/", ControlView.as_view(), name="control"),
]
