"""Views: the yearly plan, the MO's plans, brigades, special days, routing and schedule [R II.1, II.2, II.24].

Readers and editors (screening.selectors.plans): the Ministry edits and approves the yearly plan; an MO edits its
own plans and schedules; the Fund, the Ministry and the region's SMOs read everything; another MO's pages are 404
for MO staff; a read-only member who tries to edit gets 403. Views only parse, call a service and render.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from omsportal.exports import attachment
from omsportal.views.base import PortalMixin
from participants.models import Role
from screening.access import READ_PLANS
from screening.formats.plans import PlanFileError
from screening.forms_plans import (
    BrigadeTripForm,
    DistrictPlanForm,
    PreventionScheduleForm,
    RoutingRuleForm,
    SpecialDayForm,
    YearPlanMoForm,
    YearPlanReopenForm,
    YearPlanUploadForm,
)
from screening.models import (
    MAX_YEAR,
    MEASURE_LABELS,
    MIN_YEAR,
    PLAN_MEASURES,
    BrigadeTrip,
    Measure,
    RoutingRule,
    SpecialDay,
)
from screening.selectors.plans import (
    BRIGADE_SORTS,
    MONTH_SHORT,
    OBJECT_LABELS,
    ROUTING_SORTS,
    SPECIAL_DAY_SORTS,
    brigade_trips,
    can_edit_mo_plans,
    can_edit_year_plan,
    district_plan_grid,
    district_plan_month_totals,
    get_mo_for_edit,
    get_mo_for_plans,
    get_plan_object,
    history_rows,
    mo_districts,
    mo_plan_compliance_rows,
    mo_plans_due,
    plan_changes,
    plan_years,
    prevention_schedule,
    routing_performed_for_others,
    routing_rules,
    sees_all_mos,
    special_days,
    year_plan_grid,
    year_plan_mo_values,
    year_plan_status,
    year_plan_template_xlsx,
)
from screening.services import plans as services

PAGE_SIZE = 25
HISTORY_ON_PAGE = 10


# --- helpers ------------------------------------------------------------------------------------------------------


def _year(request, default: int | None = None) -> int | None:
    raw = request.GET.get("year")
    if raw and raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw)
    return default


def _this_year() -> int:
    return timezone.localdate().year


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("No such year")


def _measure(value: str) -> str:
    if value not in PLAN_MEASURES:
        raise Http404("No such measure")
    return value


def _history(request, **filters) -> dict:
    changes = plan_changes(user=request.user, **filters)
    query = {k: v for k, v in (("mo", filters.get("mo") and filters["mo"].pk), ("year", filters.get("year"))) if v}
    types = filters.get("object_types")
    if types:
        query["type"] = ",".join(types)
    return {
        "history": history_rows(changes[:HISTORY_ON_PAGE]),
        "history_url": reverse("screening:plan_history") + ("?" + urlencode(query) if query else ""),
    }


def _chart(labels_per_dataset: dict[str, list[int]], *, kind: str = "bar") -> dict:
    """Chart.js data (months on the x axis), rendered with json_script."""
    return {
        "type": kind,
        "labels": [str(m) for m in MONTH_SHORT],
        "datasets": [{"label": str(label), "data": values} for label, values in labels_per_dataset.items()],
    }


def _add_service_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _sort_links(request, options: dict[str, str], current: str) -> dict[str, dict]:
    links = {}
    for key in options:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if current == key else key
        arrow = "↑" if current == key else ("↓" if current == f"-{key}" else "")
        links[key] = {"url": "?" + params.urlencode(), "arrow": arrow}
    return links


class PlanReaderMixin(PortalMixin):
    """Plan pages exist for plan readers only (MO staff, SMOs, the Fund, the Ministry); others get 404.

    Who edits what is checked against the object (the Ministry the yearly plan, an MO its own plans): a reader who
    may not edit gets 403 from the selectors and services.
    """

    capability = READ_PLANS


# --- the yearly plan [R II.1] -------------------------------------------------------------------------------------


def year_plan_context(request, year: int) -> dict:
    user = request.user
    status = year_plan_status(user=user, year=year)
    grid = year_plan_grid(user=user, year=year)
    labels = {Measure.DVN: MEASURE_LABELS[Measure.DVN], Measure.PMO: MEASURE_LABELS[Measure.PMO]}
    can_edit = can_edit_year_plan(user)
    return {
        "year": year,
        "years": plan_years(user=user),
        "status": status,
        "grid": grid,
        "months": MONTH_SHORT,
        "measures": [labels[m] for m in PLAN_MEASURES],
        "chart": _chart({labels[m]: grid["month_totals"][m] for m in PLAN_MEASURES}),
        "can_edit": can_edit and not status.is_approved,
        "can_approve": can_edit and status.plan is not None and not status.is_approved,
        "can_reopen": can_edit and status.is_approved,
        "sees_all": sees_all_mos(user),
        "upload_form": YearPlanUploadForm() if can_edit else None,
        "reopen_form": YearPlanReopenForm() if can_edit else None,
        **_history(request, year=year, object_types=("YearPlan", "YearPlanLine")),
    }


class YearPlanView(PlanReaderMixin, View):
    """The yearly plan grid: MOs as rows, months × measures as columns; the Ministry edits and approves it."""

    def get(self, request, year: int):
        _check_year(year)
        return render(request, "screening/plan_year.html", year_plan_context(request, year))


class YearPlanMoEditView(PlanReaderMixin, View):
    """The Ministry edits one MO's row of the yearly plan."""

    template_name = "screening/plan_year_mo_edit.html"

    def _setup(self, request, year: int, mo_id: int):
        _check_year(year)
        mo = get_mo_for_plans(user=request.user, mo_id=mo_id)
        if not can_edit_year_plan(request.user):
            raise PermissionDenied(_("Годовой план ведёт и утверждает министерство здравоохранения."))
        return mo

    def _render(self, request, year, mo, form):
        context = {
            "year": year,
            "mo": mo,
            "form": form,
            "months": MONTH_SHORT,
            "status": year_plan_status(user=request.user, year=year),
            **_history(request, year=year, mo=mo, object_types=("YearPlanLine",)),
        }
        return render(request, self.template_name, context)

    def get(self, request, year: int, mo_id: int):
        mo = self._setup(request, year, mo_id)
        values = year_plan_mo_values(user=request.user, year=year, mo=mo)
        return self._render(request, year, mo, YearPlanMoForm(initial_values=values))

    def post(self, request, year: int, mo_id: int):
        mo = self._setup(request, year, mo_id)
        form = YearPlanMoForm(request.POST)
        if form.is_valid():
            try:
                services.year_plan_line_set(user=request.user, year=year, mo=mo, values=form.values())
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, _("План МО %(code)s сохранён.") % {"code": mo.code})
                return redirect(f"{reverse('screening:plan_year', args=[year])}#mo-{mo.pk}")
        return self._render(request, year, mo, form)


