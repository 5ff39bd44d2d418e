"""The Perm answer ``OSHIB_PR`` (ProMed's common import, schema ``pddp_err.xsd``; shared/formats-regional.md §3.1).

Root ``OSHIB_PR``: ``VERSION`` 1.0, ``DATA`` (the date written), ``FNAME`` (``ERR_`` + ``FNAME_I``: the import wants
``ERR`` in the name), ``FNAME_I`` (the list's FILENAME, e.g. ``PROF_M590001T59_23011``, by which the MIS finds the
export), then one ``ZAP_OSHIB`` per problem of a rejected record: ``OSHIB`` (the portal's code, an integer),
``NOMER_Z`` (the record number as sent), ``COMMENT`` (the Russian reason). Only errors are listed: the MIS marks
every record of the export without one "accepted by the Fund". windows-1251, CRLF, as the MIS writes its own files.
"""

from __future__ import annotations

from typing import IO

from django.utils import timezone

from screening.formats.flk import protocol_file_name, xml_text
from screening.models import ListUpload

from . import CHUNK, TITLE_PERM, Answer, rejected_problems

ENCODING = "windows-1251"


def file_name(upload: ListUpload) -> str:
    return f"ERR_{protocol_file_name(upload)}.xml"


def write(upload: ListUpload, output: IO[bytes]) -> None:
    fname_i = protocol_file_name(upload)
    parts = [
        f'<?xml version="1.0" encoding="{ENCODING}"?>\r\n<OSHIB_PR>\r\n\t<VERSION>1.0</VERSION>\r\n'
        f"\t<DATA>{timezone.localdate().isoformat()}</DATA>\r\n\t<FNAME>{xml_text('ERR_' + fname_i)}</FNAME>\r\n"
        f"\t<FNAME_I>{xml_text(fname_i)}</FNAME_I>\r\n"
    ]
    for count, (n_zap, code, text) in enumerate(rejected_problems(upload), 1):
        parts.append(
            f"\t<ZAP_OSHIB>\r\n\t\t<OSHIB>{code}</OSHIB>\r\n\t\t<NOMER_Z>{n_zap}</NOMER_Z>\r\n"
            f"\t\t<COMMENT>{xml_text(text)}</COMMENT>\r\n\t</ZAP_OSHIB>\r\n"
        )
        if count % CHUNK == 0:
            output.write("".join(parts).encode(ENCODING, "xmlcharrefreplace"))
            parts = []
    parts.append("</OSHIB_PR>\r\n")
    output.write("".join(parts).encode(ENCODING, "xmlcharrefreplace"))


ANSWER = Answer("promed_perm", TITLE_PERM, "application/xml", file_name, write)
