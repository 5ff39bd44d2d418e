"""Vologda (region 35), ProMed's ``D-M{F003}-F35-{YYYY}-{R}`` export (shared/formats-regional.md §2.7).

Root ``ZL_LIST``; ``ZGLV`` with ``FILENAME`` first, ``DATA``, ``CODE_MO``, ``YEAR``, ``R`` (no VERSION); records
``ZAP`` numbered by ``N_ZAP`` (the MIS's database id) with the measure in the record: ``DISP_TYP`` **numeric**
(``3`` ДН, ``4`` ДВН, ``5`` ПМО) and ``MES`` the month; for ДН the doctor's SNILS is ``MCODE``. No ENP and no
SNILS of the person: a 16-digit ``NPOLIS`` is the ENP, else the person is found by name and date of birth. Phones
``PHONE`` are ``+7`` and 10 digits. Its MIS imports the list echoed back with a ``PROV`` block
(screening/formats/answers/vologda.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import COMMON_DISP_CODES, Dialect, DialectXmlReader, Probe


class VologdaReader(DialectXmlReader):
    dialect = "promed_vologda"
    RECORD = "ZAP"
    MEASURE = None
    HEADER_FIELDS = {"CODE_MO": "code_mo", "YEAR": "year", "FILENAME": "filename", "DATA": "date"}
    RECORD_FIELDS = {
        "N_ZAP": "n_zap", "FAM": "fam", "IM": "im", "OT": "ot", "W": "w", "DR": "dr", "PHONE": "tel",
        "NPOLIS": "npolis", "DISP_TYP": "disp", "MES": "month", "MCODE": "iddokt",
    }  # fmt: skip
    DISP_CODES = {**COMMON_DISP_CODES, "3": "ДН", "4": "ДВН", "5": "ПМО"}


def family(probe: Probe) -> bool:
    return probe.root == "ZL_LIST" and probe.has("ZGLV") and probe.has("ZAP")


def detect(probe: Probe) -> bool:
    return family(probe) and probe.has("DISP_TYP", "MES")


DIALECT = Dialect(
    code="promed_vologda",
    label=_("ProMed, Вологодская область (D-M…-F35, DISP_TYP)"),
    region="35",
    detect=detect,
    reader=VologdaReader,
    doc="docs/formats/dialects.md#vologda",
    name=r"D-M[0-9]+-(F35|S[0-9]+)-[0-9]{4}-",  # D-M{F003}-F35-{YYYY}-{R}, D-M{F003}-S{F002}-{YYYY}-{R}
    family=family,
)