class YearPlanUploadView(PlanReaderMixin, View):
    """The Ministry loads the yearly plan from XLSX; a file with errors is rejected whole, with row and column."""

    template_name = "screening/plan_year_upload.html"

    def _setup(self, request, year: int) -> None:
        _check_year(year)
        if not can_edit_year_plan(request.user):
            raise PermissionDenied(_("Годовой план ведёт и утверждает министерство здравоохранения."))

    def _render(self, request, year, form, errors=(), status=200):
        context = {
            "year": year,
            "form": form,
            "errors": list(errors),
            "status": year_plan_status(user=request.user, year=year),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, year: int):
        self._setup(request, year)
        return self._render(request, year, YearPlanUploadForm())

    def post(self, request, year: int):
        self._setup(request, year)
        form = YearPlanUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, year, form, status=400)
        upload = form.cleaned_data["file"]
        try:
            result = services.year_plan_upload_xlsx(
                user=request.user, year=year, file=upload, original_name=upload.name[:200]
            )
        except PlanFileError as error:
            return self._render(request, year, form, errors=error.messages, status=400)
        except ValidationError as error:
            return self._render(request, year, form, errors=error.messages, status=400)
        messages.success(
            request,
            _("Файл принят: строк %(rows)s, МО %(mos)s, изменено ячеек %(cells)s.")
            % {"rows": result.rows, "mos": result.mos, "cells": result.cells_changed},
        )
        return redirect("screening:plan_year", year=year)


