"""The values of a text's placeholders per person, for many persons at once [R II.10, II.24].

The MO's hours and phone come from its schedule of preventive work for the year (screening's PreventionSchedule:
working hours, the responsible person's phone), else from the MO's directory entry; the SMO representative's phone
from the SMO's directory entry. One query per kind of data for a whole batch, never one per person.
"""

from __future__ import annotations

from collections.abc import Iterable

from participants.models import Organization
from screening.models import PreventionSchedule

from .texts import month_name


def mo_values(mo_ids: Iterable[int], year: int) -> dict[int, dict[str, str]]:
    ids = {i for i in mo_ids if i}
    schedules = {s.mo_id: s for s in PreventionSchedule.objects.filter(mo_id__in=ids, year=year)}
    out = {}
    for mo in Organization.objects.filter(pk__in=ids):
        schedule = schedules.get(mo.pk)
        out[mo.pk] = {
            "мо": mo.display_name,
            "адрес_мо": mo.address,
            "часы_мо": (schedule.working_hours if schedule else "") or mo.hours,
            "телефон_мо": (schedule.responsible_phone if schedule else "") or mo.responsible_phone or mo.phone,
        }
    return out


def smo_values(smo: Organization) -> dict[str, str]:
    return {"телефон_смо": smo.responsible_phone or smo.phone}


def person_values(
    *, first_name: str, patronymic: str, month: int | None, mo: dict[str, str] | None, smo: dict[str, str]
) -> dict[str, str]:
    values = {"имя_отчество": " ".join(p for p in (first_name, patronymic) if p), "месяц": month_name(month)}
    values.update(mo or {"мо": "", "адрес_мо": "", "часы_мо": "", "телефон_мо": ""})
    values.update(smo)
    return values
