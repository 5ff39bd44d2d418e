"""Reads of the SMOs' quarterly survey reports, with the due date and state of O14."""

from __future__ import annotations

from django.utils import timezone

from omsportal.obligations import Period, obligation
from participants.models import Organization, OrganizationKind, Role, User
from surveys.models import ReportState, SurveyReport


def survey_reports_for_user(user: User, year: int, quarter: int) -> list[dict]:
    """One line per SMO the user may see (level 2: its own; the Fund: every SMO): the report, if filed, its state
    against the O14 due date (filed on time / late / not filed, overdue once the due date has passed)."""
    if user.role == Role.FUND:
        smos = list(Organization.objects.filter(kind=OrganizationKind.SMO, is_active=True).order_by("code"))
    elif user.role == Role.SMO_L2 and user.organization_id:
        smos = [user.organization]
    else:
        return []
    due = obligation("O14").due_on(Period.of_quarter(year, quarter))
    reports = {r.smo_id: r for r in SurveyReport.objects.filter(year=year, quarter=quarter, smo__in=smos)}
    today = timezone.localdate()
    lines = []
    for smo in smos:
        report = reports.get(smo.pk)
        filed = report is not None and report.state == ReportState.FILED
        filed_on = timezone.localdate(report.filed_at) if filed and report.filed_at else None
        lines.append(
            {
                "smo": smo,
                "report": report,
                "due": due,
                "filed_on": filed_on,
                "late": bool(filed_on and filed_on > due),
                "overdue": not filed and today > due,
            }
        )
    return lines
