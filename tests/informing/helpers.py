"""Builders for the informing tests: list entries on an accepted list, facts, stage states."""

from __future__ import annotations

import datetime

from django.utils import timezone

from informing.models import Channel, Kind, Outcome
from informing.services import FactInput, facts_record
from informing.services.texts import template_create, version_approve, version_submit
from screening.models import ListEntry, ListUpload


def accepted_upload(mo, user, *, year: int, accepted: datetime.date) -> ListUpload:
    at = timezone.make_aware(datetime.datetime.combine(accepted, datetime.time(12)))
    return ListUpload.objects.create(
        mo=mo, year=year, file="lists/x.xml", original_name="x.xml", uploaded_by=user, status="DONE",
        protocol_issued_at=at, is_current=True,
    )  # fmt: skip


def entry(upload, person, *, smo, measure="DVN", month=None, quarter=None, state="LISTED", state_date=None, n=1):
    return ListEntry.objects.create(
        upload=upload, mo=upload.mo, year=upload.year, measure=measure, month=month, quarter=quarter, person=person,
        smo=smo, smo_code=smo.code, n_zap=n, state=state, state_date=state_date,
    )  # fmt: skip


def record_fact(smo, person, *, kind=Kind.INVITE, date, channel=Channel.SMS, outcome=Outcome.DELIVERED, ref="r"):
    posted = timezone.make_aware(datetime.datetime.combine(date, datetime.time(12)))
    return facts_record(
        smo=smo,
        facts=[FactInput(kind=kind, channel=channel, date=date, outcome=outcome, enp=person.enp, reference=ref)],
        acting_user=None,
        posted_at=posted,
    )


def approved(region, channel, body, subject=""):
    """An approved text of SMO 1 for invitations by ``channel``: written by its level 2, approved by the Fund."""
    template = template_create(smo=region.smo1, kind="INVITE", channel=channel, name=channel, body=body,
                               subject=subject, created_by=region.smo1_l2)  # fmt: skip
    version = template.versions.get()
    version_submit(version=version, user=region.smo1_l2)
    return version_approve(version=version, user=region.fund_user)
