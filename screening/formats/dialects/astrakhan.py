"""Astrakhan (region 30), ProMed's ``NDM{F003}{T30|S…}{YYMM}{N}`` export (shared/formats-regional.md §2.6).

Root ``ZL_LIST``; ``ZGLV`` with only ``VERSION``, ``DATA``, ``FILENAME`` (no MO code, no year: the MO code is each
record's ``CODE_MO``, else the file name's; the year is the one chosen at upload); records ``NPR`` numbered 1…n by
``IDCASE``, with ``PERIOD`` the **month** and ``TIP_DATA`` the plan kind (``DP`` dispanserization, ``DO`` adult
prophylactic exam; the children's kinds ``DS``/``DR``/``DU``/``DD``/``DF`` have no measure here: 102). Empty
elements are omitted. ``SPOLIS``/``NPOLIS`` only when there is no ENP. No import of its own, so no answer file.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from .base import COMMON_DISP_CODES, Dialect, DialectXmlReader, Probe

_NAME = re.compile(r"NDM([0-9]{6})")


class AstrakhanReader(DialectXmlReader):
    dialect = "promed_astrakhan"
    NUMBER_TAG = "IDCASE"
    RECORD = "NPR"
    MEASURE = None
    HEADER_FIELDS = {"FILENAME": "filename", "VERSION": "version", "DATA": "date"}
    RECORD_FIELDS = {
        "IDCASE": "n_zap", "ENP": "enp", "SNILS": "snils", "FAM": "fam", "IM": "im", "OT": "ot", "W": "w",
        "DR": "dr", "VPOLIS": "vpolis", "NPOLIS": "npolis", "PERIOD": "month", "TIP_DATA": "disp",
        "CODE_MO": "code_mo",
    }  # fmt: skip
    DISP_CODES = {**COMMON_DISP_CODES, "DP": "ДВН", "DO": "ПМО"}

    def header_from_name(self, values: dict[str, str]) -> None:
        if "code_mo" not in values:
            found = _NAME.match(self._name)
            if found:
                values["code_mo"] = found.group(1)


def family(probe: Probe) -> bool:
    return probe.root == "ZL_LIST" and probe.has("NPR")


def detect(probe: Probe) -> bool:
    return family(probe) and probe.has("IDCASE", "TIP_DATA")


DIALECT = Dialect(
    code="promed_astrakhan",
    label=_("ProMed, Астраханская область (NDM…, NPR/IDCASE)"),
    region="30",
    detect=detect,
    reader=AstrakhanReader,
    doc="docs/formats/dialects.md#astrakhan",
    name=r"NDM[0-9]+(T30|S[0-9]+)[0-9]{4}",  # NDM{F003}{T30|S+F002}{YY}{MM}{N}
    family=family,
)
