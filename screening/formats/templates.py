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
    "ENP": (
        "ЕНП, 16 цифр (в XLSX — текстом). Колонка нужна, значение — нет: без ЕНП лицо ищется по СНИЛС, "
        "затем по фамилии, имени, отчеству и дате рождения",
        "2755000000000011",
    ),
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

# Columns the file must have whose value may still be empty in a row (the person is then found another way).
EMPTY_VALUE_ALLOWED = frozenset({"ENP"})

# For the upload page: name, whether the column is required (and its value), what it holds, an example value.
LIST_COLUMNS = tuple(
    {
        "name": name,
        "required": name in REQUIRED_COLUMNS,
        "value_optional": name in EMPTY_VALUE_ALLOWED,
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


def _csv_bytes(names, examples) -> bytes:
    """UTF-8 with BOM, ';' separator, the header row and the example rows."""
    lines = [";".join(safe_row(names))] + [";".join(safe_row(row)) for row in examples]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _xlsx_bytes(sheet_name: str, names, examples, described) -> bytes:
    """The header row, the example rows (all cells text) and a sheet «Описание» of (column, required, content)."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(sheet_name)
    for column, name in enumerate(names):
        sheet.set_column(column, column, 16, text)
        write_cell(sheet, 0, column, name, bold)
    for row, values in enumerate(examples, start=1):
        for column, value in enumerate(values):
            write_cell(sheet, row, column, value, text)
    help_sheet = workbook.add_worksheet("Описание")
    help_sheet.set_column(0, 0, 12)
    help_sheet.set_column(1, 1, 14)
    help_sheet.set_column(2, 2, 110)
    write_cells(help_sheet, 0, 0, ("Столбец", "Обязателен", "Содержание"), bold)
    for row, values in enumerate(described, start=1):
        write_cells(help_sheet, row, 0, values)
    workbook.close()
    return output.getvalue()


def _required(column: dict) -> str:
    if column.get("value_optional"):
        return "колонка — да, значение — нет"
    return "да" if column["required"] else "нет"


def list_template_csv_bytes() -> bytes:
    """CSV template: UTF-8 with BOM, ';' separator, the header row and two example rows."""
    return _csv_bytes(COLUMNS, _EXAMPLE_ROWS)


def list_template_xlsx_bytes() -> bytes:
    """XLSX template: the header row, two example rows (all cells text) and a sheet describing the columns."""
    described = [(c["name"], _required(c), c["description"]) for c in LIST_COLUMNS]
    return _xlsx_bytes("ZL_LIST", COLUMNS, _EXAMPLE_ROWS, described)


# --- The EVENTS file (docs/formats/events.md): the columns a clerk fills, CSV / XLSX templates -----------------

EVENT_COLUMNS = (
    {"name": "N_ZAP", "required": False, "example": "1",
     "description": "Номер записи; можно не указывать — ошибки тогда назовут номер строки"},
    {"name": "ENP", "required": True, "example": "2755000000000011",
     "description": "ЕНП лица из списка вашей МО, 16 цифр (в XLSX — текстом)"},
    {"name": "DISP", "required": True, "example": "ДВН", "description": "Мероприятие: ДВН или ПМО"},
    {"name": "EVENT", "required": True, "example": "END1",
     "description": "Событие: START1 — начат 1 этап (или ПМО), END1 — завершён 1 этап (или ПМО), TO_STAGE2 — "
                    "направлен на 2 этап, END2 — завершён 2 этап, REFUSED — отказ"},
    {"name": "DATE", "required": True, "example": "2026-12-01",
     "description": "Дата события ГГГГ-ММ-ДД, не позже сегодняшней"},
    {"name": "RSLT", "required": False, "example": "317",
     "description": "Только для END1 и END2 — результат по классификатору V009: ДВН 317/318/355/356 (завершена, "
                    "группа I/II/IIIа/IIIб), 352/353/357/358 (направлен на 2 этап); ПМО 343/344/373/374"},
    {"name": "DS", "required": False, "example": "I10 E11.9",
     "description": "Хронические диагнозы по МКБ-10 через пробел или запятую (при наличии)"},
)  # fmt: skip
_EVENT_EXAMPLES = (
    ["1", "2755000000000011", "ДВН", "END1", "2026-12-01", "317", "I10 E11.9"],
    ["2", "2755000000000029", "ПМО", "START1", "2026-12-01", "", ""],
)


def events_template_csv_bytes() -> bytes:
    """CSV template of EVENTS: UTF-8 with BOM, ';' separator, the header row and two example rows."""
    return _csv_bytes([c["name"] for c in EVENT_COLUMNS], _EVENT_EXAMPLES)


def events_template_xlsx_bytes() -> bytes:
    """XLSX template of EVENTS: the header, two example rows (text cells) and a sheet describing the columns."""
    described = [(c["name"], _required(c), c["description"]) for c in EVENT_COLUMNS]
    return _xlsx_bytes("EVENTS", [c["name"] for c in EVENT_COLUMNS], _EVENT_EXAMPLES, described)
