"""Plan API (read-only) [R II.1, II.2, II.24]: the yearly plan and the MOs' district plans, brigades, special days,
routing and schedules of a year. Scoped like the pages: the Ministry, the Fund and SMOs read all MOs, MO staff
their own; other roles get 404. ``?mo=<code>`` narrows to one MO.
"""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from omsportal.access import SIGNED_IN
from omsportal.api.base import ScopedAPIMixin
from screening.access import READ_PLANS
from screening.models import (
    MAX_YEAR,
    MIN_YEAR,
    BrigadeTrip,
    DistrictPlan,
    PreventionSchedule,
    RoutingRule,
    SpecialDay,
    YearPlanLine,
)
from screening.selectors.plans import year_plan_status

from .serializers_plans import (
    BrigadeTripSerializer,
    DistrictPlanSerializer,
    PreventionScheduleSerializer,
    RoutingRuleSerializer,
    SpecialDaySerializer,
    YearPlanSerializer,
)


def _year_or_404(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("No such year")
    return year


class MoFilterSet(django_filters.FilterSet):
    mo = django_filters.CharFilter(field_name="mo__code", label=_("Код МО (F003)"))
    measure = django_filters.CharFilter(field_name="measure", label=_("Мероприятие: DVN, PMO, DN"))


class MoOnlyFilterSet(django_filters.FilterSet):
    mo = django_filters.CharFilter(field_name="mo__code", label=_("Код МО (F003)"))


@extend_schema(
    summary=_("Годовой план профилактических мероприятий"),
    description=_(
        "Статус плана (проект / утверждён), срок утверждения (15 января), опоздание и строки плана: МО × "
        "мероприятие × месяц. МО видит только свои строки; министерство, ТФОМС и СМО — все."
    ),
    responses=YearPlanSerializer,
    tags=["plans"],
)
class YearPlanAPIView(ScopedAPIMixin, generics.GenericAPIView):
    """GET /api/v1/plans/{year}/: the plan header and the lines the user may see."""

    capability = SIGNED_IN  # roles that read no plans get 404, as on the pages
    queryset = YearPlanLine.objects.select_related("mo")
    pagination_class = None
    filter_backends: list = []

    def get_base_queryset(self) -> QuerySet:
        return self.queryset.filter(plan__year=self.kwargs["year"]).order_by("mo__code", "measure", "month")

    def get(self, request, year: int):
        _year_or_404(year)
        if not READ_PLANS.allows(request.user):
            raise Http404("No plans for this role")
        status = year_plan_status(user=request.user, year=year)
        lines = self.get_queryset()
        mo_code = request.query_params.get("mo")
        if mo_code:
            lines = lines.filter(mo__code=mo_code)
        data = {
            "year": year,
            "status": status.plan.status if status.plan else None,
            "approved_at": status.plan.approved_at if status.plan else None,
            "first_approved_on": status.approved_on,
            "due_date": status.due,
            "is_late": status.is_late,
            "needs_reapproval": status.needs_reapproval,
            "lines": list(lines),
        }
        return Response(YearPlanSerializer(data).data)


class YearScopedList(ScopedAPIMixin, generics.ListAPIView):
    """A list of one kind of MO plan data for the year in the URL; scoped by restrict(), paginated."""

    capability = SIGNED_IN  # the scope gives roles that read no plans an empty list
    filterset_class = MoOnlyFilterSet
    year_filter: str = "year"

    def get_base_queryset(self) -> QuerySet:
        year = _year_or_404(int(self.kwargs["year"]))
        return self.queryset.filter(**{self.year_filter: year})


@extend_schema(summary=_("План МО по участкам и месяцам"), tags=["plans"])
class DistrictPlanList(YearScopedList):
    queryset = DistrictPlan.objects.select_related("mo", "district")
    serializer_class = DistrictPlanSerializer
    filterset_class = MoFilterSet
    ordering_fields = ["month", "measure"]
    ordering = ["mo__code", "district__number", "measure", "month"]


@extend_schema(summary=_("Графики выездов мобильных бригад"), tags=["plans"])
class BrigadeTripList(YearScopedList):
    queryset = BrigadeTrip.objects.select_related("mo")
    serializer_class = BrigadeTripSerializer
    ordering_fields = ["date_from", "settlement"]
    ordering = ["mo__code", "date_from"]

    def get_base_queryset(self) -> QuerySet:
        year = _year_or_404(int(self.kwargs["year"]))
        return self.queryset.filter(date_from__lte=datetime.date(year, 12, 31), date_to__gte=datetime.date(year, 1, 1))


@extend_schema(summary=_("Специально выделенные дни"), tags=["plans"])
class SpecialDayList(YearScopedList):
    queryset = SpecialDay.objects.select_related("mo")
    serializer_class = SpecialDaySerializer
    year_filter = "date__year"
    ordering_fields = ["date"]
    ordering = ["mo__code", "date"]


@extend_schema(summary=_("Схемы маршрутизации"), tags=["plans"])
class RoutingRuleList(YearScopedList):
    queryset = RoutingRule.objects.select_related("mo", "performer")
    serializer_class = RoutingRuleSerializer
    filterset_class = MoFilterSet
    ordering_fields = ["measure", "examination"]
    ordering = ["mo__code", "measure", "examination"]


@extend_schema(summary=_("Графики профилактической работы и телефоны ответственных"), tags=["plans"])
class PreventionScheduleList(YearScopedList):
    queryset = PreventionSchedule.objects.select_related("mo")
    serializer_class = PreventionScheduleSerializer
    ordering_fields = ["mo__code"]
    ordering = ["mo__code"]
