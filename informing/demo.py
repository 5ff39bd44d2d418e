"""The informing part of the demo year (omsportal.demo): texts approved by the Fund, invitations as documented facts,
a few opt-outs — all through the app's services, as the demo user who does it.

Each SMO's level-2 user writes an SMS invitation and submits it, the Fund's user approves it; then the SMO posts the
invitation facts of its listed persons whose quarter has begun, dated within the quarter's first working days (Q1:
after the lists' acceptance), each posted the next working day — and a few a week late, as happens (O10) — by SMS
where the person has a mobile phone, else by post; about one in ten SMS is not delivered. A few persons refuse
informing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from omsportal.demo import DemoContext, DemoStep, declare_demo_step
from omsportal.workdays import add_working_days
from participants.models import OrganizationKind, Person, Role
from screening.models import ListEntry

from .models import Channel, Kind, Outcome
from .services import FactInput, facts_record, opt_out_record
from .services.texts import template_create, version_approve, version_submit

SHARE_NOT_DELIVERED = 0.1
SHARE_LATE = 0.05
SHARE_OPT_OUT = 0.005
INVITATION = "{имя_отчество}, приглашаем Вас на профилактический осмотр в {мо} ({адрес_мо}). Тел. СМО {телефон_смо}"


def _texts(ctx: DemoContext) -> int:
    fund = ctx.user(Role.FUND)
    made = 0
    for smo in ctx.organizations(OrganizationKind.SMO):
        try:
            l2 = ctx.user(Role.SMO_L2, smo)
        except LookupError:
            continue
        template = template_create(smo=smo, kind=Kind.INVITE, channel=Channel.SMS, name="Приглашение (СМС)",
                                   body=INVITATION, created_by=l2)  # fmt: skip
        version = version_submit(version=template.versions.get(), user=l2)
        version_approve(version=version, user=fund)
        made += 1
    return made


def _facts(ctx: DemoContext) -> str:
    texts = _texts(ctx)
    rng = ctx.rng("informing.facts")
    today = ctx.today
    quarter_now = (today.month - 1) // 3 + 1
    total = late = 0
    for smo in ctx.organizations(OrganizationKind.SMO):
        try:
            l2 = ctx.user(Role.SMO_L2, smo)
        except LookupError:
            continue
        rows = (
            ListEntry.objects.filter(year=ctx.year, smo=smo, measure__in=("DVN", "PMO"))
            .values_list("person_id", "month", "person__phone")
            .order_by("person_id")
        )
        by_day: dict[tuple[datetime.date, bool], list[FactInput]] = defaultdict(list)
        for person_id, month, phone in rows:
            quarter = ((month or 1) - 1) // 3 + 1
            if quarter > quarter_now:
                continue
            start = datetime.date(ctx.year, 3 * quarter - 2, 1) - datetime.timedelta(days=1)
            day = add_working_days(start, rng.randint(1, 8)) if quarter > 1 else datetime.date(ctx.year, 1, 12)
            if day >= today:
                continue
            channel = Channel.SMS if (phone or "").startswith("+79") else Channel.POST
            outcome = Outcome.NOT_DELIVERED if channel == Channel.SMS and rng.random() < SHARE_NOT_DELIVERED else (
                Outcome.DELIVERED)  # fmt: skip
            is_late = rng.random() < SHARE_LATE
            by_day[(day, is_late)].append(
                FactInput(n=person_id, person_id=person_id, kind=Kind.INVITE, channel=channel, date=day,
                          outcome=outcome, reference=f"demo-{smo.code}-{person_id}" if channel == Channel.SMS else "",
                          agent_login=l2.username)
            )  # fmt: skip
        for (day, is_late), facts in sorted(by_day.items()):
            posted = add_working_days(day, 5 if is_late else 1)
            posted = min(posted, today)
            result = facts_record(smo=smo, facts=facts, acting_user=l2, posted_at=ctx.moment(posted, 17))
            total += result.accepted
            late += result.late
        refusing = [p for p, _m, _ph in rows[:2000] if rng.random() < SHARE_OPT_OUT]
        for person in Person.objects.filter(pk__in=refusing):
            opt_out_record(person=person, acting_user=l2)
    return f"{texts} текстов согласовано, {total} фактов информирования (с опозданием {late})"


declare_demo_step(DemoStep("informing.facts", 500, _facts, _("Тексты и факты информирования")))
