"""The Vologda answer: the list echoed back with a ``PROV`` block per record (shared/formats-regional.md §3.3).

Name ``D-F35-M{F003}-{YYYY}-{R}`` (the two parties of the list's ``D-M{F003}-F35-{YYYY}-{R}`` swapped), also in
``ZGLV/FILENAME``; the rest of the header as the list had it. Every ``ZAP`` of the list is written back with its
elements as sent (read again from the stored file, in its order) plus ``PROV``: ``ENP``, ``MO``, ``SMO`` as the
portal found them (for an accepted record: the register's ENP, the MO, the SMO of the policy), ``ENDR`` (``0`` the
register record and policy are active; ``1`` no active policy, deceased or insured elsewhere: 301–303) and
``COMENTZ`` (empty for an accepted record, else ``code: reason; …`` in Russian). The MIS takes ``ENDR`` 0 with an
empty ``COMENTZ`` as accepted and anything else as rejected; a ``ZAP`` whose number could not be read gets no
``PROV`` (the MIS skips it).
"""

from __future__ import annotations

from typing import IO

from django.utils import timezone

from omsportal.xmlsafe import iter_records, open_xml
from screening.formats.flk import protocol_file_name, xml_text
from screening.models import ListEntry, ListUpload

from . import CHUNK, TITLE_VOLOGDA, Answer, joined_reasons, reasons_by_number

ENCODING = "windows-1251"
CLOSED = {301, 302, 303}  # the register record or the policy is not active: ENDR 1


def answer_name(upload: ListUpload) -> str:
    parts = protocol_file_name(upload).split("-")
    if len(parts) >= 3 and parts[0] == "D":
        parts[1], parts[2] = parts[2], parts[1]
    return "-".join(parts)


def file_name(upload: ListUpload) -> str:
    return f"{answer_name(upload)}.xml"


def _element(tag: str, text: str, depth: int) -> str:
    return "\t" * depth + f"<{tag}>{xml_text(text)}</{tag}>\r\n"


def _found(upload: ListUpload, numbers: list[int]) -> dict[int, tuple[str, str]]:
    """Accepted record number → (ENP, SMO code) from the MO's list of the upload's year and measures."""
    rows = ListEntry.objects.filter(
        mo_id=upload.mo_id, year=upload.year, measure__in=upload.measures, n_zap__in=numbers
    ).values_list("n_zap", "person__enp", "smo_code")
    return {n_zap: (enp or "", smo or "") for n_zap, enp, smo in rows}


def write(upload: ListUpload, output: IO[bytes]) -> None:
    reasons = reasons_by_number(upload)
    output.write(f'<?xml version="1.0" encoding="{ENCODING}" standalone="yes"?>\r\n<ZL_LIST>\r\n'.encode(ENCODING))
    pending: list[tuple[int | None, list[tuple[str, str]]]] = []

    def flush() -> None:
        accepted = [n for n, _ in pending if n is not None and n not in reasons]
        found = _found(upload, accepted) if accepted else {}
        parts = []
        for number, children in pending:
            parts.append("\t<ZAP>\r\n")
            parts.extend(_element(tag, text, 2) for tag, text in children)
            if number is not None:
                problems = reasons.get(number, [])
                enp, smo = found.get(number, ("", "")) if not problems else ("", "")
                closed = any(code in CLOSED for code, _ in problems)
                parts.append(
                    "\t\t<PROV>\r\n"
                    + _element("ENP", enp, 3)
                    + _element("MO", upload.mo.code if not problems else "", 3)
                    + _element("SMO", smo, 3)
                    + _element("ENDR", "1" if closed else "0", 3)
                    + _element("COMENTZ", joined_reasons(problems), 3)
                    + "\t\t</PROV>\r\n"
                )
            parts.append("\t</ZAP>\r\n")
        output.write("".join(parts).encode(ENCODING, "xmlcharrefreplace"))
        pending.clear()

    with upload.file.open("rb") as stored, open_xml(stored) as source:
        for element in iter_records(source, root="ZL_LIST", tags=("ZGLV", "ZAP")):
            children = [(child.tag, (child.text or "").strip()) for child in element if isinstance(child.tag, str)]
            if element.tag == "ZGLV":
                header = [("FILENAME", answer_name(upload))]
                header += [(tag, text) for tag, text in children if tag not in ("FILENAME", "DATA")]
                header.insert(1, ("DATA", timezone.localdate().isoformat()))
                output.write(
                    ("\t<ZGLV>\r\n" + "".join(_element(t, v, 2) for t, v in header) + "\t</ZGLV>\r\n").encode(
                        ENCODING, "xmlcharrefreplace"
                    )
                )
                continue
            number_text = next((text for tag, text in children if tag == "N_ZAP"), "")
            number = int(number_text) if number_text.isascii() and number_text.isdigit() else None
            pending.append((number, children))
            if len(pending) >= CHUNK:
                flush()
    if pending:
        flush()
    output.write(b"</ZL_LIST>\r\n")


ANSWER = Answer("promed_vologda", TITLE_VOLOGDA, "application/xml", file_name, write)
