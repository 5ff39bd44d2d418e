"""Every write of informing, named ``<entity>_<verb>``; other apps call these (the names are kept stable).

- :func:`facts_record` — documented facts in bulk (files, API, delivery reports, e-mails, call outcomes);
- :func:`opt_out_record` / :func:`opt_out_revoke` — a person's refusal of informing;
- :func:`wrong_recipient_report` — a contact that reached the wrong person is removed (history kept, audited);
- :func:`channel_preference_set` — the channel a person prefers to be informed by (audited).
"""

from .contacts import (
    channel_preference_set,
    opt_out_record,
    opt_out_revoke,
    wrong_phones_report,
    wrong_recipient_report,
)
from .facts import FactInput, FactsResult, facts_record

__all__ = [
    "FactInput",
    "FactsResult",
    "channel_preference_set",
    "facts_record",
    "opt_out_record",
    "opt_out_revoke",
    "wrong_phones_report",
    "wrong_recipient_report",
]