class YearPlanTemplateView(PlanReaderMixin, View):
    """The XLSX template of the plan file, prefilled with the region's MOs and the plan's current values."""

    def get(self, request, year: int):
        _check_year(year)
        content = year_plan_template_xlsx(user=request.user, year=year)
        return attachment(
            content,
            filename=f"plan_{year}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class YearPlanApproveView(PlanReaderMixin, View):
    """POST: the Ministry approves the yearly plan (again, after a change)."""

    def post(self, request, year: int):
        _check_year(year)
        try:
            services.year_plan_approve(user=request.user, year=year)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("План на %(year)s год утверждён.") % {"year": year})
        return redirect("screening:plan_year", year=year)


class YearPlanReopenView(PlanReaderMixin, View):
    """POST: the Ministry opens an approved plan for changes; it must then be approved again."""

    def post(self, request, year: int):
        _check_year(year)
        form = YearPlanReopenForm(request.POST)
        if not can_edit_year_plan(request.user):
            raise PermissionDenied
        if not form.is_valid():
            messages.error(request, _("Укажите причину изменения утверждённого плана."))
            return redirect("screening:plan_year", year=year)
        try:
            services.year_plan_reopen(user=request.user, year=year, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.warning(request, _("План открыт для изменений. После изменений утвердите его повторно."))
        return redirect("screening:plan_year", year=year)


# --- the overview per role ----------------------------------------------------------------------------------------


def mo_context(request, mo, year: int) -> dict:
    user = request.user
    ministry = year_plan_mo_values(user=user, year=year, mo=mo)
    status = year_plan_status(user=user, year=year)
    district = district_plan_month_totals(user=user, mo=mo, year=year)
    ministry_rows = [
        {
            "measure": MEASURE_LABELS[m],
            "cells": [ministry.get((m, month)) for month in range(1, 13)],
            "total": sum(ministry.get((m, month)) or 0 for month in range(1, 13)),
            "district_cells": district[m],
            "district_total": sum(district[m]),
        }
        for m in PLAN_MEASURES
    ]
    chart = {}
    for m in PLAN_MEASURES:
        chart[_("%(m)s: план министерства") % {"m": MEASURE_LABELS[m]}] = [
            ministry.get((m, month)) or 0 for month in range(1, 13)
        ]
        chart[_("%(m)s: план МО по участкам") % {"m": MEASURE_LABELS[m]}] = district[m]
    trips, _sort = brigade_trips(user=user, mo=mo, year=year)
    days, _sort = special_days(user=user, mo=mo, year=year)
    rules, _sort = routing_rules(user=user, mo=mo, year=year)
    due = mo_plans_due(year)
    schedule = prevention_schedule(user=user, mo=mo, year=year)
    return {
        "mo": mo,
        "year": year,
        "years": plan_years(user=user),
        "status": status,
        "months": MONTH_SHORT,
        "ministry_rows": ministry_rows,
        "chart": _chart(chart),
        "has_district_plan": any(sum(v) for v in district.values()),
        "brigades": list(trips[:5]),
        "brigade_count": trips.count(),
        "special_days": list(days[:5]),
        "special_day_count": days.count(),
        "routing": list(rules[:10]),
        "routing_count": rules.count(),
        "performed_for_others": list(routing_performed_for_others(user=user, mo=mo, year=year)),
        "schedule": schedule,
        "mo_due": due,
        "mo_overdue": timezone.localdate() > due,
        "can_edit": can_edit_mo_plans(user, mo),
        "sees_all": sees_all_mos(user),
        **_history(request, mo=mo, year=year),
    }


class PlansOverviewView(PlanReaderMixin, View):
    """The plans page of each role: Ministry — the yearly plan; MO — its plans; SMO — directory; Fund — control."""

    def get(self, request):
        user = request.user
        year = _year(request, _this_year())
        if user.role == Role.MINISTRY:
            return render(request, "screening/plan_year.html", year_plan_context(request, year))
        if user.role == Role.MO_STAFF:
            mo = get_mo_for_plans(user=user, mo_id=user.organization_id)
            return render(request, "screening/plan_mo.html", mo_context(request, mo, year))
        status = year_plan_status(user=user, year=year)
        grid = year_plan_grid(user=user, year=year)
        compliance = mo_plan_compliance_rows(user=user, year=year)
        context = {
            "year": year,
            "years": plan_years(user=user),
            "status": status,
            "grid_totals": {MEASURE_LABELS[m]: total for m, total in grid["totals"].items()},
            "mos_without_plan": grid["mos_without_plan"],
            "chart": _chart({MEASURE_LABELS[m]: grid["month_totals"][m] for m in PLAN_MEASURES}),
            "compliance": compliance,
            "is_fund": user.role == Role.FUND,
            **_history(request, year=year),
        }
        return render(request, "screening/plan_overview.html", context)


class MoPlanView(PlanReaderMixin, View):
    """One MO's plans for a year: the Ministry's lines, its district plan, brigades, days, routing, schedule."""

    def get(self, request, mo_id: int):
        mo = get_mo_for_plans(user=request.user, mo_id=mo_id)
        return render(request, "screening/plan_mo.html", mo_context(request, mo, _year(request, _this_year())))


# --- the MO's plan by district [R II.2] ---------------------------------------------------------------------------


class DistrictPlanView(PlanReaderMixin, View):
    """The MO's plan by district and month, one grid per measure."""

    def get(self, request, mo_id: int, year: int):
        _check_year(year)
        mo = get_mo_for_plans(user=request.user, mo_id=mo_id)
        grids = [
            {
                "measure": m,
                "label": MEASURE_LABELS[m],
                "grid": district_plan_grid(user=request.user, mo=mo, year=year, measure=m),
            }
            for m in PLAN_MEASURES
        ]
        ministry = year_plan_mo_values(user=request.user, year=year, mo=mo)
        for entry in grids:
            entry["ministry"] = [ministry.get((entry["measure"], month)) for month in range(1, 13)]
        chart = {}
        for entry in grids:
            chart[_("%(m)s по участкам") % {"m": entry["label"]}] = entry["grid"]["month_totals"]
        context = {
            "mo": mo,
            "year": year,
            "grids": grids,
            "months": MONTH_SHORT,
            "chart": _chart(chart),
            "can_edit": can_edit_mo_plans(request.user, mo),
            "mo_due": mo_plans_due(year),
            **_history(request, mo=mo, year=year, object_types=("DistrictPlan",)),
        }
        return render(request, "screening/plan_districts.html", context)


class DistrictPlanEditView(PlanReaderMixin, View):
    """The MO edits its plan for one measure: districts × months."""

    template_name = "screening/plan_districts_edit.html"

    def _setup(self, request, mo_id, year, measure):
        _check_year(year)
        mo = get_mo_for_edit(user=request.user, mo_id=mo_id)
        return mo, _measure(measure), mo_districts(user=request.user, mo=mo)

    def _render(self, request, mo, year, measure, form):
        context = {
            "mo": mo,
            "year": year,
            "measure": measure,
            "measure_label": MEASURE_LABELS[measure],
            "form": form,
            "months": MONTH_SHORT,
            **_history(request, mo=mo, year=year, object_types=("DistrictPlan",)),
        }
        return render(request, self.template_name, context)

    def get(self, request, mo_id: int, year: int, measure: str):
        mo, measure, districts = self._setup(request, mo_id, year, measure)
        grid = district_plan_grid(user=request.user, mo=mo, year=year, measure=measure)
        initial = {row["district"].pk: row["cells"] for row in grid["rows"]}
        return self._render(request, mo, year, measure, DistrictPlanForm(districts=districts, initial_cells=initial))

    def post(self, request, mo_id: int, year: int, measure: str):
        mo, measure, districts = self._setup(request, mo_id, year, measure)
        form = DistrictPlanForm(request.POST, districts=districts, initial_cells={})
        if form.is_valid():
            try:
                changed = services.district_plan_set(
                    user=request.user, mo=mo, year=year, measure=measure, values=form.values()
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, _("План по участкам сохранён (изменено ячеек: %(n)s).") % {"n": changed})
                return redirect("screening:plan_districts", mo_id=mo.pk, year=year)
        return self._render(request, mo, year, measure, form)


# --- brigades, special days, routing: lists and forms -------------------------------------------------------------


class ItemKind:
    """What differs between brigade trips, special days and routing rules on their pages."""

    def __init__(self, *, key, model, form_class, selector, sorts, columns, title, create, update, delete, arg):
        self.key, self.model, self.form_class, self.selector = key, model, form_class, selector
        self.sorts, self.columns, self.title = sorts, columns, title
        self.create, self.update, self.delete, self.arg = create, update, delete, arg

    @property
    def object_type(self) -> str:
        return self.model.__name__


KINDS = {
    "brigades": ItemKind(
        key="brigades",
        model=BrigadeTrip,
        form_class=BrigadeTripForm,
        selector=brigade_trips,
        sorts=BRIGADE_SORTS,
        columns=["date", "kind", "settlement"],
        title=OBJECT_LABELS["BrigadeTrip"],
        create=services.brigade_trip_create,
        update=services.brigade_trip_update,
        delete=services.brigade_trip_delete,
        arg="trip",
    ),
    "special_days": ItemKind(
        key="special_days",
        model=SpecialDay,
        form_class=SpecialDayForm,
        selector=special_days,
        sorts=SPECIAL_DAY_SORTS,
        columns=["date", "description"],
        title=OBJECT_LABELS["SpecialDay"],
        create=services.special_day_create,
        update=services.special_day_update,
        delete=services.special_day_delete,
        arg="day",
    ),
    "routing": ItemKind(
        key="routing",
        model=RoutingRule,
        form_class=RoutingRuleForm,
        selector=routing_rules,
        sorts=ROUTING_SORTS,
        columns=["measure", "examination", "performer"],
        title=OBJECT_LABELS["RoutingRule"],
        create=services.routing_rule_create,
        update=services.routing_rule_update,
        delete=services.routing_rule_delete,
        arg="rule",
    ),
}


def _kind_titles() -> dict[str, str]:
    return {
        "brigades": _("Графики выездов мобильных бригад"),
        "special_days": _("Специально выделенные дни"),
        "routing": _("Схемы маршрутизации"),
    }


def _form_kwargs(kind: ItemKind, mo) -> dict:
    return {"mo": mo} if kind.form_class is RoutingRuleForm else {}


class ItemListView(PlanReaderMixin, View):
    """A paginated, sortable list of the MO's brigade trips / special days / routing rules."""

    kind: ItemKind

    def get(self, request, mo_id: int):
        mo = get_mo_for_plans(user=request.user, mo_id=mo_id)
        year = _year(request)
        queryset, sort = self.kind.selector(user=request.user, mo=mo, year=year, sort=request.GET.get("sort"))
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "mo": mo,
            "year": year,
            "years": plan_years(user=request.user),
            "kind": self.kind.key,
            "title": _kind_titles()[self.kind.key],
            "page_obj": page,
            "sort": sort,
            "sort_links": _sort_links(request, self.kind.sorts, sort),
            "page_query": params.urlencode(),
            "can_edit": can_edit_mo_plans(request.user, mo),
            **_history(request, mo=mo, year=year, object_types=(self.kind.object_type,)),
        }
        return render(request, f"screening/plan_{self.kind.key}.html", context)


