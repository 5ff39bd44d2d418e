"""Reads of the obligations' states: as of a day, per organization, per obligation and state; the codes nobody
declares yet read as "no data" (reports.catalogue)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from omsportal.obligations import OBLIGATIONS, obligations
from omsportal.workdays import add_working_days
from participants.models import Organization
from reports.catalogue import DOMAIN_OBLIGATIONS, undeclared_codes
from reports.engine import states_as_of
from reports.models import ObligationState, State

ORDER = (State.OVERDUE, State.NOT_DUE, State.MET_LATE, State.MET, State.NOT_APPLICABLE, State.NO_DATA)


def obligation_titles() -> dict[str, tuple[str, str]]:
    """code -> (clause, title) of every code of domain §3 (titles of the undeclared ones are empty)."""
    OBLIGATIONS.discover()
    titles = {code: (clause, "") for code, (clause, _debtor) in DOMAIN_OBLIGATIONS.items()}
    titles.update({ob.code: (ob.clause, str(ob.title)) for ob in obligations()})
    return titles


def summary(day: datetime.date) -> list[dict]:
    """Per obligation (code, clause, title), the organizations in each state as of ``day`` (by code)."""
    by_code: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    rows = states_as_of(day).values_list("code", "state", "organization__code")
    for code, state, org_code in rows:
        by_code[code][state].add(org_code)
    titles = obligation_titles()
    undeclared = undeclared_codes()
    result = []
    for code in sorted(titles, key=lambda c: int(c[1:])):
        states = by_code.get(code, {})
        if code in undeclared:
            kind = DOMAIN_OBLIGATIONS[code][1]
            owing = Organization.objects.filter(kind=kind, is_active=True).values_list("code", flat=True)
            states = {State.NO_DATA: set(owing)}
        clause, title = titles[code]
        result.append(
            {
                "code": code,
                "clause": clause,
                "title": title,
                "states": [(state, sorted(states[state])) for state in ORDER if states.get(state)],
            }
        )
    return result


def organization_obligations(organization: Organization, day: datetime.date, *, horizon_days: int = 5) -> dict:
    """What ``organization`` owes as of ``day``: overdue, falling due within ``horizon_days`` working days, recently
    met, and the obligations of its kind with no data yet."""
    soon = add_working_days(day, horizon_days)
    rows = list(states_as_of(day).filter(organization=organization).order_by("due_on", "code"))
    titles = obligation_titles()
    for row in rows:
        row.clause, row.title = titles.get(row.code, ("", ""))
    no_data = [
        {"code": code, "clause": DOMAIN_OBLIGATIONS[code][0]}
        for code in undeclared_codes()
        if DOMAIN_OBLIGATIONS[code][1] == organization.kind
    ]
    no_data += [{"code": r.code, "clause": r.clause} for r in rows if r.state == State.NO_DATA and r.period_key]
    return {
        "overdue": [r for r in rows if r.state == State.OVERDUE],
        "due_soon": [r for r in rows if r.state == State.NOT_DUE and r.due_on <= soon],
        "late": [r for r in rows if r.state == State.MET_LATE][-20:],
        "met": sum(1 for r in rows if r.state == State.MET),
        "no_data": sorted({(d["code"], d["clause"]) for d in no_data}, key=lambda d: int(d[0][1:])),
        "soon": soon,
    }


def state_counts(day: datetime.date, organization_ids=None) -> dict[tuple[int, str], int]:
    """(organization id, state) -> number of obligations and periods in that state as of ``day``."""
    from django.db.models import Count

    rows = states_as_of(day)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=organization_ids)
    return {
        (row["organization_id"], row["state"]): row["n"]
        for row in rows.values("organization_id", "state").annotate(n=Count("id"))
    }


def history(organization_id: int, code: str, period_key: str):
    return ObligationState.objects.filter(organization_id=organization_id, code=code, period_key=period_key)
