"""The role sets the portal's rules speak of, defined once [domain §2]; capabilities (omsportal.access) name them."""

from __future__ import annotations

from participants.models import Role

ALL_ROLES = frozenset(Role.values)
# Roles that work with persons' data at all: the Ministry sees aggregates only, an administrator configures.
PERSON_ROLES = frozenset({Role.MO_STAFF, Role.SMO_L1, Role.SMO_L2, Role.SMO_L3, Role.FUND})
# SMO levels 2 and 3 see the persons their SMO insures on the current register [R I.6, FAQ].
SMO_INSURED_ROLES = frozenset({Role.SMO_L2, Role.SMO_L3})
SMO_ROLES = frozenset({Role.SMO_L1, Role.SMO_L2, Role.SMO_L3})
# The two that see every MO of the region (the Ministry as aggregates).
REGION_ROLES = frozenset({Role.FUND, Role.MINISTRY})
FUND_ONLY = frozenset({Role.FUND})
MO_ONLY = frozenset({Role.MO_STAFF})
MINISTRY_ONLY = frozenset({Role.MINISTRY})
MO_AND_FUND = frozenset({Role.MO_STAFF, Role.FUND})
# Everyone who takes part in the preventive work: all but the administrator.
PARTICIPANT_ROLES = ALL_ROLES - {Role.ADMIN}
