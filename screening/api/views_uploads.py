"""API of list uploads: upload a file, follow its processing, read the protocol [R II.2, II.5, II.6].

POST /uploads/ (MO staff; multipart ``file``, ``kind``) → 201 with the upload and its status URL;
GET /uploads/, /uploads/{id}/ — progress and counts (MO: its own; the Fund and the Ministry: all, counts only);
GET /uploads/{id}/protocol.xml, protocol.xlsx, /uploads/{id}/errors/ — the protocol (MO and Fund; it names persons
as the MO wrote them, so the Ministry gets 404 and every read is audited).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from omsportal.access import SIGNED_IN
from omsportal.api.base import ScopedAPIMixin
from omsportal.audit import audit_record
from omsportal.exports import attachment
from omsportal.models import AuditAction
from screening.access import UPLOAD_LISTS, WORK_WITH_UPLOADS
from screening.formats.flk import protocol_temp_file
from screening.models import ListUpload, ProtocolError
from screening.selectors.lists import PROTOCOL_STATUSES, correction_clocks
from screening.selectors.protocols import protocol_errors
from screening.services.list_upload import list_upload_confirm_replace, list_upload_create
from screening.views.uploads import XLSX_CONTENT_TYPE, XML_CONTENT_TYPE, answer_download, protocol_filename

from .serializers_uploads import ListUploadCreateSerializer, ListUploadSerializer, ProtocolErrorSerializer


class ListUploadFilterSet(django_filters.FilterSet):
    mo = django_filters.CharFilter(field_name="mo__code", label=_("Код МО"))

    class Meta:
        model = ListUpload
        fields = ["year", "kind", "status", "is_current", "mo"]


@extend_schema_view(
    list=extend_schema(summary=_("Загрузки списков"), tags=["uploads"]),
    retrieve=extend_schema(summary=_("Загрузка: ход обработки и итоги протокола"), tags=["uploads"]),
)
class ListUploadViewSet(ScopedAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Uploads of ZL_LIST files and their protocols; scoped by screening/access.py (another MO's → 404)."""

    queryset = ListUpload.objects.select_related("mo", "uploaded_by")
    serializer_class = ListUploadSerializer
    # Every signed-in user reads what the scope gives (the Fund and the Ministry all, counts only for the Ministry);
    # only MO staff post, a POST from anyone else is 403.
    capability = SIGNED_IN
    write_capability = UPLOAD_LISTS
    filterset_class = ListUploadFilterSet
    ordering_fields = ["created_at", "id", "year"]
    ordering = ["-created_at"]
    lookup_value_regex = r"[0-9]+"

    def get_serializer_class(self):
        if self.action == "create":
            return ListUploadCreateSerializer
        if self.action == "errors":
            return ProtocolErrorSerializer
        return ListUploadSerializer

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        objects = list(page) if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "clocks": correction_clocks(objects)}
        data = ListUploadSerializer(objects, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary=_("Загрузить список"),
        description=_(
            "Принимает файл списка (multipart: file, kind, необязательно year и confirm_replace) и ставит его в "
            "обработку. Ответ 201 содержит номер загрузки и адрес, по которому видно ход обработки и итоги "
            "протокола. Файл, который удалил бы из действующего списка больше установленной доли, ждёт "
            "подтверждения (статус HELD), если не передан confirm_replace=true."
        ),
        request={"multipart/form-data": ListUploadCreateSerializer},
        responses={201: ListUploadSerializer, 400: OpenApiResponse(description=_("Файл не принят"))},
        tags=["uploads"],
    )
    def create(self, request, *args, **kwargs):
        if request.user.organization_id is None:
            raise ValidationError({"detail": _("Пользователь не привязан к МО.")})
        serializer = ListUploadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            upload = list_upload_create(
                mo=request.user.organization,
                file=data["file"],
                original_name=data["file"].name,
                uploaded_by=request.user,
                kind=data["kind"],
                year=data.get("year"),
                confirm_replace=data.get("confirm_replace", False),
            )
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from exc
        upload.refresh_from_db()  # inline (eager) processing may already have finished after the commit
        body = ListUploadSerializer(upload, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["links"]["status"]})

    def protocol_upload(self) -> ListUpload:
        """The upload whose protocol is asked for: in scope, a role that reads protocols, and a protocol issued."""
        if not WORK_WITH_UPLOADS.allows(self.request.user):
            raise Http404("No protocols for this role")
        upload = self.get_object()
        if upload.status not in PROTOCOL_STATUSES:
            raise Http404("The protocol is not ready")
        return upload

    @extend_schema(
        summary=_("Подтвердить замену списка"),
        description=_(
            "Загрузка в статусе HELD удалила бы из действующего списка МО больше установленной доли "
            "(OMS_LIST_REPLACE_CONFIRM_SHARE) и ждёт подтверждения. POST подтверждает замену: файл обрабатывается "
            "снова и заменяет список. Ответ 202 — загрузка в очереди."
        ),
        request=None,
        responses={202: ListUploadSerializer, 400: OpenApiResponse(description=_("Загрузка не ждёт подтверждения"))},
        tags=["uploads"],
    )
    @action(detail=True, methods=["post"], url_path="confirm-replace", url_name="confirm-replace")
    def confirm_replace(self, request, pk=None):
        upload = self.get_object()
        try:
            upload = list_upload_confirm_replace(upload_id=upload.pk, user=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from exc
        upload.refresh_from_db()
        body = ListUploadSerializer(upload, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=_("Записи протокола с замечаниями"),
        parameters=[
            OpenApiParameter("code", int, description=_("Код ошибки")),
            OpenApiParameter("n_zap", int, description=_("Номер записи N_ZAP")),
        ],
        responses={200: ProtocolErrorSerializer(many=True)},
        tags=["uploads"],
    )
    @action(detail=True, methods=["get"], url_path="errors", url_name="errors")
    def errors(self, request, pk=None):
        upload = self.protocol_upload()
        code, n_zap = _int_param(request, "code"), _int_param(request, "n_zap")
        queryset = protocol_errors(user=request.user, upload_id=upload.pk, code=code, n_zap=n_zap)
        page = self.paginate_queryset(queryset)
        objects = list(page) if page is not None else list(queryset)
        if objects:
            audit_record(
                user=request.user,
                action=AuditAction.LIST,
                person_count=len(objects),
                query={"upload": upload.pk, "code": code, "n_zap": n_zap, "page": request.query_params.get("page")},
                request=request,
                channel="api",
                object_type="protocol",
            )
        data = ProtocolErrorSerializer(objects, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary=_("Протокол FLK_P (XML)"),
        operation_id="uploads_protocol_xml",
        responses={(200, XML_CONTENT_TYPE): OpenApiTypes.BINARY},
        tags=["uploads"],
    )
    def protocol_xml(self, request, pk=None):
        return self._download("xml", XML_CONTENT_TYPE)

    @extend_schema(
        summary=_("Протокол (XLSX)"),
        operation_id="uploads_protocol_xlsx",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
        tags=["uploads"],
    )
    def protocol_xlsx(self, request, pk=None):
        return self._download("xlsx", XLSX_CONTENT_TYPE)

    @extend_schema(
        summary=_("Ответ для МИС в её формате"),
        description=_(
            "Для файла, прочитанного в формате МИС, который импортирует ответ (Пермский край — OSHIB_PR, Вологодская "
            "область — список с PROV, Псковская область — CSV с ERR): файл, названный так, как ждёт МИС, с номерами "
            "записей, как их прислала МО, и причиной отклонения по-русски. Для других файлов — 404."
        ),
        operation_id="uploads_answer",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        tags=["uploads"],
    )
    def answer(self, request, pk=None):
        return answer_download(request, self.protocol_upload(), channel="api")

    def _download(self, extension: str, content_type: str):
        upload = self.protocol_upload()
        content = protocol_temp_file(upload, extension)
        audit_record(
            user=self.request.user,
            action=AuditAction.EXPORT,
            person_count=ProtocolError.objects.filter(upload=upload).count(),
            query={"upload": upload.pk, "format": extension},
            request=self.request,
            channel="api",
            object_type="protocol",
        )
        return attachment(content, filename=protocol_filename(upload, extension), content_type=content_type)


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError({name: _("Ожидается целое число.")})
    return int(value)
