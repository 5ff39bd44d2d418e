"""Builders of the evidence the engine reads, on chosen days: uploads with protocols, batches of events, filings."""

from __future__ import annotations

import datetime

from django.utils import timezone

from screening.models import EventBatch, ListKind, ListUpload, UploadStatus


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def upload_on(region, day: datetime.date, *, mo=None, year=None, kind=ListKind.YEARLY, rejected=0, status=None):
    """A processed list upload of ``mo`` (MO 1) made on ``day``, its protocol issued at once."""
    mo = mo or region.mo1
    row = ListUpload.objects.create(
        mo=mo,
        year=year or day.year,
        kind=kind,
        file="lists/test.xml",
        original_name="PROF_M270001.xml",
        uploaded_by=region.mo1_user if mo == region.mo1 else region.mo2_user,
        status=status or UploadStatus.DONE,
        records_accepted=10,
        records_rejected=rejected,
        protocol_issued_at=at(day, 13),
    )
    ListUpload.objects.filter(pk=row.pk).update(created_at=at(day))
    return ListUpload.objects.get(pk=row.pk)


def batch_on(region, day: datetime.date, mo=None):
    mo = mo or region.mo1
    row = EventBatch.objects.create(mo=mo, posted_by=region.mo1_user, status="DONE", source="API")
    EventBatch.objects.filter(pk=row.pk).update(created_at=at(day))
    return row
