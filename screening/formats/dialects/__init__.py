"""The yearly-list dialects of regional MIS exports the portal reads beside its canonical ZL_LIST.

Each dialect is a small module (``perm``, ``khakassia``, ``astrakhan``, ``vologda``, ``ufa``, ``pskov``; and
``ekaterinburg``, recognized only to be refused) exposing ``DIALECT`` (screening.formats.dialects.base.Dialect):
how it is recognized (root element, tags of the header, file name), its reader and, where its MIS imports one, the
answer writer (screening/formats/answers/). :func:`recognize` is called by ``open_list_file`` before the canonical
readers; the region's parameter ``list_dialects`` (omsportal.regional) names the dialects the instance accepts, and
a recognized dialect the region does not accept is refused with a message naming the accepted ones.
Documented in docs/formats/dialects.md.
"""

from __future__ import annotations

import re

from ..lists import FileRejected, Sniffed
from . import astrakhan, ekaterinburg, khakassia, perm, pskov, ufa, vologda
from .base import Dialect, Probe, Registry, probe_of

REGISTRY = Registry()
for _module in (ekaterinburg, khakassia, perm, astrakhan, vologda, ufa, pskov):
    REGISTRY.add(_module.DIALECT)


def dialect_of(code: str) -> Dialect | None:
    return REGISTRY.dialects.get(code)


def readable_codes() -> tuple[str, ...]:
    """Codes of the dialects that have a reader (not the refused ones), in recognition order."""
    return tuple(d.code for d in REGISTRY.ordered() if d.reader is not None)


def dialect_choices() -> list[tuple[str, str]]:
    return [(d.code, d.label) for d in REGISTRY.ordered() if d.reader is not None]


def dialect_label(code: str) -> str:
    dialect = dialect_of(code)
    return dialect.label if dialect else code


def recognize(sniffed: Sniffed, *, accepted: tuple[str, ...] | None = None):
    """The reader of the dialect the file is written in, None when it is none of them (the canonical readers then).

    A dialect refused by design (a register id only) or not among ``accepted`` (the region's list; None accepts
    every readable one) raises FileRejected(901) with a message saying which dialect it is and what to do.
    """
    dialect = recognized(probe_of(sniffed))
    if dialect is not None:
        if dialect.reader is None:
            raise FileRejected(901, dialect.refusal)
        if accepted is not None and dialect.code not in accepted:
            others = "; ".join(f"«{dialect_label(code)}»" for code in accepted if dialect_of(code))
            taken = f"ZL_LIST, его CSV/XLSX и {others}" if others else "только ZL_LIST и его CSV/XLSX"
            raise FileRejected(
                901,
                f"Файл распознан как «{dialect.label}», но этот формат МИС в регионе не принимается (параметры "
                f"правил региона). Принимаются {taken}. Выгрузите список в одном из них.",
            )
        reader = dialect.reader(sniffed)
        reader.dialect = dialect.code
        return reader
    return None


def recognized(probe: Probe) -> Dialect | None:
    """The dialect of the file, from its content and its name (None: none of them).

    The content decides first: the first dialect (in recognition order) whose tags are all there. The file name
    the MIS gives its export (``Dialect.name``, shared/formats-regional.md) settles what the tags cannot: among
    dialects of one group (Perm and Khakassia write the same record; only FIRSTNAME/ADRES/IDDOKT hint which), the
    one the name names wins; and a file of a dialect's family whose distinguishing tags are missing (an MIS that
    omits empty elements, a Pskov first row without a date of birth) is taken as the dialect its name names. A
    renamed file (``list.xml``) is still recognized from its content, and a name never makes a file of another
    family (another root or record) a dialect's.
    """
    ordered = REGISTRY.ordered()
    by_content = next((d for d in ordered if d.detect(probe)), None)
    by_name = [d for d in ordered if d.is_named(probe) and d.in_family(probe)]
    if len(by_name) == 1:
        named = by_name[0]
        if by_content is None or by_content is named or (named.group and by_content.group == named.group):
            return named
    return by_content


def wording(code: str) -> dict[str, str]:
    """Canonical field name → the dialect's own tag, for messages (empty for the canonical format)."""
    dialect = dialect_of(code) if code else None
    reader = dialect.reader if dialect else None
    tags = getattr(reader, "tags", None)
    return tags() if tags else {}


def _tag_pattern(tags: dict[str, str]) -> str:
    return "|".join(re.escape(name) for name in sorted(tags, key=len, reverse=True))


def reword(text: str, code: str) -> str:
    """``text`` with each canonical field name it names (N_ZAP, KV, CODE_MO …, as whole words) replaced by the
    dialect's own tag, so that a Perm clerk reads NOMER_Z and QUART, as in the file."""
    tags = wording(code)
    if not tags:
        return text
    return re.sub(rf"(?<![A-Za-z0-9_])({_tag_pattern(tags)})(?![A-Za-z0-9_])", lambda m: tags[m.group(1)], text)


def reword_protocol(cursor, table: str, upload_id: int, code: str) -> None:
    """The same, in one UPDATE of the upload's protocol rows whose comment names a field (few: most comments name
    none); the protocol's columns (field, IM_POL) keep the canonical names, as formats.md requires."""
    tags = wording(code)
    if not tags:
        return
    expression, params = "comment", []
    for name, tag in tags.items():
        expression = f"regexp_replace({expression}, %s, %s, 'g')"
        params += [rf"\m{name}\M", tag.replace("\\", "\\\\").replace("&", "\\&")]
    cursor.execute(
        f"UPDATE {table} SET comment = left({expression}, 500) WHERE upload_id = %s AND comment ~ %s",  # noqa: S608  # nosec B608
        [*params, upload_id, rf"\m({_tag_pattern(tags)})\M"],
    )
