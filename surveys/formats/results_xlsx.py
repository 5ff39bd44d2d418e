"""The survey results of a quarter as XLSX: responses per MO, answers per question and option (no persons)."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils.translation import gettext as _

from omsportal.exports import write_cells


def results_workbook(*, title: str, year: int, quarter: int, by_mo: list[dict], total: int, questions) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet(_("По МО"))
    write_cells(sheet, 0, 0, [title, f"{quarter} / {year}"], bold)
    write_cells(sheet, 2, 0, [_("Код МО"), _("МО"), _("Анкет"), _("Прошедшие"), _("Не прошедшие")], bold)
    for row, line in enumerate(by_mo, start=3):
        mo = line["mo"]
        write_cells(
            sheet, row, 0,
            [mo.code if mo else "", (mo.short_name or mo.name) if mo else "", line["total"], line["passed"],
             line["informed"]],
        )  # fmt: skip
    sheet.set_column(1, 1, 40)
    answers = workbook.add_worksheet(_("Ответы"))
    write_cells(answers, 0, 0, [_("Вопрос"), _("Вариант"), _("Ответов"), _("Доля, %"), _("Всего анкет")], bold)
    row = 1
    for question in questions:
        for _value, label, count in question.options:
            write_cells(answers, row, 0, [question.text, label, count, question.share(count), total])
            row += 1
        if question.average is not None:
            write_cells(answers, row, 0, [question.text, _("средняя оценка"), question.average, None, total])
            row += 1
        if question.kind == "text":
            write_cells(answers, row, 0, [question.text, _("ответов"), question.answered, None, total])
            row += 1
    answers.set_column(0, 1, 45)
    workbook.close()
    return buffer.getvalue()
