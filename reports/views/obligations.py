"""Pages of the obligations: non-compliance records (the Fund reviews and forwards them, an organization sees its
own, the Ministry the forwarded ones) and the SMO's reports the portal drafts and the SMO files (O5, O13, O17)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.obligations import MONTH, YEAR, Period, obligation
from omsportal.views.base import PortalTemplateView, PortalView, ScopedDetailView, ScopedListView
from participants.models import Role
from reports.access import FILE_REPORTS, READ_FILINGS, READ_NONCOMPLIANCE, REVIEW_NONCOMPLIANCE
from reports.evidence import visible_links
from reports.models import Filing, NonCompliance, ReviewStatus
from reports.selectors.filings import FILED_BY_SMO, draft
from reports.selectors.states import obligation_titles
from reports.services import noncompliance as review
from reports.services.filings import file_report


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class NonComplianceListView(ScopedListView):
    capability = READ_NONCOMPLIANCE
    model = NonCompliance
    template_name = "reports/noncompliance_list.html"
    paginate_by = 50

    def get_base_queryset(self):
        rows = NonCompliance.objects.select_related("organization")
        status, code, year = self.request.GET.get("status"), self.request.GET.get("code"), self.request.GET.get("year")
        if status in ReviewStatus.values:
            rows = rows.filter(status=status)
        if code:
            rows = rows.filter(code=code[:4])
        if _int(year):
            rows = rows.filter(period_year=_int(year))
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            statuses=ReviewStatus.choices,
            titles=obligation_titles(),
            may_review=REVIEW_NONCOMPLIANCE.allows(self.request.user),
            year=_int(self.request.GET.get("year")) or timezone.localdate().year,
            filters=self.request.GET,
        )
        return context


class NonComplianceDetailView(ScopedDetailView):
    """One record with its evidence; the Fund confirms or dismisses it (POST)."""

    capability = READ_NONCOMPLIANCE
    write_capability = REVIEW_NONCOMPLIANCE
    model = NonCompliance
    template_name = "reports/noncompliance_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        context.update(
            title=obligation_titles().get(record.code, ("", ""))[1],
            may_review=REVIEW_NONCOMPLIANCE.allows(self.request.user),
            may_see_uploads=self.request.user.role in (Role.FUND, Role.MO_STAFF),
            # the pages behind the record that this reader may open (who is due, the control, the quotas, ...)
            evidence_links=visible_links(record.evidence, self.request.user),
        )
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "POST" and READ_NONCOMPLIANCE.allows(request.user):
            self.get_scoped_object(pk=kwargs["pk"])  # another organization's record: 404 before the 403 of a reader
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        record = self.get_object()
        action, reason = request.POST.get("action"), request.POST.get("reason", "")[:2000]
        try:
            if action == "confirm":
                review.confirm(user=request.user, record=record, reason=reason)
                messages.success(request, _("Нарушение подтверждено."))
            elif action == "dismiss":
                review.dismiss(user=request.user, record=record, reason=reason)
                messages.success(request, _("Нарушение отклонено."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("reports:noncompliance_detail", pk=record.pk)


class ForwardView(PortalView):
    """POST: forward every confirmed record of a year to the Ministry (the Fund's O6 report)."""

    capability = REVIEW_NONCOMPLIANCE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        year = _int(request.POST.get("year"))
        if not year:
            messages.error(request, _("Укажите год."))
        else:
            count = review.forward_confirmed(user=request.user, year=year)
            messages.success(request, _("Направлено в министерство: %(n)s.") % {"n": count})
        return redirect("reports:noncompliance")


def smo_periods(today: datetime.date) -> list[tuple[str, str]]:
    """(code, period key) of the SMO's reports due around today: O5 of this year and next, O13 and O17 of the
    months of this year up to the last one."""
    items = [("O5", str(today.year)), ("O5", str(today.year + 1))]
    for month in range(today.month - 1, 0, -1):
        items += [("O13", f"{today.year}-{month:02d}"), ("O17", f"{today.year}-{month:02d}")]
    return items


def _period(code: str, key: str) -> Period:
    if obligation(code).period == YEAR:
        return Period.of_year(int(key))
    year, month = key.split("-")
    return Period(MONTH, int(year), int(month))


class FilingsView(PortalTemplateView):
    """SMO level 2: its reports with the portal's drafts, each filed with one button; the Fund reads all filed."""

    capability = READ_FILINGS
    write_capability = FILE_REPORTS
    template_name = "reports/filings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        titles = obligation_titles()
        if user.role == Role.SMO_L2:
            filed = {
                (f.code, f.period_key): f for f in Filing.objects.filter(organization_id=user.organization_id)
            }
            selected = self.request.GET.get("show", "")
            reports = []
            for code, key in smo_periods(timezone.localdate()):
                item = {"code": code, "key": key, "title": titles[code][1], "filing": filed.get((code, key))}
                item["due"] = obligation(code).due_on(_period(code, key))
                if selected == f"{code}:{key}":
                    item["draft"] = draft(code, user.organization, key)
                reports.append(item)
            context["reports"] = reports
        else:
            context["filed"] = Filing.objects.select_related("organization").filter(filed_at__isnull=False)[:500]
        return context

    def post(self, request, *args, **kwargs):
        code, key = request.POST.get("code", ""), request.POST.get("period", "")
        if code not in FILED_BY_SMO or (code, key) not in smo_periods(timezone.localdate()):
            messages.error(request, _("Такого отчёта нет."))
        else:
            file_report(user=request.user, code=code, period_key=key)
            messages.success(request, _("Отчёт представлен в ТФОМС."))
        return redirect("reports:filings")


urlpatterns = [
    path("noncompliance/", NonComplianceListView.as_view(), name="noncompliance"),
    path("noncompliance/<int:pk>/", NonComplianceDetailView.as_view(), name="noncompliance_detail"),
    path("noncompliance/forward/", ForwardView.as_view(), name="noncompliance_forward"),
    path("filings/", FilingsView.as_view(), name="filings"),
]
