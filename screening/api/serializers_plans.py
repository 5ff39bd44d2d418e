"""Serializers of the plan API: read-only shapes of the yearly plan, the MO's plans, schedules and routing."""

from __future__ import annotations

from rest_framework import serializers

from screening.models import BrigadeTrip, DistrictPlan, PreventionSchedule, RoutingRule, SpecialDay, YearPlanLine


class YearPlanLineSerializer(serializers.ModelSerializer):
    """One cell of the Ministry's plan: MO × measure × month → persons."""

    mo_code = serializers.CharField(source="mo.code", read_only=True)

    class Meta:
        model = YearPlanLine
        fields = ["mo_code", "measure", "month", "quantity"]


class YearPlanSerializer(serializers.Serializer):
    """The yearly plan with its status, due date and the lines the user may see [R II.1]."""

    year = serializers.IntegerField()
    status = serializers.CharField(allow_null=True, help_text="DRAFT / APPROVED; null when no plan was entered")
    approved_at = serializers.DateTimeField(allow_null=True)
    first_approved_on = serializers.DateField(allow_null=True)
    due_date = serializers.DateField()
    is_late = serializers.BooleanField()
    needs_reapproval = serializers.BooleanField()
    lines = YearPlanLineSerializer(many=True)


class DistrictPlanSerializer(serializers.ModelSerializer):
    """One cell of the MO's plan by district [R II.2]."""

    mo_code = serializers.CharField(source="mo.code", read_only=True)
    district = serializers.CharField(source="district.number", read_only=True)

    class Meta:
        model = DistrictPlan
        fields = ["mo_code", "year", "district", "measure", "month", "quantity"]


class BrigadeTripSerializer(serializers.ModelSerializer):
    mo_code = serializers.CharField(source="mo.code", read_only=True)
    measures = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = BrigadeTrip
        fields = ["id", "mo_code", "kind", "date_from", "date_to", "settlement", "measures", "note"]


class SpecialDaySerializer(serializers.ModelSerializer):
    mo_code = serializers.CharField(source="mo.code", read_only=True)

    class Meta:
        model = SpecialDay
        fields = ["id", "mo_code", "date", "time_from", "time_to", "description"]


class RoutingRuleSerializer(serializers.ModelSerializer):
    mo_code = serializers.CharField(source="mo.code", read_only=True)
    performer_code = serializers.CharField(source="performer.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RoutingRule
        fields = ["id", "mo_code", "year", "measure", "examination", "performer_code", "place", "contract"]


class PreventionScheduleSerializer(serializers.ModelSerializer):
    """The MO's schedule of preventive work and responsible person's phone, for SMOs [R II.24]."""

    mo_code = serializers.CharField(source="mo.code", read_only=True)

    class Meta:
        model = PreventionSchedule
        fields = ["mo_code", "year", "working_hours", "booking", "responsible_name", "responsible_phone"]
