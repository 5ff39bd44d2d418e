"""What every MIS dialect reader shares: the dialect descriptor, recognition facts, value normalizing, an XML reader.

A dialect (:class:`Dialect`) is recognized from the file's root element, the tags of its first bytes and its file
name (:class:`Probe`); its reader produces the canonical :class:`~screening.formats.lists.ListRecord` objects, so
every check, code and protocol is the one the canonical ZL_LIST gets (shared/formats-regional.md, the facts of each
dialect; docs/formats/dialects.md). What the MIS really writes is normalized here, once for every dialect:

- ``OT`` of ``НЕТ`` is no patronymic (the register holds none, so the name match compares an empty one);
- ``DR`` with a time part (``1961-03-14 00:00:00``) or as ``YYYYMMDD`` becomes ``YYYY-MM-DD``;
- ``SNILS`` written ``NNN-NNN-NNN-NN`` (a dash before the check number) becomes the 11 digits;
- ``TEL`` of 10 digits (or 11 starting with 7 or 8) becomes ``+7`` and 10 digits;
- the measure codes ``ДВ4``/``ДВ1`` (dispanserization), ``ОПВ`` (prophylactic exam), their Latin spellings and each
  dialect's numeric codes become ``ДВН``/``ПМО``/``ДН``;
- an empty element is an absent value;
- a policy number of 16 digits of a single-format policy (``VPOLIS`` 3, or no type) stands in for a missing ENP.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from omsportal.xmlsafe import XmlFileError, iter_records, xml_source

from ..lists import MEASURE_FIELDS, PERSON_FIELDS, FileRejected, ListHeader, ListRecord, Sniffed

# Measure codes of ProMed and the federal classifier V016 (shared/formats-regional.md §1, §5).
COMMON_DISP_CODES = {
    "ДВ4": "ДВН",
    "ДВ1": "ДВН",
    "ОПВ": "ПМО",
    "DV4": "ДВН",
    "DV1": "ДВН",
    "OPV": "ПМО",
}
NO_PATRONYMIC = frozenset({"НЕТ", "НЕТ.", "HET"})  # the last one in Latin letters, as keyboards mix them

_DIGITS = re.compile(r"[0-9]+\Z")
_SNILS_DASHED = re.compile(r"([0-9]{3})-([0-9]{3})-([0-9]{3})[- ]([0-9]{2})\Z")
_PROLOG = re.compile(rb"<\?.*?\?>|<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(rb"<([A-Za-z_][A-Za-z0-9_.\-]*)")


@dataclass(frozen=True)
class Probe:
    """What recognition looks at: the kind (xml / csv / xlsx), the root element, the first bytes, the file name."""

    kind: str
    root: str
    head: bytes
    name: str  # the upload's (or zip member's) base name without extension, upper case

    def has(self, *tags: str) -> bool:
        """Whether any of these elements occurs in the first bytes (``<TAG>``, ``<TAG/>`` or ``<TAG attr``)."""
        return any(re.search(rb"<" + tag.encode("ascii") + rb"[\s/>]", self.head) for tag in tags)

    def named(self, pattern: str) -> bool:
        return re.match(pattern, self.name) is not None


def probe_of(sniffed: Sniffed) -> Probe:
    kind = "xlsx" if sniffed.extra.get("xlsx") else sniffed.extra.get("kind", "")
    root = ""
    if kind == "xml":
        head = _PROLOG.sub(b"", sniffed.head[:8192])
        found = _FIRST_TAG.search(head)
        root = found.group(1).decode("ascii") if found else ""
    names = [sniffed.member_name, sniffed.name]
    name = next((n for n in names if n), "")
    stem = os.path.splitext(os.path.basename(name.replace("\\", "/")))[0].upper()
    return Probe(kind=kind, root=root, head=sniffed.head, name=stem)


@dataclass(frozen=True)
class Dialect:
    """A regional MIS's yearly-list export: how to recognize it, read it and, where its MIS imports one, answer it.

    ``reader`` is None for a dialect that is recognized only to be refused (``refusal`` says why, in Russian).
    The answer a MIS imports back is written by screening/formats/answers/ (keyed by the dialect's code).
    """

    code: str
    label: str
    region: str
    detect: Callable[[Probe], bool]
    reader: Callable[[Sniffed], object] | None = None
    refusal: str = ""
    doc: str = ""
    order: int = 100  # recognition order: the more specific first
    # The file name the MIS gives its export (a regex matched at the start of the upper-case base name, the zip
    # member's first), and the looser content test of the dialect's family (root and record tags, without the tags
    # that tell it from its siblings); ``group`` names dialects whose content only hints which one it is (Perm and
    # Khakassia write the same record). See recognize() in __init__.py.
    name: str = ""
    family: Callable[[Probe], bool] | None = None
    group: str = ""

    def is_named(self, probe: Probe) -> bool:
        return bool(self.name) and probe.named(self.name)

    def in_family(self, probe: Probe) -> bool:
        return (self.family or self.detect)(probe)


# --- values -----------------------------------------------------------------------------------------------------


def norm_ot(value: str) -> str:
    return "" if value.upper() in NO_PATRONYMIC else value


def norm_date(value: str) -> str:
    """YYYY-MM-DD from 'YYYY-MM-DD HH:MM:SS' / 'YYYY-MM-DDTHH:MM:SS' / 'YYYYMMDD'; anything else as written."""
    if len(value) > 10 and value[10] in " T" and value[4:5] == "-":
        return value[:10]
    if len(value) == 8 and value.isascii() and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def norm_snils(value: str) -> str:
    """The 11 digits of 'NNN-NNN-NNN-NN'; 'NNN-NNN-NNN NN' and plain digits stay (the validator takes both)."""
    if len(value) == 14 and value[11] == "-":
        match = _SNILS_DASHED.match(value)
        if match:
            return "".join(match.groups())
    return value


def norm_phone(value: str) -> str:
    """'+7' and 10 digits from 10 digits, or 11 digits starting with 7 or 8; anything else as written."""
    if not value or value.startswith("+"):
        return value
    if _DIGITS.match(value):
        if len(value) == 10:
            return "+7" + value
        if len(value) == 11 and value[0] in "78":
            return "+7" + value[1:]
    return value


def policy_enp(enp: str, vpolis: str, npolis: str) -> str:
    """The ENP, or the policy number when it is one (16 digits, single-format policy type 3 or no type given)."""
    if enp:
        return enp
    if len(npolis) == 16 and vpolis in ("", "3") and _DIGITS.match(npolis):
        return npolis
    return ""


# --- the XML reader ---------------------------------------------------------------------------------------------

HEADER_KEYS = ("code_mo", "year", "filename", "version", "date", "quart")
# Record keys: the ListRecord fields plus what a dialect writes besides (policy, per-record year / MO code). A record
# is read into a list in this order (positions, not a dict per record: a list of 150,000 records is read in Python).
RECORD_KEYS = (
    "n_zap", "enp", "snils", "fam", "im", "ot", "w", "dr", "uch", "tel", "disp", "month", "kv", "iddokt",
    "vpolis", "npolis", "year", "code_mo",
)  # fmt: skip
MEASURE_KEYS = ("disp", "month", "kv", "iddokt")  # a measure's list; also RECORD_KEYS[10:14]
_N_ZAP, _ENP, _SNILS, _FAM, _IM, _OT, _W, _DR, _UCH, _TEL = range(10)
_MEASURE_AT = RECORD_KEYS.index("disp")
_VPOLIS, _NPOLIS = RECORD_KEYS.index("vpolis"), RECORD_KEYS.index("npolis")
PER_RECORD_KEYS = ("year", "code_mo")
CANONICAL_FIELDS = frozenset((*PERSON_FIELDS, *MEASURE_FIELDS, "CODE_MO", "YEAR"))


class DialectXmlReader:
    """An XML dialect described by its tag names: the root, the header (or none), the record, the measure element
    (or none: the measure's fields in the record) and the maps tag → key. Streams like the canonical reader (lxml
    iterparse through omsportal.xmlsafe, each record cleared once read), so every limit and 901 is the same.

    A year or MO code written per record (Khakassia's YEAR, Astrakhan's CODE_MO) stands in for the header's when
    that has none, and must be the same in every record (else 902, as a CSV's columns).
    """

    format = "XML"
    dialect = ""
    ROOT = "ZL_LIST"
    HEADER: str | None = "ZGLV"
    RECORD = "SV_PR_MER"
    MEASURE: str | None = "SV_PL_MER"
    HEADER_FIELDS: dict[str, str] = {}
    RECORD_FIELDS: dict[str, str] = {}
    MEASURE_FIELDS: dict[str, str] = {}
    DISP_CODES: dict[str, str] = COMMON_DISP_CODES
    PERIOD_FREE = False  # the dialect has no month or quarter at all (Ufa)
    NUMBER_TAG = "N_ZAP"  # the dialect's name of the record number, for messages

    @classmethod
    def tags(cls) -> dict[str, str]:
        """Canonical field name → the dialect's own tag (NOMER_Z for N_ZAP, QUART for KV, CODMOF for CODE_MO …),
        for the protocol's messages (screening.formats.dialects.wording); only the fields the dialect names
        otherwise."""
        own: dict[str, str] = {"N_ZAP": cls.NUMBER_TAG}
        for fields in (cls.RECORD_FIELDS, cls.MEASURE_FIELDS, cls.HEADER_FIELDS):
            for tag, key in fields.items():
                name = key.upper()
                if name in CANONICAL_FIELDS:
                    own.setdefault(name, tag)
        return {name: tag for name, tag in own.items() if name != tag}

    def __init__(self, sniffed: Sniffed):
        try:
            self._source = xml_source(sniffed.stream, head=sniffed.head, size=sniffed.size)
        except XmlFileError as exc:
            raise FileRejected.from_error(exc) from exc
        self._name = probe_of(sniffed).name
        tags = (self.HEADER, self.RECORD) if self.HEADER else (self.RECORD,)
        self._elements = iter_records(self._source, root=self.ROOT, tags=tags)
        self._header: ListHeader | None = None
        self._first: tuple | None = None  # the first record, parsed while the header was read
        self._quart = ""
        self._per_record: dict[int, str] = {}  # position → the per-record year / MO code every record must repeat
        # tag → position in RECORD_KEYS (MEASURE_KEYS for a measure's children)
        self._record_at = {tag: RECORD_KEYS.index(key) for tag, key in self.RECORD_FIELDS.items()}
        self._measure_at = {tag: MEASURE_KEYS.index(key) for tag, key in self.MEASURE_FIELDS.items()}
        # the record's children the reader takes, in one lookup: a position, or -1 for the measure element
        self._child_at = {**self._record_at, **({self.MEASURE: -1} if self.MEASURE else {})}

    @property
    def bytes_total(self) -> int:
        return self._source.size

    @property
    def bytes_read(self) -> int:
        return self._source.bytes_read

    def _next(self):
        try:
            return next(self._elements, None)
        except XmlFileError as exc:
            raise FileRejected.from_error(exc) from exc

    def header_from_name(self, values: dict[str, str]) -> None:
        """A dialect whose header lacks the MO code may take it from the file name (override)."""

    def header(self) -> ListHeader:
        if self._header is not None:
            return self._header
        values: dict[str, str] = {}
        element = self._next()
        if self.HEADER:
            if element is None or element.tag != self.HEADER:
                line = element.sourceline if element is not None else None
                raise FileRejected(
                    901, f"Нет заголовка <{self.HEADER}> в начале файла: файл не соответствует формату.", line=line
                )
            hmap = self.HEADER_FIELDS
            for child in element:
                key = hmap.get(child.tag) if isinstance(child.tag, str) else None
                if key is not None and child.text and child.text.strip():
                    values[key] = child.text.strip()
            element = self._next()
        if element is not None:
            if element.tag != self.RECORD:
                raise FileRejected(
                    901, f"Повторный заголовок <{element.tag}> в строке {element.sourceline}.", line=element.sourceline
                )
            self._first = self._parse(element)
            first_values = self._first[0]
            for key in PER_RECORD_KEYS:
                at = RECORD_KEYS.index(key)
                if first_values[at] and key not in values:
                    values[key] = self._per_record[at] = first_values[at]
        self.header_from_name(values)
        self._quart = values.get("quart", "")
        self._header = ListHeader(
            code_mo=values.get("code_mo", ""),
            year=values.get("year", ""),
            filename=values.get("filename", "")[:100],
            version=values.get("version", ""),
            date=values.get("date", ""),
        )
        return self._header

    def _parse(self, element) -> tuple[list[str], list[list[str]], int]:
        """The record's values (RECORD_KEYS order, '' for absent or empty) and its measures (MEASURE_KEYS order).

        One plain walk of the children, as the canonical reader does: a MIS record holds about twice as many
        elements as the portal reads (PERSON_ID, DOCTYPE, KAT_LG, … all written, mostly empty), and a tag test in
        Python costs less than lxml's filtered iteration, whose tag matcher is built anew on every call."""
        child_at, measure_at = self._child_at.get, self._measure_at.get
        values = [""] * len(RECORD_KEYS)
        measures: list[list[str]] = []
        for child in element:
            at = child_at(child.tag)
            if at is None:
                continue
            if at >= 0:
                text = child.text
                if text:
                    values[at] = text.strip()
            else:  # the measure element
                measure = ["", "", "", ""]
                for item in child:
                    at = measure_at(item.tag)
                    if at is not None:
                        text = item.text
                        if text:
                            measure[at] = text.strip()
                measures.append(measure)
        return values, measures, element.sourceline

    def _check_per_record(self, values: list[str], line: int) -> None:
        for at, expected in self._per_record.items():
            value = values[at]
            if value != expected:
                key = RECORD_KEYS[at]
                tag = next((t for t, k in self.RECORD_FIELDS.items() if k == key), key.upper())
                raise FileRejected(
                    902,
                    f"Строка {line}: {tag} «{value[:20]}» отличается от первой записи «{expected}»; один файл — "
                    "один список одной МО на один год.",
                    field=tag,
                    line=line,
                )

    def build(self, group: int, values: list[str], measures: list[list[str]], line: int) -> list:
        """The ListRecords of one parsed record (one per measure). Each normalizer is tried only when the value
        could need it (a cheap test first): the common record costs a few comparisons more than a ZL_LIST's."""
        enp = values[_ENP]
        if not enp and values[_NPOLIS]:
            enp = policy_enp("", values[_VPOLIS], values[_NPOLIS])
        snils = values[_SNILS]
        if len(snils) == 14 and snils[11] == "-":
            snils = norm_snils(snils)
        ot = values[_OT]
        if 2 < len(ot) < 5:
            ot = norm_ot(ot)
        dr = values[_DR]
        if len(dr) != 10:
            dr = norm_date(dr)
        tel = values[_TEL]
        if tel and tel[0] != "+":
            tel = norm_phone(tel)
        person = (values[_N_ZAP], enp, snils, values[_FAM], values[_IM], ot, values[_W], dr, values[_UCH], tel)
        if self.MEASURE is None:
            measures = [values[_MEASURE_AT : _MEASURE_AT + 4]]
        if not measures:
            return [ListRecord(group, line, *person, has_measure=False)]
        codes, quart, free = self.DISP_CODES, self._quart, self.PERIOD_FREE
        records = []
        for disp, month, kv, iddokt in measures:
            disp = codes.get(disp) or codes.get(disp.upper(), disp)
            records.append(
                ListRecord(
                    group,
                    line,
                    *person,
                    disp,
                    month,
                    kv or ("" if month else quart),
                    norm_snils(iddokt) if iddokt else "",
                    True,
                    free,
                )
            )
        return records

    def records(self) -> Iterator[ListRecord]:
        self.header()
        if self._first is None:
            raise FileRejected(901, f"Файл не содержит ни одной записи <{self.RECORD}>: файл не соответствует формату.")
        group = 1
        per_record = bool(self._per_record)
        values, measures, line = self._first
        self._first = None
        yield from self.build(group, values, measures, line)
        record_tag = self.RECORD
        while (element := self._next()) is not None:
            if element.tag != record_tag:
                raise FileRejected(
                    901, f"Повторный заголовок <{element.tag}> в строке {element.sourceline}.", line=element.sourceline
                )
            group += 1
            values, measures, line = self._parse(element)
            if per_record:
                self._check_per_record(values, line)
            yield from self.build(group, values, measures, line)


@dataclass
class Registry:
    dialects: dict[str, Dialect] = field(default_factory=dict)

    def add(self, dialect: Dialect) -> Dialect:
        self.dialects[dialect.code] = dialect
        return dialect

    def ordered(self) -> list[Dialect]:
        return sorted(self.dialects.values(), key=lambda d: (d.order, d.code))
