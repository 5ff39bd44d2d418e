"""Serializers of the list-upload API: the upload job with progress and counts, the create request, protocol rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from screening.codes import meaning_of
from screening.formats.answers import answer_for
from screening.formats.dialects import dialect_label
from screening.forms import validate_list_file
from screening.models import ListKind, ListUpload, ProtocolError
from screening.selectors.lists import correction_clock, upload_progress


class ListUploadCreateSerializer(serializers.Serializer):
    """POST /uploads/: the file (multipart) and the kind of list; the year comes from the file header if omitted."""

    file = serializers.FileField(
        help_text=_("ZL_LIST в XML (можно в ZIP), CSV или XLSX, или выгрузка МИС в принятом регионом формате"),
        validators=[validate_list_file],
    )
    kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.YEARLY)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    confirm_replace = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Заменить действующий список, даже если файл удалит из него больше установленной доли "
            "(иначе загрузка ждёт подтверждения, статус HELD)"
        ),
    )


class UploadProgressSerializer(serializers.Serializer):
    """Records read / checked / written of all records in the file, and the percent done."""

    total = serializers.IntegerField()
    read = serializers.IntegerField()
    checked = serializers.IntegerField()
    written = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()


class UploadCountsSerializer(serializers.Serializer):
    """The protocol's counts: records accepted, rejected, warnings and problems per error code."""

    total = serializers.IntegerField(source="records_total")
    accepted = serializers.IntegerField(source="records_accepted")
    rejected = serializers.IntegerField(source="records_rejected")
    warnings = serializers.IntegerField()
    by_code = serializers.DictField(source="counts_by_code", child=serializers.IntegerField())


class CorrectionSerializer(serializers.Serializer):
    """The five-working-day correction clock after the protocol [R II.6]."""

    required = serializers.BooleanField()
    due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    corrected_by = serializers.IntegerField(allow_null=True)


class UploadLinksSerializer(serializers.Serializer):
    status = serializers.URLField()
    page = serializers.URLField()
    protocol_xml = serializers.URLField()
    protocol_xlsx = serializers.URLField()
    errors = serializers.URLField()
    confirm_replace = serializers.URLField()
    answer = serializers.URLField(
        allow_null=True, help_text=_("Ответ для МИС в её формате (null — формат файла ответа не предусматривает)")
    )


class ListUploadSerializer(serializers.ModelSerializer):
    """One upload: the file, its processing status and progress, the protocol's counts and where to get it."""

    mo_code = serializers.CharField(source="mo.code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    dialect_display = serializers.SerializerMethodField(
        help_text=_("Формат МИС, в котором прочитан файл (пусто — ZL_LIST портала)")
    )
    progress = serializers.SerializerMethodField()
    counts = UploadCountsSerializer(source="*", read_only=True)
    correction = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = ListUpload
        fields = [
            "id",
            "mo_code",
            "year",
            "kind",
            "kind_display",
            "measures",
            "original_name",
            "file_format",
            "dialect",
            "dialect_display",
            "header_filename",
            "created_at",
            "status",
            "status_display",
            "started_at",
            "finished_at",
            "processing_date",
            "progress",
            "counts",
            "file_error_code",
            "message",
            "protocol_issued_at",
            "correction_due",
            "correction",
            "is_current",
            "replace_confirmed",
            "replacement",
            "links",
        ]
        read_only_fields = fields

    def get_dialect_display(self, upload: ListUpload) -> str:
        return str(dialect_label(upload.dialect)) if upload.dialect else ""

    @extend_schema_field(UploadProgressSerializer)
    def get_progress(self, upload: ListUpload) -> dict:
        return UploadProgressSerializer(upload_progress(upload)).data

    @extend_schema_field(CorrectionSerializer)
    def get_correction(self, upload: ListUpload) -> dict:
        # The list view computes the clocks of a whole page in one query and passes them in the context.
        clock = self.context.get("clocks", {}).get(upload.pk) or correction_clock(upload)
        return CorrectionSerializer(
            {
                "required": clock.required,
                "due": clock.due,
                "overdue": clock.overdue,
                "corrected_by": clock.correction.pk if clock.correction else None,
            }
        ).data

    @extend_schema_field(UploadLinksSerializer)
    def get_links(self, upload: ListUpload) -> dict:
        request = self.context.get("request")

        def absolute(url: str) -> str:
            return request.build_absolute_uri(url) if request is not None else url

        return UploadLinksSerializer(
            {
                "status": absolute(reverse("screening_api:upload-detail", args=[upload.pk])),
                "page": absolute(reverse("screening:upload_detail", args=[upload.pk])),
                "protocol_xml": absolute(reverse("screening_api:upload-protocol-xml", args=[upload.pk])),
                "protocol_xlsx": absolute(reverse("screening_api:upload-protocol-xlsx", args=[upload.pk])),
                "errors": absolute(reverse("screening_api:upload-errors", args=[upload.pk])),
                "confirm_replace": absolute(reverse("screening_api:upload-confirm-replace", args=[upload.pk])),
                "answer": absolute(reverse("screening_api:upload-answer", args=[upload.pk]))
                if answer_for(upload)
                else None,
            }
        ).data


class ProtocolErrorSerializer(serializers.ModelSerializer):
    """One problem (PR) of the protocol with its Russian meaning."""

    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    meaning = serializers.SerializerMethodField()

    class Meta:
        model = ProtocolError
        fields = [
            "n_zap",
            "code",
            "severity",
            "severity_display",
            "meaning",
            "field",
            "base_element",
            "comment",
            "measure",
            "person_label",
        ]
        read_only_fields = fields

    def get_meaning(self, error: ProtocolError) -> str:
        return meaning_of(error.code)
