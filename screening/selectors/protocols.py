"""Reads of protocols: the summary of an upload and its problem rows, always scoped to the user [domain §2, §4]."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from omsportal.scoping import restrict
from participants.models import User
from screening.codes import ERROR_CODES, meaning_of
from screening.models import ListUpload, ProtocolError


def _upload_for(user: User, upload_id: int) -> ListUpload:
    try:
        return restrict(ListUpload.objects.select_related("mo"), user).get(pk=upload_id)
    except ListUpload.DoesNotExist as exc:
        raise Http404("Upload not found") from exc


def protocol_summary(*, user: User, upload_id: int) -> dict:
    """Header facts and counts by code (with Russian meanings) of one upload's protocol; 404 outside the scope."""
    upload = _upload_for(user, upload_id)
    codes = [
        {
            "code": int(code),
            "severity": ERROR_CODES.get(int(code), ("E", ""))[0],
            "meaning": meaning_of(int(code)),
            "count": count,
        }
        for code, count in sorted((upload.counts_by_code or {}).items(), key=lambda item: int(item[0]))
    ]
    return {
        "upload": upload,
        "status": upload.status,
        "file_error_code": upload.file_error_code,
        "file_error_meaning": meaning_of(upload.file_error_code) if upload.file_error_code else "",
        "message": upload.message,
        "year": upload.year,
        "measures": list(upload.measures),
        "records_total": upload.records_total,
        "records_accepted": upload.records_accepted,
        "records_rejected": upload.records_rejected,
        "warnings": upload.warnings,
        "protocol_issued_at": upload.protocol_issued_at,
        "correction_due": upload.correction_due,
        "is_current": upload.is_current,
        "codes": codes,
    }


def protocol_errors(
    *, user: User, upload_id: int, code: int | None = None, n_zap: int | None = None
) -> QuerySet[ProtocolError]:
    """The problem rows of one upload's protocol (optionally one code / one record); 404 outside the scope."""
    upload = _upload_for(user, upload_id)
    queryset = ProtocolError.objects.filter(upload=upload)
    if code is not None:
        queryset = queryset.filter(code=code)
    if n_zap is not None:
        queryset = queryset.filter(n_zap=n_zap)
    return queryset.order_by("n_zap", "code", "measure", "id")
