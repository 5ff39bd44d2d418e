"""Serializers of the informing API: they only parse and shape; checks and loading are in the services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import InformingFact, InformUpload, UploadKind
from ..services.uploads import API_MAX_RECORDS


class FactsPostSerializer(serializers.Serializer):
    """The body of POST /informing/facts/: up to API_MAX_RECORDS facts with the INFORM field names."""

    facts = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=API_MAX_RECORDS,
        help_text=_("Факты; каждый — объект с полями N_ZAP, ENP, KIND, CHANNEL, DATE, RESULT, REF, AGENT"),
    )  # fmt: skip


class InformUploadSerializer(serializers.ModelSerializer):
    smo = serializers.CharField(source="smo.code", read_only=True)

    class Meta:
        model = InformUpload
        fields = ["id", "smo", "kind", "source", "original_name", "file_format", "status", "message", "records_total",
                  "records_accepted", "records_duplicate", "records_rejected", "records_late", "errors", "created_at",
                  "finished_at"]  # fmt: skip
        read_only_fields = fields


class InformFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("INFORM (XML, CSV, XLSX, ZIP) или отчёт о доставке (CSV)"))
    kind = serializers.ChoiceField(choices=UploadKind.choices, default=UploadKind.INFORM)


class InformingFactSerializer(serializers.ModelSerializer):
    enp = serializers.CharField(source="person.enp", read_only=True)
    smo = serializers.CharField(source="smo.code", read_only=True)

    class Meta:
        model = InformingFact
        fields = ["id", "enp", "smo", "kind", "channel", "date", "outcome", "reference", "agent_login", "source",
                  "posted_at", "is_late"]  # fmt: skip
        read_only_fields = fields
