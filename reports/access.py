"""Who sees which obligations, non-compliance records, filed reports, the dashboard and the coverage [domain §2, §8].

- every participant: its own organization's obligations (home page) and non-compliance records;
- the Fund: everything; reviews non-compliance (confirm, dismiss with a reason) and forwards confirmed records to
  the Ministry; the dashboard is its home page; persons behind a figure only through the screening pages' scope;
- the Ministry: the coverage against the plan and the forwarded records (organizations, never persons);
- SMO level 2: drafts and files its reports (O5, O13, O17).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.access import Capability, MenuItem, declare_menu, declare_scope
from omsportal.roles import FUND_ONLY, PARTICIPANT_ROLES, REGION_ROLES
from participants.models import Role
from reports.models import Filing, NonCompliance, ObligationRun, ObligationState, ReviewStatus

READ_OBLIGATIONS = Capability("reports.read_obligations", PARTICIPANT_ROLES, _("Видит сроки своих обязательств"))
READ_NONCOMPLIANCE = Capability("reports.read_noncompliance", PARTICIPANT_ROLES, _("Видит нарушения сроков"))
REVIEW_NONCOMPLIANCE = Capability(
    "reports.review_noncompliance", FUND_ONLY, _("Рассматривает нарушения и направляет их в министерство")
)
FILE_REPORTS = Capability(
    "reports.file_reports", {Role.SMO_L2}, _("Представляет отчёты СМО (О5, О13, О17)"), needs_organization=True
)
READ_FILINGS = Capability("reports.read_filings", {Role.SMO_L2, Role.FUND}, _("Видит отчёты СМО"))
READ_DASHBOARD = Capability("reports.dashboard", FUND_ONLY, _("Мониторинг ТФОМС"))
READ_MINISTRY_REPORT = Capability(
    "reports.ministry_report", REGION_ROLES, _("Получает отчёт о нарушениях сроков (XLSX, PDF)")
)
READ_COVERAGE = Capability("reports.coverage", REGION_ROLES, _("Охват профилактическими мероприятиями против плана"))


def noncompliance_scope(user) -> Q | None:
    """The Fund every record; the Ministry those forwarded to it; an organization its own."""
    if not READ_NONCOMPLIANCE.allows(user):
        return None
    if user.role == Role.FUND:
        return Q()
    if user.role == Role.MINISTRY:
        return Q(status=ReviewStatus.FORWARDED)
    return Q(organization_id=user.organization_id) if user.organization_id else None


def state_scope(user) -> Q | None:
    if not READ_OBLIGATIONS.allows(user):
        return None
    if user.role in REGION_ROLES:
        return Q()
    return Q(organization_id=user.organization_id) if user.organization_id else None


def filing_scope(user) -> Q | None:
    if not READ_FILINGS.allows(user):
        return None
    if user.role == Role.FUND:
        return Q()
    return Q(organization_id=user.organization_id) if user.organization_id else None


def run_scope(user) -> Q | None:
    return Q() if READ_DASHBOARD.allows(user) else None


declare_scope(NonCompliance, noncompliance_scope, object_type="noncompliance")
declare_scope(ObligationState, state_scope, object_type="obligation_state")
declare_scope(Filing, filing_scope, object_type="filing")
declare_scope(ObligationRun, run_scope, object_type="obligation_run")

declare_menu(
    MenuItem(_("Мониторинг"), "reports:dashboard", READ_DASHBOARD, "speedometer2", order=58, section="reports"),
    MenuItem(_("Охват"), "reports:coverage", READ_COVERAGE, "bar-chart", order=60, section="reports"),
    # An MO's or an SMO's own records are on its home page (with the link): its menu stays one short row.
    MenuItem(
        _("Нарушения сроков"), "reports:noncompliance", READ_NONCOMPLIANCE, "exclamation-triangle", order=64,
        section="reports", hidden_for=frozenset({Role.MO_STAFF, Role.SMO_L1, Role.SMO_L2, Role.SMO_L3}),
    ),
    MenuItem(_("Отчёты СМО"), "reports:filings", READ_FILINGS, "file-earmark-text", order=62, section="reports"),
)
