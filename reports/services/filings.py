"""Reports an organization files for an obligation: the portal drafts the content, the organization files it.

O5 [R II.7] the SMO's list of MOs that did not submit lists for the year; O13 [R II.14] the SMO's monthly
accounting of its insured on the lists; O17 [R II.19–20] its monthly analytic register; O6 [R II.8] the Fund's
report to the Ministry (filed when the Fund forwards confirmed non-compliance). Contents are counts and
organizations, never persons.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from reports.models import Filing
from reports.selectors.filings import draft


@transaction.atomic
def file_report(*, user, code: str, period_key: str, when: datetime.datetime | None = None) -> Filing:
    """File (or file again, with a fresh draft) the report ``code`` of the user's organization."""
    organization = user.organization
    filing, _created = Filing.objects.select_for_update().get_or_create(
        code=code, organization=organization, period_key=period_key
    )
    filing.content = draft(code, organization, period_key)
    if filing.filed_at is None:
        filing.filed_at = when or timezone.now()
    filing.filed_by = user
    filing.save()
    return filing
