"""INFORM: the canonical informing-facts file and the rules of its fields [R II.12; formats.md].

One reader for the twins of the format: XML (``INFORM`` root, ``ZGLV`` header with ``SMO``, one ``FACT`` per fact),
CSV and XLSX with the same column names, any of them alone in a zip — the content decides (the name is not trusted),
under the project's file limits (omsportal.safefiles / xmlsafe / sheets); a file-level problem is an
:class:`InformFileError` (901), a header of another SMO a 902. :func:`validate_fact` checks one record's fields
(ENP check digit, codes, date, REF/AGENT where required) and is shared by the file, the API and the JSON batch;
:func:`fact_chunks` turns records into the loader's batches of COPY text, a well-formed record (nearly all of a
file) checked in one regular expression and the ENP check digit in bytes operations, any other one by
:func:`validate_fact`, which names its problem.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import escape

from omsportal.filelimits import BadFile
from omsportal.safefiles import Upload, open_upload
from omsportal.sheets import table_rows
from omsportal.xmlsafe import XmlFileError, iter_records, xml_source
from participants.identifiers import enp_digits_ok, enp_is_valid

from ..models import Channel, Kind, Outcome
from ..services.facts import COPY_CHUNK, FILE_COLUMNS, FactChunk, FactInput, check_fact, copy_line

ROOT_TAG = "INFORM"
HEADER_TAG = "ZGLV"
RECORD_TAG = "FACT"
FORMAT_VERSION = "1.0"
HEADER_FIELDS = ("VERSION", "DATA", "FILENAME", "SMO")
RECORD_FIELDS = ("N_ZAP", "ENP", "KIND", "CHANNEL", "DATE", "RESULT", "REF", "AGENT")
FIELD_SET = frozenset(RECORD_FIELDS)
REQUIRED_COLUMNS = ("ENP", "KIND", "CHANNEL", "DATE", "RESULT")

KINDS = frozenset(Kind.values)
CHANNELS = frozenset(Channel.values)
OUTCOMES = frozenset(Outcome.values)
# REF and AGENT may be empty for post and door-to-door visits [formats.md].
REF_OPTIONAL = frozenset({Channel.POST, Channel.VISIT})
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DIGITS_RE = re.compile(r"[0-9]+\Z")


# A file names each person a few times (one fact per kind and channel): the check digit is computed once per ENP.
_enp_valid = functools.lru_cache(maxsize=1 << 16)(enp_is_valid)


class InformFileError(BadFile):
    """The INFORM file is refused whole (901, or 902 for another SMO's header)."""


@dataclass(frozen=True)
class InformHeader:
    version: str
    date: str
    filename: str
    smo: str


class RawFact(NamedTuple):
    """One record as written: text values, and its number (N_ZAP, else its position from 1)."""

    number: int
    enp: str
    kind: str
    channel: str
    date: str
    result: str
    ref: str
    agent: str


def _shown(value: str, limit: int = 20) -> str:
    return "«" + (value if len(value) <= limit else value[:limit] + "…") + "»"


def validate_fact(raw: RawFact) -> FactInput | tuple[str, str]:
    """The record as a typed fact, or (field, Russian reason) of its first problem."""
    if not raw.enp:
        return "ENP", "не заполнено поле ENP"
    if not (len(raw.enp) == 16 and _DIGITS_RE.match(raw.enp)):
        return "ENP", f"ЕНП {_shown(raw.enp)} должен состоять из 16 цифр"
    if not _enp_valid(raw.enp):
        return "ENP", "неверная контрольная цифра ЕНП"
    kind, channel, result = raw.kind.upper(), raw.channel.upper(), raw.result.upper()
    if not kind:
        return "KIND", "не заполнено поле KIND"
    if kind not in KINDS:
        return "KIND", f"неизвестный вид {_shown(raw.kind)}: ожидается один из {', '.join(Kind.values)}"
    if not channel:
        return "CHANNEL", "не заполнено поле CHANNEL"
    if channel not in CHANNELS:
        return "CHANNEL", f"неизвестный канал {_shown(raw.channel)}: ожидается один из {', '.join(Channel.values)}"
    if not raw.date:
        return "DATE", "не заполнено поле DATE"
    try:
        if not _DATE_RE.match(raw.date):
            raise ValueError
        date = datetime.date.fromisoformat(raw.date)
    except ValueError:
        return "DATE", f"неверная дата {_shown(raw.date)}: ожидается ГГГГ-ММ-ДД"
    if not result:
        return "RESULT", "не заполнено поле RESULT"
    if result not in OUTCOMES:
        return "RESULT", f"неизвестный результат {_shown(raw.result)}: ожидается DELIVERED, NOT_DELIVERED или REFUSED"
    if channel not in REF_OPTIONAL:
        if not raw.ref:
            return "REF", "не заполнено поле REF (номер сообщения или звонка)"
        if not raw.agent:
            return "AGENT", "не заполнено поле AGENT (логин представителя)"
    if len(raw.ref) > 100:
        return "REF", "REF длиннее 100 символов"
    if len(raw.agent) > 150:
        return "AGENT", "AGENT длиннее 150 символов"
    return FactInput(
        n=raw.number, enp=raw.enp, kind=kind, channel=channel, date=date, outcome=result, reference=raw.ref,
        agent_login=raw.agent,
    )  # fmt: skip


def _alternatives(values) -> str:
    return "(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + ")"


