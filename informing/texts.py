"""Placeholders of informing texts, rendering per person, and SMS length [R II.10, II.24, domain §6].

A text names its placeholders in braces: ``{имя_отчество}``. An unknown one is an error of the form that saves the
text (:func:`unknown_placeholders`), never of the batch that sends it. Rendering replaces each known placeholder
with the person's value and leaves nothing else to interpret (no format strings, no template language).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")

PLACEHOLDERS = {
    "имя_отчество": _("имя и отчество — для личного обращения"),
    "мо": _("МО, к которой прикреплён человек"),
    "адрес_мо": _("адрес МО"),
    "часы_мо": _("часы проведения профилактических мероприятий в МО (график МО)"),
    "телефон_мо": _("телефон МО / ответственного за профилактику"),
    "телефон_смо": _("телефон страхового представителя СМО"),
    "месяц": _("запланированный месяц"),
}

MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь")  # fmt: skip

# GSM 03.38 basic characters: a text of only these goes 160 / 153 per segment; any other (Cyrillic) 70 / 67.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklm"
    "nopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[~]|€")


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders of ``text`` that the portal does not know (a form error)."""
    return sorted({name for name in PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS})


def unbalanced_braces(text: str) -> bool:
    stripped = PLACEHOLDER.sub("", text or "")
    return "{" in stripped or "}" in stripped


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value (empty when the person lacks it)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)) if m.group(1) in PLACEHOLDERS else m.group(0),
                           text or "")  # fmt: skip


# What stands for the person's name in a text rendered for many persons of one MO and month (it cannot come from a
# form's text or a directory entry: both are checked for it, else the text is rendered per person).
_NAME_SLOT = "\x00\x01name\x01\x00"


def name_slots(text: str, values: dict[str, str]) -> list[str] | None:
    """``text`` rendered with ``values`` except the person's name, cut where the name goes: the text of a person is
    ``name.join(parts)`` — what :func:`render` gives with the name in ``values`` (a batch renders each distinct
    text once per MO and month, not once per person). None when the text or a value holds the marker itself."""
    if _NAME_SLOT in (text or "") or any(_NAME_SLOT in v for v in values.values() if isinstance(v, str)):
        return None
    return render(text, {**values, "имя_отчество": _NAME_SLOT}).split(_NAME_SLOT)


@dataclass(frozen=True)
class SmsLength:
    chars: int
    segments: int
    unicode: bool
    per_segment: int


def sms_length(text: str) -> SmsLength:
    """Characters and segments of an SMS: Cyrillic (UCS-2) 70 in one, 67 per part of a longer one; GSM-7 160/153."""
    text = text or ""
    unicode = any(ch not in GSM7 and ch not in GSM7_EXT for ch in text)
    if unicode:
        chars = len(text.encode("utf-16-le")) // 2  # a character outside the BMP takes two units
        single, multi = 70, 67
    else:
        chars = len(text) + sum(1 for ch in text if ch in GSM7_EXT)
        single, multi = 160, 153
    if chars == 0:
        segments = 0
    elif chars <= single:
        segments = 1
    else:
        segments = math.ceil(chars / multi)
    return SmsLength(chars=chars, segments=segments, unicode=unicode, per_segment=single if segments <= 1 else multi)


def month_name(month: int | None) -> str:
    return MONTHS[month - 1] if month and 1 <= month <= 12 else ""
