"""Reads of plans, schedules and routing [R II.1, II.2, II.24], always for a user and through restrict().

Readers: the Ministry, the Fund and the region's SMOs read everything; MO staff read their own MO (a routing rule
also when their MO performs it by contract); everyone else nothing. Another MO's pages are 404 for MO staff.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omsportal.obligations import Period, obligation
from omsportal.scoping import restrict
from participants.models import District, Organization, OrganizationKind, Role, User
from screening.access import EDIT_MO_PLANS, EDIT_YEAR_PLAN, plan_read_scope
from screening.formats.plans import plan_template_xlsx
from screening.models import (
    MEASURE_LABELS,
    PLAN_MEASURES,
    BrigadeTrip,
    DistrictPlan,
    PlanChange,
    PlanStatus,
    PreventionSchedule,
    RoutingRule,
    SpecialDay,
    YearPlan,
    YearPlanLine,
)

MONTH_NAMES = [
    gettext_lazy("январь"),
    gettext_lazy("февраль"),
    gettext_lazy("март"),
    gettext_lazy("апрель"),
    gettext_lazy("май"),
    gettext_lazy("июнь"),
    gettext_lazy("июль"),
    gettext_lazy("август"),
    gettext_lazy("сентябрь"),
    gettext_lazy("октябрь"),
    gettext_lazy("ноябрь"),
    gettext_lazy("декабрь"),
]
MONTH_SHORT = [
    gettext_lazy("янв"),
    gettext_lazy("фев"),
    gettext_lazy("мар"),
    gettext_lazy("апр"),
    gettext_lazy("май"),
    gettext_lazy("июн"),
    gettext_lazy("июл"),
    gettext_lazy("авг"),
    gettext_lazy("сен"),
    gettext_lazy("окт"),
    gettext_lazy("ноя"),
    gettext_lazy("дек"),
]


# --- who may do what ------------------------------------------------------------------------------------------


def can_read_plans(user: User) -> bool:
    return plan_read_scope(user) is not None


def can_edit_year_plan(user: User) -> bool:
    """R II.1: the Ministry enters and approves the yearly plan."""
    return EDIT_YEAR_PLAN.allows(user)


def can_edit_mo_plans(user: User, mo: Organization) -> bool:
    """R II.2, II.24: an MO posts its own district plan, brigades, special days, routing and schedule."""
    return EDIT_MO_PLANS.allows(user) and user.organization_id == mo.pk


def sees_all_mos(user: User) -> bool:
    return can_read_plans(user) and user.role != Role.MO_STAFF


def plan_mos(*, user: User) -> QuerySet[Organization]:
    """The MOs whose plan pages ``user`` may open: all of the region, or their own."""
    if not can_read_plans(user):
        return Organization.objects.none()
    mos = Organization.objects.filter(kind=OrganizationKind.MO)
    if user.role == Role.MO_STAFF:
        return mos.filter(pk=user.organization_id)
    return mos


def get_mo_for_plans(*, user: User, mo_id: int) -> Organization:
    """The MO ``mo_id`` if ``user`` may read its plans, else 404 (another MO is the same as no MO)."""
    mo = plan_mos(user=user).filter(pk=mo_id).first()
    if mo is None:
        raise Http404("MO not found")
    return mo


def get_mo_for_edit(*, user: User, mo_id: int) -> Organization:
    """The MO ``mo_id`` for an edit page: 404 when not readable, 403 when readable but not the user's own."""
    mo = get_mo_for_plans(user=user, mo_id=mo_id)
    if not can_edit_mo_plans(user, mo):
        raise PermissionDenied(_("Планы и графики МО ведёт только сама медицинская организация."))
    return mo


def get_plan_object(*, user: User, model, pk: int, for_edit: bool = False):
    """A brigade trip / special day / routing rule by pk: 404 outside the scope, 403 for read-only editors."""
    obj = restrict(model.objects.select_related("mo"), user).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found")
    if for_edit:
        if user.role == Role.MO_STAFF and obj.mo_id != user.organization_id:
            raise Http404("Not found")  # e.g. a routing rule performed by this MO: readable, not its own
        if not can_edit_mo_plans(user, obj.mo):
            raise PermissionDenied(_("Планы и графики МО ведёт только сама медицинская организация."))
    return obj


