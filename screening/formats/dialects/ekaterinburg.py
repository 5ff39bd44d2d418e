"""Ekaterinburg / Sverdlovsk (region 66), ProMed's ``DL{F003}_{YY}{Q}{N}`` export: recognized, and refused.

Its records (``ZAP``: ``N_ZAP``, ``ID``, ``PLAN_Q``) identify a person only by the id of the regional register
(``BDZ_id``): no name, no date of birth, no ENP or SNILS, no measure (shared/formats-regional.md §2.3). The portal's
register is keyed by ENP and holds no such ids, so nobody in the file could be identified; the file is refused
whole with a message saying so, instead of a 201 for every record. For the same reason the ``PDN…`` answer
(``CODE_ERP``) is not written: there is no upload of that dialect to answer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Dialect, Probe

REFUSAL = (
    "Файл в формате выгрузки ProMed для Свердловской области (DL…, записи ZAP с полями N_ZAP, ID, PLAN_Q): "
    "застрахованные указаны только идентификатором регионального регистра (ID), без ЕНП, СНИЛС, ФИО и даты "
    "рождения. Портал ведёт регистр по ЕНП и таких идентификаторов не хранит, поэтому не может найти ни одного "
    "лица. Выгрузите список в формате ZL_LIST (ЕНП, СНИЛС или ФИО с датой рождения) или в CSV/XLSX по шаблону."
)


def detect(probe: Probe) -> bool:
    return probe.root == "ZL_LIST" and not probe.has("ZGLV") and probe.has("CODE_ORG", "PLAN_Q", "NRECORDS")


DIALECT = Dialect(
    code="promed_ekaterinburg",
    label=_("ProMed, Свердловская область (DL…, только ID регистра)"),
    region="66",
    detect=detect,
    refusal=REFUSAL,
    doc="docs/formats/dialects.md#ekaterinburg",
    order=5,
    name=r"DL[0-9]+_[0-9]{4}",  # DL{F003}_{YY}{Q}{N}
)
