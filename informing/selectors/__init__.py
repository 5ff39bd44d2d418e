"""Reads of informing, one module per area; the names below are what other apps call (kept stable)."""

from .facts import (
    INFORMED_OUTCOMES,
    facts_filter,
    first_fact_dates,
    informed_counts,
    informed_person_ids,
    informed_persons,
    is_opted_out,
    opted_out_person_ids,
    opted_out_persons,
)

__all__ = [
    "INFORMED_OUTCOMES",
    "facts_filter",
    "first_fact_dates",
    "informed_counts",
    "informed_person_ids",
    "informed_persons",
    "is_opted_out",
    "opted_out_person_ids",
    "opted_out_persons",
]