# --- deadlines ------------------------------------------------------------------------------------------------


def year_plan_due(year: int) -> datetime.date:
    """O1, R II.1: the Ministry approves the plan by 15 January of the plan year (a regional parameter)."""
    return obligation("O1").due_on(Period.of_year(year))


def mo_plans_due(year: int) -> datetime.date:
    """O2, R II.2: an MO posts its plans for ``year`` by the last working day of the year before."""
    return obligation("O2").due_on(Period.of_year(year))


# --- the yearly plan ------------------------------------------------------------------------------------------


@dataclass
class YearPlanStatus:
    year: int
    plan: YearPlan | None
    due: datetime.date
    approved_on: datetime.date | None  # the first approval (the obligation O1), even if reopened since
    is_approved: bool
    is_late: bool
    needs_reapproval: bool  # approved once, reopened, not approved again
    days_late: int = 0

    @property
    def status_label(self) -> str:
        if self.plan is None:
            return _("не внесён")
        if self.needs_reapproval:
            return _("изменяется после утверждения — требуется повторное утверждение")
        return self.plan.get_status_display()


def year_plan_status(*, user: User, year: int) -> YearPlanStatus:
    """The plan header for ``year``: status, due date, whether the approval is (or was) late."""
    plan = restrict(YearPlan.objects.select_related("approved_by"), user).filter(year=year).first()
    due = year_plan_due(year)
    approved_on = obligation("O1").met_on(None, Period.of_year(year)) if plan is not None else None
    is_approved = plan is not None and plan.status == PlanStatus.APPROVED
    today = timezone.localdate()
    reference = approved_on or today
    is_late = reference > due
    return YearPlanStatus(
        year=year,
        plan=plan,
        due=due,
        approved_on=approved_on,
        is_approved=is_approved,
        is_late=is_late,
        needs_reapproval=plan is not None and not is_approved and approved_on is not None,
        days_late=(reference - due).days if is_late else 0,
    )


@dataclass
class GridRow:
    mo: Organization
    cells: dict[str, list[int | None]] = field(default_factory=dict)  # measure -> 12 months

    @property
    def totals(self) -> dict[str, int]:
        return {measure: sum(v or 0 for v in values) for measure, values in self.cells.items()}

    @property
    def is_empty(self) -> bool:
        return all(v is None for values in self.cells.values() for v in values)

    @property
    def month_pairs(self) -> list[list[int | None]]:
        """[[DVN, PMO] for each month]: the grid's cells in column order."""
        return [[self.cells[m][i] for m in PLAN_MEASURES] for i in range(12)]


def _empty_cells() -> dict[str, list[int | None]]:
    return {measure: [None] * 12 for measure in PLAN_MEASURES}


def year_plan_grid(*, user: User, year: int) -> dict[str, Any]:
    """The yearly plan as a grid: MOs as rows, months × measures as columns, with totals; scoped per MO."""
    lines = restrict(YearPlanLine.objects.filter(plan__year=year), user).values_list(
        "mo_id", "measure", "month", "quantity"
    )
    rows: dict[int, GridRow] = {mo.pk: GridRow(mo=mo, cells=_empty_cells()) for mo in plan_mos(user=user)}
    data = list(lines)
    missing_mo_ids = {row[0] for row in data if row[0] not in rows}
    for mo in Organization.objects.filter(pk__in=missing_mo_ids):
        rows[mo.pk] = GridRow(mo=mo, cells=_empty_cells())
    month_totals = {measure: [0] * 12 for measure in PLAN_MEASURES}
    for mo_id, measure, month, quantity in data:
        if measure not in PLAN_MEASURES:
            continue
        rows[mo_id].cells[measure][month - 1] = quantity
        month_totals[measure][month - 1] += quantity
    ordered = sorted(rows.values(), key=lambda r: r.mo.code)
    return {
        "rows": ordered,
        "month_totals": month_totals,
        "month_total_pairs": [[month_totals[m][i] for m in PLAN_MEASURES] for i in range(12)],
        "totals": {measure: sum(values) for measure, values in month_totals.items()},
        "mos_without_plan": [row.mo for row in ordered if row.is_empty and row.mo.is_active],
    }


