"""The e-mail digest: each organization's users get what falls due in the next working days (a regional
parameter) and what is overdue, through Django's mail (SMTP in production) [domain §3]."""

from __future__ import annotations

import datetime
import logging

from django.core.mail import get_connection, send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from omsportal.regional import regional_rules
from participants.models import Organization, User
from reports.selectors.states import organization_obligations

logger = logging.getLogger(__name__)


def send_digests(day: datetime.date | None = None) -> int:
    """One letter per organization with something due soon or overdue, to its active users with an e-mail; returns
    the letters sent."""
    day = day or datetime.date.today()
    horizon = regional_rules().digest_working_days
    sent = 0
    connection = get_connection()
    with translation.override("ru"):
        for organization in Organization.objects.filter(is_active=True).order_by("code"):
            owed = organization_obligations(organization, day, horizon_days=horizon)
            if not (owed["overdue"] or owed["due_soon"]):
                continue
            recipients = list(
                User.objects.filter(organization=organization, is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            )
            if not recipients:
                continue
            body = render_to_string(
                "reports/digest.txt", {"organization": organization, "owed": owed, "day": day}
            )
            subject = _("Портал ОМС: сроки обязательств на %(day)s") % {"day": day.strftime("%d.%m.%Y")}
            sent += send_mail(subject, body, None, recipients, connection=connection)
    logger.info("obligation digests sent: %s", sent)
    return sent
