"""The obligation the surveys' data judge, declared to the registry (omsportal.obligations) [domain §3].

O14 (R II.14): each quarter an SMO's level 1 surveys by phone at least 0.5 % of the persons who passed and at least
50 % of those informed who did not pass, per MO (surveys.quotas). Due at the end of the quarter (a calendar date:
a day off moves it to the next working day [domain §3, "Counting a deadline"]). Met when the SMO filed its quarterly
survey report to the Fund with every MO's quota met: the report's date is the evidence.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.obligations import QUARTER, Obligation, Period, declare_obligation
from omsportal.workdays import first_working_day_on_or_after
from participants.models import OrganizationKind
from surveys.models import ReportState, SurveyReport
from surveys.quotas import quarter_bounds


def quarter_end_due(period: Period, rules) -> datetime.date:
    """The quarter's last day, or N calendar days after it (the regional parameter); the next working day when it
    is a day off."""
    end = quarter_bounds(period.year, period.number)[1]
    return first_working_day_on_or_after(end + datetime.timedelta(days=rules.survey_report_days_after_quarter))


def survey_report_filed_on(smo_id: int, period: Period) -> datetime.date | None:
    """The day the SMO filed the quarter's survey report with every quota met."""
    filed = (
        SurveyReport.objects.filter(
            smo_id=smo_id, year=period.year, quarter=period.number, state=ReportState.FILED, quotas_met=True
        )
        .values_list("filed_at", flat=True)
        .first()
    )
    return timezone.localdate(filed) if filed else None


declare_obligation(
    Obligation(
        "O14", "R II.14", OrganizationKind.SMO,
        _("Телефонные опросы: не менее 0,5 % прошедших и 50 % проинформированных, но не прошедших, по МО за квартал"),
        QUARTER, quarter_end_due, survey_report_filed_on,
        _("квартальный отчёт об опросах представлен в ТФОМС, квоты всех МО выполнены"),
    )
)  # fmt: skip
