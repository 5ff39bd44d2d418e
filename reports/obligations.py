"""The obligations whose evidence lives in reports, declared to the registry (omsportal.obligations) [domain §3].

O5 the SMO's list of MOs without lists (R II.7), O6 the Fund's report to the Ministry (R II.8), O13 the SMO's
monthly accounting (R II.14), O17 its monthly analytic register (R II.19–20): each is met when the organization
files the report the portal drafts (reports.services.filings). O18, the DN follow-up of level 3 (R II.21), needs
the invoice registers' DN visits, which a later issue loads: declared without a judge, it shows "no data".
"""

from __future__ import annotations

import calendar
import datetime

from django.utils.translation import gettext_lazy as _

from omsportal.obligations import MONTH, YEAR, Obligation, Period, declare_obligation
from omsportal.workdays import add_working_days, first_working_day_on_or_after, last_working_day_of_month
from participants.models import OrganizationKind
from reports.selectors.filings import filed_on


def _months_after(period: Period, months: int) -> tuple[int, int]:
    index = period.year * 12 + period.number - 1 + months
    return index // 12, index % 12 + 1


# --- O5, R II.7: the SMO informs the Fund of the MOs without lists, by 15 January -----------------------------------


def missing_lists_due(period: Period, rules) -> datetime.date:
    """A calendar date (15 January by default): a day off moves it to the next working day."""
    return rules.missing_lists_report_due(period.year)


def missing_lists_filed_on(smo_id: int, period: Period) -> datetime.date | None:
    return filed_on("O5", smo_id, str(period.year))


# --- O6, R II.8: the Fund informs the Ministry of the MOs that failed, after the SMOs' lists ------------------------


def fund_report_due(period: Period, rules) -> datetime.date:
    """N working days (a regional parameter) after the SMOs' O5 deadline."""
    return add_working_days(rules.missing_lists_report_due(period.year), rules.fund_report_working_days)


def fund_report_filed_on(fund_id, period: Period) -> datetime.date | None:
    from participants.models import Organization

    fund = Organization.objects.filter(kind=OrganizationKind.FUND).values_list("pk", flat=True).first()
    return filed_on("O6", fund, str(period.year)) if fund else None


# --- O13, R II.14: the monthly accounting by the 25th of the second month after the reporting one -------------------


def accounting_due(period: Period, rules) -> datetime.date:
    """A calendar date (the 25th by default; the month's last day where it is shorter), moved off a day off."""
    year, month = _months_after(period, 2)
    day = min(rules.accounting_day, calendar.monthrange(year, month)[1])
    return first_working_day_on_or_after(datetime.date(year, month, day))


def accounting_filed_on(smo_id: int, period: Period) -> datetime.date | None:
    return filed_on("O13", smo_id, f"{period.year}-{period.number:02d}")


# --- O17, R II.19–20: the monthly analytic register, by the last working day of the month after (a parameter) ------


def register_due(period: Period, rules) -> datetime.date:
    """The last working day of the month after (N months after: the regional parameter; 0: the same month)."""
    year, month = _months_after(period, rules.analytic_register_months_after)
    return last_working_day_of_month(year, month)


def register_filed_on(smo_id: int, period: Period) -> datetime.date | None:
    return filed_on("O17", smo_id, f"{period.year}-{period.number:02d}")


# --- O18, R II.21: DN follow-up, continuous; judged monthly once the DN visits are known --------------------------


def month_end(period: Period, _rules) -> datetime.date:
    return last_working_day_of_month(period.year, period.number)


OBLIGATIONS = (
    Obligation(
        "O5", "R II.7", OrganizationKind.SMO, _("Перечень МО, не представивших списки, для ТФОМС"),
        YEAR, missing_lists_due, missing_lists_filed_on, _("перечень представлен (проект готовит портал)"),
    ),
    Obligation(
        "O6", "R II.8", OrganizationKind.FUND,
        _("Контроль полноты и качества сведений МО; перечень не исполнивших — в министерство"),
        YEAR, fund_report_due, fund_report_filed_on, _("нарушения направлены в министерство"),
    ),
    Obligation(
        "O13", "R II.14", OrganizationKind.SMO,
        _("Ежемесячный учёт: прошедшие, не обратившиеся, подлежащие 2 этапу и отказавшиеся"),
        MONTH, accounting_due, accounting_filed_on, _("учёт сформирован"),
    ),
    Obligation(
        "O17", "R II.19–20", OrganizationKind.SMO,
        _("Ежемесячный аналитический учёт по группам здоровья и хроническим заболеваниям"),
        MONTH, register_due, register_filed_on, _("аналитический учёт сформирован"),
    ),
    Obligation(
        "O18", "R II.21", OrganizationKind.SMO, _("Контроль диспансерного наблюдения (СП 3 уровня)"),
        MONTH, month_end, None, _("просроченные визиты ДН отработаны (нужны реестры счетов)"),
    ),
)  # fmt: skip
for _obligation in OBLIGATIONS:
    declare_obligation(_obligation)
