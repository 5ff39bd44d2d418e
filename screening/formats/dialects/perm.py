"""Perm (region 59), ProMed's ``PROF_M{F003}T59…`` export (shared/formats-regional.md §2.1).

Root ``ZL_LIST``; header ``ZGLV`` with ``CODMOF`` (not CODE_MO), ``YEAR``, an optional ``QUART``; one
``SV_PR_MER`` per person-in-plan, numbered by ``NOMER_Z`` (the MIS's database id: large, with gaps, echoed back as
sent), with exactly one ``SV_PL_MER`` holding ``QUART`` (no month) and ``DISP`` ``ДВ4``/``ОПВ``. Its MIS imports
the answer ``OSHIB_PR`` (screening/formats/answers/perm.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Dialect, DialectXmlReader, Probe

PERSON = {
    "NOMER_Z": "n_zap", "ENP": "enp", "SNILS": "snils", "FAM": "fam", "IM": "im", "OT": "ot", "W": "w", "DR": "dr",
    "TEL": "tel", "VPOLIS": "vpolis", "NPOLIS": "npolis",
}  # fmt: skip


class PermReader(DialectXmlReader):
    dialect = "promed_perm"
    NUMBER_TAG = "NOMER_Z"
    HEADER_FIELDS = {
        "CODMOF": "code_mo", "YEAR": "year", "FILENAME": "filename", "VERSION": "version", "DATA": "date",
        "QUART": "quart",
    }  # fmt: skip
    RECORD_FIELDS = PERSON
    MEASURE_FIELDS = {"QUART": "kv", "DISP": "disp"}


def family(probe: Probe) -> bool:
    """ProMed's PROF_M… record (Perm and Khakassia): root ZL_LIST, NOMER_Z and CODMOF."""
    return probe.root == "ZL_LIST" and probe.has("NOMER_Z", "CODMOF")


def detect(probe: Probe) -> bool:
    # Khakassia writes the same record; its header has FIRSTNAME (sic) and no YEAR, its records a YEAR each.
    return family(probe) and not probe.has("FIRSTNAME", "ADRES", "IDDOKT")


NAME = r"PROF_M[0-9]+T59"  # PROF_M{F003}T59{S+F002}_{YY}{MM}{N}


DIALECT = Dialect(
    code="promed_perm",
    label=_("ProMed, Пермский край (PROF_M…T59, NOMER_Z)"),
    region="59",
    detect=detect,
    reader=PermReader,
    doc="docs/formats/dialects.md#perm",
    order=20,
    name=NAME,
    family=family,
    group="promed_prof",
)
