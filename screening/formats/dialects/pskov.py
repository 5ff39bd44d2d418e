"""Pskov (region 60), ProMed's CSV ``D{F003}{YYYYMMDD}.csv`` (zipped) export (shared/formats-regional.md §2.8).

windows-1251, no header row, every field in double quotes, ``;``, LF; 15 columns in order:
``VPOLIS;SPOLIS;NPOLIS;FAM;IM;OT;DR(YYYYMMDD);TEL(10 digits);MO_CODE;YEAR;QUART;ATTACH_DATE;MP_SNILS;ERR;<person id>``.
There is no record number and no measure code: the record number is the row's number (1…n, which the answer
echoes row by row), and the measure is the one the person is due in ``YEAR`` by age (ДВН when due, else ПМО;
domain.md §5: a person due ДВН gets ДВН, not ПМО). A 16-digit ``NPOLIS`` is the ENP; there is no SNILS of the
person. ``MO_CODE`` and ``YEAR`` play the header and must be the same in every row (902). Its MIS imports the CSV
echoed back with ``ERR`` filled in (screening/formats/answers/pskov.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from omsportal.safefiles import CsvRows
from screening.eligibility import current_rules, is_due_dvn

from ..lists import FileRejected, ListHeader, ListRecord, Sniffed
from ..zl_list_tabular import COLUMNS as TABULAR_COLUMNS
from .base import Dialect, Probe, norm_date, norm_ot, norm_phone, policy_enp

COLUMNS = (
    "VPOLIS", "SPOLIS", "NPOLIS", "FAM", "IM", "OT", "DR", "TEL", "MO_CODE", "YEAR", "QUART", "ATTACH_DATE",
    "MP_SNILS", "ERR", "PERSON_ID",
)  # fmt: skip
ERR_COLUMN = COLUMNS.index("ERR")
_FIRST_LINE = re.compile(rb'("[^"\r\n]*"(?:;"[^"\r\n]*"){13,14})(?:\r?\n|\Z)')
_FIELD = re.compile(rb'"([^"\r\n]*)"')
_DATE = re.compile(rb"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])\Z")
# A first row holding a column name is a header row: the canonical CSV's (a fully quoted one of 14 or 15 columns
# has the shape of a Pskov row), or a Pskov file someone headed. Pskov has none.
COLUMN_NAMES = frozenset(name.encode("ascii") for name in (*COLUMNS, *TABULAR_COLUMNS))


class PskovReader:
    """The 15-column CSV, read by omsportal.safefiles.CsvRows (encoding, quotes, limits) with ``;`` only."""

    format = "CSV"
    dialect = "promed_pskov"
    NUMBER_TAG = "№ строки"

    @classmethod
    def tags(cls) -> dict[str, str]:
        """Canonical field name → this file's column, for the protocol's messages (as DialectXmlReader.tags)."""
        return {"N_ZAP": cls.NUMBER_TAG, "KV": "QUART", "CODE_MO": "MO_CODE"}

    def __init__(self, sniffed: Sniffed):
        self._stream = sniffed.stream
        self._size = sniffed.size
        self._rows = iter(CsvRows(sniffed.stream, separators=(";",)))
        self._first: tuple[int, list[str]] | None = None
        self._header: ListHeader | None = None
        self._rules = current_rules()

    @property
    def bytes_total(self) -> int:
        return self._size

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read

    def _data_rows(self) -> Iterator[tuple[int, list[str]]]:
        for line, values in self._rows:
            if any(values):
                yield line, values

    def header(self) -> ListHeader:
        if self._header is None:
            self._first = next(self._data_rows(), None)
            if self._first is None:
                raise FileRejected(901, "Файл не содержит ни одной строки списка.")
            values = self._first[1] + [""] * len(COLUMNS)
            self._header = ListHeader(code_mo=values[8], year=values[9])
        return self._header

    def _measure(self, dr: str, year: str) -> str:
        if len(dr) < 4 or not dr[:4].isdigit() or not year.isdigit():
            return ""
        return "ДВН" if is_due_dvn(int(year) - int(dr[:4]), self._rules) else "ПМО"

    def records(self) -> Iterator[ListRecord]:
        header = self.header()
        assert self._first is not None

        def rows():
            yield self._first
            yield from self._data_rows()

        for number, (line, raw) in enumerate(rows(), 1):
            values = raw + [""] * (len(COLUMNS) - len(raw))
            for index, expected in ((8, header.code_mo), (9, header.year)):
                if values[index] != expected:
                    raise FileRejected(
                        902,
                        f"Строка {line}: {COLUMNS[index]} «{values[index][:20]}» отличается от первой строки "
                        f"«{expected}»; один файл — один список одной МО на один год.",
                        field=COLUMNS[index],
                        line=line,
                    )
            dr = norm_date(values[6])
            yield ListRecord(
                number,
                line,
                str(number),
                policy_enp("", values[0], values[2]),
                "",
                values[3],
                values[4],
                norm_ot(values[5]),
                "",  # no sex in the file: the register's is used (W is not required for a dialect without it)
                dr,
                "",
                norm_phone(values[7]),
                self._measure(dr, values[9]),
                "",
                values[10],
                "",
                sex_free=True,
            )


def _first_row(probe: Probe) -> list[bytes] | None:
    """The fields of the first line when it is 14–15 quoted ';'-separated fields, none a column name; else None."""
    if probe.kind != "csv":
        return None
    found = _FIRST_LINE.match(probe.head)
    if found is None:
        return None
    fields = _FIELD.findall(found.group(1))
    if any(field.strip().upper() in COLUMN_NAMES for field in fields):
        return None
    return fields


def family(probe: Probe) -> bool:
    return _first_row(probe) is not None


def detect(probe: Probe) -> bool:
    """The row's shape, and its 7th field a date of birth YYYYMMDD (the name D{F003}{YYYYMMDD} does without it)."""
    fields = _first_row(probe)
    return fields is not None and _DATE.match(fields[6]) is not None


DIALECT = Dialect(
    code="promed_pskov",
    label=_("ProMed, Псковская область (CSV D…, 15 столбцов)"),
    region="60",
    detect=detect,
    reader=PskovReader,
    doc="docs/formats/dialects.md#pskov",
    name=r"D[0-9]{5,6}(?:19|20)[0-9]{6}\Z",  # D{F003}{YYYYMMDD} (D{F002}{YYYYMMDD} for an SMO)
    family=family,
)
