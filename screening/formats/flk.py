"""Writers of the identification protocol: FLK_P XML [formats.md] and an XLSX twin for people.

Both stream the protocol rows from the database in chunks (escaped text for the XML, xlsxwriter ``constant_memory``),
so a protocol of a million-record list does not sit in memory as objects. FNAME = "V" + FNAME_I, FNAME_I being the
list's FILENAME (or the uploaded file's name without extension).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from typing import IO

from omsportal.exports import write_cell
from screening.codes import ERROR_CODES, meaning_of
from screening.formats.dialects import dialect_label
from screening.formats.validation import MEASURE_DISP
from screening.models import ListUpload, ProtocolError

CHUNK = 5000
SEVERITY_LABELS = {"F": "файл отклонён", "E": "ошибка", "W": "предупреждение"}


def protocol_file_name(upload: ListUpload) -> str:
    """FNAME_I: the list's FILENAME from its header, else the uploaded file's name without extension."""
    return upload.header_filename or os.path.splitext(upload.original_name)[0][:100] or f"LIST_{upload.pk}"


def _rows(upload: ListUpload):
    return (
        ProtocolError.objects.filter(upload=upload)
        .order_by("n_zap", "code", "measure", "id")
        .values_list("n_zap", "code", "severity", "field", "base_element", "comment", "measure", "person_label")
        .iterator(chunk_size=CHUNK)
    )


def problem_comment(code: int, comment: str, measure: str) -> str:
    """The protocol's Russian reason as every answer file carries it: a measure's problem starts with the measure."""
    label = MEASURE_DISP.get(measure, "")
    if label and code != 701 and not comment.startswith(label):
        return f"{label}: {comment}"
    return comment


def protocol_xml_bytes(upload: ListUpload, *, encoding: str = "windows-1251") -> bytes:
    """The FLK_P protocol as bytes (small protocols, tests); downloads use :func:`write_protocol_xml`."""
    output = io.BytesIO()
    write_protocol_xml(upload, output, encoding=encoding)
    return output.getvalue()


def protocol_xlsx_bytes(upload: ListUpload) -> bytes:
    output = io.BytesIO()
    write_protocol_xlsx(upload, output)
    return output.getvalue()


def protocol_temp_file(upload: ListUpload, fmt: str) -> IO[bytes]:
    """The protocol written to an anonymous temporary file, rewound: a region-sized protocol (100 MB of XML for a
    million records) is streamed to the client from disk instead of being held in the worker's memory."""
    target = tempfile.TemporaryFile(prefix="flk_p_")  # noqa: SIM115 - returned open, closed by the response
    try:
        if fmt == "xml":
            write_protocol_xml(upload, target)
        else:
            write_protocol_xlsx(upload, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target


# Characters XML 1.0 cannot carry (CSV and XLSX lists may): shown as U+FFFD in the protocol.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def xml_text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value).translate(_XML_ESCAPES)


def write_protocol_xml(upload: ListUpload, output: IO[bytes], *, encoding: str = "windows-1251") -> None:
    """The FLK_P protocol of an upload: one PR per problem (OSHIB, IM_POL, BAS_EL, N_ZAP, COMMENT).

    Written as text a chunk of rows at a time (a million-record list may have as many problems): element names
    are fixed, every value is escaped, characters outside the encoding become character references.
    """
    fname_i = protocol_file_name(upload)
    parts = [
        f"<?xml version='1.0' encoding='{encoding}'?>\n<FLK_P><FNAME>{xml_text('V' + fname_i)}</FNAME>"
        f"<FNAME_I>{xml_text(fname_i)}</FNAME_I>"
    ]
    for count, (n_zap, code, _severity, field, base_element, comment, measure, _label) in enumerate(_rows(upload), 1):
        text = problem_comment(code, comment, measure)
        parts.append(
            f"<PR><OSHIB>{code}</OSHIB>"
            + (f"<IM_POL>{xml_text(field)}</IM_POL>" if field else "")
            + (f"<BAS_EL>{xml_text(base_element)}</BAS_EL>" if base_element else "")
            + (f"<N_ZAP>{n_zap}</N_ZAP>" if n_zap is not None else "")
            + (f"<COMMENT>{xml_text(text)}</COMMENT>" if text else "")
            + "</PR>"
        )
        if count % CHUNK == 0:
            output.write("".join(parts).encode(encoding, "xmlcharrefreplace"))
            parts = []
    parts.append("</FLK_P>")
    output.write("".join(parts).encode(encoding, "xmlcharrefreplace"))


def write_protocol_xlsx(upload: ListUpload, output: IO[bytes]) -> None:
    """The protocol as a workbook: a summary sheet (file, counts by code) and one row per problem."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})

    summary = workbook.add_worksheet("Протокол")
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 90)
    facts = [
        ("Файл", upload.original_name),
        ("FILENAME", protocol_file_name(upload)),
        ("Формат МИС", str(dialect_label(upload.dialect)) if upload.dialect else "ZL_LIST"),
        ("МО", f"{upload.mo.code} {upload.mo.display_name}"),
        ("Год", upload.year or ""),
        ("Вид списка", upload.get_kind_display()),
        ("Статус", upload.get_status_display()),
        (
            "Дата обработки (регистр на дату)",
            upload.processing_date.strftime("%d.%m.%Y") if upload.processing_date else "",
        ),
        ("Записей", upload.records_total),
        ("Принято", upload.records_accepted),
        ("Отклонено", upload.records_rejected),
        ("Предупреждений", upload.warnings),
        ("Исправить до", upload.correction_due.strftime("%d.%m.%Y") if upload.correction_due else ""),
    ]
    # Every cell goes through omsportal.exports.write_cell: the file name and FILENAME are the uploader's text and
    # would otherwise become live formulas (=HYPERLINK(...)) in xlsxwriter's write().
    row = 0
    write_cell(summary, row, 0, "Протокол идентификации", bold)
    row += 1
    for label, value in facts:
        write_cell(summary, row, 0, label, bold)
        write_cell(summary, row, 1, value)
        row += 1
    if upload.protocol_issued_at:
        write_cell(summary, row, 0, "Протокол выдан", bold)
        summary.write_datetime(row, 1, upload.protocol_issued_at.replace(tzinfo=None), date_format)
        row += 1
    row += 1
    write_cell(summary, row, 0, "Код", bold)
    write_cell(summary, row, 1, "Значение — число", bold)
    row += 1
    for code, count in sorted(((int(c), n) for c, n in (upload.counts_by_code or {}).items())):
        write_cell(summary, row, 0, code)
        write_cell(summary, row, 1, f"{meaning_of(code)} — {count}")
        row += 1

    sheet = workbook.add_worksheet("Ошибки")
    headers = ("N_ZAP", "Код", "Вид", "Значение кода", "Поле", "Элемент", "Мероприятие", "Пояснение", "Лицо (из файла)")
    widths = (9, 6, 14, 45, 10, 12, 12, 70, 45)
    for column, (title, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column(column, column, width)
        write_cell(sheet, 0, column, title, bold)
    sheet.freeze_panes(1, 0)
    for row, (n_zap, code, severity, field, base_element, comment, measure, label) in enumerate(_rows(upload), 1):
        if n_zap is not None:
            # A MIS's record number may pass the 15 digits a spreadsheet number keeps: such a one is text.
            write_cell(sheet, row, 0, n_zap if n_zap < 10**15 else str(n_zap))
        sheet.write_number(row, 1, code)
        write_cell(sheet, row, 2, SEVERITY_LABELS.get(severity, severity))
        write_cell(sheet, row, 3, ERROR_CODES.get(code, ("", ""))[1])
        write_cell(sheet, row, 4, field)
        write_cell(sheet, row, 5, base_element)
        write_cell(sheet, row, 6, MEASURE_DISP.get(measure, measure))
        write_cell(sheet, row, 7, comment)
        write_cell(sheet, row, 8, label)
    workbook.close()