def _cells(lines: QuerySet[YearPlanLine]) -> dict[tuple[str, int], int]:
    return {(measure, month): qty for measure, month, qty in lines.values_list("measure", "month", "quantity")}


def year_plan_mo_values(*, user: User, year: int, mo: Organization) -> dict[tuple[str, int], int]:
    """One MO's cells of the yearly plan, whatever its status: {(measure, month): persons}."""
    lines = restrict(YearPlanLine.objects.filter(plan__year=year, mo=mo), user)
    return _cells(lines)


def approved_plan_totals(mo: Organization, year: int, *, user: User | None = None) -> dict[tuple[str, int], int]:
    """The approved plan of ``mo`` for ``year``: {(measure, month): persons}; empty while the plan is not approved.

    Without ``user`` it is the system's own read (the list protocol's plan warning 701 [domain §4]).
    """
    lines = YearPlanLine.objects.filter(plan__year=year, plan__status=PlanStatus.APPROVED, mo=mo)
    if user is not None:
        lines = restrict(lines, user)
    return _cells(lines)


def year_plan_template_xlsx(*, user: User, year: int) -> bytes:
    """The plan file template, prefilled with the region's MOs and the current values of the plan."""
    if not sees_all_mos(user):
        raise PermissionDenied(_("Шаблон плана по всем МО доступен министерству и фонду."))
    grid = year_plan_grid(user=user, year=year)
    rows = [
        (row.mo.code, row.mo.name, row.cells) for row in grid["rows"] if row.mo.is_active or not row.is_empty
    ]
    return plan_template_xlsx(year=year, rows=rows)


# --- the MO's own plans ---------------------------------------------------------------------------------------


def mo_districts(*, user: User, mo: Organization) -> list[District]:
    get_mo_for_plans(user=user, mo_id=mo.pk)
    return sorted(District.objects.filter(mo=mo), key=lambda d: (len(d.number), d.number))


def district_plan_grid(*, user: User, mo: Organization, year: int, measure: str) -> dict[str, Any]:
    """The MO's plan for one measure: districts as rows, months as columns, with totals."""
    districts = mo_districts(user=user, mo=mo)
    cells = {d.pk: [None] * 12 for d in districts}
    rows = restrict(DistrictPlan.objects.filter(mo=mo, year=year, measure=measure), user)
    for district_id, month, quantity in rows.values_list("district_id", "month", "quantity"):
        if district_id in cells:
            cells[district_id][month - 1] = quantity
    month_totals = [sum(cells[d.pk][i] or 0 for d in districts) for i in range(12)]
    return {
        "rows": [{"district": d, "cells": cells[d.pk], "total": sum(v or 0 for v in cells[d.pk])} for d in districts],
        "month_totals": month_totals,
        "total": sum(month_totals),
    }