# A well-formed record as its staging row (FILE_COLUMNS, tab-separated): number, 16 ASCII digits, codes as the format
# writes them (upper case), a YYYY-MM-DD date, REF and AGENT within their lengths and free of what COPY escapes.
# A record it does not take goes the long way (validate_fact), which names the problem; both give the same row.
_WELL_FORMED = re.compile(
    r"[0-9]{1,9}\t[0-9]{16}\t" + _alternatives(KINDS) + r"\t" + _alternatives(CHANNELS)
    + r"\t[0-9]{4}-[0-9]{2}-[0-9]{2}\t" + _alternatives(OUTCOMES) + r"\t[^\t\n\r\\]{0,100}\t[^\t\n\r\\]{0,150}\n\Z"
)  # fmt: skip
_DATE_CACHE_SIZE = 10_000


def fact_chunks(raws: Iterable[RawFact], *, today: datetime.date, size: int = COPY_CHUNK) -> Iterator[FactChunk]:
    """The records as the loader's batches (services.facts.facts_load): each good one a staging row, each bad one
    (number, field, Russian reason); the checks of :func:`validate_fact` and of the loader's ``check_fact``."""
    lines: list[str] = []
    rejects: list[tuple[int, str, str]] = []
    read = 0
    last_enp, last_enp_ok = "", False
    dates: dict[str, bool] = {}  # DATE text -> a real date, from 2000 to today (few distinct in a file)
    match = _WELL_FORMED.match
    for raw in raws:
        read += 1
        number, enp, kind, channel, date, result, ref, agent = raw
        line = f"{number}\t{enp}\t{kind}\t{channel}\t{date}\t{result}\t{ref}\t{agent}\n"
        if match(line) is not None and ((ref and agent) or channel in REF_OPTIONAL):
            if enp != last_enp:
                last_enp, last_enp_ok = enp, enp_digits_ok(enp)
            date_ok = dates.get(date)
            if date_ok is None:
                try:
                    day = datetime.date.fromisoformat(date)
                    date_ok = day.year >= 2000 and day <= today
                except ValueError:
                    date_ok = False
                if len(dates) < _DATE_CACHE_SIZE:
                    dates[date] = date_ok
            if last_enp_ok and date_ok:
                lines.append(line)
                if len(lines) >= size:
                    yield FactChunk("".join(lines), len(lines), read, rejects, FILE_COLUMNS)
                    lines, rejects = [], []
                continue
        checked = validate_fact(raw)
        if not isinstance(checked, FactInput):
            rejects.append((number, *checked))
            continue
        problem = check_fact(checked, today)
        if problem is not None:
            rejects.append((number, *problem))
            continue
        lines.append(_file_line(checked))
        if len(lines) >= size:
            yield FactChunk("".join(lines), len(lines), read, rejects, FILE_COLUMNS)
            lines, rejects = [], []
    yield FactChunk("".join(lines), len(lines), read, rejects, FILE_COLUMNS)


def _file_line(fact: FactInput) -> str:
    """copy_line without the person id and message id columns (a file names neither)."""
    fields = copy_line(fact).split("\t")
    return "\t".join(fields[:2] + fields[3:9]) + "\n"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: str, position: int) -> int:
    """N_ZAP when it is up to 9 ASCII digits, else the record's position (isascii + isdigit: ASCII digits only)."""
    return int(value) if value and len(value) < 10 and value.isascii() and value.isdigit() else position


def raw_fact_from_mapping(position: int, data: dict) -> RawFact:
    """A record from a dict with the format's column names (any case): CSV/XLSX rows, the API, the JSON batch."""
    low = {str(k).strip().lower(): v for k, v in data.items() if k is not None}
    return RawFact(
        number=_number(_text(low.get("n_zap")), position), enp=_text(low.get("enp")), kind=_text(low.get("kind")),
        channel=_text(low.get("channel")), date=_text(low.get("date")), result=_text(low.get("result")),
        ref=_text(low.get("ref")), agent=_text(low.get("agent")),
    )  # fmt: skip


