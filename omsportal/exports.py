"""Everything the portal writes back is safe to open: one rule for cells of XLSX / CSV files and for download names.

- :func:`safe_text` neutralizes a value that a spreadsheet would take as a formula (it starts with ``=``, ``+``,
  ``-``, ``@``, a tab, CR or LF, or their full-width forms): a leading apostrophe makes it text in Excel and
  LibreOffice. Every CSV row goes through :func:`safe_row`, every XLSX cell through :func:`write_cell` /
  :func:`write_cells` (xlsxwriter's ``write()`` would turn ``=HYPERLINK(...)`` into a live formula; these never do:
  a string cell, and for one that starts like a formula the quote prefix instead of an apostrophe in the value, so
  a phone ``+7 914 …`` reads as written).
  A value that came from an uploaded file (a FILENAME, a name, a phone number) is written exactly as safely as one
  the portal made itself.
- :func:`safe_filename` builds a download name from letters (Latin and Cyrillic), digits, ``_``, ``-`` and ``.``
  only; :func:`attachment` sets ``Content-Disposition`` from it (RFC 6266 ``filename*`` for Cyrillic), so a FILENAME
  holding CR LF, quotes or a path cannot break a header or a browser's "save as".

Every view and API action that sends a file uses :func:`attachment`; every writer of CSV or XLSX uses the cell
helpers (a test walks the writers with hostile values).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import IO, Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

# What makes Excel, LibreOffice or Google Sheets start a formula (or DDE) at the start of a cell.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: str) -> str:
    """The value as inert text: a leading apostrophe when it would start a formula, unchanged otherwise."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """Strings neutralized (see :func:`safe_text`); numbers, dates, booleans and None as they are."""
    return safe_text(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row with every string neutralized."""
    return [safe_text(v) if isinstance(v, str) else v for v in values]


def _quoted_text_format(sheet):
    """The sheet's format for text that starts like a formula: Excel's quote prefix (``quotePrefix``), which
    LibreOffice honours too, or None where this xlsxwriter cannot make one (then the apostrophe is written)."""
    quoted = getattr(sheet, "_oms_quoted_text", None)
    if quoted is None:
        add_format = getattr(sheet, "workbook_add_format", None)
        if add_format is None:
            return None
        quoted = sheet._oms_quoted_text = add_format({"quote_prefix": True})
    return quoted


def write_cell(sheet, row: int, column: int, value: Any, cell_format=None) -> None:
    """Write one xlsxwriter cell by type, never as a formula: text as a string cell, numbers, dates, booleans, blanks.

    A text cell is never evaluated when the file is opened; one that starts like a formula (a phone ``+7…``, a
    hostile ``=HYPERLINK(…)``) also carries the quote prefix, so that editing it keeps it text, and shows as written
    (a CSV has no such mark: there, and in a cell with a format of its own, the apostrophe of :func:`safe_text`)."""
    if value is None or value == "":
        sheet.write_blank(row, column, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value, cell_format)
    elif isinstance(value, datetime.datetime | datetime.date):
        sheet.write_datetime(row, column, value, cell_format)
    else:
        text = str(value)
        if text.startswith(FORMULA_TRIGGERS):
            quoted = _quoted_text_format(sheet) if cell_format is None else None
            if quoted is not None:
                sheet.write_string(row, column, text, quoted)
                return
            text = safe_text(text)
        sheet.write_string(row, column, text, cell_format)


def write_cells(sheet, row: int, column: int, values: Iterable[Any], cell_format=None) -> None:
    """A row of cells from ``column`` on, each through :func:`write_cell`."""
    for offset, value in enumerate(values):
        write_cell(sheet, row, column + offset, value, cell_format)


# --- download names -------------------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^0-9A-Za-zА-Яа-яЁё_.\-]+")
_UNDERSCORES_AT_DOTS = re.compile(r"_*\.[._]*")
MAX_NAME = 120


def safe_filename(name: str, *, default: str = "file") -> str:
    """A download name of safe characters only (letters, digits, ``_ - .``), at most 120 characters.

    Everything else (spaces, quotes, slashes, CR/LF, control characters, ``=``) becomes ``_``; no leading dot.
    The extension, if any, is kept.
    """
    cleaned = _UNDERSCORES_AT_DOTS.sub(".", _UNSAFE_NAME.sub("_", name or "")).strip("._-")
    if not cleaned or cleaned.startswith("."):
        cleaned = default
    if len(cleaned) > MAX_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 8:
            cleaned = stem[: MAX_NAME - len(extension) - 1].rstrip("._-") + "." + extension
        else:
            cleaned = cleaned[:MAX_NAME]
    return cleaned


def attachment(
    content: bytes | IO[bytes] | Iterable, *, filename: str, content_type: str, streaming: bool = False
) -> HttpResponse:
    """A download response: bytes, an open binary file (streamed and closed by FileResponse) or, with
    ``streaming=True``, an iterable of chunks; the name goes through :func:`safe_filename`."""
    if streaming:
        response = StreamingHttpResponse(content, content_type=content_type)
    elif isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- tables of the pages -------------------------------------------------------------------------------------

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_xlsx(headers: Iterable[Any], rows: Iterable[Iterable[Any]], *, title: str = "Лист1") -> bytes:
    """One sheet: a bold header row, then ``rows``, every cell through :func:`write_cell`."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = workbook.add_worksheet(safe_filename(title, default="sheet")[:31])
    write_cells(sheet, 0, 0, headers, workbook.add_format({"bold": True}))
    for index, row in enumerate(rows, start=1):
        write_cells(sheet, index, 0, row)
    workbook.close()
    return buffer.getvalue()


def table_csv(headers: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens Cyrillic right), ``;``-separated, every row through :func:`safe_row`."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(safe_row(headers))
    for row in rows:
        writer.writerow(safe_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_download(headers, rows, *, name: str, fmt: str) -> HttpResponse:
    """A page's table as a CSV or XLSX download named ``name``.csv / .xlsx."""
    if fmt == "xlsx":
        content = table_xlsx(headers, rows, title=name)
        return attachment(content, filename=f"{name}.xlsx", content_type=XLSX_CONTENT_TYPE)
    return attachment(table_csv(headers, rows), filename=f"{name}.csv", content_type=CSV_CONTENT_TYPE)
