"""Serializers of the surveys API: they parse and show; the views call the services."""

from __future__ import annotations

from rest_framework import serializers

from surveys.models import (
    Appeal,
    AppealChannel,
    CallItem,
    CallList,
    CallOutcome,
    CallPurpose,
    Questionnaire,
    QuestionnaireVersion,
)


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuestionnaireVersion
        fields = ["id", "number", "questions", "created_at"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["id", "code", "title", "purpose", "owner", "is_active", "current"]

    def get_current(self, obj) -> dict | None:
        version = obj.versions.order_by("-number").first()
        return VersionSerializer(version).data if version else None


class QuotaRowSerializer(serializers.Serializer):
    mo = serializers.CharField(source="mo.code")
    smo = serializers.CharField(source="smo.code", allow_null=True)
    passed = serializers.IntegerField()
    quota_passed = serializers.IntegerField()
    informed_not_passed = serializers.IntegerField()
    quota_informed = serializers.IntegerField()
    quota = serializers.IntegerField()
    listed = serializers.IntegerField(source="listed_total")
    surveyed_passed = serializers.IntegerField()
    surveyed_informed = serializers.IntegerField()
    met = serializers.BooleanField()


class CallListSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallList
        fields = [
            "id", "smo", "mo", "year", "quarter", "purpose", "rule", "seed", "version", "status", "message",
            "is_open", "items_created", "left_out_opted_out", "left_out_no_phone", "left_out_on_open_list",
            "created_at", "finished_at",
        ]  # fmt: skip


class CallListCreateSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=CallPurpose.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    mo = serializers.IntegerField(required=False, allow_null=True)
    version = serializers.IntegerField()
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**62 - 1)
    batch = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class CallItemSerializer(serializers.ModelSerializer):
    """The item an operator holds: whom to call, the MO, the form to fill."""

    person_name = serializers.CharField(source="person.full_name")
    mo_name = serializers.SerializerMethodField()
    questionnaire = serializers.SerializerMethodField()

    class Meta:
        model = CallItem
        fields = ["id", "call_list", "person_name", "phone", "mo", "mo_name", "stratum", "tries", "due_at",
                  "questionnaire"]  # fmt: skip

    def get_mo_name(self, obj) -> str:
        return (obj.mo.short_name or obj.mo.name) if obj.mo else ""

    def get_questionnaire(self, obj) -> dict | None:
        version = obj.call_list.version
        if version is None:
            return None
        return {"title": version.questionnaire.title, **VersionSerializer(version).data}


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in CallOutcome.choices if c[0] != CallOutcome.NOT_REACHED])
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    callback_at = serializers.DateTimeField(required=False, allow_null=True)
    answers = serializers.DictField(required=False, allow_null=True)


class AppealSerializer(serializers.ModelSerializer):
    person_enp = serializers.CharField(source="person.enp", allow_null=True, default=None)

    class Meta:
        model = Appeal
        fields = ["id", "smo", "channel", "topic", "text", "person_enp", "applicant", "contact", "received_on",
                  "registered_by", "registered_at", "level", "assignee", "due_on", "status", "answer", "answered_at",
                  "result_informed_on"]  # fmt: skip


class AppealCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=AppealChannel.choices)
    topic = serializers.CharField(max_length=10)
    text = serializers.CharField(max_length=10_000)
    received_on = serializers.DateField(required=False, allow_null=True)
    enp = serializers.CharField(required=False, allow_blank=True, max_length=16)
    applicant = serializers.CharField(required=False, allow_blank=True, max_length=300)
    contact = serializers.CharField(required=False, allow_blank=True, max_length=200)


class AppealRouteSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=[(2, "2"), (3, "3")])
    assignee = serializers.IntegerField(required=False, allow_null=True)


class AppealAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=10_000)
    inform_channel = serializers.ChoiceField(choices=["", "PHONE", "POST", "EMAIL", "SMS"], required=False,
                                             allow_blank=True)  # fmt: skip
