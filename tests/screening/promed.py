"""Files written as ProMed writes its regional yearly-list exports (shared/formats-regional.md), from ``rec()`` dicts.

Like the MIS: windows-1251 with ``standalone="yes"``, CRLF after the declaration and tab-indented lines, every
template element written even when empty (``<TAG></TAG>``; Astrakhan omits them), a value holding ``<`` or ``>``
in CDATA and ``&`` **not escaped**; ``DISP`` ``ДВ4``/``ОПВ``, the quarter of the month, ``OT`` ``НЕТ`` when there is
no patronymic, SNILS in the dialect's mask, the phone as 10 digits or ``+7``. ``numbers`` are the record numbers
(ProMed's database ids) to write instead of the records' N_ZAP.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.screening.factories import next_year, zipped

PROMED_DISP = {"ДВН": "ДВ4", "ПМО": "ОПВ", "DVN": "ДВ4", "PMO": "ОПВ"}


def value(text) -> str:
    text = "" if text is None else str(text)
    return f"<![CDATA[{text}]]>" if ("<" in text or ">" in text) else text  # '&' left raw, as SwParser does


def element(tag: str, text, depth: int) -> str:
    return "\t" * depth + f"<{tag}>{value(text)}</{tag}>\r\n"


def snils_mask(digits: str, *, dash: bool = False) -> str:
    digits = (digits or "").replace("-", "").replace(" ", "")
    if len(digits) != 11:
        return ""
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]}{'-' if dash else ' '}{digits[9:]}"


def quarter_of(month) -> str:
    return str((int(month) - 1) // 3 + 1) if str(month).isdigit() else ""


def _measure(record: dict) -> dict:
    return (record.get("measures") or [{}])[0]


def _ot(record: dict) -> str:
    return record.get("OT") or "НЕТ"


def document(root_lines: list[str], *, root: str = "ZL_LIST", standalone: bool = True) -> bytes:
    declaration = '<?xml version="1.0" encoding="windows-1251"' + (' standalone="yes"' if standalone else "") + "?>"
    text = declaration + "\r\n" + f"<{root}>\r\n" + "".join(root_lines) + f"</{root}>\r\n"
    return text.encode("windows-1251")


def perm_record(record: dict, number, *, pg_dates: bool = False, tel: str = "") -> str:
    measure = _measure(record)
    dr = record.get("DR", "")
    if pg_dates and dr:
        dr = f"{dr} 00:00:00"  # the PostgreSQL port of the Perm model
    lines = ["\t<SV_PR_MER>\r\n"]
    for tag, text in (
        ("NOMER_Z", number), ("PERSON_ID", ""), ("SMOCOD", record.get("SMOCOD", "")), ("ENP", record.get("ENP", "")),
        ("FAM", record.get("FAM", "")), ("IM", record.get("IM", "")), ("OT", _ot(record)), ("DR", dr),
        ("W", record.get("W", "")), ("DOCTYPE", "14"), ("DOCSER", "08 12"), ("DOCNUM", "123456"),
        ("SNILS", snils_mask(record.get("SNILS", ""))), ("VPOLIS", "3" if record.get("ENP") else ""),
        ("SPOLIS", ""), ("NPOLIS", record.get("ENP", "")), ("TEL", tel), ("KAT_LG", ""), ("COMMENT", ""),
    ):  # fmt: skip
        lines.append(element(tag, text, 2))
    lines.append("\t\t<SV_PL_MER>\r\n")
    lines.append(element("QUART", measure.get("KV") or quarter_of(measure.get("MONTH", "")), 3))
    lines.append(element("DISP", PROMED_DISP.get(measure.get("DISP", ""), measure.get("DISP", "")), 3))
    lines.append("\t\t</SV_PL_MER>\r\n\t</SV_PR_MER>\r\n")
    return "".join(lines)


def perm_header(*, code_mo: str, year: int, filename: str, quart: str = "") -> str:
    return (
        "\t<ZGLV>\r\n"
        + element("VERSION", "1.0", 2)
        + element("DATA", timezone.localdate().isoformat(), 2)
        + element("FILENAME", filename, 2)
        + element("FILENAME1", "", 2)
        + element("CODMOF", code_mo, 2)
        + element("YEAR", year, 2)
        + element("QUART", quart, 2)
        + "\t</ZGLV>\r\n"
    )


def perm_name(code_mo: str = "270001", *, packet: str = "1") -> str:
    today = timezone.localdate()
    return f"PROF_M{code_mo}T59_{today:%y%m}{packet}"


def perm_xml(records, numbers=None, *, code_mo="270001", year=None, filename=None, pg_dates=False, phones=None):
    filename = filename or perm_name(code_mo)
    numbers = numbers or [r["N_ZAP"] for r in records]
    lines = [perm_header(code_mo=code_mo, year=year or next_year(), filename=filename)]
    for index, (record, number) in enumerate(zip(records, numbers, strict=True)):
        tel = phones[index] if phones else ""
        lines.append(perm_record(record, number, pg_dates=pg_dates, tel=tel))
    return document(lines)


def perm_zip(records, numbers=None, *, code_mo="270001", **kwargs) -> tuple[bytes, str]:
    """(the .zip, its name) as ProMed's export form writes it: one .xml of the same base name inside."""
    name = perm_name(code_mo)
    return zipped(perm_xml(records, numbers, code_mo=code_mo, filename=name, **kwargs), f"{name}.xml"), f"{name}.zip"


