"""API of stage events [R II.9, II.16, II.22]: MOs post events (small batches at once, files in the background);
MO staff read their MO's events, SMO L2/L3 the events of their insured, the Fund all of them.

POST /api/v1/events/         {"events": [{"enp", "disp", "event", "date", "rslt", "ds"}, ...]} (MO staff, ≤ 10 000)
GET  /api/v1/events/         scoped list with filters (measure, event, date_from, date_to, enp, mo, batch)
POST /api/v1/event-batches/  multipart "file": an EVENTS file, processed in the background (202)
GET  /api/v1/event-batches/  batches with counts and errors (MO staff own, Fund all)
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from omsportal.api.base import AuditedReadMixin, ScopedViewSet
from screening.access import POST_EVENTS, READ_EVENT_BATCHES, READ_LIST_PERSONS
from screening.models import EventBatch, EventType, Measure, StageEvent
from screening.services.events import API_MAX_RECORDS, event_batch_create_from_api, event_batch_create_from_file

from .serializers_events import (
    EventBatchSerializer,
    EventFileUploadSerializer,
    EventsPostResultSerializer,
    EventsPostSerializer,
    StageEventSerializer,
)


class StageEventFilterSet(django_filters.FilterSet):
    measure = django_filters.ChoiceFilter(choices=Measure.choices, help_text=_("Мероприятие: DVN или PMO"))
    event = django_filters.ChoiceFilter(choices=EventType.choices, help_text=_("Событие"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text=_("Дата события с"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text=_("Дата события по"))
    enp = django_filters.CharFilter(field_name="person__enp", help_text=_("ЕНП застрахованного"))
    mo = django_filters.CharFilter(field_name="mo__code", help_text=_("Код МО (F003)"))
    batch = django_filters.NumberFilter(field_name="batch_id", help_text=_("Номер пакета"))

    class Meta:
        model = StageEvent
        fields = ["measure", "event", "date_from", "date_to", "enp", "mo", "batch"]


@extend_schema_view(
    list=extend_schema(summary=_("События этапов"), tags=["events"]),
    retrieve=extend_schema(summary=_("Событие этапа"), tags=["events"]),
    create=extend_schema(
        summary=_("Передать события этапов"),
        description=_(
            "Сотрудник МО передаёт до 10 000 событий за один запрос; они проверяются и загружаются сразу. "
            "Ответ: число принятых и ошибки по индексу события. Повторная передача тех же событий дублей не "
            "создаёт (ответ 200), новые или исправленные события — ответ 201. Лицо должно быть в списке МО "
            "на год события по этому мероприятию. Больше 10 000 событий — файлом EVENTS (/event-batches/)."
        ),
        request=EventsPostSerializer,
        responses={
            201: EventsPostResultSerializer,
            200: EventsPostResultSerializer,
            400: OpenApiResponse(description=_("Тело запроса не является списком событий")),
            403: OpenApiResponse(description=_("Передавать события может только сотрудник МО")),
        },
        tags=["events"],
    ),
)
class StageEventViewSet(AuditedReadMixin, ScopedViewSet):
    """Stage events: scoped reads (audited) and the synchronous posting of a small batch by MO staff."""

    queryset = StageEvent.objects.select_related("person", "mo")
    serializer_class = StageEventSerializer
    capability = READ_LIST_PERSONS  # MO staff, SMO L2/L3 and the Fund read; others 403
    write_capability = POST_EVENTS  # MO staff post
    filterset_class = StageEventFilterSet
    ordering_fields = ["date", "created_at", "id"]
    ordering = ["-date", "-id"]

    def create(self, request, *args, **kwargs):
        serializer = EventsPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        records = serializer.validated_data["events"]
        assert len(records) <= API_MAX_RECORDS  # the serializer's max_length
        batch = event_batch_create_from_api(mo=request.user.organization, records=records, posted_by=request.user)
        written = batch.events.count()
        result = {
            "batch": batch.pk,
            "total": batch.records_total,
            "accepted": batch.records_accepted,
            "rejected": batch.records_rejected,
            "written": written,
            "message": batch.message,
            "errors": [
                {"index": error["index"], "field": error["field"], "message": error["message"]}
                for error in batch.errors
            ],
        }
        return Response(
            EventsPostResultSerializer(result).data, status=status.HTTP_201_CREATED if written else status.HTTP_200_OK
        )


@extend_schema_view(
    list=extend_schema(summary=_("Пакеты событий"), tags=["events"]),
    retrieve=extend_schema(summary=_("Пакет событий: статус, счётчики и ошибки"), tags=["events"]),
    create=extend_schema(
        summary=_("Передать файл EVENTS"),
        description=_("Файл обрабатывается в фоне; статус и ошибки — по адресу пакета."),
        request={"multipart/form-data": EventFileUploadSerializer},
        responses={202: EventBatchSerializer},
        tags=["events"],
    ),
)
class EventBatchViewSet(ScopedViewSet):
    """Batches of stage events: MO staff their MO's (and post files), the Fund reads all."""

    queryset = EventBatch.objects.select_related("mo")
    serializer_class = EventBatchSerializer
    capability = READ_EVENT_BATCHES
    write_capability = POST_EVENTS
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def create(self, request, *args, **kwargs):
        serializer = EventFileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        batch = event_batch_create_from_file(
            mo=request.user.organization, file=upload, original_name=upload.name, posted_by=request.user
        )
        batch.refresh_from_db()
        return Response(EventBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)
