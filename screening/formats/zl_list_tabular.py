"""CSV and XLSX twins of ZL_LIST: one row per measure line, the XML tag names as column names [formats.md].

Columns (docs/formats/zl_list.md): CODE_MO;YEAR;N_ZAP;ENP;SNILS;FAM;IM;OT;W;DR;UCH;TEL;DISP;MONTH;KV;IDDOKT.
CODE_MO and YEAR play the part of the XML header: when present they must be the same in every row (else 902);
when absent or empty the upload form / command-line ``--year`` and the uploader's MO stand in. Rows of one person
(several measures) repeat N_ZAP and the person's fields. CSV: ``;`` separator, UTF-8 with BOM or windows-1251
(a BOM-less file that is valid UTF-8 is read as UTF-8). XLSX: the first sheet, the first row holds the names.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from collections.abc import Iterator
from typing import IO

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


class _CountingRaw(io.RawIOBase):
    """Counts the bytes the text layer pulls from the upload, for the progress bar."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


def detect_csv_encoding(head: bytes) -> str:
    """UTF-8 with BOM; else UTF-8 if the start of the file decodes as UTF-8; else windows-1251."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is still UTF-8.
        if exc.start < len(head) - 3:
            return "cp1251"
    return "utf-8"


class _TabularReader:
    """Shared logic of CSV and XLSX: the header row, the per-row CODE_MO/YEAR, and person grouping."""

    format = ""

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
        self._encoding = detect_csv_encoding(sniffed.head)
        self._counter = _CountingRaw(sniffed.stream)
        self._size = sniffed.size

    @property
    def bytes_total(self) -> int:
        return self._size

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        text = io.TextIOWrapper(io.BufferedReader(self._counter, 1 << 16), encoding=self._encoding, newline="")
        reader = csv.reader(text, delimiter=";", quotechar='"')
        try:
            for values in reader:
                yield reader.line_num, [v.strip() for v in values]
        except UnicodeDecodeError as exc:
            raise FileRejected(
                901,
                f"Строка {reader.line_num + 1}: файл не читается в кодировке "
                f"{'UTF-8' if self._encoding.startswith('utf') else 'windows-1251'}. "
                "Сохраните CSV в UTF-8 с BOM или в windows-1251.",
                line=reader.line_num + 1,
            ) from exc
        except csv.Error as exc:
            raise FileRejected(
                901, f"Строка {reader.line_num}: ошибка формата CSV: {exc}.", line=reader.line_num
            ) from exc


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
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(sniffed.stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise FileRejected(901, "Файл XLSX повреждён и не может быть прочитан.") from exc
        self._rows_total = 0
        self._rows_read = 0

    @property
    def bytes_total(self) -> int:  # progress in rows: XLSX is compressed, bytes say little
        return self._rows_total

    @property
    def bytes_read(self) -> int:
        return self._rows_read

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        sheet = self._workbook.worksheets[0]
        self._rows_total = sheet.max_row or 0
        try:
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                self._rows_read = line
                yield line, [_cell_text(v) for v in row]
        finally:
            self._workbook.close()


def _detect_xlsx(sniffed: Sniffed) -> bool:
    return bool(sniffed.extra.get("xlsx"))


def _detect_csv(sniffed: Sniffed) -> bool:
    head = sniffed.head.lstrip(b"\xef\xbb\xbf")
    return not sniffed.extra.get("xlsx") and not head.startswith(b"PK") and b"\x00" not in head[:4096]


def register() -> None:
    register_reader("zl_list_xlsx", _detect_xlsx, XlsxListReader, first=False)
    register_reader("zl_list_csv", _detect_csv, CsvListReader, first=False)
