"""Writes of plans, schedules and routing [R II.1, II.2, II.24]; every write leaves a PlanChange row.

Who writes what:
- the Ministry: the yearly plan of preventive measures (per MO, measure and month), by form or XLSX file, and its
  approval; an approved plan is frozen until the Ministry reopens it, and a reopened plan needs re-approval;
- MO staff: their own MO's plan by district, brigade trips, special days, routing rules and schedule of work.
Anyone else gets ``PermissionDenied`` (403); views turn "another MO's object" into 404 before calling here.

The yearly plan file (``docs/formats/plan_xlsx.md``): one sheet, header ``CODE_MO, DISP, M1..M12`` in row 1,
one row per MO and measure. The whole file is checked before anything is written; a file with any error is
rejected whole and the plan stays as it was. A row sets the twelve months of its (MO, measure); pairs absent
from the file are left unchanged.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omsportal.filelimits import BadFile
from omsportal.safefiles import ascii_digits, open_upload
from omsportal.sheets import SheetReader, column_letter
from participants.models import District, Organization, OrganizationKind, Role, User
from screening.models import (
    BrigadeTrip,
    DistrictPlan,
    Measure,
    PlanChange,
    PlanStatus,
    PreventionSchedule,
    RoutingRule,
    SpecialDay,
    YearPlan,
    YearPlanLine,
)

# R II.1 / II.2: the plans cover dispanserization and prophylactic examinations; DN has lists, not plans.
PLAN_MEASURES: tuple[str, ...] = (Measure.DVN, Measure.PMO)
MONTHS = range(1, 13)
MAX_QUANTITY = 10_000_000
MIN_YEAR, MAX_YEAR = 2000, 2100

# The plan file: fixed header names (any order, case-insensitive); NAME_MO and other columns are ignored.
PLAN_XLSX_COLUMNS: tuple[str, ...] = ("CODE_MO", "DISP", *(f"M{m}" for m in MONTHS))
PLAN_XLSX_MAX_ROWS = 20_000
PLAN_XLSX_MAX_ERRORS = 200
MEASURE_ALIASES = {"ДВН": Measure.DVN, "DVN": Measure.DVN, "ПМО": Measure.PMO, "PMO": Measure.PMO}
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?\Z")


class PlanFileError(ValidationError):
    """The plan file is rejected: ``messages`` are Russian, each naming the row and column."""


@dataclass(frozen=True)
class PlanUploadResult:
    """What an accepted plan file did."""

    rows: int
    mos: int
    cells_changed: int


# --- permissions and history ------------------------------------------------------------------------------


def _require_ministry(user: User) -> None:
    if not user.is_authenticated or user.role != Role.MINISTRY:
        raise PermissionDenied(_("Годовой план ведёт и утверждает министерство здравоохранения."))


def _require_mo_editor(user: User, mo: Organization) -> None:
    # R II.2, II.24: an MO posts its own plans and schedules; the Fund, the Ministry and SMOs only read them.
    if not user.is_authenticated or user.role != Role.MO_STAFF or user.organization_id != mo.pk:
        raise PermissionDenied(_("Планы и графики МО ведёт только сама медицинская организация."))


def _check_year(year: int) -> None:
    if not (MIN_YEAR <= int(year) <= MAX_YEAR):
        raise ValidationError(_("Год должен быть от %(lo)s до %(hi)s.") % {"lo": MIN_YEAR, "hi": MAX_YEAR})


def _check_plan_measure(measure: str) -> None:
    if measure not in PLAN_MEASURES:
        raise ValidationError(_("В план входят только ДВН и ПМО."))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _log(
    *,
    user: User,
    mo: Organization | None,
    object_type: str,
    object_id: int | None,
    action: str,
    year: int | None,
    changes: Mapping[str, Any],
) -> PlanChange:
    payload = {"year": year, **changes} if year is not None else dict(changes)
    return PlanChange.objects.create(
        user=user, mo=mo, object_type=object_type, object_id=object_id, action=action, changes=payload
    )


def _field_values(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _json_value(getattr(instance, f"{name}_id" if _is_fk(instance, name) else name)) for name in fields}


def _is_fk(instance: models.Model, name: str) -> bool:
    return isinstance(instance._meta.get_field(name), models.ForeignKey)


def _apply_fields(instance: models.Model, data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, list]:
    """Set ``data`` on ``instance`` (only ``allowed`` fields); return {field: [old, new]} for what changed."""
    allowed = tuple(allowed)
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Fields not editable here: {sorted(unknown)}")
    before = _field_values(instance, data)
    for name, value in data.items():
        setattr(instance, name, value)
    after = _field_values(instance, data)
    return {name: [before[name], after[name]] for name in data if before[name] != after[name]}


def _validate(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# --- the Ministry's yearly plan [R II.1] ---------------------------------------------------------------------


def _plan_for_update(year: int) -> YearPlan:
    YearPlan.objects.get_or_create(year=year)
    return YearPlan.objects.select_for_update().get(year=year)


def _require_draft(plan: YearPlan) -> None:
    if plan.status == PlanStatus.APPROVED:
        raise ValidationError(
            _(
                "План на %(year)s год утверждён и заморожен. Чтобы изменить его, откройте план для изменений; "
                "после изменения план нужно утвердить повторно."
            )
            % {"year": plan.year}
        )


def _clean_quantity(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_QUANTITY:
        raise ValidationError(_("Количество должно быть целым числом от 0 до %(max)s.") % {"max": MAX_QUANTITY})
    return value


def _write_plan_cells(
    plan: YearPlan, values_by_mo: Mapping[int, Mapping[tuple[str, int], int | None]]
) -> dict[int, list[dict]]:
    """Set plan cells set-based (one read, bulk create/update/delete); returns cell diffs per MO id."""
    existing = {
        (line.mo_id, line.measure, line.month): line
        for line in YearPlanLine.objects.filter(plan=plan, mo_id__in=list(values_by_mo))
    }
    to_create, to_update, to_delete = [], [], []
    diffs: dict[int, list[dict]] = {}
    for mo_id, values in values_by_mo.items():
        for (measure, month), quantity in sorted(values.items()):
            line = existing.get((mo_id, measure, month))
            old = line.quantity if line else None
            if old == quantity:
                continue
            if quantity is None:
                to_delete.append(line.pk)
            elif line is None:
                to_create.append(YearPlanLine(plan=plan, mo_id=mo_id, measure=measure, month=month, quantity=quantity))
            else:
                line.quantity = quantity
                to_update.append(line)
            diffs.setdefault(mo_id, []).append({"measure": measure, "month": month, "old": old, "new": quantity})
    if to_delete:
        YearPlanLine.objects.filter(pk__in=to_delete).delete()
    if to_update:
        YearPlanLine.objects.bulk_update(to_update, ["quantity"], batch_size=1000)
    if to_create:
        YearPlanLine.objects.bulk_create(to_create, batch_size=1000)
    if diffs:
        plan.save(update_fields=["updated_at"])
    return diffs


def year_plan_line_set(
    *, user: User, year: int, mo: Organization, values: Mapping[tuple[str, int], int | None]
) -> YearPlan:
    """Set the yearly-plan cells of one MO: {(measure, month): persons, or None to remove the cell}."""
    _require_ministry(user)
    _check_year(year)
    if mo.kind != OrganizationKind.MO:
        raise ValidationError(_("План ведётся только для медицинских организаций."))
    cleaned: dict[tuple[str, int], int | None] = {}
    for (measure, month), quantity in values.items():
        _check_plan_measure(measure)
        if month not in MONTHS:
            raise ValidationError(_("Месяц должен быть от 1 до 12."))
        cleaned[(measure, month)] = _clean_quantity(quantity)
    with transaction.atomic():
        plan = _plan_for_update(year)
        _require_draft(plan)
        diffs = _write_plan_cells(plan, {mo.pk: cleaned})
        if diffs:
            _log(
                user=user,
                mo=mo,
                object_type="YearPlanLine",
                object_id=plan.pk,
                action="update",
                year=year,
                changes={"cells": diffs[mo.pk]},
            )
    return plan


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_quantity(value: Any) -> int | None:
    """A month cell: empty is 0; an integer (also written as 12.0 or "12"); anything else is None (an error)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        quantity = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        quantity = int(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if not _PLAIN_NUMBER.match(text):  # ASCII digits only: Decimal would also read "١٢" as 12
            return None
        try:
            number = decimal.Decimal(text.replace(",", "."))
        except decimal.InvalidOperation:
            return None
        if number != number.to_integral_value():
            return None
        quantity = int(number)
    return quantity if 0 <= quantity <= MAX_QUANTITY else None


def read_plan_xlsx(file: IO[bytes], *, mo_ids_by_code: Mapping[str, int]) -> list[tuple[int, str, list[int]]]:
    """Read and check a plan file: [(mo_id, measure, [12 quantities])]; raises PlanFileError with all errors."""
    try:
        with open_upload(file, accept=("xlsx",)) as upload, SheetReader(upload.file) as sheet:
            return _read_plan_rows(sheet.rows(), mo_ids_by_code=mo_ids_by_code)
    except BadFile as exc:
        raise PlanFileError([exc.message]) from exc


def _read_plan_rows(rows, *, mo_ids_by_code: Mapping[str, int]) -> list[tuple[int, str, list[int]]]:
    header_number, header = next(rows, (1, None))
    errors: list[str] = []
    positions: dict[str, int] = {}
    for index, title in enumerate(header or (), start=1):
        name = _cell_text(title).upper()
        if not name:
            continue
        if name in positions and name in PLAN_XLSX_COLUMNS:
            errors.append(
                _("Строка %(row)s, столбец %(col)s: столбец «%(name)s» повторяется (уже есть в столбце %(first)s).")
                % {
                    "row": header_number,
                    "col": column_letter(index),
                    "name": name,
                    "first": column_letter(positions[name]),
                }
            )
            continue
        positions.setdefault(name, index)
    missing = [name for name in PLAN_XLSX_COLUMNS if name not in positions]
    if missing:
        errors.append(
            _("Строка %(row)s: нет столбцов %(names)s. Заголовок должен содержать CODE_MO, DISP, M1…M12.")
            % {"row": header_number, "names": ", ".join(missing)}
        )
    if errors:
        raise PlanFileError(errors)

    def where(row_number: int, name: str) -> str:
        return _("Строка %(row)s, столбец %(col)s (%(name)s)") % {
            "row": row_number,
            "col": column_letter(positions[name]),
            "name": name,
        }

    result: list[tuple[int, str, list[int]]] = []
    seen: dict[tuple[int, str], int] = {}
    data_rows = 0
    for row_number, row in rows:
        data_rows += 1
        if data_rows > PLAN_XLSX_MAX_ROWS:
            errors.append(_("Строк больше %(max)s: файл не похож на план.") % {"max": PLAN_XLSX_MAX_ROWS})
            break

        def cell(name: str, row=row):
            position = positions[name] - 1
            return row[position] if position < len(row) else None

        if all(_cell_text(cell(name)) == "" for name in PLAN_XLSX_COLUMNS):
            continue  # a blank line
        code = _cell_text(cell("CODE_MO"))
        if isinstance(cell("CODE_MO"), float) and cell("CODE_MO").is_integer():
            code = str(int(cell("CODE_MO")))
        mo_id = None
        if not code:
            errors.append(_("%(where)s: не указан код МО.") % {"where": where(row_number, "CODE_MO")})
        elif not (ascii_digits(code) and len(code) == 6):
            errors.append(
                _("%(where)s: код МО «%(code)s» должен состоять из 6 цифр (справочник F003).")
                % {"where": where(row_number, "CODE_MO"), "code": code}
            )
        else:
            mo_id = mo_ids_by_code.get(code)
            if mo_id is None:
                errors.append(
                    _("%(where)s: медицинской организации с кодом %(code)s нет в справочнике региона.")
                    % {"where": where(row_number, "CODE_MO"), "code": code}
                )
        disp = _cell_text(cell("DISP")).upper()
        measure = MEASURE_ALIASES.get(disp)
        if not disp:
            errors.append(_("%(where)s: не указано мероприятие.") % {"where": where(row_number, "DISP")})
        elif measure is None:
            errors.append(
                _("%(where)s: мероприятие «%(value)s» не входит в план; допустимо ДВН или ПМО (DVN, PMO).")
                % {"where": where(row_number, "DISP"), "value": disp}
            )
        quantities: list[int] = []
        for month in MONTHS:
            name = f"M{month}"
            quantity = _parse_quantity(cell(name))
            if quantity is None:
                errors.append(
                    _("%(where)s: «%(value)s» — не целое число от 0 до %(max)s.")
                    % {"where": where(row_number, name), "value": _cell_text(cell(name)), "max": MAX_QUANTITY}
                )
                quantity = 0
            quantities.append(quantity)
        if mo_id is not None and measure is not None:
            first = seen.setdefault((mo_id, measure), row_number)
            if first != row_number:
                errors.append(
                    _("Строка %(row)s: МО %(code)s и мероприятие %(disp)s уже указаны в строке %(first)s.")
                    % {"row": row_number, "code": code, "disp": disp, "first": first}
                )
            else:
                result.append((mo_id, measure, quantities))
        if len(errors) > PLAN_XLSX_MAX_ERRORS:
            break
    if not errors and not result:
        errors.append(_("В файле нет ни одной строки плана (ожидаются строки со второй)."))
    if errors:
        if len(errors) > PLAN_XLSX_MAX_ERRORS:
            errors = [*errors[:PLAN_XLSX_MAX_ERRORS], _("… проверка остановлена: слишком много ошибок.")]
        raise PlanFileError(errors)
    return result


def year_plan_upload_xlsx(*, user: User, year: int, file: IO[bytes], original_name: str = "") -> PlanUploadResult:
    """Load the yearly plan from an XLSX file; one file is one transaction, and a file with errors changes nothing."""
    _require_ministry(user)
    _check_year(year)
    mo_ids_by_code = dict(Organization.objects.filter(kind=OrganizationKind.MO).values_list("code", "pk"))
    rows = read_plan_xlsx(file, mo_ids_by_code=mo_ids_by_code)
    values_by_mo: dict[int, dict[tuple[str, int], int | None]] = {}
    for mo_id, measure, quantities in rows:
        cells = values_by_mo.setdefault(mo_id, {})
        for month, quantity in zip(MONTHS, quantities, strict=True):
            cells[(measure, month)] = quantity
    with transaction.atomic():
        plan = _plan_for_update(year)
        _require_draft(plan)
        diffs = _write_plan_cells(plan, values_by_mo)
        # One history row per MO whose cells changed, written in one statement (300 MOs: 1 INSERT, not 300).
        PlanChange.objects.bulk_create(
            [
                PlanChange(
                    user=user,
                    mo_id=mo_id,
                    object_type="YearPlanLine",
                    object_id=plan.pk,
                    action="upload",
                    changes={"year": year, "file": original_name, "cells": cells},
                )
                for mo_id, cells in diffs.items()
            ],
            batch_size=500,
        )
        changed = sum(len(cells) for cells in diffs.values())
        _log(
            user=user,
            mo=None,
            object_type="YearPlan",
            object_id=plan.pk,
            action="upload",
            year=year,
            changes={"file": original_name, "rows": len(rows), "mos": len(values_by_mo), "cells_changed": changed},
        )
    return PlanUploadResult(rows=len(rows), mos=len(values_by_mo), cells_changed=changed)


def year_plan_approve(*, user: User, year: int) -> YearPlan:
    """Approve the yearly plan [R II.1: by 15 January]; it is frozen from now on."""
    _require_ministry(user)
    with transaction.atomic():
        plan = YearPlan.objects.select_for_update().filter(year=year).first()
        if plan is None or not plan.lines.exists():
            raise ValidationError(_("План на %(year)s год пуст: утверждать нечего.") % {"year": year})
        if plan.status == PlanStatus.APPROVED:
            raise ValidationError(_("План на %(year)s год уже утверждён.") % {"year": year})
        reapproval = PlanChange.objects.filter(object_type="YearPlan", object_id=plan.pk, action="approve").exists()
        plan.status = PlanStatus.APPROVED
        plan.approved_at = timezone.now()
        plan.approved_by = user
        plan.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        _log(
            user=user,
            mo=None,
            object_type="YearPlan",
            object_id=plan.pk,
            action="approve",
            year=year,
            changes={
                "status": [PlanStatus.DRAFT, PlanStatus.APPROVED],
                "reapproval": reapproval,
                "lines": plan.lines.count(),
            },
        )
    return plan


def year_plan_reopen(*, user: User, year: int, reason: str = "") -> YearPlan:
    """Open an approved plan for changes: it goes back to draft and must be approved again."""
    _require_ministry(user)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Укажите, почему утверждённый план изменяется."))
    with transaction.atomic():
        plan = YearPlan.objects.select_for_update().filter(year=year).first()
        if plan is None or plan.status != PlanStatus.APPROVED:
            raise ValidationError(
                _("План на %(year)s год не утверждён: он и так открыт для изменений.") % {"year": year}
            )
        previous = plan.approved_at
        plan.status = PlanStatus.DRAFT
        plan.approved_at = None
        plan.approved_by = None
        plan.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        _log(
            user=user,
            mo=None,
            object_type="YearPlan",
            object_id=plan.pk,
            action="reopen",
            year=year,
            changes={
                "status": [PlanStatus.APPROVED, PlanStatus.DRAFT],
                "reason": reason[:500],
                "approved_at": previous.isoformat() if previous else None,
            },
        )
    return plan


# --- the MO's plan by district [R II.2] ----------------------------------------------------------------------


def district_plan_set(
    *, user: User, mo: Organization, year: int, measure: str, values: Mapping[tuple[int, int], int | None]
) -> int:
    """Set the MO's plan cells for one measure: {(district id, month): persons, or None to clear}; returns changes."""
    _require_mo_editor(user, mo)
    _check_year(year)
    _check_plan_measure(measure)
    districts = {d.pk: d for d in District.objects.filter(mo=mo, pk__in={d for d, _m in values})}
    for district_id, month in values:
        if district_id not in districts:
            raise ValidationError(_("Участок не принадлежит вашей медицинской организации."))
        if month not in MONTHS:
            raise ValidationError(_("Месяц должен быть от 1 до 12."))
    cleaned = {key: _clean_quantity(quantity) for key, quantity in values.items()}
    with transaction.atomic():
        existing = {
            (row.district_id, row.month): row
            for row in DistrictPlan.objects.select_for_update().filter(
                mo=mo, year=year, measure=measure, district_id__in=list(districts)
            )
        }
        to_create, to_update, to_delete, cells = [], [], [], []
        for (district_id, month), quantity in sorted(cleaned.items()):
            row = existing.get((district_id, month))
            old = row.quantity if row else None
            if old == quantity:
                continue
            if quantity is None:
                to_delete.append(row.pk)
            elif row is None:
                to_create.append(
                    DistrictPlan(
                        mo=mo, year=year, district_id=district_id, measure=measure, month=month, quantity=quantity
                    )
                )
            else:
                row.quantity = quantity
                to_update.append(row)
            number = districts[district_id].number
            cells.append({"district": number, "measure": measure, "month": month, "old": old, "new": quantity})
        if to_delete:
            DistrictPlan.objects.filter(pk__in=to_delete).delete()
        if to_update:
            DistrictPlan.objects.bulk_update(to_update, ["quantity"], batch_size=1000)
        if to_create:
            DistrictPlan.objects.bulk_create(to_create, batch_size=1000)
        if cells:
            _log(
                user=user,
                mo=mo,
                object_type="DistrictPlan",
                object_id=None,
                action="update",
                year=year,
                changes={"cells": cells},
            )
    return len(cells)


# --- brigades, special days, routing, schedule [R II.2, II.24] -------------------------------------------------

BRIGADE_FIELDS = ("kind", "date_from", "date_to", "settlement", "measures", "note")
SPECIAL_DAY_FIELDS = ("date", "time_from", "time_to", "description")
ROUTING_FIELDS = ("year", "measure", "examination", "performer", "place", "contract")
SCHEDULE_FIELDS = ("working_hours", "booking", "responsible_name", "responsible_phone")


@dataclass(frozen=True)
class _MoRecord:
    """An MO-owned record edited with history: brigade trips, special days, routing rules."""

    model: type[models.Model]
    fields: tuple[str, ...]
    check: Callable[[Any], None]
    year_of: Callable[[Any], int]


def _mo_record_create(user: User, kind: _MoRecord, record: models.Model) -> models.Model:
    kind.check(record)
    with transaction.atomic():
        record.save()
        _log(
            user=user,
            mo=record.mo,
            object_type=kind.model.__name__,
            object_id=record.pk,
            action="create",
            year=kind.year_of(record),
            changes={"fields": {k: [None, v] for k, v in _field_values(record, kind.fields).items()}},
        )
    return record


def _mo_record_update(user: User, kind: _MoRecord, record: models.Model, data: Mapping[str, Any]) -> models.Model:
    _require_mo_editor(user, record.mo)
    with transaction.atomic():
        record = kind.model.objects.select_for_update().get(pk=record.pk)
        diff = _apply_fields(record, data, kind.fields)
        kind.check(record)
        if diff:
            record.save()
            _log(
                user=user,
                mo=record.mo,
                object_type=kind.model.__name__,
                object_id=record.pk,
                action="update",
                year=kind.year_of(record),
                changes={"fields": diff},
            )
    return record


def _mo_record_delete(user: User, kind: _MoRecord, record: models.Model) -> None:
    """Remove the record; its last state stays in the history."""
    _require_mo_editor(user, record.mo)
    with transaction.atomic():
        record = kind.model.objects.select_for_update().get(pk=record.pk)
        _log(
            user=user,
            mo=record.mo,
            object_type=kind.model.__name__,
            object_id=record.pk,
            action="delete",
            year=kind.year_of(record),
            changes={"fields": {k: [v, None] for k, v in _field_values(record, kind.fields).items()}},
        )
        record.delete()


def _check_brigade(trip: BrigadeTrip) -> None:
    _validate(trip, exclude=["mo"])
    if trip.date_to < trip.date_from:
        raise ValidationError({"date_to": _("Дата окончания выезда раньше даты начала.")})
    if any(m not in Measure.values for m in trip.measures):
        raise ValidationError({"measures": _("Неизвестное мероприятие.")})
    trip.measures = sorted(set(trip.measures))


_BRIGADE = _MoRecord(BrigadeTrip, BRIGADE_FIELDS, _check_brigade, lambda trip: trip.date_from.year)


def brigade_trip_create(
    *,
    user: User,
    mo: Organization,
    kind: str,
    date_from: datetime.date,
    date_to: datetime.date,
    settlement: str,
    measures: list[str],
    note: str = "",
) -> BrigadeTrip:
    """Add a mobile-brigade trip or a transport delivery to the MO's schedule."""
    _require_mo_editor(user, mo)
    trip = BrigadeTrip(
        mo=mo,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        settlement=settlement.strip(),
        measures=list(measures),
        note=note.strip(),
    )
    return _mo_record_create(user, _BRIGADE, trip)


def brigade_trip_update(*, user: User, trip: BrigadeTrip, data: Mapping[str, Any]) -> BrigadeTrip:
    """Change a brigade trip; ``data`` holds the fields to set."""
    return _mo_record_update(user, _BRIGADE, trip, data)


def brigade_trip_delete(*, user: User, trip: BrigadeTrip) -> None:
    """Remove a brigade trip; its last state stays in the history."""
    _mo_record_delete(user, _BRIGADE, trip)


def _check_special_day(day: SpecialDay) -> None:
    _validate(day, exclude=["mo"])
    if day.time_from and day.time_to and day.time_to <= day.time_from:
        raise ValidationError({"time_to": _("Время окончания должно быть позже времени начала.")})


_SPECIAL_DAY = _MoRecord(SpecialDay, SPECIAL_DAY_FIELDS, _check_special_day, lambda day: day.date.year)


def special_day_create(
    *,
    user: User,
    mo: Organization,
    date: datetime.date,
    description: str,
    time_from: datetime.time | None = None,
    time_to: datetime.time | None = None,
) -> SpecialDay:
    """Add a day set aside for check-ups or particular examinations."""
    _require_mo_editor(user, mo)
    day = SpecialDay(mo=mo, date=date, description=description.strip(), time_from=time_from, time_to=time_to)
    return _mo_record_create(user, _SPECIAL_DAY, day)


def special_day_update(*, user: User, day: SpecialDay, data: Mapping[str, Any]) -> SpecialDay:
    """Change a special day."""
    return _mo_record_update(user, _SPECIAL_DAY, day, data)


def special_day_delete(*, user: User, day: SpecialDay) -> None:
    """Remove a special day; its last state stays in the history."""
    _mo_record_delete(user, _SPECIAL_DAY, day)


def _check_routing(rule: RoutingRule) -> None:
    _check_year(rule.year)
    _validate(rule, exclude=["mo", "performer"])
    if rule.performer_id is not None:
        performer = rule.performer
        if performer.kind != OrganizationKind.MO or performer.pk == rule.mo_id:
            raise ValidationError({"performer": _("Исполнителем может быть только другая медицинская организация.")})
        # R II.2: another MO performs part of the measure only under a contract.
        if not rule.contract.strip():
            raise ValidationError({"contract": _("Укажите договор с медицинской организацией-исполнителем.")})


_ROUTING = _MoRecord(RoutingRule, ROUTING_FIELDS, _check_routing, lambda rule: rule.year)


def routing_rule_create(
    *,
    user: User,
    mo: Organization,
    year: int,
    measure: str,
    examination: str,
    performer: Organization | None = None,
    place: str = "",
    contract: str = "",
) -> RoutingRule:
    """Add a routing rule: where an examination of a measure is done (here, or in another MO by contract)."""
    _require_mo_editor(user, mo)
    rule = RoutingRule(
        mo=mo,
        year=year,
        measure=measure,
        examination=examination.strip(),
        performer=performer,
        place=place.strip(),
        contract=contract.strip(),
    )
    return _mo_record_create(user, _ROUTING, rule)


def routing_rule_update(*, user: User, rule: RoutingRule, data: Mapping[str, Any]) -> RoutingRule:
    """Change a routing rule."""
    return _mo_record_update(user, _ROUTING, rule, data)


def routing_rule_delete(*, user: User, rule: RoutingRule) -> None:
    """Remove a routing rule; its last state stays in the history."""
    _mo_record_delete(user, _ROUTING, rule)


def prevention_schedule_set(
    *,
    user: User,
    mo: Organization,
    year: int,
    working_hours: str,
    responsible_name: str,
    responsible_phone: str,
    booking: str = "",
) -> PreventionSchedule:
    """Post or change the MO's schedule of preventive work and the responsible person's phone [R II.24]."""
    _require_mo_editor(user, mo)
    _check_year(year)
    data = {
        "working_hours": working_hours.strip(),
        "booking": booking.strip(),
        "responsible_name": responsible_name.strip(),
        "responsible_phone": responsible_phone.strip(),
    }
    with transaction.atomic():
        schedule = PreventionSchedule.objects.select_for_update().filter(mo=mo, year=year).first()
        created = schedule is None
        if created:
            schedule = PreventionSchedule(mo=mo, year=year, **data)
            diff = {k: [None, v] for k, v in data.items()}
        else:
            diff = _apply_fields(schedule, data, SCHEDULE_FIELDS)
        _validate(schedule, exclude=["mo"])
        if diff:
            schedule.save()
            _log(
                user=user,
                mo=mo,
                object_type="PreventionSchedule",
                object_id=schedule.pk,
                action="create" if created else "update",
                year=year,
                changes={"fields": diff},
            )
    return schedule
