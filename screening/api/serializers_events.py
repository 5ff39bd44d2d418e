"""Serializers of the stage-events API: they only parse and shape; checks and loading are in the service."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from screening.models import EventBatch, StageEvent
from screening.services.events import API_MAX_RECORDS


class EventRecordSerializer(serializers.Serializer):
    """One posted event (documentation of the shape; each field is checked by the service, errors by index)."""

    enp = serializers.CharField(help_text=_("ЕНП, 16 цифр"))
    disp = serializers.CharField(help_text=_("Мероприятие: ДВН или ПМО (DVN, PMO)"))
    event = serializers.CharField(help_text=_("START1, END1, TO_STAGE2, END2 или REFUSED"))
    date = serializers.CharField(help_text=_("Дата события, ГГГГ-ММ-ДД, не позже сегодняшней"))
    rslt = serializers.IntegerField(required=False, help_text=_("Результат по V009; обязателен для END1 и END2"))
    ds = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("Хронические диагнозы по МКБ-10, например I10")
    )


class EventsPostSerializer(serializers.Serializer):
    """The body of POST /events/: up to API_MAX_RECORDS events; larger batches go as an EVENTS file."""

    events = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=API_MAX_RECORDS,
        help_text=_("События; каждое — объект с полями enp, disp, event, date, rslt, ds"),
    )


class EventErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Номер события в переданном списке, с 0"))
    field = serializers.CharField(help_text=_("Поле с ошибкой"))
    message = serializers.CharField(help_text=_("Причина отклонения"))


class EventsPostResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField(help_text=_("Номер пакета"))
    total = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text=_("Принято событий (включая уже переданные ранее)"))
    rejected = serializers.IntegerField()
    written = serializers.IntegerField(help_text=_("Записано новых или исправленных событий"))
    message = serializers.CharField()
    errors = EventErrorSerializer(many=True)


class StageEventSerializer(serializers.ModelSerializer):
    enp = serializers.CharField(source="person.enp", read_only=True)
    mo = serializers.CharField(source="mo.code", read_only=True, help_text=_("Код МО (F003), передавшей событие"))
    rslt = serializers.IntegerField(source="result", read_only=True, allow_null=True)
    ds = serializers.ListField(source="diagnoses", child=serializers.CharField(), read_only=True)

    class Meta:
        model = StageEvent
        fields = ["id", "enp", "mo", "measure", "event", "date", "rslt", "health_group", "ds", "batch", "created_at"]
        read_only_fields = fields


class EventBatchSerializer(serializers.ModelSerializer):
    mo = serializers.CharField(source="mo.code", read_only=True)

    class Meta:
        model = EventBatch
        fields = [
            "id",
            "mo",
            "source",
            "original_name",
            "status",
            "created_at",
            "records_total",
            "records_accepted",
            "records_rejected",
            "message",
            "errors",
        ]
        read_only_fields = fields


class EventFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("Файл EVENTS: XML, CSV или XLSX, можно в архиве ZIP"))
