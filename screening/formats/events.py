"""EVENTS: the canonical stage-events file and the rules of its fields [R II.9, II.16, II.22; formats.md].

One reader interface for the three twins of the format: XML (``EVENTS`` root, ``ZGLV`` header, one ``EV`` per
fact), CSV and XLSX with the same column names, any of them optionally zipped. Readers only read; the per-record
checks that need no database (ENP check digit, codes, dates, V009 results, ICD-10) live here too, as
:func:`validate_event`, so the file and the API share them. Checks against the lists are in
``screening.services.events``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from omsportal.filelimits import BadFile
from omsportal.safefiles import Upload, ascii_digits, open_upload, positive_int
from omsportal.sheets import table_rows
from omsportal.xmlsafe import XmlFileError, iter_records, xml_source
from participants.identifiers import enp_is_valid
from screening.formats.validation import MEASURE_DISP
from screening.models import EventType, Measure

ROOT_TAG = "EVENTS"
HEADER_TAG = "ZGLV"
RECORD_TAG = "EV"
FORMAT_VERSION = "1.0"
HEADER_FIELDS = ("VERSION", "DATA", "FILENAME", "CODE_MO")
RECORD_FIELDS = ("N_ZAP", "ENP", "DISP", "EVENT", "DATE", "RSLT", "DS")

# DISP as files write it (Cyrillic or Latin) -> stored measure. DN has no stage events.
DISP_CODES = {"ДВН": Measure.DVN, "DVN": Measure.DVN, "ПМО": Measure.PMO, "PMO": Measure.PMO}

# Federal classifier V009 (results of treatment), the codes that close a DVN stage or a PMO [formats.md].
# Value: health group in Latin notation (IIIa/IIIb), shown as IIIа/IIIб in the UI.
DVN_FINISHED = {317: "I", 318: "II", 355: "IIIa", 356: "IIIb"}
DVN_TO_STAGE2 = {352: "I", 353: "II", 357: "IIIa", 358: "IIIb"}  # stage 1 finished, sent to stage 2
PMO_FINISHED = {343: "I", 344: "II", 373: "IIIa", 374: "IIIb"}
HEALTH_GROUP_LABELS = {"I": "I", "II": "II", "IIIa": "IIIа", "IIIb": "IIIб"}

# Which V009 results each event of each measure may carry.
ALLOWED_RESULTS: dict[tuple[str, str], dict[int, str]] = {
    (Measure.DVN, EventType.END1): {**DVN_FINISHED, **DVN_TO_STAGE2},  # R II.16
    (Measure.DVN, EventType.END2): DVN_FINISHED,  # R II.22
    (Measure.PMO, EventType.END1): PMO_FINISHED,
}
EVENT_CODES = frozenset(EventType.values)  # computed once: TextChoices.values builds a new list on every access
RESULT_EVENTS = frozenset({EventType.END1, EventType.END2})
PMO_EVENTS = frozenset({EventType.START1, EventType.END1, EventType.REFUSED})  # PMO has one stage

ICD10_RE = re.compile(r"[A-Z][0-9][0-9](\.[0-9]{1,2})?\Z")  # ASCII digits only
# Cyrillic letters that look like Latin ones, often typed by mistake in ICD-10 codes.
_CYR_TO_LAT = str.maketrans("АВСЕНКМОРТХ", "ABCEHKMOPTX")
_DS_SPLIT = re.compile(r"[,;\s]+")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class EventsFileError(BadFile):
    """The file as a whole cannot be read or is not the poster's (901): nothing from it is loaded."""


@dataclass(frozen=True)
class EventsHeader:
    """The ZGLV header of an XML file (CSV/XLSX have none)."""

    version: str
    date: str
    filename: str
    code_mo: str


@dataclass(frozen=True)
class RawEvent:
    """One record as written: strings, before any check. ``index`` is the 0-based position in the input."""

    index: int
    n_zap: str = ""
    enp: str = ""
    disp: str = ""
    event: str = ""
    date: str = ""
    rslt: str = ""
    ds: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventError:
    """A Russian message about one field of one record."""

    index: int
    n_zap: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "n_zap": self.n_zap, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ValidEvent:
    """A record whose fields passed every check that needs no database."""

    index: int
    n_zap: int | None
    enp: str
    measure: str
    event: str
    date: datetime.date
    result: int | None
    health_group: str
    diagnoses: tuple[str, ...] = field(default_factory=tuple)