class InformReader:
    """Reads an uploaded INFORM file lazily: ``records()`` streams RawFacts; ``on_header`` sees the XML header
    before the first record (a file of another SMO is refused before anything is staged)."""

    def __init__(self, fileobj: IO[bytes], *, on_header: Callable[[InformHeader], None] | None = None) -> None:
        self.fileobj = fileobj
        self.on_header = on_header
        self.header: InformHeader | None = None
        self.file_format = ""

    def records(self) -> Iterator[RawFact]:
        try:
            with open_upload(self.fileobj) as upload:
                self.file_format = upload.kind.upper()
                if upload.kind == "xml":
                    yield from self._xml_records(upload)
                else:
                    yield from self._tabular_records(table_rows(upload))
        except BadFile as exc:
            raise InformFileError.from_error(exc) from exc

    def _xml_records(self, upload: Upload) -> Iterator[RawFact]:
        position = 0
        root = None
        index = {tag: i for i, tag in enumerate(RECORD_FIELDS)}.get
        try:
            source = xml_source(upload.stream, head=upload.head, size=upload.size)
            for elem in iter_records(source, root=ROOT_TAG, tags=(HEADER_TAG, RECORD_TAG)):
                if root is None:
                    root = elem.getroottree().getroot()
                if elem.getparent() is not root:
                    continue  # a FACT or ZGLV inside another element is not a record
                if elem.tag == HEADER_TAG:
                    if self.header is not None:
                        raise InformFileError("Заголовок ZGLV встречается в файле дважды")
                    self.header = self._xml_header(elem)
                    if self.on_header is not None:
                        self.on_header(self.header)
                    continue
                if self.header is None:
                    raise InformFileError("Заголовок ZGLV должен предшествовать записям FACT")
                position += 1
                values: list[str | None] = [None] * 8  # RECORD_FIELDS order; the first of a repeated tag wins
                for child in elem:
                    i = index(child.tag)
                    if i is not None and values[i] is None:
                        text = child.text
                        values[i] = text.strip() if text else ""
                n, enp, kind, channel, date, result, ref, agent = values
                yield RawFact(
                    _number(n or "", position), enp or "", kind or "", channel or "", date or "", result or "",
                    ref or "", agent or "",
                )  # fmt: skip
        except XmlFileError as exc:
            raise InformFileError.from_error(exc) from exc
        if self.header is None:
            raise InformFileError("В файле нет заголовка ZGLV")

    @staticmethod
    def _xml_header(elem) -> InformHeader:
        def text(tag):
            child = elem.find(tag)
            return (child.text or "").strip() if child is not None else ""

        header = InformHeader(*(text(tag) for tag in HEADER_FIELDS))
        for tag, value in zip(HEADER_FIELDS, (header.version, header.date, header.filename, header.smo), strict=True):
            if not value:
                raise InformFileError(f"В заголовке ZGLV не заполнено поле {tag}")
        if header.version != FORMAT_VERSION:
            raise InformFileError(f"Версия формата {_shown(header.version)} не поддерживается: ожидается 1.0")
        if not re.fullmatch(r"[0-9]{5}", header.smo):
            raise InformFileError("Код СМО в заголовке ZGLV должен состоять из 5 цифр (F002)")
        return header

    def _tabular_records(self, rows: Iterator[tuple[int, list]]) -> Iterator[RawFact]:
        first = next(rows, None)
        if first is None:
            raise InformFileError("Файл пуст: нет строки с названиями столбцов.")
        columns = [_text(c).upper().lstrip("\ufeff") for c in first[1]]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise InformFileError(
                "В первой строке нет столбцов: "
                + ", ".join(missing)
                + ". Первая строка файла — названия столбцов "
                + ", ".join(RECORD_FIELDS)
                + "."
            )
        position = 0
        for _line, values in rows:
            if not any(v not in (None, "") for v in values):
                continue
            position += 1
            yield raw_fact_from_mapping(position, dict(zip(columns, values, strict=False)))


# --- Writers (tests, benches, the SMO's own tools) ------------------------------------------------------------


def inform_xml_bytes(*, smo: str, records: Iterable[dict], date: datetime.date | None = None,
                     filename: str = "INFORM") -> bytes:  # fmt: skip
    """An INFORM XML file of ``records`` (dicts with the format's field names)."""
    date = date or datetime.date.today()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<INFORM>',
        f"<ZGLV><VERSION>1.0</VERSION><DATA>{date.isoformat()}</DATA><FILENAME>{escape(filename)}</FILENAME>"
        f"<SMO>{escape(smo)}</SMO></ZGLV>\n",
    ]
    for record in records:
        parts.append("<FACT>" + "".join(f"<{t}>{escape(str(record.get(t, '')))}</{t}>" for t in RECORD_FIELDS
                                        if t in record) + "</FACT>\n")  # fmt: skip
    parts.append("</INFORM>\n")
    return "".join(parts).encode("utf-8")


def inform_csv_bytes(records: Iterable[dict]) -> bytes:
    lines = [";".join(RECORD_FIELDS)]
    for record in records:
        lines.append(";".join(str(record.get(t, "")) for t in RECORD_FIELDS))
    return ("\n".join(lines) + "\n").encode("utf-8")
