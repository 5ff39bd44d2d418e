"""Khakassia (region 19), ProMed's ``PROF_M{F003}T19_…`` export (shared/formats-regional.md §2.2).

The Perm record (``NOMER_Z``, ``SV_PL_MER`` with ``QUART`` and ``ДВ4``/``ОПВ``) plus ``ADRES``, ``IDDOKT`` (the
district doctor) and a ``YEAR`` in **every record**: the header has ``CODMOF`` and ``FIRSTNAME`` (sic) but no year.
SNILS and the doctor's SNILS are written ``NNN-NNN-NNN-NN``, phones ``+7`` and 10 digits. No import of its own in
that MIS, so no answer file.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Dialect, DialectXmlReader, Probe
from .perm import PERSON, family


class KhakassiaReader(DialectXmlReader):
    dialect = "promed_khakassia"
    NUMBER_TAG = "NOMER_Z"
    HEADER_FIELDS = {"CODMOF": "code_mo", "FILENAME": "filename", "VERSION": "version", "DATA": "date"}
    RECORD_FIELDS = {**PERSON, "YEAR": "year"}  # IDDOKT is the attachment's doctor, not a DN doctor: not read
    MEASURE_FIELDS = {"QUART": "kv", "DISP": "disp"}


def detect(probe: Probe) -> bool:
    return family(probe) and probe.has("FIRSTNAME", "ADRES", "IDDOKT")


DIALECT = Dialect(
    code="promed_khakassia",
    label=_("ProMed, Республика Хакасия (PROF_M…T19, год в записи)"),
    region="19",
    detect=detect,
    reader=KhakassiaReader,
    doc="docs/formats/dialects.md#khakassia",
    order=10,
    name=r"PROF_M[0-9]+T19_",  # PROF_M{F003}T19_{YY}{K}{N}
    family=family,
    group="promed_prof",
)