def khakassia_xml(records, numbers=None, *, code_mo="270001", year=None) -> tuple[bytes, str]:
    name = f"PROF_M{code_mo}T19_{str(year or next_year())[2:]}101"
    numbers = numbers or [r["N_ZAP"] for r in records]
    lines = [
        "\t<ZGLV>\r\n" + element("VERSION", "1.0", 2) + element("DATA", timezone.localdate().isoformat(), 2)
        + element("FILENAME", name, 2) + element("FIRSTNAME", "", 2) + element("CODMOF", code_mo, 2) + "\t</ZGLV>\r\n"
    ]  # fmt: skip
    for record, number in zip(records, numbers, strict=True):
        measure = _measure(record)
        lines.append("\t<SV_PR_MER>\r\n")
        for tag, text in (
            ("NOMER_Z", number), ("PERSON_ID", ""), ("SMOCOD", ""), ("ENP", record.get("ENP", "")),
            ("FAM", record.get("FAM", "")), ("IM", record.get("IM", "")), ("OT", _ot(record)),
            ("DR", record.get("DR", "")), ("W", record.get("W", "")), ("DOCTYPE", ""), ("DOCSER", ""),
            ("DOCNUM", ""), ("SNILS", snils_mask(record.get("SNILS", ""), dash=True)), ("VPOLIS", ""),
            ("SPOLIS", ""), ("NPOLIS", ""), ("TEL", "+79141234567"), ("IDDOKT", "123-456-789-64"),
            ("ADRES", "г. Абакан, ул. Ленина, д. 1"), ("KAT_LG", ""),
            ("YEAR", year or next_year()), ("COMMENT", ""),
        ):  # fmt: skip
            lines.append(element(tag, text, 2))
        lines.append("\t\t<SV_PL_MER>\r\n" + element("QUART", quarter_of(measure.get("MONTH", "")), 3))
        lines.append(element("DISP", PROMED_DISP.get(measure.get("DISP", ""), ""), 3) + "\t\t</SV_PL_MER>\r\n")
        lines.append("\t</SV_PR_MER>\r\n")
    return zipped(document(lines), f"{name}.xml"), f"{name}.zip"


ASTRA_KIND = {"ДВН": "DP", "ПМО": "DO"}


def astrakhan_xml(records, *, code_mo="270001") -> tuple[bytes, str]:
    name = f"NDM{code_mo}T30{timezone.localdate():%y%m}1"
    lines = [
        "\t<ZGLV>\r\n" + element("VERSION", "1.0", 2) + element("DATA", timezone.localdate().isoformat(), 2)
        + element("FILENAME", name, 2) + "\t</ZGLV>\r\n"
    ]  # fmt: skip
    for number, record in enumerate(records, 1):
        measure = _measure(record)
        lines.append("\t<NPR>\r\n")
        for tag, text in (
            ("IDCASE", number), ("PERIOD", measure.get("MONTH", "")),
            ("TIP_DATA", ASTRA_KIND.get(measure.get("DISP", ""), measure.get("DISP", ""))),
            ("FAM", record.get("FAM", "")), ("IM", record.get("IM", "")), ("OT", record.get("OT", "")),
            ("W", record.get("W", "")), ("DR", record.get("DR", "")),
            ("SNILS", snils_mask(record.get("SNILS", ""), dash=True)), ("ENP", record.get("ENP", "")),
            ("VPOLIS", "3"), ("SMO", "27001"), ("CODE_MO", code_mo),
        ):  # fmt: skip
            if text not in ("", None):  # Astrakhan omits empty elements
                lines.append(element(tag, text, 2))
        lines.append("\t</NPR>\r\n")
    return zipped(document(lines), f"{name}.xml"), f"{name}.zip"


VOLOGDA_KIND = {"ДВН": "4", "ПМО": "5", "ДН": "3"}


def vologda_name(code_mo="270001", year=None, packet="1") -> str:
    return f"D-M{code_mo}-F35-{year or next_year()}-{packet}"


