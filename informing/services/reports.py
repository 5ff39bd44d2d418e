"""The SMO's quarterly report on channel effectiveness to the Fund (O12) and the Fund's monthly control of SMO
informing (O11), each kept as recorded [R II.10, II.13]."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from participants.models import Organization, User

from ..models import ChannelReport, ControlRun


def channel_report_file(*, smo: Organization, year: int, quarter: int, user: User, channels: list[dict]) -> bool:
    """File the quarter's report with its figures; False when it was filed already (one per SMO and quarter)."""
    try:
        with transaction.atomic():
            ChannelReport.objects.create(smo=smo, year=year, quarter=quarter, filed_by=user,
                                         data={"channels": channels})  # fmt: skip
    except IntegrityError:
        return False
    return True


def control_run_record(*, year: int, month: int, user: User, rows: list[dict]) -> ControlRun:
    """Record a run of the O11 control of a month with the counts it showed."""
    return ControlRun.objects.create(year=year, month=month, run_by=user, data={"rows": rows})