# --- Validation -----------------------------------------------------------------------------------------------


def _shown(value: str, limit: int = 20) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def measure_label(measure: str) -> str:
    return MEASURE_DISP.get(measure, measure)


def normalize_diagnosis(value: str) -> str:
    return value.strip().upper().translate(_CYR_TO_LAT).replace(",", ".")


def validate_event(
    raw: RawEvent, *, today: datetime.date, require_n_zap: bool = True
) -> tuple[ValidEvent | None, list]:
    """Check one record's fields; returns the normalized event or the list of errors (field named, in Russian)."""
    errors: list[EventError] = []
    n_zap: int | None = None

    def err(field_name: str, message: str) -> None:
        errors.append(EventError(raw.index, n_zap, field_name, message))

    if raw.n_zap:
        n_zap = positive_int(raw.n_zap)
        if n_zap is None:
            err("N_ZAP", f"Номер записи «{_shown(raw.n_zap)}» должен быть целым положительным числом (цифры 0–9)")
    elif require_n_zap:
        err("N_ZAP", "Не заполнен номер записи")

    enp = raw.enp.strip()
    if not enp:
        err("ENP", "Не заполнен ЕНП")
    elif len(enp) != 16 or not ascii_digits(enp):
        err("ENP", f"ЕНП «{_shown(enp)}» должен состоять из 16 цифр 0–9")
    elif not enp_is_valid(enp):
        err("ENP", "Неверная контрольная цифра ЕНП")

    disp = raw.disp.strip().upper()
    measure = DISP_CODES.get(disp)
    if not disp:
        err("DISP", "Не указано мероприятие")
    elif measure is None:
        err("DISP", f"Недопустимое мероприятие «{_shown(raw.disp.strip())}»: ожидается ДВН или ПМО")

    event = raw.event.strip().upper()
    if not event:
        err("EVENT", "Не указано событие")
    elif event not in EVENT_CODES:
        err(
            "EVENT",
            f"Недопустимое событие «{_shown(raw.event.strip())}»: ожидается START1, END1, TO_STAGE2, END2 или REFUSED",
        )
        event = ""
    elif measure == Measure.PMO and event not in PMO_EVENTS:
        err("EVENT", f"Событие {event} не применяется к профилактическому медицинскому осмотру (ПМО)")
        event = ""

    date: datetime.date | None = None
    date_text = raw.date.strip()
    if not date_text:
        err("DATE", "Не указана дата события")
    else:
        try:
            if not _DATE_RE.match(date_text):
                raise ValueError
            date = datetime.date.fromisoformat(date_text)
        except ValueError:
            err("DATE", f"Неверная дата «{_shown(date_text)}»: ожидается ГГГГ-ММ-ДД")
        else:
            if date > today:
                err("DATE", "Дата события позже текущей даты")

    result: int | None = None
    health_group = ""
    rslt = raw.rslt.strip()
    if event in RESULT_EVENTS:
        if not rslt:
            err("RSLT", f"Для события {event} обязателен результат RSLT (классификатор V009)")
        elif not ascii_digits(rslt) or len(rslt) > 5:
            err("RSLT", f"Результат «{_shown(rslt)}» не является кодом классификатора V009 (цифры 0–9)")
        elif measure is not None:
            allowed = ALLOWED_RESULTS.get((measure, event), {})
            if int(rslt) in allowed:
                result = int(rslt)
                health_group = allowed[result]
            else:
                codes = ", ".join(str(code) for code in allowed)
                err(
                    "RSLT",
                    f"Результат {int(rslt)} не соответствует событию {event} мероприятия {measure_label(measure)}: "
                    f"допустимы {codes}",
                )
    elif rslt and event:
        err("RSLT", "Результат RSLT указывается только для событий END1 и END2")

    diagnoses: list[str] = []
    for value in raw.ds:
        code = normalize_diagnosis(value)
        if not code:
            continue
        if not ICD10_RE.match(code):
            err("DS", f"Диагноз «{_shown(value.strip())}» не соответствует формату МКБ-10 (например, I10 или E11.9)")
        elif code not in diagnoses:
            diagnoses.append(code)

    if errors:
        return None, errors
    assert measure is not None and date is not None  # guaranteed by the checks above
    return (
        ValidEvent(
            index=raw.index,
            n_zap=n_zap,
            enp=enp,
            measure=str(measure),
            event=event,
            date=date,
            result=result,
            health_group=health_group,
            diagnoses=tuple(diagnoses),
        ),
        [],
    )


