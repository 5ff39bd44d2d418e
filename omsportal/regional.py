"""The one typed accessor of the region's rule parameters (omsportal.models.RegionalParameters).

Selectors, services and the obligations registry read a parameter as ``regional_rules().correction_working_days``
and nothing else: never ``getattr(settings, ...)``, never a constant of their own. Without the row (a fresh
database before its migration, a test) the model's defaults apply, which are the regulation's [domain §3].
Read once per operation (a page, a job) and pass the values on: each call is one small query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from decimal import Decimal

from omsportal.models import RegionalParameters
from omsportal.workdays import add_working_days, first_working_day_on_or_after, last_working_day_of_year


@dataclass(frozen=True)
class RegionalRules:
    """The parameters as plain typed values (see the model's help texts for the clause of each)."""

    year_plan_due_month: int
    year_plan_due_day: int
    missing_lists_report_due_month: int
    missing_lists_report_due_day: int
    correction_working_days: int
    informing_working_days: int
    informing_fact_days: int
    channel_report_day: int
    accounting_day: int
    repeat_informing_months: int
    stage2_notice_months: int
    survey_quota_passed_percent: Decimal
    survey_quota_informed_percent: Decimal
    call_tries: int
    call_claim_minutes: int
    appeal_written_days: int
    otp_lifetime_hours: int
    list_dialects: tuple[str, ...]
    fund_report_working_days: int
    digest_working_days: int
    lists_due_working_days_before: int
    schedule_due_working_days_before: int
    control_days_after_month: int
    survey_report_days_after_quarter: int
    analytic_register_months_after: int
    informing_month_days_after: int

    def year_plan_due(self, year: int) -> datetime.date:
        """O1, R II.1: the yearly plan is approved by this day of the plan year (a day off: the next working day)."""
        return first_working_day_on_or_after(datetime.date(year, self.year_plan_due_month, self.year_plan_due_day))

    def missing_lists_report_due(self, year: int) -> datetime.date:
        """O5, R II.7: the SMO's list of MOs without lists for ``year`` is due by this day of ``year`` (a day off: the
        next working day)."""
        return first_working_day_on_or_after(
            datetime.date(year, self.missing_lists_report_due_month, self.missing_lists_report_due_day)
        )

    def lists_due(self, year: int) -> datetime.date:
        """O2, R II.2: the lists for ``year`` are due by the last working day of the year before (or N working days
        earlier): a working day already, never moved."""
        return add_working_days(last_working_day_of_year(year - 1), -self.lists_due_working_days_before)

    def schedule_due(self, year: int) -> datetime.date:
        """O20, R II.24: the schedule of preventive work for ``year``, like the lists, before the year."""
        return add_working_days(last_working_day_of_year(year - 1), -self.schedule_due_working_days_before)

    @property
    def otp_lifetime(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.otp_lifetime_hours)


_NAMES = tuple(field.name for field in fields(RegionalRules))


def regional_rules() -> RegionalRules:
    """The region's parameters now: the administrator's row, or the regulation's defaults."""
    row = RegionalParameters.objects.filter(pk=1).first() or RegionalParameters()
    values = {name: getattr(row, name) for name in _NAMES}
    values["list_dialects"] = tuple(values["list_dialects"] or ())
    return RegionalRules(**values)
