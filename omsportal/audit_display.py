"""The audit log as a record a data-protection officer hands to an inspector [R II.25, domain §10].

An entry is stored compactly (action, object type, person ids, the request's parameters as JSON); this module
turns a page of entries into Russian: *what* was done to which kind of data, *why* the user had access (the entry's
reason, else the duty of the role that grants it), *which persons* (ENP and name, for a reader allowed to see
them; otherwise the internal number), and the parameters with their Russian names and values (ids of users,
organizations, uploads resolved to names, choices to their labels, empty values left out).

Apps declare their object types and parameters in their ``access.py``, next to their scopes::

    declare_audit_object(AuditObject("list_entry", _("строки списков МО")))
    declare_audit_param(AuditParam("upload", _("загрузка списка"), resolve=_uploads))

Every lookup is one query per page (ids of all entries of the page together), never one per entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from omsportal.models import AuditAction
from omsportal.registry import Registry
from participants.models import Role

# Persons named per entry on the page; the rest of the stored ids are listed under "и ещё N" (up to the next cap).
PERSONS_NAMED = 5
PERSONS_LISTED = 100


@dataclass(frozen=True)
class AuditObject:
    """A kind of data an entry is about, named in Russian (``object_type`` of the entry)."""

    code: str
    label: str
    # What a count of it is called when no person ids are stored (e.g. rows of a protocol as the MO wrote them).
    count_label: str = ""


@dataclass(frozen=True)
class AuditParam:
    """A request parameter recorded with an entry: its Russian name and how its values read.

    ``choices`` maps stored values to labels; ``resolve(values) -> {value: text}`` looks many up at once (ids of
    users, organizations, uploads); ``link(value) -> url`` makes the text a link; ``hidden`` leaves it out.
    """

    key: str
    label: str
    choices: Mapping[Any, str] | None = None
    resolve: Callable[[set], Mapping[Any, str]] | None = None
    link: Callable[[Any], str] | None = None
    hidden: bool = False
    date: bool = False


OBJECTS: Registry[str, AuditObject] = Registry("access", "audit object type")
PARAMS: Registry[str, AuditParam] = Registry("access", "audit parameter")


def declare_audit_object(*objects: AuditObject) -> None:
    for obj in objects:
        OBJECTS.add(obj.code, obj)


def declare_audit_param(*params: AuditParam) -> None:
    for param in params:
        PARAMS.add(param.key, param)


# Why a role reads persons' data at all: the duty the regulation gives it (shown when an entry has no reason).
ROLE_PURPOSES = {
    Role.MO_STAFF: _("списки своей МО, протоколы и их исправление, события этапов (Регламент, п. II.2, II.6, II.9)"),
    Role.SMO_L1: _("обзвон застрахованных из списков обзвона (п. II.14)"),
    Role.SMO_L2: _("информирование застрахованных своей СМО и учёт (п. II.10–II.14)"),
    Role.SMO_L3: _("сопровождение застрахованных своей СМО (п. II.21)"),
    Role.FUND: _("контроль полноты и своевременности, ведение регистра (п. II.8, II.13)"),
    Role.MINISTRY: _("сводные показатели, без персональных данных (п. II.1)"),
    Role.ADMIN: _("настройка портала"),
}
WHAT = {
    AuditAction.VIEW: _("просмотр"),
    AuditAction.SEARCH: _("поиск"),
    AuditAction.LIST: _("просмотр списка"),
    AuditAction.EXPORT: _("выгрузка"),
    AuditAction.UPDATE: _("изменение"),
    AuditAction.IMPORT: _("загрузка"),
}


def object_label(code: str) -> str:
    obj = OBJECTS.find(code)
    return str(obj.label) if obj else code


def _text(value: Any, param: AuditParam | None) -> str:
    if isinstance(value, bool):
        return str(_("да")) if value else str(_("нет"))
    if param is not None and param.date and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if param is not None and param.choices is not None and value in param.choices:
        return str(param.choices[value])
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown_params(query: Mapping[str, Any]) -> list[tuple[str, Any, AuditParam | None]]:
    shown = []
    for key, value in (query or {}).items():
        if value in (None, "", [], {}) or value is False:
            continue
        param = PARAMS.find(key)
        if param is not None and param.hidden:
            continue
        if key == "page" and str(value) == "1":
            continue
        shown.append((key, value, param))
    return shown


def params_text(query: Mapping[str, Any]) -> str:
    """The parameters in one line, without database lookups (for the CSV/XLSX download of the log)."""
    return "; ".join(
        f"{param.label if param else key}: {_text(value, param)}" for key, value, param in _shown_params(query)
    )


@dataclass
class _Lookups:
    """Everything the page's entries refer to, fetched once per kind."""

    values: dict[str, set] = field(default_factory=dict)
    resolved: dict[str, Mapping[Any, str]] = field(default_factory=dict)

    def collect(self, key: str, value: Any) -> None:
        self.values.setdefault(key, set()).add(value)

    def run(self) -> None:
        for key, values in self.values.items():
            param = PARAMS.find(key)
            if param is not None and param.resolve is not None:
                self.resolved[key] = param.resolve(values)


