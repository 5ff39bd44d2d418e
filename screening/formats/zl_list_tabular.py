"""CSV and XLSX twins of ZL_LIST: one row per measure line, the XML tag names as column names [formats.md].

Columns (docs/formats/zl_list.md): CODE_MO;YEAR;N_ZAP;ENP;SNILS;FAM;IM;OT;W;DR;UCH;TEL;DISP;MONTH;KV;IDDOKT.
CODE_MO and YEAR play the part of the XML header: when present they must be the same in every row (else 902);
when absent or empty the upload form / command-line ``--year`` and the uploader's MO stand in. Rows of one person
(several measures) repeat N_ZAP and the person's fields. CSV: ``;`` separator (``,`` or a tab also, as the header
line shows), UTF-8 (BOM optional) or windows-1251, read by ``omsportal.safefiles.CsvRows``. XLSX: the first
worksheet, read by ``omsportal.sheets.SheetReader`` (only the cells that exist); the first row with values holds the
names. Both enforce the limits of ``omsportal.filelimits``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from omsportal.filelimits import BadFile
from omsportal.safefiles import CsvRows
from omsportal.sheets import SheetReader

from .lists import FileRejected, ListHeader, ListRecord, Sniffed, register_reader

COLUMNS = (
    "CODE_MO",
    "YEAR",
    "N_ZAP",
    "ENP",
    "SNILS",
    "FAM",
    "IM",
    "OT",
    "W",
    "DR",
    "UCH",
    "TEL",
    "DISP",
    "MONTH",
    "KV",
    "IDDOKT",
)
REQUIRED_COLUMNS = ("N_ZAP", "ENP", "FAM", "IM", "W", "DR", "DISP")
_RECORD_COLUMNS = COLUMNS[2:]


class _TabularReader:
    """Shared logic of CSV and XLSX: the header row, the per-row CODE_MO/YEAR, and person grouping."""

    format = ""
    dialect = ""

    def __init__(self):
        self._columns: dict[str, int] | None = None
        self._rows: Iterator[tuple[int, list[str]]] | None = None
        self._first: tuple[int, list[str]] | None = None
        self._header: ListHeader | None = None

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _start(self) -> None:
        if self._rows is not None:
            return
        self._rows = self._raw_rows()
        header_row = next(self._rows, None)
        if header_row is None:
            raise FileRejected(901, "Файл пуст: нет строки заголовков столбцов.")
        names = [(value or "").strip().lstrip("\ufeff").upper() for value in header_row[1]]
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            if not name:
                continue
            if name in columns:
                raise FileRejected(901, f"Столбец {name} указан дважды (строка 1).", field=name, line=1)
            columns[name] = index
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise FileRejected(
                901,
                "Нет обязательных столбцов: " + ", ".join(missing) + ". Скачайте шаблон списка (CSV или XLSX).",
                field=missing[0],
                line=1,
            )
        self._columns = columns
        for line, values in self._rows:
            if any(v for v in values):
                self._first = (line, values)
                break

    def _value(self, values: list[str], name: str) -> str:
        index = self._columns.get(name)  # type: ignore[union-attr]
        if index is None or index >= len(values):
            return ""
        return values[index]

    def header(self) -> ListHeader:
        if self._header is None:
            self._start()
            if self._first is None:
                raise FileRejected(901, "Файл не содержит ни одной записи списка.")
            values = self._first[1]
            self._header = ListHeader(code_mo=self._value(values, "CODE_MO"), year=self._value(values, "YEAR"))
        return self._header

    def records(self) -> Iterator[ListRecord]:
        header = self.header()
        cols = self._columns
        assert cols is not None
        idx = [cols.get(name) for name in _RECORD_COLUMNS]
        code_mo_idx, year_idx = cols.get("CODE_MO"), cols.get("YEAR")
        group, previous_key = 0, None

        def rows():
            assert self._first is not None
            yield self._first
            for item in self._rows:  # type: ignore[union-attr]
                if any(v for v in item[1]):
                    yield item

        for line, values in rows():
            n = len(values)
            fields = [(values[i] if i is not None and i < n else "") for i in idx]
            for name, position, expected in (("CODE_MO", code_mo_idx, header.code_mo), ("YEAR", year_idx, header.year)):
                if position is not None and position < n and values[position] and values[position] != expected:
                    raise FileRejected(
                        902,
                        f"Строка {line}: {name} «{values[position][:20]}» отличается от первой строки «{expected}»; "
                        "один файл — один список одной МО на один год.",
                        field=name,
                        line=line,
                    )
            key = tuple(fields[:8])  # N_ZAP and the person's identifying fields
            if key != previous_key:
                group += 1
                previous_key = key
            yield ListRecord(group, line, *fields)


class CsvListReader(_TabularReader):
    format = "CSV"

    def __init__(self, sniffed: Sniffed):
        super().__init__()
        self._stream = sniffed.stream
        self._size = sniffed.size

    @property
    def bytes_total(self) -> int:
        return self._size

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        yield from CsvRows(self._stream)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


class XlsxListReader(_TabularReader):
    format = "XLSX"

    def __init__(self, sniffed: Sniffed):
        super().__init__()
        upload = sniffed.upload
        try:
            self._sheet = SheetReader(sniffed.stream, limits=upload.limits, deadline=upload.deadline)
        except BadFile as exc:
            raise FileRejected.from_error(exc) from exc

    @property
    def bytes_total(self) -> int:  # progress in bytes of the sheet's XML as unpacked
        return self._sheet.size

    @property
    def bytes_read(self) -> int:
        return self._sheet.bytes_read

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        try:
            for line, row in self._sheet.rows():
                yield line, [_cell_text(v) for v in row]
        finally:
            self._sheet.close()


def _detect_xlsx(sniffed: Sniffed) -> bool:
    return bool(sniffed.extra.get("xlsx"))


def _detect_csv(sniffed: Sniffed) -> bool:
    return sniffed.extra.get("kind") == "csv"


def register() -> None:
    register_reader("zl_list_xlsx", _detect_xlsx, XlsxListReader, first=False)
    register_reader("zl_list_csv", _detect_csv, CsvListReader, first=False)
