"""Builders of list files (ZL_LIST in XML, CSV, XLSX, zipped) and a helper that uploads one synchronously."""

from __future__ import annotations

import datetime
import io
import zipfile
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.utils import timezone

from participants.identifiers import snils_format
from participants.models import Person
from screening.formats.zl_list_tabular import COLUMNS
from screening.models import ListKind, ListUpload

PERSON_TAGS = ("N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "UCH", "TEL")
MEASURE_TAGS = ("DISP", "MONTH", "KV", "IDDOKT")


def next_year() -> int:
    return timezone.localdate().year + 1


def birth_for_age(age: int, year: int | None = None) -> datetime.date:
    """A birth date such that the person reaches ``age`` in ``year`` (next year by default)."""
    return datetime.date((year or next_year()) - age, 6, 15)


def rec(person: Person | None = None, n_zap: int = 1, *, disp="ДВН", month="3", measures=None, **fields) -> dict:
    """One person record; fields default to the person's register data; ``measures`` overrides the single measure."""
    data = {"N_ZAP": str(n_zap)}
    if person is not None:
        data.update(
            ENP=person.enp,
            SNILS=snils_format(person.snils) if person.snils else "",
            FAM=person.last_name,
            IM=person.first_name,
            OT=person.patronymic,
            W=str(person.sex),
            DR=person.birth_date.isoformat(),
        )
    data.update({k: ("" if v is None else str(v)) for k, v in fields.items()})
    data["measures"] = measures if measures is not None else [{"DISP": disp, "MONTH": str(month)}]
    return data


def zl_list_xml(
    records, *, code_mo="270001", year=None, encoding="utf-8", filename="PROF_M270001_2701", doctype=""
) -> bytes:
    year = next_year() if year is None else year
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\n', doctype]
    parts.append(
        f"<ZL_LIST>\n<ZGLV><VERSION>1.0</VERSION><DATA>{timezone.localdate().isoformat()}</DATA>"
        f"<FILENAME>{filename}</FILENAME><CODE_MO>{code_mo}</CODE_MO><YEAR>{year}</YEAR></ZGLV>\n"
    )
    for record in records:
        parts.append("<SV_PR_MER>")
        for tag in PERSON_TAGS:
            if tag in record and record[tag] is not None:
                parts.append(f"<{tag}>{escape(record[tag])}</{tag}>")
        for measure in record.get("measures", []):
            parts.append("<SV_PL_MER>")
            for tag in MEASURE_TAGS:
                if measure.get(tag):
                    parts.append(f"<{tag}>{escape(str(measure[tag]))}</{tag}>")
            parts.append("</SV_PL_MER>")
        parts.append("</SV_PR_MER>\n")
    parts.append("</ZL_LIST>\n")
    return "".join(parts).encode(encoding)


def tabular_rows(records, *, code_mo="270001", year=None) -> list[list[str]]:
    year = next_year() if year is None else year
    rows = []
    for record in records:
        for measure in record.get("measures") or [{}]:
            values = {"CODE_MO": code_mo, "YEAR": str(year), **record, **measure}
            rows.append([str(values.get(column, "") or "") for column in COLUMNS])
    return rows


def zl_list_csv(records, *, encoding="utf-8-sig", columns=COLUMNS, **kwargs) -> bytes:
    rows = tabular_rows(records, **kwargs)
    index = [COLUMNS.index(c) for c in columns]
    lines = [";".join(columns)] + [";".join(row[i] for i in index) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def zl_list_xlsx(records, **kwargs) -> bytes:
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name)
    for row_number, row in enumerate(tabular_rows(records, **kwargs), start=1):
        for column, value in enumerate(row):
            sheet.write_string(row_number, column, value)
    workbook.close()
    return output.getvalue()


def zipped(content: bytes, member: str = "PROF_M270001_2701.xml") -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, content)
    return output.getvalue()


def upload(region, content: bytes, *, name="PROF_M270001_2701.xml", mo=None, user=None, kind=ListKind.YEARLY,
           year=None, confirm_replace=False) -> ListUpload:  # fmt: skip
    """Upload and process a list synchronously, as the management command does."""
    from screening.services.list_upload import list_upload_create

    return list_upload_create(
        mo=mo or region.mo1,
        file=ContentFile(content, name=name),
        original_name=name,
        uploaded_by=user or region.mo1_user,
        kind=kind,
        year=year,
        run_async=False,
        confirm_replace=confirm_replace,
    )


def codes_of(upload_row: ListUpload) -> set[tuple[int | None, int]]:
    """The protocol as a set of (N_ZAP, code) pairs."""
    return set(upload_row.protocol_errors.values_list("n_zap", "code"))