def _person_short_name(last: str, first: str, patronymic: str) -> str:
    initials = "".join(f" {part[0]}." for part in (first, patronymic) if part)
    return f"{last}{initials}".strip()


def _persons_by_id(viewer, ids: set[int]) -> dict[int, dict]:
    """ENP and name of the persons ``viewer`` may see (one query); others stay numbers."""
    from omsportal.scoping import persons_visible_to

    if not ids:
        return {}
    rows = persons_visible_to(viewer).filter(pk__in=ids).values_list("pk", "enp", "last_name", "first_name",
                                                                      "patronymic")  # fmt: skip
    return {
        pk: {"id": pk, "enp": enp, "name": _person_short_name(last, first, patronymic or ""),
             "url": reverse("persons:detail", args=[pk])}
        for pk, enp, last, first, patronymic in rows
    }  # fmt: skip


def describe_entries(entries: Iterable, viewer) -> list[int]:
    """Give each entry of a page its readable parts (``what``, ``object_label``, ``why``, ``params``, ``persons``,
    ``persons_more``, ``persons_note``); returns the ids of the persons named with ENP and name (a read to audit)."""
    entries = list(entries)
    lookups = _Lookups()
    wanted: set[int] = set()
    for entry in entries:
        entry.shown_params = _shown_params(entry.query)
        for key, value, param in entry.shown_params:
            if param is not None and param.resolve is not None:
                lookups.collect(key, value)
        wanted.update(entry.person_ids[:PERSONS_LISTED])
    lookups.run()
    persons = _persons_by_id(viewer, wanted)
    named: set[int] = set()
    for entry in entries:
        obj = OBJECTS.find(entry.object_type)
        entry.object_label = str(obj.label) if obj else entry.object_type
        entry.what = f"{WHAT.get(entry.action, entry.get_action_display())} · {entry.object_label}"
        purpose = ROLE_PURPOSES.get(getattr(entry.user, "role", None), "")
        entry.why = entry.reason or (str(purpose) if purpose else "")
        params = []
        for key, value, param in entry.shown_params:
            text = lookups.resolved.get(key, {}).get(value) or _text(value, param)
            url = param.link(value) if param is not None and param.link is not None else ""
            params.append({"label": str(param.label) if param else key, "text": text, "url": url})
        entry.params = params
        listed = [persons.get(pk, {"id": pk}) for pk in entry.person_ids[:PERSONS_LISTED]]
        entry.persons = listed[:PERSONS_NAMED]
        entry.persons_more = listed[PERSONS_NAMED:]
        named.update(p["id"] for p in listed if "enp" in p)
        stored = len(entry.person_ids)
        entry.persons_unlisted = max(0, entry.person_count - max(stored, len(listed)))
        entry.persons_note = ""
        if entry.person_count and not stored:
            entry.persons_note = str(obj.count_label) if obj and obj.count_label else str(
                _("номера лиц не сохраняются: состав определяется параметрами запроса")
            )
    return sorted(named)


# --- The kit's own declarations ------------------------------------------------------------------------------


def _users(ids: set) -> dict:
    from participants.models import User

    users = User.objects.filter(pk__in=[v for v in ids if isinstance(v, int)])
    return {u.pk: f"{u.display_name} ({u.username})" for u in users}


def _organizations(ids: set) -> dict:
    from participants.models import Organization

    orgs = Organization.objects.filter(pk__in=[v for v in ids if isinstance(v, int)])
    return {o.pk: f"{o.code} {o.display_name}" for o in orgs}


declare_audit_object(
    AuditObject("person", _("данные застрахованных лиц")),
    AuditObject("audit_log", _("журнал доступа")),
)
declare_audit_param(
    AuditParam("q", _("запрос")),
    AuditParam("enp", _("ЕНП")),
    AuditParam("snils", _("СНИЛС")),
    AuditParam("last_name", _("фамилия")),
    AuditParam("first_name", _("имя")),
    AuditParam("patronymic", _("отчество")),
    AuditParam("birth_date", _("дата рождения"), date=True),
    AuditParam("date", _("на дату"), date=True),
    AuditParam("date_from", _("с даты"), date=True),
    AuditParam("date_to", _("по дату"), date=True),
    AuditParam("page", _("страница")),
    AuditParam("total", _("найдено")),
    AuditParam("total_capped", _("найдено больше показанного")),
    AuditParam("rows", _("строк")),
    AuditParam("fmt", _("формат")),
    AuditParam("format", _("формат")),
    AuditParam("file", _("файл")),
    AuditParam("sort", _("сортировка"), hidden=True),
    AuditParam("action", _("действие"), choices=dict(AuditAction.choices)),
    AuditParam("user", _("пользователь"), resolve=_users),
    AuditParam("organization", _("организация"), resolve=_organizations),
)