# --- Readers --------------------------------------------------------------------------------------------------


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


def split_diagnoses(value: Any) -> tuple[str, ...]:
    """DS as a list, or as one string of codes separated by commas, semicolons or spaces."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value if _text(v))
    return tuple(part for part in _DS_SPLIT.split(_text(value)) if part)


def raw_event_from_mapping(index: int, data: dict) -> RawEvent:
    """A record from a dict with the column names of the format (any case), as CSV/XLSX rows and the API give."""
    lowered = {str(k).strip().lower(): v for k, v in data.items() if k is not None}
    return RawEvent(
        index=index,
        n_zap=_text(lowered.get("n_zap")),
        enp=_text(lowered.get("enp")),
        disp=_text(lowered.get("disp")),
        event=_text(lowered.get("event")),
        date=_text(lowered.get("date")),
        rslt=_text(lowered.get("rslt")),
        ds=split_diagnoses(lowered.get("ds")),
    )


class EventsReader:
    """Reads an uploaded EVENTS file lazily: ``records()`` streams RawEvents; ``header`` is set for XML.

    The content decides the format (``omsportal.safefiles.open_upload``: XML, CSV or XLSX, each also alone in a zip;
    the name is not trusted), under the limits of ``omsportal.filelimits``; every file-level problem is an
    :class:`EventsFileError` (901). ``on_header`` is called once with the XML header before the first record, so a
    file of another MO is rejected before anything is staged.
    """

    def __init__(
        self, fileobj: IO[bytes], *, name: str = "", on_header: Callable[[EventsHeader], None] | None = None
    ) -> None:
        self.fileobj = fileobj
        self.name = name
        self.on_header = on_header
        self.header: EventsHeader | None = None
        self.file_format = ""

    def records(self) -> Iterator[RawEvent]:
        try:
            with open_upload(self.fileobj) as upload:
                self.file_format = upload.kind.upper()
                if upload.kind == "xml":
                    yield from self._xml_records(upload)
                else:
                    yield from self._tabular_records(table_rows(upload))
        except BadFile as exc:
            raise EventsFileError.from_error(exc) from exc

    # -- XML ------------------------------------------------------------------------------------------------

    def _xml_records(self, upload: Upload) -> Iterator[RawEvent]:
        # Safe parsing (omsportal.xmlsafe): DOCTYPE/ENTITY refused, no entities, no network, no DTD;
        # elements are freed as soon as they are read.
        index = 0
        try:
            source = xml_source(upload.stream, head=upload.head, size=upload.size)
            for elem in iter_records(source, root=ROOT_TAG, tags=(HEADER_TAG, RECORD_TAG)):
                if elem.getparent() is not None and elem.getparent().getparent() is not None:
                    continue  # only direct children of the root count
                if elem.tag == HEADER_TAG:
                    if self.header is not None:
                        raise EventsFileError("Заголовок ZGLV встречается в файле дважды")
                    self.header = self._xml_header(elem)
                    if self.on_header is not None:
                        self.on_header(self.header)
                    continue
                if self.header is None:
                    raise EventsFileError("Заголовок ZGLV должен предшествовать записям EV")
                yield self._xml_record(index, elem)
                index += 1
        except XmlFileError as exc:
            raise EventsFileError.from_error(exc) from exc
        if self.header is None:
            raise EventsFileError("В файле нет заголовка ZGLV")

    @staticmethod
    def _child_text(elem, tag: str) -> str:
        child = elem.find(tag)
        return (child.text or "").strip() if child is not None else ""

    def _xml_header(self, elem) -> EventsHeader:
        header = EventsHeader(*(self._child_text(elem, tag) for tag in HEADER_FIELDS))
        for tag, value in zip(
            HEADER_FIELDS, (header.version, header.date, header.filename, header.code_mo), strict=True
        ):
            if not value:
                raise EventsFileError(f"В заголовке ZGLV не заполнено поле {tag}")
        if header.version != FORMAT_VERSION:
            raise EventsFileError(
                f"Версия формата {_shown(header.version)} не поддерживается: ожидается {FORMAT_VERSION}"
            )
        try:
            if not _DATE_RE.match(header.date):
                raise ValueError
            datetime.date.fromisoformat(header.date)
        except ValueError as exc:
            raise EventsFileError("Неверная дата DATA в заголовке ZGLV: ожидается ГГГГ-ММ-ДД") from exc
        return header

    def _xml_record(self, index: int, elem) -> RawEvent:
        values: dict[str, str] = {}
        diagnoses: list[str] = []
        for child in elem:
            if not isinstance(child.tag, str):
                continue
            text = (child.text or "").strip()
            if child.tag == "DS":
                diagnoses.extend(split_diagnoses(text))
            elif child.tag in RECORD_FIELDS and child.tag not in values:
                values[child.tag] = text
        return RawEvent(
            index=index,
            n_zap=values.get("N_ZAP", ""),
            enp=values.get("ENP", ""),
            disp=values.get("DISP", ""),
            event=values.get("EVENT", ""),
            date=values.get("DATE", ""),
            rslt=values.get("RSLT", ""),
            ds=tuple(diagnoses),
        )

    # -- CSV / XLSX -------------------------------------------------------------------------------------------

    @staticmethod
    def _check_columns(columns: Iterable[str]) -> None:
        present = {str(c or "").strip().upper() for c in columns}
        missing = [c for c in ("ENP", "DISP", "EVENT", "DATE") if c not in present]
        if missing:
            raise EventsFileError(
                "В первой строке нет столбцов: " + ", ".join(missing) + ". Первая строка файла — названия столбцов "
                "N_ZAP, ENP, DISP, EVENT, DATE, RSLT, DS."
            )

    def _tabular_records(self, rows: Iterator[tuple[int, list]]) -> Iterator[RawEvent]:
        """Rows of a CSV or a sheet: the first row with values names the columns, each later one is a record."""
        first = next(rows, None)
        if first is None:
            raise EventsFileError("Файл пуст: нет строки с названиями столбцов.")
        columns = [_text(c).upper().lstrip("\ufeff") for c in first[1]]
        self._check_columns(columns)
        index = 0
        for _line, values in rows:
            if not any(v not in (None, "") for v in values):
                continue
            yield raw_event_from_mapping(index, dict(zip(columns, values, strict=False)))
            index += 1


# --- Writer ---------------------------------------------------------------------------------------------------


def events_xml_bytes(*, code_mo: str, filename: str, date: datetime.date, records: Iterable[dict]) -> bytes:
    """An EVENTS file in the canonical format (UTF-8); records are dicts with the lower-case field names."""
    root = etree.Element(ROOT_TAG)
    header = etree.SubElement(root, HEADER_TAG)
    for tag, value in zip(HEADER_FIELDS, (FORMAT_VERSION, date.isoformat(), filename, code_mo), strict=True):
        etree.SubElement(header, tag).text = value
    for n, record in enumerate(records, start=1):
        ev = etree.SubElement(root, RECORD_TAG)
        etree.SubElement(ev, "N_ZAP").text = str(record.get("n_zap", n))
        for tag in ("ENP", "DISP", "EVENT", "DATE", "RSLT"):
            value = record.get(tag.lower())
            if value not in (None, ""):
                etree.SubElement(ev, tag).text = str(value)
        for code in record.get("ds") or ():
            etree.SubElement(ev, "DS").text = code
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