class ItemCreateView(PlanReaderMixin, View):
    """The MO adds a brigade trip / special day / routing rule."""

    kind: ItemKind

    def _render(self, request, mo, form, obj=None):
        context = {"mo": mo, "form": form, "object": obj, "kind": self.kind.key, "title": _kind_titles()[self.kind.key]}
        return render(request, "screening/plan_form.html", context)

    def _list_url(self, mo) -> str:
        return reverse(f"screening:plan_{self.kind.key}", args=[mo.pk])

    def get(self, request, mo_id: int):
        mo = get_mo_for_edit(user=request.user, mo_id=mo_id)
        initial = {"year": _year(request, _this_year())} if self.kind.key == "routing" else {}
        return self._render(request, mo, self.kind.form_class(initial=initial, **_form_kwargs(self.kind, mo)))

    def post(self, request, mo_id: int):
        mo = get_mo_for_edit(user=request.user, mo_id=mo_id)
        form = self.kind.form_class(request.POST, **_form_kwargs(self.kind, mo))
        if form.is_valid():
            try:
                self.kind.create(user=request.user, mo=mo, **form.cleaned_data)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, _("Запись добавлена."))
                return redirect(self._list_url(mo))
        return self._render(request, mo, form)


class ItemEditView(ItemCreateView):
    """The MO changes its brigade trip / special day / routing rule; another MO gets 404, readers 403."""

    def get(self, request, pk: int):
        obj = get_plan_object(user=request.user, model=self.kind.model, pk=pk, for_edit=True)
        return self._render(request, obj.mo, self.kind.form_class(instance=obj, **_form_kwargs(self.kind, obj.mo)), obj)

    def post(self, request, pk: int):
        obj = get_plan_object(user=request.user, model=self.kind.model, pk=pk, for_edit=True)
        mo = obj.mo
        form = self.kind.form_class(request.POST, instance=obj, **_form_kwargs(self.kind, mo))
        if form.is_valid():
            try:
                self.kind.update(user=request.user, **{self.kind.arg: obj}, data=form.cleaned_data)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, _("Изменения сохранены."))
                return redirect(self._list_url(mo))
        return self._render(request, mo, form, obj)