def district_plan_month_totals(*, user: User, mo: Organization, year: int) -> dict[str, list[int]]:
    """The MO's district plan summed over districts: {measure: [12 months]}."""
    totals = {measure: [0] * 12 for measure in PLAN_MEASURES}
    rows = (
        restrict(DistrictPlan.objects.filter(mo=mo, year=year), user)
        .values("measure", "month")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        if row["measure"] in totals:
            totals[row["measure"]][row["month"] - 1] = row["total"]
    return totals


# Sortable list columns: ?sort=<key> or -<key>; anything else falls back to the default.
BRIGADE_SORTS = {"date": "date_from", "settlement": "settlement", "kind": "kind"}
SPECIAL_DAY_SORTS = {"date": "date", "description": "description"}
ROUTING_SORTS = {"measure": "measure", "examination": "examination", "performer": "performer__code"}


def _sorted(queryset: QuerySet, sort: str | None, options: dict[str, str], default: str) -> tuple[QuerySet, str]:
    key = (sort or "").lstrip("-")
    if key not in options:
        sort, key = default, default.lstrip("-")
    prefix = "-" if sort.startswith("-") else ""
    return queryset.order_by(f"{prefix}{options[key]}", "pk"), sort


def brigade_trips(*, user: User, mo: Organization, year: int | None = None, sort: str | None = None):
    """The MO's brigade trips (those overlapping ``year`` when given), sorted; returns (queryset, sort)."""
    queryset = restrict(BrigadeTrip.objects.filter(mo=mo), user)
    if year:
        queryset = queryset.filter(date_from__lte=datetime.date(year, 12, 31), date_to__gte=datetime.date(year, 1, 1))
    return _sorted(queryset, sort, BRIGADE_SORTS, "date")


def special_days(*, user: User, mo: Organization, year: int | None = None, sort: str | None = None):
    """The MO's special days (of ``year`` when given), sorted; returns (queryset, sort)."""
    queryset = restrict(SpecialDay.objects.filter(mo=mo), user)
    if year:
        queryset = queryset.filter(date__year=year)
    return _sorted(queryset, sort, SPECIAL_DAY_SORTS, "date")


def routing_rules(*, user: User, mo: Organization, year: int | None = None, sort: str | None = None):
    """The MO's routing rules (of ``year`` when given), sorted; returns (queryset, sort)."""
    queryset = restrict(RoutingRule.objects.filter(mo=mo).select_related("performer"), user)
    if year:
        queryset = queryset.filter(year=year)
    return _sorted(queryset, sort, ROUTING_SORTS, "measure")


def routing_performed_for_others(*, user: User, mo: Organization, year: int) -> QuerySet[RoutingRule]:
    """Rules of other MOs that send their patients to ``mo`` by contract."""
    return restrict(RoutingRule.objects.filter(performer=mo, year=year).select_related("mo"), user).order_by(
        "mo__code", "measure", "examination"
    )


def prevention_schedule(*, user: User, mo: Organization, year: int) -> PreventionSchedule | None:
    return restrict(PreventionSchedule.objects.filter(mo=mo, year=year), user).first()


# --- overviews for the Fund and SMOs ---------------------------------------------------------------------------


def mo_plan_compliance(*, user: User, year: int) -> QuerySet[Organization]:
    """Per MO of the region: what it has posted for ``year`` [R II.2, II.24] — one query, annotated flags."""
    if not sees_all_mos(user):
        raise PermissionDenied
    return (
        plan_mos(user=user)
        .filter(is_active=True)
        .annotate(
            has_ministry_plan=Exists(YearPlanLine.objects.filter(plan__year=year, mo=OuterRef("pk"))),
            has_district_plan=Exists(DistrictPlan.objects.filter(year=year, mo=OuterRef("pk"))),
            has_schedule=Exists(PreventionSchedule.objects.filter(year=year, mo=OuterRef("pk"))),
            has_routing=Exists(RoutingRule.objects.filter(year=year, mo=OuterRef("pk"))),
        )
        .order_by("code")
    )


def mo_plan_compliance_rows(*, user: User, year: int) -> dict[str, Any]:
    """The Fund's table: per MO the posted items and counts, plus how many MOs still owe each item."""
    mos = list(mo_plan_compliance(user=user, year=year))
    ids = [mo.pk for mo in mos]
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    brigades = dict(
        BrigadeTrip.objects.filter(mo_id__in=ids, date_from__lte=end, date_to__gte=start)
        .values("mo_id")
        .annotate(n=Count("pk"))
        .values_list("mo_id", "n")
    )
    days = dict(
        SpecialDay.objects.filter(mo_id__in=ids, date__year=year)
        .values("mo_id")
        .annotate(n=Count("pk"))
        .values_list("mo_id", "n")
    )
    routing = dict(
        RoutingRule.objects.filter(mo_id__in=ids, year=year)
        .values("mo_id")
        .annotate(n=Count("pk"))
        .values_list("mo_id", "n")
    )
    schedules = {s.mo_id: s for s in PreventionSchedule.objects.filter(mo_id__in=ids, year=year)}
    rows = [
        {
            "mo": mo,
            "has_ministry_plan": mo.has_ministry_plan,
            "has_district_plan": mo.has_district_plan,
            "has_schedule": mo.has_schedule,
            "has_routing": mo.has_routing,
            "brigades": brigades.get(mo.pk, 0),
            "special_days": days.get(mo.pk, 0),
            "routing": routing.get(mo.pk, 0),
            "schedule": schedules.get(mo.pk),
        }
        for mo in mos
    ]
    return {
        "rows": rows,
        "missing": {
            "district_plan": sum(1 for r in rows if not r["has_district_plan"]),
            "schedule": sum(1 for r in rows if not r["has_schedule"]),
            "routing": sum(1 for r in rows if not r["has_routing"]),
        },
        "due": mo_plans_due(year),
        "overdue": timezone.localdate() > mo_plans_due(year),
    }


def plan_years(*, user: User) -> list[int]:
    """Years to offer in the year switch: around today plus every year that has plan data."""
    this_year = timezone.localdate().year
    years = {this_year - 1, this_year, this_year + 1}
    if can_read_plans(user):
        years.update(restrict(YearPlan.objects.all(), user).values_list("year", flat=True))
        years.update(
            restrict(BrigadeTrip.objects.annotate(y=ExtractYear("date_from")), user)
            .values_list("y", flat=True)
            .distinct()[:20]
        )
    return sorted(years)


# --- the edit history -------------------------------------------------------------------------------------------

OBJECT_LABELS = {
    "YearPlan": gettext_lazy("годовой план"),
    "YearPlanLine": gettext_lazy("строки годового плана"),
    "DistrictPlan": gettext_lazy("план по участкам"),
    "BrigadeTrip": gettext_lazy("выезд мобильной бригады"),
    "SpecialDay": gettext_lazy("выделенный день"),
    "RoutingRule": gettext_lazy("схема маршрутизации"),
    "PreventionSchedule": gettext_lazy("график работы"),
}
ACTION_LABELS = {
    "create": gettext_lazy("добавлено"),
    "update": gettext_lazy("изменено"),
    "delete": gettext_lazy("удалено"),
    "approve": gettext_lazy("утверждено"),
    "reopen": gettext_lazy("открыто для изменений"),
    "upload": gettext_lazy("загружено из файла"),
}
FIELD_MODELS = {
    "BrigadeTrip": BrigadeTrip,
    "SpecialDay": SpecialDay,
    "RoutingRule": RoutingRule,
    "PreventionSchedule": PreventionSchedule,
}
FIELD_LABELS = {"measures": gettext_lazy("мероприятия")}  # model fields without a verbose_name


def plan_changes(
    *,
    user: User,
    mo: Organization | None = None,
    year: int | None = None,
    object_types: tuple[str, ...] | None = None,
) -> QuerySet[PlanChange]:
    """The edit history the user may read, newest first, filtered by MO, year and kind of object."""
    queryset = restrict(PlanChange.objects.select_related("user", "mo"), user)
    if mo is not None:
        queryset = queryset.filter(mo=mo)
    if year is not None:
        queryset = queryset.filter(changes__year=year)
    if object_types:
        queryset = queryset.filter(object_type__in=object_types)
    return queryset.order_by("-at", "-pk")


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(MEASURE_LABELS.get(v, v)) for v in value) or "—"
    return str(MEASURE_LABELS.get(value, value))


