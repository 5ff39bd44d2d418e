"""Bashkortostan / Ufa (region 02), ProMed's ``DPM{F003}T02{YYMM}{N}`` export (shared/formats-regional.md §2.5).

Root ``PERS_LIST``; ``ZGLV`` with ``VERSION`` 2.1, ``DATA``, ``FILENAME`` and ``FILENAME1`` (= the MO's F003 code);
records ``PERS`` numbered 1…n by ``ID_PAC``, the ENP in ``POLISNUM``, ``DISP`` ``ДВ4``/``ОПВ``, and **no period at
all** (no month, no quarter: the entry has neither and the plan is compared over the year) and no year (the one
chosen at upload). ``OT`` as stored. No import of its own, so no answer file.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Dialect, DialectXmlReader, Probe


class UfaReader(DialectXmlReader):
    dialect = "promed_ufa"
    NUMBER_TAG = "ID_PAC"
    ROOT = "PERS_LIST"
    RECORD = "PERS"
    MEASURE = None
    PERIOD_FREE = True
    HEADER_FIELDS = {"FILENAME1": "code_mo", "FILENAME": "filename", "VERSION": "version", "DATA": "date"}
    RECORD_FIELDS = {
        "ID_PAC": "n_zap", "FAM": "fam", "IM": "im", "OT": "ot", "W": "w", "DR": "dr", "SNILS": "snils",
        "POLISNUM": "enp", "DISP": "disp",
    }  # fmt: skip


def family(probe: Probe) -> bool:
    return probe.root == "PERS_LIST" and probe.has("PERS")


def detect(probe: Probe) -> bool:
    # Karelia's automatic channel also has PERS_LIST/PERS, with DISP_MONTH and a TYPE in the header.
    return family(probe) and not probe.has("DISP_MONTH")


DIALECT = Dialect(
    code="promed_ufa",
    label=_("ProMed, Республика Башкортостан (DPM…T02, PERS_LIST)"),
    region="02",
    detect=detect,
    reader=UfaReader,
    doc="docs/formats/dialects.md#ufa",
    name=r"DPM[0-9]+T02[0-9]{4}",  # DPM{F003}T02{YY}{MM}{N}
)