class ItemDeleteView(PlanReaderMixin, View):
    """GET asks to confirm, POST deletes (the MO's own only)."""

    kind: ItemKind

    def get(self, request, pk: int):
        obj = get_plan_object(user=request.user, model=self.kind.model, pk=pk, for_edit=True)
        context = {"mo": obj.mo, "object": obj, "kind": self.kind.key, "title": _kind_titles()[self.kind.key]}
        return render(request, "screening/plan_confirm_delete.html", context)

    def post(self, request, pk: int):
        obj = get_plan_object(user=request.user, model=self.kind.model, pk=pk, for_edit=True)
        mo = obj.mo
        self.kind.delete(user=request.user, **{self.kind.arg: obj})
        messages.success(request, _("Запись удалена."))
        return redirect("screening:" + f"plan_{self.kind.key}", mo.pk)


# --- the schedule of preventive work [R II.24] --------------------------------------------------------------------


class ScheduleEditView(PlanReaderMixin, View):
    """The MO posts its schedule of preventive work, booking and the responsible person's phone for SMOs."""

    template_name = "screening/plan_schedule_form.html"

    def _render(self, request, mo, year, form):
        context = {
            "mo": mo,
            "year": year,
            "form": form,
            **_history(request, mo=mo, year=year, object_types=("PreventionSchedule",)),
        }
        return render(request, self.template_name, context)

    def get(self, request, mo_id: int, year: int):
        _check_year(year)
        mo = get_mo_for_edit(user=request.user, mo_id=mo_id)
        schedule = prevention_schedule(user=request.user, mo=mo, year=year)
        initial = {}
        if schedule is None:  # start from the directory's contacts
            initial = {"responsible_name": mo.responsible_name, "responsible_phone": mo.responsible_phone}
        return self._render(request, mo, year, PreventionScheduleForm(instance=schedule, initial=initial))

    def post(self, request, mo_id: int, year: int):
        _check_year(year)
        mo = get_mo_for_edit(user=request.user, mo_id=mo_id)
        form = PreventionScheduleForm(request.POST)
        if form.is_valid():
            try:
                services.prevention_schedule_set(user=request.user, mo=mo, year=year, **form.cleaned_data)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, _("График работы сохранён."))
                return redirect(f"{reverse('screening:plan_mo', args=[mo.pk])}?year={year}")
        return self._render(request, mo, year, form)


