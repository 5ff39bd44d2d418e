"""The Pskov answer: the list's CSV echoed back with ``ERR`` filled in (shared/formats-regional.md §3.4).

Name ``O`` + the list's name, upper-case ``.CSV`` (``OD{F003}{YYYYMMDD}.CSV`` for the list ``D{F003}{YYYYMMDD}``),
plain (not zipped), as the MIS's import wants it. The same 15 columns as sent, row for row in the file's order
(read again from the stored file); column 14 ``ERR`` is ``Ок`` (Cyrillic) for an accepted row, else the Russian
reasons (``code: reason; …``). windows-1251, every field in double quotes, ``;``, LF; written through
omsportal.exports.safe_row (a value that would start a spreadsheet formula gets a leading apostrophe).
"""

from __future__ import annotations

import os
from typing import IO

from omsportal.exports import safe_row
from omsportal.safefiles import CsvRows, open_upload
from screening.formats.dialects.pskov import COLUMNS, ERR_COLUMN
from screening.models import ListUpload

from . import CHUNK, TITLE_PSKOV, Answer, joined_reasons, reasons_by_number

ENCODING = "windows-1251"
ACCEPTED = "Ок"  # Cyrillic О and к: what the MIS compares


def file_name(upload: ListUpload) -> str:
    stem = os.path.splitext(os.path.basename(upload.original_name))[0].upper()
    if not stem.startswith("D"):
        day = upload.processing_date or upload.created_at.date()
        stem = f"D{upload.mo.code}{day:%Y%m%d}"
    return f"O{stem}.CSV"


def _line(values: list[str]) -> str:
    return ";".join('"' + value.replace('"', '""') + '"' for value in safe_row(values)) + "\n"


def write(upload: ListUpload, output: IO[bytes]) -> None:
    reasons = reasons_by_number(upload)
    lines: list[str] = []
    number = 0
    with upload.file.open("rb") as stored, open_upload(stored, accept=("csv",)) as source:
        for _line_number, values in CsvRows(source.stream, separators=(";",)):
            if not any(values):
                continue
            number += 1  # the record number the reader gave the row
            row = (values + [""] * len(COLUMNS))[: max(len(values), len(COLUMNS))]
            problems = reasons.get(number)
            row[ERR_COLUMN] = joined_reasons(problems) if problems else ACCEPTED
            lines.append(_line(row))
            if len(lines) >= CHUNK:
                output.write("".join(lines).encode(ENCODING, "replace"))
                lines = []
    output.write("".join(lines).encode(ENCODING, "replace"))


ANSWER = Answer("promed_pskov", TITLE_PSKOV, "text/csv; charset=windows-1251", file_name, write)
