"""The yearly plan file (docs/formats/plan_xlsx.md): its reader and the template writer [R II.1].

One sheet, header ``CODE_MO, DISP, M1..M12`` in row 1 (any order, case-insensitive; NAME_MO and other columns are
ignored), one row per MO and measure. The reader checks the whole file and raises :class:`PlanFileError` with
every problem, each naming the row and column, so a file with any error changes nothing.
"""

from __future__ import annotations

import decimal
import io
import re
from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from omsportal.exports import write_cell
from omsportal.filelimits import BadFile
from omsportal.safefiles import ascii_digits, open_upload
from omsportal.sheets import SheetReader, column_letter
from screening.models import MAX_QUANTITY, MONTHS, PLAN_MEASURES, Measure

PLAN_XLSX_COLUMNS: tuple[str, ...] = ("CODE_MO", "DISP", *(f"M{m}" for m in MONTHS))
PLAN_XLSX_MAX_ROWS = 20_000
PLAN_XLSX_MAX_ERRORS = 200
MEASURE_ALIASES = {"ДВН": Measure.DVN, "DVN": Measure.DVN, "ПМО": Measure.PMO, "PMO": Measure.PMO}
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?\Z")


class PlanFileError(ValidationError):
    """The plan file is rejected: ``messages`` are Russian, each naming the row and column."""


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_quantity(value: Any) -> int | None:
    """A month cell: empty is 0; an integer (also written as 12.0 or "12"); anything else is None (an error)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        quantity = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        quantity = int(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if not _PLAIN_NUMBER.match(text):  # ASCII digits only: Decimal would also read "١٢" as 12
            return None
        try:
            number = decimal.Decimal(text.replace(",", "."))
        except decimal.InvalidOperation:
            return None
        if number != number.to_integral_value():
            return None
        quantity = int(number)
    return quantity if 0 <= quantity <= MAX_QUANTITY else None


def read_plan_xlsx(file: IO[bytes], *, mo_ids_by_code: Mapping[str, int]) -> list[tuple[int, str, list[int]]]:
    """Read and check a plan file: [(mo_id, measure, [12 quantities])]; raises PlanFileError with all errors."""
    try:
        with open_upload(file, accept=("xlsx",)) as upload, SheetReader(upload.file) as sheet:
            return _read_plan_rows(sheet.rows(), mo_ids_by_code=mo_ids_by_code)
    except BadFile as exc:
        raise PlanFileError([exc.message]) from exc


def _read_plan_rows(rows, *, mo_ids_by_code: Mapping[str, int]) -> list[tuple[int, str, list[int]]]:
    header_number, header = next(rows, (1, None))
    errors: list[str] = []
    positions: dict[str, int] = {}
    for index, title in enumerate(header or (), start=1):
        name = _cell_text(title).upper()
        if not name:
            continue
        if name in positions and name in PLAN_XLSX_COLUMNS:
            errors.append(
                _("Строка %(row)s, столбец %(col)s: столбец «%(name)s» повторяется (уже есть в столбце %(first)s).")
                % {
                    "row": header_number,
                    "col": column_letter(index),
                    "name": name,
                    "first": column_letter(positions[name]),
                }
            )
            continue
        positions.setdefault(name, index)
    missing = [name for name in PLAN_XLSX_COLUMNS if name not in positions]
    if missing:
        errors.append(
            _("Строка %(row)s: нет столбцов %(names)s. Заголовок должен содержать CODE_MO, DISP, M1…M12.")
            % {"row": header_number, "names": ", ".join(missing)}
        )
    if errors:
        raise PlanFileError(errors)

    def where(row_number: int, name: str) -> str:
        return _("Строка %(row)s, столбец %(col)s (%(name)s)") % {
            "row": row_number,
            "col": column_letter(positions[name]),
            "name": name,
        }

    result: list[tuple[int, str, list[int]]] = []
    seen: dict[tuple[int, str], int] = {}
    data_rows = 0
    for row_number, row in rows:
        data_rows += 1
        if data_rows > PLAN_XLSX_MAX_ROWS:
            errors.append(_("Строк больше %(max)s: файл не похож на план.") % {"max": PLAN_XLSX_MAX_ROWS})
            break

        def cell(name: str, row=row):
            position = positions[name] - 1
            return row[position] if position < len(row) else None

        if all(_cell_text(cell(name)) == "" for name in PLAN_XLSX_COLUMNS):
            continue  # a blank line
        code = _cell_text(cell("CODE_MO"))
        if isinstance(cell("CODE_MO"), float) and cell("CODE_MO").is_integer():
            code = str(int(cell("CODE_MO")))
        mo_id = None
        if not code:
            errors.append(_("%(where)s: не указан код МО.") % {"where": where(row_number, "CODE_MO")})
        elif not (ascii_digits(code) and len(code) == 6):
            errors.append(
                _("%(where)s: код МО «%(code)s» должен состоять из 6 цифр (справочник F003).")
                % {"where": where(row_number, "CODE_MO"), "code": code}
            )
        else:
            mo_id = mo_ids_by_code.get(code)
            if mo_id is None:
                errors.append(
                    _("%(where)s: медицинской организации с кодом %(code)s нет в справочнике региона.")
                    % {"where": where(row_number, "CODE_MO"), "code": code}
                )
        disp = _cell_text(cell("DISP")).upper()
        measure = MEASURE_ALIASES.get(disp)
        if not disp:
            errors.append(_("%(where)s: не указано мероприятие.") % {"where": where(row_number, "DISP")})
        elif measure is None:
            errors.append(
                _("%(where)s: мероприятие «%(value)s» не входит в план; допустимо ДВН или ПМО (DVN, PMO).")
                % {"where": where(row_number, "DISP"), "value": disp}
            )
        quantities: list[int] = []
        for month in MONTHS:
            name = f"M{month}"
            quantity = _parse_quantity(cell(name))
            if quantity is None:
                errors.append(
                    _("%(where)s: «%(value)s» — не целое число от 0 до %(max)s.")
                    % {"where": where(row_number, name), "value": _cell_text(cell(name)), "max": MAX_QUANTITY}
                )
                quantity = 0
            quantities.append(quantity)
        if mo_id is not None and measure is not None:
            first = seen.setdefault((mo_id, measure), row_number)
            if first != row_number:
                errors.append(
                    _("Строка %(row)s: МО %(code)s и мероприятие %(disp)s уже указаны в строке %(first)s.")
                    % {"row": row_number, "code": code, "disp": disp, "first": first}
                )
            else:
                result.append((mo_id, measure, quantities))
        if len(errors) > PLAN_XLSX_MAX_ERRORS:
            break
    if not errors and not result:
        errors.append(_("В файле нет ни одной строки плана (ожидаются строки со второй)."))
    if errors:
        if len(errors) > PLAN_XLSX_MAX_ERRORS:
            errors = [*errors[:PLAN_XLSX_MAX_ERRORS], _("… проверка остановлена: слишком много ошибок.")]
        raise PlanFileError(errors)
    return result


def plan_template_xlsx(*, year: int, rows: list[tuple[str, str, dict[str, list[int | None]]]]) -> bytes:
    """The plan file, prefilled: ``rows`` are (MO code, MO name, {measure: 12 months}) in the order to write."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(f"PLAN_{year}")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    headers = [*PLAN_XLSX_COLUMNS, "NAME_MO"]
    for col, title in enumerate(headers):
        write_cell(sheet, 0, col, title, bold)
    row_index = 0
    labels = {Measure.DVN: "ДВН", Measure.PMO: "ПМО"}
    for code, name, cells in rows:
        for measure in PLAN_MEASURES:
            row_index += 1
            write_cell(sheet, row_index, 0, code, text)
            write_cell(sheet, row_index, 1, labels[measure])
            for month_index, value in enumerate(cells[measure]):
                if value is not None:
                    sheet.write_number(row_index, 2 + month_index, value)
            write_cell(sheet, row_index, 14, name)  # an administrator's text: neutralized too
    last = max(row_index, 1000)
    sheet.data_validation(1, 1, last, 1, {"validate": "list", "source": ["ДВН", "ПМО"]})
    sheet.data_validation(
        1,
        2,
        last,
        13,
        {
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "error_message": "Целое число не меньше 0",
        },
    )
    sheet.set_column(0, 0, 10, text)
    sheet.set_column(1, 1, 7)
    sheet.set_column(2, 13, 8)
    sheet.set_column(14, 14, 50)
    sheet.freeze_panes(1, 2)
    workbook.close()
    return buffer.getvalue()


