"""The twenty obligations of domain §3 by code, clause and debtor: how the readers show an obligation whose app has
not declared it yet — "no data" for every organization that owes it, never "met". Its rule (due date, evidence) is
declared by that app in its own obligations.py; this table only names what is still missing."""

from __future__ import annotations

from participants.models import OrganizationKind

MO, SMO, FUND, MINISTRY = OrganizationKind.MO, OrganizationKind.SMO, OrganizationKind.FUND, OrganizationKind.MINISTRY

# code -> (clause, debtor kind), domain §3.
DOMAIN_OBLIGATIONS: dict[str, tuple[str, str]] = {
    "O1": ("R II.1", MINISTRY),
    "O2": ("R II.2", MO),
    "O3": ("R II.5", FUND),
    "O4": ("R II.6", MO),
    "O5": ("R II.7", SMO),
    "O6": ("R II.8", FUND),
    "O7": ("R II.9", MO),
    "O8": ("R II.9", MO),
    "O9": ("R II.11", SMO),
    "O10": ("R II.12", SMO),
    "O11": ("R II.13", FUND),
    "O12": ("R II.10", SMO),
    "O13": ("R II.14", SMO),
    "O14": ("R II.14", SMO),
    "O15": ("R II.18", SMO),
    "O16": ("R II.18", SMO),
    "O17": ("R II.19–20", SMO),
    "O18": ("R II.21", SMO),
    "O19": ("R I.7.2 b", SMO),
    "O20": ("R II.24", MO),
}


def undeclared_codes() -> list[str]:
    """The codes of domain §3 that no app declares yet (their data have not landed)."""
    from omsportal.obligations import OBLIGATIONS

    OBLIGATIONS.discover()
    return [code for code in DOMAIN_OBLIGATIONS if code not in OBLIGATIONS.entries]
