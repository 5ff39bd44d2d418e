"""The SMO's quarterly survey report to the Fund (O14): the quota lines per MO frozen when level 2 files it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from participants.models import Role, User
from surveys.models import ReportState, SurveyReport
from surveys.selectors.calls import quota_overview


@transaction.atomic
def survey_report_file(*, user: User, year: int, quarter: int) -> SurveyReport:
    """File (or file again, replacing the lines) the SMO's report of the quarter; filing again keeps the filing date
    unless it is the first filing with every quota met."""
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
    quotas_met = all(row["met"] for row in rows)
    report = SurveyReport.objects.select_for_update().filter(
        smo_id=user.organization_id, year=year, quarter=quarter
    ).first() or SurveyReport(smo_id=user.organization_id, year=year, quarter=quarter)
    # Filing again replaces the lines but keeps the date the report's outcome holds from: a report filed on time
    # stays filed on time (and O14 met on time) when it is filed again. Only a filing that first meets every quota
    # dates from now: O14 is met on that day, not on the earlier filing that did not meet it.
    keeps_date = (
        report.pk is not None and report.state == ReportState.FILED and report.filed_at is not None
        and (report.quotas_met or not quotas_met)
    )  # fmt: skip
    report.state, report.rows, report.quotas_met = ReportState.FILED, rows, quotas_met
    if not keeps_date:
        report.filed_at = timezone.now()
    report.filed_by = user
    report.save()
    return report