# --- the edit history ---------------------------------------------------------------------------------------------


class PlanHistoryView(PlanReaderMixin, View):
    """The whole edit history the user may read: who, when, what changed; filters by MO, year and object."""

    def get(self, request):
        user = request.user
        mo = None
        mo_raw = request.GET.get("mo", "")
        if mo_raw.isdigit():
            mo = get_mo_for_plans(user=user, mo_id=int(mo_raw))
        types = tuple(t for t in request.GET.get("type", "").split(",") if t in OBJECT_LABELS) or None
        changes = plan_changes(user=user, mo=mo, year=_year(request), object_types=types)
        page = Paginator(changes, 50).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "mo": mo,
            "year": _year(request),
            "types": [OBJECT_LABELS[t] for t in types or ()],
            "page_obj": page,
            "rows": history_rows(page.object_list),
            "page_query": params.urlencode(),
        }
        return render(request, "screening/plan_history.html", context)


def _kind_views(key: str, prefix: str, singular: str) -> list:
    kind = KINDS[key]
    return [
        path(
            f"plans/mo/<int:mo_id>/{prefix}/",
            type(f"{key}List", (ItemListView,), {"kind": kind}).as_view(),
            name=f"plan_{key}",
        ),
        path(
            f"plans/mo/<int:mo_id>/{prefix}/new/",
            type(f"{key}Create", (ItemCreateView,), {"kind": kind}).as_view(),
            name=f"plan_{singular}_create",
        ),
        path(
            f"plans/{prefix}/<int:pk>/edit/",
            type(f"{key}Edit", (ItemEditView,), {"kind": kind}).as_view(),
            name=f"plan_{singular}_edit",
        ),
        path(
            f"plans/{prefix}/<int:pk>/delete/",
            type(f"{key}Delete", (ItemDeleteView,), {"kind": kind}).as_view(),
            name=f"plan_{singular}_delete",
        ),
    ]


