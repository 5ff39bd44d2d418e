"""What the home page shows of reports: the Fund's home is its dashboard, the Ministry's its coverage view; every
other participant sees its organization's obligations there [domain §8]."""

from __future__ import annotations

from django.utils import timezone

from omsportal.regional import regional_rules
from participants.models import Role
from reports.access import READ_OBLIGATIONS
from reports.selectors.states import organization_obligations


def home_view(user):
    """The view that answers the home page for ``user``'s role, or None for the ordinary home page."""
    from reports.views.dashboard import CoverageView, DashboardView

    view = {Role.FUND: DashboardView, Role.MINISTRY: CoverageView}.get(user.role)
    return view.as_view() if view else None


def home_obligations(user) -> dict | None:
    """The organization's obligations; an overdue or late one links to its non-compliance record (its evidence)."""
    from reports.models import NonCompliance

    if not READ_OBLIGATIONS.allows(user) or user.organization is None:
        return None
    owed = organization_obligations(
        user.organization, timezone.localdate(), horizon_days=regional_rules().digest_working_days
    )
    shown = owed["overdue"][:30] + owed["late"]
    records = {}
    if shown:
        rows = NonCompliance.objects.filter(
            organization=user.organization,
            code__in={row.code for row in shown},
            period_key__in={row.period_key for row in shown},
        ).values_list("code", "period_key", "pk")
        records = {(code, key): pk for code, key, pk in rows}
    for row in shown:
        row.record_id = records.get((row.code, row.period_key))
    return owed
