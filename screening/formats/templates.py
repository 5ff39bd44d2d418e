"""Downloadable templates of the CSV and XLSX twins of ZL_LIST, and the column list the upload page documents."""

from __future__ import annotations

import io

from omsportal.exports import safe_row, write_cell, write_cells

from .zl_list_tabular import COLUMNS, REQUIRED_COLUMNS

_DESCRIPTIONS = {
    "CODE_MO": (
        "Код МО по F003 (6 цифр); одинаков во всех строках. Можно не указывать: берётся МО загрузившего",
        "270001",
    ),
    "YEAR": ("Год списка; одинаков во всех строках. Можно не указывать, если год выбран при загрузке", "2027"),
    "N_ZAP": ("Номер записи о лице; строки одного лица (несколько мероприятий) повторяют номер", "1"),
    "ENP": ("ЕНП, 16 цифр (в XLSX — текстом); пусто, если неизвестен", "2755000000000011"),
    "SNILS": ("СНИЛС: NNN-NNN-NNN NN или 11 цифр подряд", "112-233-445 95"),
    "FAM": ("Фамилия", "Иванова"),
    "IM": ("Имя", "Мария"),
    "OT": ("Отчество (при наличии)", "Петровна"),
    "W": ("Пол: 1 — мужской, 2 — женский", "2"),
    "DR": ("Дата рождения ГГГГ-ММ-ДД (или ДД.ММ.ГГГГ)", "1961-03-14"),
    "UCH": ("Номер участка", "12"),
    "TEL": ("Телефон", "89141234567"),
    "DISP": ("Мероприятие: ДВН, ПМО или ДН (или DVN, PMO, DN)", "ДВН"),
    "MONTH": ("Месяц проведения 1–12 (для ДН — или квартал KV)", "3"),
    "KV": ("Квартал 1–4, только для ДН", ""),
    "IDDOKT": ("СНИЛС врача, осуществляющего ДН (только для ДН)", ""),
}

# For the upload page: name, whether required, what it holds, an example value.
LIST_COLUMNS = tuple(
    {
        "name": name,
        "required": name in REQUIRED_COLUMNS,
        "description": _DESCRIPTIONS[name][0],
        "example": _DESCRIPTIONS[name][1],
    }
    for name in COLUMNS
)

_EXAMPLE_ROWS = (
    [c["example"] for c in LIST_COLUMNS],
    [
        "270001",
        "2027",
        "2",
        "",
        "",
        "Петров",
        "Пётр",
        "Ильич",
        "1",
        "1980-07-01",
        "3",
        "",
        "ДН",
        "",
        "2",
        "12345678964",
    ],
)


def list_template_csv_bytes() -> bytes:
    """CSV template: UTF-8 with BOM, ';' separator, the header row and two example rows."""
    lines = [";".join(safe_row(COLUMNS))] + [";".join(safe_row(row)) for row in _EXAMPLE_ROWS]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def list_template_xlsx_bytes() -> bytes:
    """XLSX template: the header row, two example rows (all cells text) and a sheet describing the columns."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet("ZL_LIST")
    for column, name in enumerate(COLUMNS):
        sheet.set_column(column, column, 16, text)
        write_cell(sheet, 0, column, name, bold)
    for row, values in enumerate(_EXAMPLE_ROWS, start=1):
        for column, value in enumerate(values):
            write_cell(sheet, row, column, value, text)
    help_sheet = workbook.add_worksheet("Описание")
    help_sheet.set_column(0, 0, 12)
    help_sheet.set_column(1, 1, 14)
    help_sheet.set_column(2, 2, 100)
    for column, title in enumerate(("Столбец", "Обязателен", "Содержание")):
        write_cell(help_sheet, 0, column, title, bold)
    for row, column in enumerate(LIST_COLUMNS, start=1):
        write_cells(help_sheet, row, 0, (column["name"], "да" if column["required"] else "нет", column["description"]))
    workbook.close()
    return output.getvalue()