def _field_display(model, name: str, value: Any, orgs: dict[int, str]) -> str:
    """A stored history value as the page shows it: choice labels, dd.mm.yyyy, hh:mm, MO names."""
    if value is None or value == "" or value == []:
        return "—"
    try:
        field = model._meta.get_field(name)
    except Exception:  # a field that no longer exists
        return _display(value)
    if name == "performer":
        return orgs.get(int(value), str(value)) if str(value).isdigit() else str(value)
    base = getattr(field, "base_field", None)
    choices = dict(field.flatchoices or (base.flatchoices if base is not None else []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, str) and field.get_internal_type() == "DateField":
        try:
            return datetime.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if isinstance(value, str) and field.get_internal_type() == "TimeField":
        return value[:5]
    return str(value)


def _field_order(model, name: str) -> int:
    names = [f.name for f in model._meta.get_fields()]
    return names.index(name) if name in names else len(names)


def describe_change(change: PlanChange, orgs: dict[int, str] | None = None) -> list[str]:
    """Human lines for one history row: "field: old → new", "ДВН, март: 10 → 12", the approval."""
    data = change.changes or {}
    lines: list[str] = []
    model = FIELD_MODELS.get(change.object_type)
    if orgs is None:
        orgs = _org_labels([change])
    fields = data.get("fields") or {}
    for name in sorted(fields, key=lambda n: _field_order(model, n) if model else 0):
        pair = fields[name]
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if change.action == "create" and new in (None, "", []):
            continue  # a new record: list only what was filled in
        if model is None:
            lines.append(f"{name}: {_display(old)} → {_display(new)}")
            continue
        try:
            label = str(FIELD_LABELS.get(name) or model._meta.get_field(name).verbose_name)
        except Exception:  # an old field name in the history
            label = name
        if change.action == "create":
            lines.append(f"{label}: {_field_display(model, name, new, orgs)}")
        elif change.action == "delete":
            lines.append(f"{label}: {_field_display(model, name, old, orgs)}")
        else:
            lines.append(
                f"{label}: {_field_display(model, name, old, orgs)} → {_field_display(model, name, new, orgs)}"
            )
    lines.extend(_cell_lines(data.get("cells") or []))
    if change.action == "approve":
        lines.append(_("план утверждён повторно") if data.get("reapproval") else _("план утверждён"))
    if change.action == "reopen":
        lines.append(_("причина: %(reason)s") % {"reason": data.get("reason", "")})
    if change.object_type == "YearPlan" and change.action == "upload":
        lines.append(
            _("файл «%(file)s»: строк %(rows)s, МО %(mos)s, изменено ячеек %(cells)s")
            % {
                "file": data.get("file", ""),
                "rows": data.get("rows", 0),
                "mos": data.get("mos", 0),
                "cells": data.get("cells_changed", 0),
            }
        )
    return lines


# Cell changes of one measure (and district) listed one by one up to this many; more read as one line with totals.
CELLS_LISTED = 3


def _cell_lines(cells: list[dict]) -> list[str]:
    """Plan cell changes, compact: a few are listed by month, many become «ДВН: изменено 12 мес., всего — → 153»."""
    groups: dict[tuple, list[dict]] = {}
    for cell in cells:
        groups.setdefault((cell.get("district") or "", cell.get("measure")), []).append(cell)
    lines = []
    for (district, measure), group in groups.items():
        where = [str(MEASURE_LABELS.get(measure, measure))]
        if district:
            where.insert(0, str(_("участок %(n)s") % {"n": district}))
        if len(group) <= CELLS_LISTED:
            for cell in group:
                place = ", ".join([*where, str(MONTH_NAMES[cell["month"] - 1])])
                lines.append(f"{place}: {_display(cell.get('old'))} → {_display(cell.get('new'))}")
            continue
        olds = [c.get("old") for c in group]
        old_total = _display(sum(v or 0 for v in olds) if any(v is not None for v in olds) else None)
        new_total = sum(c.get("new") or 0 for c in group)
        lines.append(
            _("%(where)s: изменено месяцев: %(n)s, всего %(old)s → %(new)s")
            % {"where": ", ".join(where), "n": len(group), "old": old_total, "new": new_total}
        )
    return lines


def _org_labels(changes) -> dict[int, str]:
    """Names of the MOs that history rows mention as performers, in one query."""
    ids = set()
    for change in changes:
        pair = ((change.changes or {}).get("fields") or {}).get("performer") or []
        ids.update(int(v) for v in pair if v is not None and str(v).isdigit())
    return {org.pk: str(org) for org in Organization.objects.filter(pk__in=ids)} if ids else {}


def history_rows(changes) -> list[dict[str, Any]]:
    """History rows ready for the page: when, who, what, the object and the described changes."""
    changes = list(changes)
    orgs = _org_labels(changes)
    return [
        {
            "change": change,
            "at": change.at,
            "who": change.user.display_name,
            "mo": change.mo,
            "object": OBJECT_LABELS.get(change.object_type, change.object_type),
            "action": ACTION_LABELS.get(change.action, change.action),
            "lines": describe_change(change, orgs),
        }
        for change in changes
    ]