def vologda_xml(records, numbers=None, *, code_mo="270001", year=None) -> tuple[bytes, str]:
    name = vologda_name(code_mo, year)
    numbers = numbers or [r["N_ZAP"] for r in records]
    lines = [
        "\t<ZGLV>\r\n" + element("FILENAME", name, 2) + element("DATA", timezone.localdate().isoformat(), 2)
        + element("CODE_MO", code_mo, 2) + element("YEAR", year or next_year(), 2) + element("R", "1", 2)
        + "\t</ZGLV>\r\n"
    ]  # fmt: skip
    for record, number in zip(records, numbers, strict=True):
        measure = _measure(record)
        kind = VOLOGDA_KIND.get(measure.get("DISP", ""), "")
        dn = kind == "3"
        lines.append("\t<ZAP>\r\n")
        for tag, text in (
            ("N_ZAP", number), ("FAM", record.get("FAM", "")), ("IM", record.get("IM", "")), ("OT", _ot(record)),
            ("W", record.get("W", "")), ("DR", record.get("DR", "")), ("PHONE", "+79141234567"),
            ("NPOLIS", record.get("ENP", "")), ("DS", ""), ("DAT_INC", "2020-01-10" if dn else ""),
            ("D_PERIOD", "2" if dn else ""), ("MCODE", measure.get("IDDOKT", "") if dn else ""),
            ("DAT_PREV", ""), ("MDP", "0"), ("SMOCOD", "27001"), ("DISP_TYP", kind),
            ("MES", measure.get("MONTH", "") or (str(int(measure.get("KV", "1")) * 3 - 2) if dn else "")),
        ):  # fmt: skip
            lines.append(element(tag, text, 2))
        lines.append("\t</ZAP>\r\n")
    return zipped(document(lines), f"{name}.xml"), f"{name}.zip"


def ufa_xml(records, *, code_mo="270001") -> tuple[bytes, str]:
    name = f"DPM{code_mo}T02{timezone.localdate():%y%m}1"
    lines = [
        "\t<ZGLV>\r\n" + element("VERSION", "2.1", 2) + element("DATA", timezone.localdate().isoformat(), 2)
        + element("FILENAME", name, 2) + element("FILENAME1", code_mo, 2) + "\t</ZGLV>\r\n"
    ]  # fmt: skip
    for number, record in enumerate(records, 1):
        measure = _measure(record)
        lines.append("\t<PERS>\r\n")
        for tag, text in (
            ("ID_PAC", number), ("FAM", record.get("FAM", "")), ("IM", record.get("IM", "")),
            ("OT", record.get("OT", "")), ("W", record.get("W", "")), ("DR", record.get("DR", "")),
            ("MR", "г. Уфа"), ("DOCTYPE", "14"), ("DOCSER", ""), ("DOCNUM", ""),
            ("SNILS", snils_mask(record.get("SNILS", ""))), ("COMENTP", "5f0c6d0e-0000-0000-0000-000000000001"),
            ("POLISNUM", record.get("ENP", "")), ("DISP", PROMED_DISP.get(measure.get("DISP", ""), "")),
        ):  # fmt: skip
            lines.append(element(tag, text, 2))
        lines.append("\t</PERS>\r\n")
    return zipped(document(lines, root="PERS_LIST"), f"{name}.xml"), f"{name}.zip"


def pskov_rows(records, *, code_mo="270001", year=None) -> list[list[str]]:
    rows = []
    for number, record in enumerate(records, 1):
        measure = _measure(record)
        dr = record.get("DR", "").replace("-", "")
        rows.append(
            [
                "3" if record.get("ENP") else "", "", record.get("ENP", ""), record.get("FAM", ""),
                record.get("IM", ""), record.get("OT", ""), dr, "9141234567", code_mo, str(year or next_year()),
                quarter_of(measure.get("MONTH", "")), "20190211", "12345678964", "", str(900000 + number),
            ]
        )  # fmt: skip
    return rows


def pskov_name(code_mo="270001", day: datetime.date | None = None) -> str:
    return f"D{code_mo}{(day or timezone.localdate()):%Y%m%d}"


def pskov_csv(records, **kwargs) -> tuple[bytes, str]:
    text = "".join(";".join(f'"{v}"' for v in row) + "\n" for row in pskov_rows(records, **kwargs))
    name = pskov_name(kwargs.get("code_mo", "270001"))
    return zipped(text.encode("windows-1251"), f"{name}.csv"), f"{name}.zip"


def ekaterinburg_xml(count: int = 2, *, code_mo="270001") -> tuple[bytes, str]:
    name = f"DL{code_mo}_{str(next_year())[2:]}11"
    lines = [
        element("FILENAME", name, 1), element("CODE_ORG", code_mo, 1), element("YEAR", next_year(), 1),
        element("QUART", "1", 1), element("NRECORDS", count, 1),
    ]  # fmt: skip
    for number in range(1, count + 1):
        lines.append(
            "\t<ZAP>\r\n" + element("N_ZAP", number, 2) + element("ID", 660000000 + number, 2)
            + element("PLAN_Q", "1", 2) + "\t</ZAP>\r\n"
        )  # fmt: skip
    return zipped(document(lines), f"{name}.xml"), f"{name}.zip"
