"""Error codes of the identification protocol (FLK_P) with their Russian meanings [formats.md, R II.5]."""

from __future__ import annotations

# Severities of ProtocolError.Severity: F — the whole file is rejected, E — the record is rejected,
# W — a warning that rejects nothing.
FILE, ERROR, WARNING = "F", "E", "W"

ERROR_CODES: dict[int, tuple[str, str]] = {
    901: (FILE, "Файл не является корректным XML, неверный корневой элемент или файл не соответствует схеме"),
    902: (FILE, "Заголовок файла не соответствует загрузившему: код другой МО или недопустимый год"),
    101: (ERROR, "Не заполнено обязательное поле"),
    102: (ERROR, "Недопустимое значение поля (дата, код, пол, месяц, мероприятие)"),
    103: (ERROR, "Неверное контрольное число СНИЛС"),
    104: (ERROR, "Неверный контрольный разряд ЕНП"),
    201: (ERROR, "Застрахованное лицо не найдено в регистре"),
    202: (ERROR, "В регистре найдено несколько лиц с такими данными"),
    203: (ERROR, "Лицо найдено по ЕНП или СНИЛС, но фамилия, имя или дата рождения не совпадают"),
    301: (ERROR, "Полис не действует на дату обработки"),
    302: (ERROR, "Застрахованное лицо умерло"),
    303: (ERROR, "Застрахован в другом субъекте РФ"),
    401: (ERROR, "Прикреплён к другой медицинской организации"),
    501: (ERROR, "Не подлежит мероприятию в этом году по возрасту (приказ 404н)"),
    601: (ERROR, "Лицо повторяется в файле по тому же мероприятию"),
    602: (ERROR, "Лицо уже включено в список другой МО на этот год по этому мероприятию"),
    701: (WARNING, "Помесячные итоги отличаются от утверждённого плана"),
}

FILE_CODES = frozenset(code for code, (severity, _) in ERROR_CODES.items() if severity == FILE)
WARNING_CODES = frozenset(code for code, (severity, _) in ERROR_CODES.items() if severity == WARNING)


def severity_of(code: int) -> str:
    return ERROR_CODES[code][0]


def meaning_of(code: int) -> str:
    return ERROR_CODES.get(code, (ERROR, f"Код {code}"))[1]


def _field_labels() -> dict[str, str]:
    from django.utils.translation import gettext_lazy as _

    return {
        "ZL_LIST": _("файл"), "ZGLV": _("заголовок файла"), "CODE_MO": _("код МО"), "YEAR": _("год списка"),
        "SV_PR_MER": _("запись о лице"), "SV_PL_MER": _("мероприятие в записи"), "N_ZAP": _("номер записи"),
        "ENP": _("ЕНП"), "SNILS": _("СНИЛС"), "FAM": _("фамилия"), "IM": _("имя"), "OT": _("отчество"),
        "W": _("пол"), "DR": _("дата рождения"), "UCH": _("участок"), "TEL": _("телефон"),
        "DISP": _("мероприятие"), "MONTH": _("месяц"), "KV": _("квартал"), "IDDOKT": _("СНИЛС врача"),
    }  # fmt: skip


def field_label(name: str) -> str:
    """What an element of ZL_LIST (a tag in XML, a column in CSV / XLSX) holds, for a clerk reading a protocol."""
    return str(_field_labels().get((name or "").upper(), "")) if name else ""
