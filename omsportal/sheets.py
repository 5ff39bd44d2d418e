"""Streaming reader of the first worksheet of an XLSX workbook: the cells that exist, under the file limits.

Every reader of a workbook (lists, stage events, the yearly plan; the coming informing and invoice files) reads it
through :class:`SheetReader`, never through a library that trusts the sheet's declared size: openpyxl's read-only
mode pads rows and columns up to ``<dimension ref="A1:ZZZ999999999"/>``, so a 7 KB file kept a worker busy for days.
Here the sheet XML is streamed with the safe lxml options of ``omsportal.xmlsafe``; only ``<c>`` elements
that are present are read, so the work follows the bytes of the file, and:

- a row number above OMS_SHEET_MAX_ROWS, more rows than that, or a value in a column past OMS_SHEET_MAX_COLUMNS is a
  901 naming the row and column; one value longer than OMS_FILE_MAX_VALUE_CHARS too;
- every part read (workbook, relationships, styles, shared strings, the sheet) is a zip member checked for size and
  compression ratio, parsed without DTD or entities, one record at a time (OMS_FILE_MAX_RECORD_BYTES);
- the shared-strings table is kept compactly (one string per block of strings, offsets in an array) and bounded by
  OMS_SHEET_MAX_SHARED_STRINGS and OMS_SHEET_MAX_SHARED_CHARS (a "shared strings bomb" is refused, not loaded);
- a broken, truncated or DTD-carrying part, a workbook with no worksheet (only charts), a reference to a string that
  does not exist: each a 901 that names the part and the line.

Values come out as openpyxl gives them with ``data_only=True``: str, int, float, bool, datetime (date styles), None.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from typing import IO

from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from omsportal.xmlsafe import XmlFileError, check_prolog, safe_iterparse, syntax_error_message

from .filelimits import BadFile, Deadline, FileLimits, LimitedStream, LimitExceeded, file_limits
from .safefiles import HEAD_BYTES, ascii_digits, check_member, open_zip

MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "strict" OOXML
)
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
REL_ID_ATTRS = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)
LABEL = "Книга XLSX"
_INT = re.compile(r"-?[0-9]+\Z")
_CELL_REF = re.compile(r"([A-Z]{1,4})([0-9]*)\Z")
_EXCEL_EPOCH = CALENDAR_WINDOWS_1900
_MAC_EPOCH = CALENDAR_MAC_1904


def column_letter(index: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


class _SharedStrings:
    """The shared-strings table in blocks: one joined str and an array of offsets per BLOCK strings."""

    BLOCK = 4096

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._offsets: list[array] = []
        self._pending: list[str] = []
        self.count = 0
        self.chars = 0

    def add(self, value: str) -> None:
        self._pending.append(value)
        self.count += 1
        self.chars += len(value)
        if len(self._pending) == self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        offsets = array("L", [0])
        total = 0
        for value in self._pending:
            total += len(value)
            offsets.append(total)
        self._blocks.append("".join(self._pending))
        self._offsets.append(offsets)
        self._pending = []

    def get(self, index: int) -> str | None:
        if not 0 <= index < self.count:
            return None
        block = index >> 12  # BLOCK = 4096
        if block == len(self._blocks):
            return self._pending[index & 4095]
        offsets = self._offsets[block]
        position = index & 4095
        return self._blocks[block][offsets[position] : offsets[position + 1]]


def _free(element: etree._Element) -> None:
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class SheetReader:
    """The first worksheet of an XLSX workbook (seekable ``file``), read row by row; close it when done."""

    def __init__(
        self,
        file: IO[bytes],
        *,
        limits: FileLimits | None = None,
        deadline: Deadline | None = None,
        label: str = LABEL,
    ):
        self.limits = limits or file_limits()
        self.deadline = deadline or Deadline(self.limits.read_seconds)
        self.label = label
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
        self._archive = open_zip(file, size=size, limits=self.limits, label=label)
        self._names = set(self._archive.namelist())
        self._sheet_stream: LimitedStream | None = None
        try:
            workbook = self._office_document()
            rels = self._relationships(workbook)
            self.ns, self.sheet_name, self.sheet_path, self._epoch = self._first_worksheet(workbook, rels)
            self._date_styles = self._styles(self._target(workbook, rels, "/styles"))
            self._shared = self._shared_strings(self._target(workbook, rels, "/sharedStrings"))
            self.size = self._archive.getinfo(self.sheet_path).file_size
        except BaseException:
            self._archive.close()
            raise

    # -- parts ---------------------------------------------------------------------------------------------------
    def _open_part(self, path: str) -> LimitedStream:
        try:
            info = self._archive.getinfo(path)
        except KeyError as exc:
            raise BadFile(f"{self.label} повреждена: нет части «{path}». Сохраните книгу заново в Excel.") from exc
        check_member(info, self.limits, label=self.label)
        try:
            raw = self._archive.open(info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise BadFile(f"{self.label} повреждена: часть «{path}» не открывается ({str(exc)[:80]}).") from exc
        stream = LimitedStream(raw, limits=self.limits, deadline=self.deadline, name=path)
        head = stream.peek(HEAD_BYTES)
        try:
            check_prolog(head)
        except XmlFileError as exc:
            raise BadFile(f"{self.label}, часть «{path}»: {exc.message}", line=exc.line) from exc
        return stream

    def _parse(self, path: str, stream: LimitedStream, *, tag, events=("end",)) -> Iterator:
        try:
            yield from safe_iterparse(stream, tag=tag, events=events)
        except etree.XMLSyntaxError as exc:
            message, line = syntax_error_message(exc, part=f"{self.label}, часть «{path}»", stream=stream)
            raise BadFile(message + " Сохраните книгу заново в Excel.", line=line) from exc

    def _docinfo_check(self, element: etree._Element, path: str) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise BadFile(f"{self.label}, часть «{path}»: объявление <!DOCTYPE> запрещено. Файл не загружен.")

    def _office_document(self) -> str:
        if "_rels/.rels" in self._names:
            for rel in self._rels_of("_rels/.rels"):
                if rel["type"].endswith("/officeDocument"):
                    return self._resolve("", rel["target"])
        return "xl/workbook.xml"

    def _rels_of(self, path: str) -> list[dict]:
        stream = self._open_part(path)
        rels = []
        try:
            for _event, element in self._parse(path, stream, tag=PACKAGE_RELS):
                rels.append(
                    {
                        "id": element.get("Id", ""),
                        "type": element.get("Type", ""),
                        "target": element.get("Target", ""),
                        "external": element.get("TargetMode", "") == "External",
                    }
                )
                stream.mark_record()
                _free(element)
        finally:
            stream.close()
        return rels

    def _relationships(self, part: str) -> list[dict]:
        folder, name = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", name + ".rels")
        return self._rels_of(rels_path) if rels_path in self._names else []

    def _resolve(self, base_folder: str, target: str) -> str:
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base_folder, target))
        if path.startswith("../") or path == ".." or path.startswith("/"):
            raise BadFile(f"{self.label}: ссылка на часть «{target[:80]}» ведёт за пределы книги. Файл не загружен.")
        return path

    def _target(self, workbook: str, rels: list[dict], type_suffix: str) -> str | None:
        for rel in rels:
            if rel["type"].endswith(type_suffix) and not rel["external"]:
                path = self._resolve(posixpath.dirname(workbook), rel["target"])
                return path if path in self._names else None
        return None

    def _first_worksheet(self, workbook: str, rels: list[dict]) -> tuple[str, str, str, datetime.datetime]:
        by_id = {rel["id"]: rel for rel in rels}
        stream = self._open_part(workbook)
        sheets: list[tuple[str, str]] = []
        ns = ""
        epoch = _EXCEL_EPOCH
        try:
            for _event, element in self._parse(workbook, stream, tag=None):
                tag = element.tag
                if not isinstance(tag, str):
                    continue
                namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
                if local == "sheet" and namespace in MAIN_NAMESPACES:
                    ns = namespace
                    rel_id = next((element.get(a) for a in REL_ID_ATTRS if element.get(a)), "")
                    sheets.append((element.get("name", ""), rel_id))
                elif local == "workbookPr" and element.get("date1904") in ("1", "true"):
                    epoch = _MAC_EPOCH
                elif local == "workbook":
                    self._docinfo_check(element, workbook)
                    if namespace not in MAIN_NAMESPACES:
                        raise BadFile(f"{self.label}: «{workbook}» — не книга Excel. Сохраните её заново в Excel.")
                    ns = namespace
                stream.mark_record()
        finally:
            stream.close()
        for name, rel_id in sheets:
            rel = by_id.get(rel_id)
            if rel and rel["type"].endswith("/worksheet") and not rel["external"]:
                path = self._resolve(posixpath.dirname(workbook), rel["target"])
                if path not in self._names:
                    raise BadFile(f"{self.label} повреждена: нет листа «{name}» ({path}). Сохраните книгу заново.")
                return ns, name, path, epoch
        if sheets:
            raise BadFile(
                f"В книге нет листа с таблицей: {'лист' if len(sheets) == 1 else 'листы'} "
                f"{', '.join('«' + n[:40] + '»' for n, _ in sheets[:5])} — диаграммы или листы иного вида. "
                "Поместите данные на обычный лист."
            )
        raise BadFile(f"{self.label}: в книге нет ни одного листа. Сохраните книгу заново в Excel.")

    def _styles(self, path: str | None) -> frozenset[int]:
        """The indexes of cell formats (``s`` of a cell) that show a number as a date or time."""
        if path is None:
            return frozenset()
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        ns = self.ns
        tags = (f"{{{ns}}}numFmt", f"{{{ns}}}cellXfs", f"{{{ns}}}xf")
        custom: dict[int, str] = {}
        formats: list[int] = []
        inside = False
        stream = self._open_part(path)
        try:
            for event, element in self._parse(path, stream, tag=tags, events=("start", "end")):
                local = element.tag.rpartition("}")[2]
                if local == "cellXfs":
                    inside = event == "start"
                    continue
                if event != "end":
                    continue
                number = element.get("numFmtId", "0")
                number = int(number) if ascii_digits(number) and len(number) < 10 else 0
                if local == "numFmt":
                    custom[number] = element.get("formatCode", "")
                elif inside:
                    formats.append(number)
                stream.mark_record()
                _free(element)
        finally:
            stream.close()
        dates = set()
        for index, number in enumerate(formats):
            code = custom.get(number, BUILTIN_FORMATS.get(number, ""))
            if code and is_date_format(code):
                dates.add(index)
        return frozenset(dates)

    def _shared_strings(self, path: str | None) -> _SharedStrings:
        table = _SharedStrings()
        if path is None:
            return table
        ns = self.ns
        si, t, r = f"{{{ns}}}si", f"{{{ns}}}t", f"{{{ns}}}r"
        limits = self.limits
        stream = self._open_part(path)
        try:
            for _event, element in self._parse(path, stream, tag=si):
                parts = []
                for child in element:
                    if child.tag == t:
                        parts.append(child.text or "")
                    elif child.tag == r:  # a run of rich text; phonetic runs (rPh) are not part of the value
                        parts.extend(item.text or "" for item in child if item.tag == t)
                value = "".join(parts)
                if len(value) > limits.max_value_chars:
                    raise LimitExceeded(
                        f"строка № {table.count + 1} общей таблицы строк книги длиннее допустимого",
                        setting="OMS_FILE_MAX_VALUE_CHARS",
                        limit=limits.max_value_chars,
                        actual=len(value),
                        unit="chars",
                        where=LABEL,
                    )
                table.add(value)
                for actual, limit, setting, unit, what in (
                    (table.count, limits.max_shared_strings, "OMS_SHEET_MAX_SHARED_STRINGS", "count", "строк"),
                    (table.chars, limits.max_shared_chars, "OMS_SHEET_MAX_SHARED_CHARS", "chars", "символов"),
                ):
                    if actual > limit:
                        raise LimitExceeded(
                            f"в общей таблице строк книги слишком много {what}",
                            setting=setting,
                            limit=limit,
                            actual=actual,
                            unit=unit,
                            at_least=True,
                            where=LABEL,
                        )
                stream.mark_record()
                _free(element)
        finally:
            stream.close()
        return table

    # -- the sheet -----------------------------------------------------------------------------------------------
    @property
    def bytes_read(self) -> int:
        return self._sheet_stream.bytes_read if self._sheet_stream is not None else 0

    def rows(self) -> Iterator[tuple[int, list]]:
        """(row number, values from column A to the last cell holding a value) for each row that holds a value."""
        ns, path, limits = self.ns, self.sheet_path, self.limits
        row_tag, cell_tag = f"{{{ns}}}row", f"{{{ns}}}c"
        value_tag, inline_tag, text_tag, run_tag = f"{{{ns}}}v", f"{{{ns}}}is", f"{{{ns}}}t", f"{{{ns}}}r"
        max_rows, max_columns, max_value = limits.max_sheet_rows, limits.max_sheet_columns, limits.max_value_chars
        stream = self._sheet_stream = self._open_part(path)
        deadline, shared, date_styles = self.deadline, self._shared, self._date_styles
        columns: dict[str, int] = {}  # "AB" -> 28, computed once per column letters
        number = rows_seen = 0
        checked = False
        try:
            for _event, row in self._parse(path, stream, tag=row_tag):
                if not checked:
                    self._docinfo_check(row, path)
                    checked = True
                deadline.check()
                given = row.get("r")
                number = int(given) if given and ascii_digits(given) and len(given) < 12 else number + 1
                rows_seen += 1
                if number > max_rows or rows_seen > max_rows:
                    raise LimitExceeded(
                        "номер строки листа больше допустимого",
                        setting="OMS_SHEET_MAX_ROWS",
                        limit=max_rows,
                        actual=max(number, rows_seen),
                        unit="rows",
                        where=f"Лист «{self.sheet_name}»",
                        hint="Файл не загружен: пересохраните лист без пустых строк до этой.",
                        line=number,
                    )
                values: list = []
                column = 0
                for cell in row:
                    if cell.tag != cell_tag:
                        continue
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        column = columns.get(letters, 0)
                        if not column:
                            if not _CELL_REF.match(ref):
                                raise BadFile(
                                    f"Лист «{self.sheet_name}», строка {number}: адрес ячейки «{ref[:20]}» неверен. "
                                    "Сохраните книгу заново в Excel.",
                                    line=number,
                                )
                            column = columns[letters] = column_index(letters)
                    else:
                        column += 1
                    kind = cell.get("t")
                    if kind == "inlineStr":
                        value = None
                        for inline in cell:
                            if inline.tag == inline_tag:
                                parts = []
                                for item in inline:
                                    if item.tag == text_tag:
                                        parts.append(item.text or "")
                                    elif item.tag == run_tag:  # rich text; phonetic runs (rPh) are not the value
                                        parts.extend(t.text or "" for t in item if t.tag == text_tag)
                                value = "".join(parts)
                        if value is None:
                            continue
                    else:
                        text = None
                        for child in cell:  # <v> (after an <f> formula, if any); findtext would cost twice as much
                            if child.tag == value_tag:
                                text = child.text
                                break
                        if text is None:
                            continue
                        if kind == "s":
                            index = int(text) if text.isdigit() and text.isascii() and len(text) < 12 else -1
                            value = shared.get(index)
                            if value is None:
                                raise BadFile(
                                    f"Лист «{self.sheet_name}», ячейка {column_letter(column)}{number}: ссылка на "
                                    f"строку № {text[:12]} общей таблицы строк, которой нет. Книга повреждена — "
                                    "сохраните её заново в Excel.",
                                    line=number,
                                )
                        elif kind in ("str", "e"):
                            value = text
                        else:
                            value = self._typed(cell, kind, text, number, column, date_styles)
                    if column > max_columns:
                        raise LimitExceeded(
                            f"значение в столбце {column_letter(column)} — номер столбца больше допустимого",
                            setting="OMS_SHEET_MAX_COLUMNS",
                            limit=max_columns,
                            actual=column,
                            unit="count",
                            where=f"Лист «{self.sheet_name}», строка {number}",
                            line=number,
                        )
                    if value.__class__ is str and len(value) > max_value:
                        raise LimitExceeded(
                            "значение ячейки длиннее допустимого",
                            setting="OMS_FILE_MAX_VALUE_CHARS",
                            limit=max_value,
                            actual=len(value),
                            unit="chars",
                            where=f"Лист «{self.sheet_name}», ячейка {column_letter(column)}{number}",
                            line=number,
                        )
                    if column > len(values):
                        values.extend([None] * (column - len(values)))
                    values[column - 1] = value
                stream.mark_record()
                _free(row)
                if values:
                    yield number, values
        finally:
            stream.close()

    def _typed(self, cell: etree._Element, kind: str | None, text: str, row: int, column: int, date_styles):
        """A cell of type b (boolean), d (ISO date) or n (a number; a date when its style shows a date)."""
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        text = text.strip()
        try:
            number = int(text) if _INT.match(text) else float(text)
        except ValueError as exc:
            raise BadFile(
                f"Лист «{self.sheet_name}», ячейка {column_letter(column)}{row}: «{text[:20]}» записано как число, "
                "но числом не является. Книга повреждена — сохраните её заново в Excel.",
                line=row,
            ) from exc
        style = cell.get("s")
        if style and date_styles and ascii_digits(style) and int(style) in date_styles:
            try:
                return from_excel(number, self._epoch)
            except (OverflowError, ValueError):
                return number
        return number

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def table_rows(upload) -> Iterator[list[str]]:
    """The rows of a CSV or XLSX upload opened by ``omsportal.safefiles.open_upload``, under the upload's limits and
    deadline: the one way a reader of a tabular twin (EVENTS, INFORM) walks its rows."""
    from .safefiles import CsvRows

    if upload.kind == "csv":
        yield from CsvRows(upload.stream)
        return
    with SheetReader(upload.file, limits=upload.limits, deadline=upload.deadline) as sheet:
        yield from sheet.rows()
