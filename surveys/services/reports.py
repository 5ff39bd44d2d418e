"""The SMO's quarterly survey report to the Fund (O14): the quota lines per MO frozen when level 2 files it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from participants.models import Role, User
from surveys.models import ReportState, SurveyReport
from surveys.selectors.calls import quota_overview


@transaction.atomic
def survey_report_file(*, user: User, year: int, quarter: int) -> SurveyReport:
    """File (or file again, replacing the lines) the SMO's report of the quarter."""
    if user.role != Role.SMO_L2 or not user.organization_id:
        raise PermissionError("level 2 of an SMO files its survey report")
    lines = quota_overview(user, year, quarter)
    rows = [
        {
            "mo": line.mo.code if line.mo else "", "passed": line.passed, "quota_passed": line.quota_passed,
            "surveyed_passed": line.surveyed_passed, "informed_not_passed": line.informed_not_passed,
            "quota_informed": line.quota_informed, "surveyed_informed": line.surveyed_informed, "met": line.met,
        }
        for line in lines
    ]  # fmt: skip
    report, _created = SurveyReport.objects.update_or_create(
        smo_id=user.organization_id,
        year=year,
        quarter=quarter,
        defaults={
            "state": ReportState.FILED,
            "rows": rows,
            "quotas_met": all(row["met"] for row in rows),
            "filed_at": timezone.now(),
            "filed_by": user,
        },
    )
    return report
