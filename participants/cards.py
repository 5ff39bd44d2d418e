"""Sections that other apps add to the person card (screening: the lists and stage events of the person).

participants does not import the apps built on it; an app registers a section provider in its ``AppConfig.ready``:
a callable ``(user, person) -> (template_name, context) | None`` (None: nothing to show this user). The card shows
each section's template rendered with its context, in registration order. A provider works under the same scoping
as the card (the card has already answered 404 for a person outside the user's scope).
"""

from __future__ import annotations

from collections.abc import Callable

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

SectionProvider = Callable[..., "tuple[str, dict] | None"]
_PROVIDERS: list[SectionProvider] = []


def register_person_card_section(provider: SectionProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def person_card_sections(*, request, person) -> list[SafeString]:
    """The sections of the person card for the request's user, rendered (templates escape what they show)."""
    sections = []
    for provider in _PROVIDERS:
        result = provider(user=request.user, person=person)
        if result is not None:
            template_name, context = result
            sections.append(render_to_string(template_name, context, request=request))
    return sections
