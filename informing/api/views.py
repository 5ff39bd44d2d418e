"""API of informing facts [R II.12]: SMO level 2 posts facts (a JSON batch at once, INFORM files in the
background); SMO L2/L3 read the facts of their insured and their uploads, the Fund all.

POST /api/v1/informing/facts/    {"facts": [{"ENP", "KIND", "CHANNEL", "DATE", "RESULT", "REF", "AGENT"}, ...]}
GET  /api/v1/informing/facts/    scoped list (audited)
POST /api/v1/informing/uploads/  multipart "file" (+ "kind": INFORM or DELIVERY), processed in the background (202)
GET  /api/v1/informing/uploads/  uploads with counts and the protocol of bad records
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from omsportal.api.base import AuditedReadMixin, ScopedViewSet

from ..access import READ_INFORMING, WORK_INFORMING
from ..models import InformingFact, InformUpload
from ..services.uploads import inform_records_post, inform_upload_create
from .serializers import FactsPostSerializer, InformFileSerializer, InformingFactSerializer, InformUploadSerializer


@extend_schema_view(
    list=extend_schema(summary=_("Факты информирования"), tags=["informing"]),
    retrieve=extend_schema(summary=_("Факт информирования"), tags=["informing"]),
    create=extend_schema(
        summary=_("Передать факты информирования (JSON)"),
        description=_("До 10 000 фактов за запрос, загружаются сразу; повторный факт сохраняется один раз. Ответ — "
                      "загрузка с протоколом отклонённых записей (номер, поле, причина)."),
        request=FactsPostSerializer, responses={201: InformUploadSerializer}, tags=["informing"],
    ),
)  # fmt: skip
class InformingFactViewSet(AuditedReadMixin, ScopedViewSet):
    queryset = InformingFact.objects.select_related("person", "smo")
    serializer_class = InformingFactSerializer
    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    parser_classes = [JSONParser]
    ordering_fields = ["date", "posted_at", "id"]
    ordering = ["-date", "-id"]

    def create(self, request, *args, **kwargs):
        serializer = FactsPostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = inform_records_post(smo=request.user.organization, records=serializer.validated_data["facts"],
                                     posted_by=request.user)  # fmt: skip
        return Response(InformUploadSerializer(upload).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Загрузки фактов информирования"), tags=["informing"]),
    retrieve=extend_schema(summary=_("Загрузка: статус, счётчики, протокол"), tags=["informing"]),
    create=extend_schema(summary=_("Передать файл INFORM или отчёт о доставке"),
                         request={"multipart/form-data": InformFileSerializer},
                         responses={202: InformUploadSerializer}, tags=["informing"]),
)  # fmt: skip
class InformUploadViewSet(ScopedViewSet):
    queryset = InformUpload.objects.select_related("smo")
    serializer_class = InformUploadSerializer
    capability = READ_INFORMING
    write_capability = WORK_INFORMING
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def create(self, request, *args, **kwargs):
        serializer = InformFileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        file = serializer.validated_data["file"]
        upload = inform_upload_create(smo=request.user.organization, file=file, original_name=file.name,
                                      uploaded_by=request.user, kind=serializer.validated_data["kind"])  # fmt: skip
        upload.refresh_from_db()
        return Response(InformUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)