urlpatterns = [
    path("plans/", PlansOverviewView.as_view(), name="plans"),
    path("plans/history/", PlanHistoryView.as_view(), name="plan_history"),
    path("plans/year/<int:year>/", YearPlanView.as_view(), name="plan_year"),
    path("plans/year/<int:year>/upload/", YearPlanUploadView.as_view(), name="plan_year_upload"),
    path("plans/year/<int:year>/template.xlsx", YearPlanTemplateView.as_view(), name="plan_year_template"),
    path("plans/year/<int:year>/approve/", YearPlanApproveView.as_view(), name="plan_year_approve"),
    path("plans/year/<int:year>/reopen/", YearPlanReopenView.as_view(), name="plan_year_reopen"),
    path("plans/year/<int:year>/mo/<int:mo_id>/edit/", YearPlanMoEditView.as_view(), name="plan_year_mo_edit"),
    path("plans/mo/<int:mo_id>/", MoPlanView.as_view(), name="plan_mo"),
    path("plans/mo/<int:mo_id>/districts/<int:year>/", DistrictPlanView.as_view(), name="plan_districts"),
    path(
        "plans/mo/<int:mo_id>/districts/<int:year>/<str:measure>/edit/",
        DistrictPlanEditView.as_view(),
        name="plan_districts_edit",
    ),
    path("plans/mo/<int:mo_id>/schedule/<int:year>/edit/", ScheduleEditView.as_view(), name="plan_schedule_edit"),
    *_kind_views("brigades", "brigades", "brigade"),
    *_kind_views("special_days", "special-days", "special_day"),
    *_kind_views("routing", "routing", "routing"),
]
