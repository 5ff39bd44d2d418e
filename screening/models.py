"""Plans, yearly lists with their identification protocols, and stage events [R II.1–II.9, II.16, II.22, II.24]."""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.jobs.models import Job
from participants.models import Organization, Person

MONTH_VALIDATORS = [MinValueValidator(1), MaxValueValidator(12)]
QUARTER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(4)]


class Measure(models.TextChoices):
    DVN = "DVN", _("ДВН")
    PMO = "PMO", _("ПМО")
    DN = "DN", _("ДН")


# The labels of the measures, for pages and files that show a code's name.
MEASURE_LABELS = dict(Measure.choices)


# --- Plans -------------------------------------------------------------------------------------------

# R II.1 / II.2: the plans cover dispanserization and prophylactic examinations; DN has lists, not plans.
PLAN_MEASURES: tuple[str, ...] = (Measure.DVN, Measure.PMO)
MONTHS = range(1, 13)
MAX_QUANTITY = 10_000_000
MIN_YEAR, MAX_YEAR = 2000, 2100


class PlanStatus(models.TextChoices):
    DRAFT = "DRAFT", _("проект")
    APPROVED = "APPROVED", _("утверждён")


class YearPlan(models.Model):
    """The Ministry's yearly plan of preventive measures, per MO, measure and month [R II.1], due 15 January."""

    year = models.PositiveSmallIntegerField(_("год"), unique=True)
    status = models.CharField(_("статус"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    approved_at = models.DateTimeField(_("утверждён"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta:
        verbose_name = _("план профилактических мероприятий")
        verbose_name_plural = _("планы профилактических мероприятий")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} ({self.get_status_display()})"



class YearPlanLine(models.Model):
    """One cell of the yearly plan: MO × measure × month → number of persons."""

    plan = models.ForeignKey(YearPlan, on_delete=models.CASCADE, related_name="lines", db_index=False)
    mo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("МО"))
    measure = models.CharField(_("мероприятие"), max_length=3, choices=Measure.choices)
    month = models.PositiveSmallIntegerField(_("месяц"), validators=MONTH_VALIDATORS)
    quantity = models.PositiveIntegerField(_("человек"))

    class Meta:
        verbose_name = _("строка плана")
        verbose_name_plural = _("строки плана")
        ordering = ["plan", "mo", "measure", "month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "mo", "measure", "month"], name="yearplanline_unique"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="yearplanline_month_range"),
        ]

    def __str__(self) -> str:
        return f"{self.mo_id} {self.measure} {self.month}: {self.quantity}"



class DistrictPlan(models.Model):
    """The MO's own plan for a year by district and month [R II.2]."""

    mo = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("МО"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("год"))
    district = models.ForeignKey(
        "participants.District", on_delete=models.CASCADE, related_name="+", verbose_name=_("участок")
    )
    measure = models.CharField(_("мероприятие"), max_length=3, choices=Measure.choices)
    month = models.PositiveSmallIntegerField(_("месяц"), validators=MONTH_VALIDATORS)
    quantity = models.PositiveIntegerField(_("человек"))

    class Meta:
        verbose_name = _("план по участку")
        verbose_name_plural = _("планы по участкам")
        ordering = ["mo", "year", "district", "measure", "month"]
        constraints = [
            models.UniqueConstraint(fields=["mo", "year", "district", "measure", "month"], name="districtplan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.mo_id}/{self.district_id} {self.year} {self.measure} {self.month}: {self.quantity}"



class BrigadeTrip(models.Model):
    """A planned trip of a mobile brigade, or a transport delivery of residents of remote areas [R II.2]."""

    class Kind(models.TextChoices):
        BRIGADE = "BRIGADE", _("выезд мобильной бригады")
        DELIVERY = "DELIVERY", _("доставка застрахованных лиц транспортом")

    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("МО"))
    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices, default=Kind.BRIGADE)
    date_from = models.DateField(_("с"))
    date_to = models.DateField(_("по"))
    settlement = models.CharField(_("населённый пункт"), max_length=300)
    measures = ArrayField(models.CharField(max_length=3, choices=Measure.choices), default=list, blank=True)
    note = models.CharField(_("примечание"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("график выездов мобильной бригады")
        verbose_name_plural = _("графики выездов мобильных бригад")
        ordering = ["mo", "date_from"]

    def __str__(self) -> str:
        return f"{self.settlement} {self.date_from}"



class SpecialDay(models.Model):
    """A day set aside for check-ups or particular examinations [R II.2]."""

    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("МО"))
    date = models.DateField(_("дата"))
    time_from = models.TimeField(_("с"), null=True, blank=True)
    time_to = models.TimeField(_("до"), null=True, blank=True)
    description = models.CharField(_("что проводится"), max_length=500)

    class Meta:
        verbose_name = _("специально выделенный день")
        verbose_name_plural = _("специально выделенные дни")
        ordering = ["mo", "date"]

    def __str__(self) -> str:
        return f"{self.date} {self.description}"



class RoutingRule(models.Model):
    """Where an examination of a measure is done: in the MO or, by contract, in another MO [R II.2, II.24]."""

    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("МО"))
    year = models.PositiveSmallIntegerField(_("год"))
    measure = models.CharField(_("мероприятие"), max_length=3, choices=Measure.choices)
    examination = models.CharField(_("исследование / приём"), max_length=300)
    performer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("исполнитель (иная МО)"),
    )
    place = models.CharField(_("кабинет / адрес"), max_length=300, blank=True)
    contract = models.CharField(_("договор"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("схема маршрутизации")
        verbose_name_plural = _("схемы маршрутизации")
        ordering = ["mo", "year", "measure", "examination"]

    def __str__(self) -> str:
        return self.examination



class PreventionSchedule(models.Model):
    """The MO's schedule of preventive work and the responsible person's phone, for SMOs [R II.24]."""

    mo = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("МО"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("год"))
    working_hours = models.TextField(_("график работы при проведении профилактических мероприятий"))
    booking = models.TextField(_("порядок записи"), blank=True)
    responsible_name = models.CharField(_("ответственное лицо"), max_length=300)
    responsible_phone = models.CharField(_("телефон ответственного"), max_length=100)

    class Meta:
        verbose_name = _("график профилактической работы")
        verbose_name_plural = _("графики профилактической работы")
        constraints = [models.UniqueConstraint(fields=["mo", "year"], name="preventionschedule_mo_year")]

    def __str__(self) -> str:
        return f"{self.mo_id} {self.year}"



class PlanChange(models.Model):
    """Edit history of plans, schedules and routing: who changed what and when."""

    at = models.DateTimeField(_("когда"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, related_name="+")
    object_type = models.CharField(_("объект"), max_length=50)
    object_id = models.BigIntegerField(null=True)
    action = models.CharField(_("действие"), max_length=10)  # create / update / delete / approve / upload
    changes = models.JSONField(_("изменения"), default=dict)

    class Meta:
        verbose_name = _("изменение плана")
        verbose_name_plural = _("история изменений планов")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.object_type} {self.action}"



# --- Lists and protocols ------------------------------------------------------------------------------


class ListKind(models.TextChoices):
    YEARLY = "YEARLY", _("годовой список")
    DN = "DN", _("список диспансерного наблюдения")
    UPDATE = "UPDATE", _("актуализация списка")


class UploadStatus(models.TextChoices):
    PENDING = "PENDING", _("в очереди")
    RUNNING = "RUNNING", _("обрабатывается")
    DONE = "DONE", _("протокол сформирован")
    # The protocol is issued, but the file would remove more of the current list than OMS_LIST_REPLACE_CONFIRM_SHARE:
    # the list stays as it was until the MO confirms the replacement (the file is then processed again).
    HELD = "HELD", _("ждёт подтверждения замены")
    REJECTED = "REJECTED", _("файл отклонён")
    FAILED = "FAILED", _("ошибка обработки")


class ListUpload(Job):
    """One uploaded list file with its processing progress and protocol [R II.2, II.5, II.6]."""

    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("МО"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("год"), null=True, blank=True)
    kind = models.CharField(_("вид"), max_length=10, choices=ListKind.choices, default=ListKind.YEARLY)
    measures = ArrayField(models.CharField(max_length=3), default=list, blank=True, verbose_name=_("мероприятия"))
    file = models.FileField(_("файл"), upload_to="lists/%Y/%m/")
    original_name = models.CharField(_("имя файла"), max_length=255)
    file_format = models.CharField(_("формат"), max_length=5, blank=True)  # XML / CSV / XLSX
    # The MIS dialect the file was read as (screening/formats/dialects/), empty for the canonical ZL_LIST.
    dialect = models.CharField(_("формат МИС"), max_length=20, blank=True)
    header_filename = models.CharField(_("FILENAME заголовка"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("загрузил")
    )
    created_by = None  # uploaded_by says who
    errors = None  # the protocol's problems are rows of ProtocolError
    status = models.CharField(_("статус"), max_length=10, choices=UploadStatus.choices, default=UploadStatus.PENDING)
    processing_date = models.DateField(_("дата обработки"), null=True, blank=True)  # register as of this date
    records_checked = models.PositiveIntegerField(_("проверено"), default=0)
    records_written = models.PositiveIntegerField(_("записано"), default=0)
    records_accepted = models.PositiveIntegerField(_("принято"), default=0)
    records_rejected = models.PositiveIntegerField(_("отклонено"), default=0)
    warnings = models.PositiveIntegerField(_("предупреждений"), default=0)
    counts_by_code = models.JSONField(_("ошибок по кодам"), default=dict, blank=True)
    file_error_code = models.PositiveSmallIntegerField(_("код ошибки файла"), null=True, blank=True)  # 901/902
    protocol_issued_at = models.DateTimeField(_("протокол выдан"), null=True, blank=True)
    correction_due = models.DateField(_("срок исправления"), null=True, blank=True)  # R II.6: 5 working days
    is_current = models.BooleanField(_("действующий список"), default=False)
    # The MO agreed that this file replaces its current list even if it removes more than the set share of it.
    replace_confirmed = models.BooleanField(_("замена списка подтверждена"), default=False)
    # Per measure of the file: {"current": entries on the list before, "kept": of them also in the file,
    # "accepted": accepted records, "applied": whether the list was replaced}; plus who confirmed, when.
    replacement = models.JSONField(_("замена списка"), default=dict, blank=True)

    STARTED_BY_FIELD = "uploaded_by"
    FINISHED_STATUSES = (UploadStatus.DONE, UploadStatus.HELD, UploadStatus.REJECTED, UploadStatus.FAILED)

    class Meta:
        verbose_name = _("загрузка списка")
        verbose_name_plural = _("загрузки списков")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["mo", "year", "kind"], name="listupload_mo_year")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"



class ProtocolError(models.Model):
    """One problem (PR) of a protocol: the record number, the code of formats.md, the field, a Russian comment."""

    class Severity(models.TextChoices):
        FILE = "F", _("файл")
        ERROR = "E", _("ошибка")
        WARNING = "W", _("предупреждение")

    # Written in bulk by the list pipeline for the upload it is processing (a million-record list may have as many
    # problems): no trigger re-checks the upload per row, and the (upload, code) index serves lookups by upload.
    upload = models.ForeignKey(
        ListUpload, on_delete=models.CASCADE, related_name="protocol_errors", db_index=False, db_constraint=False
    )
    # The record number as the file wrote it: a MIS's database id (ProMed's NOMER_Z) may pass 2^31.
    n_zap = models.PositiveBigIntegerField(_("N_ZAP"), null=True, blank=True)
    code = models.PositiveSmallIntegerField(_("код"))
    severity = models.CharField(_("вид"), max_length=1, choices=Severity.choices, default=Severity.ERROR)
    field = models.CharField(_("поле"), max_length=30, blank=True)  # IM_POL
    base_element = models.CharField(_("элемент"), max_length=30, blank=True)  # BAS_EL
    comment = models.CharField(_("пояснение"), max_length=500, blank=True)
    measure = models.CharField(_("мероприятие"), max_length=3, blank=True)
    person_label = models.CharField(_("лицо"), max_length=300, blank=True)  # as written in the MO's own file

    class Meta:
        verbose_name = _("ошибка протокола")
        verbose_name_plural = _("ошибки протокола")
        ordering = ["upload", "n_zap", "code"]
        indexes = [models.Index(fields=["upload", "code"], name="protocolerror_upload_code")]

    def __str__(self) -> str:
        return f"{self.n_zap}: {self.code}"


class EntryState(models.TextChoices):
    LISTED = "LISTED", _("в списке")
    STARTED = "STARTED", _("начал 1 этап")
    STAGE1_DONE = "STAGE1_DONE", _("завершил 1 этап")
    STAGE2_SENT = "STAGE2_SENT", _("направлен на 2 этап")
    STAGE2_DONE = "STAGE2_DONE", _("завершил 2 этап")
    PMO_STARTED = "PMO_STARTED", _("начал профосмотр")
    PMO_DONE = "PMO_DONE", _("завершил профосмотр")
    REFUSED = "REFUSED", _("отказался")


class ListEntry(models.Model):
    """A person accepted onto an MO's list for a year and measure: the mark of the measure and year [R II.5].

    Written only by the identification SQL (screening.services.identification.replace_entries), which takes every
    referenced id from a join with the referenced table in the same transaction; so the foreign keys are kept by
    Django (on_delete) but not re-checked by database triggers, which cost about 3 s per 150,000 rows of a
    region-sized list. Organizations and persons are never deleted by SQL; uploads are history and protected.
    The single-column indexes Django would add are left out where a composite index starts with the column.
    """

    # The upload that put the entry on the list or last changed it (a re-upload keeps unchanged entries as they are).
    upload = models.ForeignKey(
        ListUpload, on_delete=models.PROTECT, related_name="entries", db_index=False, db_constraint=False
    )
    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("МО"), db_index=False,
        db_constraint=False,
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("год"))
    measure = models.CharField(_("мероприятие"), max_length=3, choices=Measure.choices)
    month = models.PositiveSmallIntegerField(_("месяц"), null=True, blank=True)
    quarter = models.PositiveSmallIntegerField(_("квартал"), null=True, blank=True)
    doctor_snils = models.CharField(_("СНИЛС врача"), max_length=11, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="list_entries", db_index=False, db_constraint=False
    )
    smo = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("СМО"),
        db_index=False,
        db_constraint=False,
    )  # R II.5 / domain §4.4: the insurer responsible, recorded at identification
    smo_code = models.CharField(_("код СМО"), max_length=5)
    district = models.CharField(_("участок"), max_length=20, blank=True)
    phone = models.CharField(_("телефон"), max_length=50, blank=True)
    n_zap = models.PositiveBigIntegerField(_("N_ZAP"))  # as sent (a MIS's database id may pass 2^31)
    state = models.CharField(_("состояние"), max_length=12, choices=EntryState.choices, default=EntryState.LISTED)
    state_date = models.DateField(_("дата состояния"), null=True, blank=True)
    health_group = models.CharField(_("группа здоровья"), max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("запись списка")
        verbose_name_plural = _("записи списков")
        ordering = ["mo", "year", "measure", "month"]
        constraints = [
            # 602: one person on one MO's list per year and measure, region-wide.
            # Person first: the same index finds a person's entries (person card, deletion of a person).
            models.UniqueConstraint(fields=["person", "year", "measure"], name="listentry_person_year_measure"),
        ]
        indexes = [
            models.Index(fields=["mo", "year", "measure", "month"], name="listentry_mo_year"),
            # No index by the recorded SMO: an SMO's view follows the register (the persons it insures today).
        ]

    def __str__(self) -> str:
        return f"{self.mo_id} {self.year} {self.measure} {self.person_id}"

    def period_bounds(self) -> tuple[datetime.date, datetime.date]:
        """First and last day of the planned period: the month; else the quarter (a MIS that plans by quarter, such
        as ProMed's QUART); else the year (a MIS with no period). What a deadline of "the entry's period" counts on."""
        return period_bounds(self.year, self.month, self.quarter)


def period_bounds(year: int, month: int | None, quarter: int | None) -> tuple[datetime.date, datetime.date]:
    """The days of a month, else of a quarter, else of the year."""
    if month:
        first = datetime.date(year, month, 1)
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    elif quarter:
        first = datetime.date(year, 3 * quarter - 2, 1)
        last = datetime.date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])
    else:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return first, last


# --- Stage events -----------------------------------------------------------------------------------------


class EventType(models.TextChoices):
    START1 = "START1", _("начало 1 этапа / профосмотра")
    END1 = "END1", _("завершение 1 этапа / профосмотра")
    TO_STAGE2 = "TO_STAGE2", _("направлен на 2 этап")
    END2 = "END2", _("завершение 2 этапа")
    REFUSED = "REFUSED", _("отказ")


class EventBatch(Job):
    """A batch of stage events posted by an MO (EVENTS file or API call) [R II.9]."""

    mo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("МО"))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = None  # posted_by says who
    source = models.CharField(_("источник"), max_length=10, default="FILE")  # FILE / API
    original_name = models.CharField(_("имя файла"), max_length=255, blank=True)
    file = models.FileField(_("файл"), upload_to="events/%Y/%m/", blank=True)
    records_accepted = models.PositiveIntegerField(default=0)
    records_rejected = models.PositiveIntegerField(default=0)

    STARTED_BY_FIELD = "posted_by"

    class Meta:
        verbose_name = _("пакет событий")
        verbose_name_plural = _("пакеты событий")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.mo_id} {self.created_at:%Y-%m-%d}"



class StageEvent(models.Model):
    """One stage event of a person: started, finished stage 1, sent to stage 2, finished stage 2, refused."""

    batch = models.ForeignKey(EventBatch, on_delete=models.CASCADE, related_name="events")
    mo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stage_events", db_index=False)
    entry = models.ForeignKey(ListEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    measure = models.CharField(_("мероприятие"), max_length=3, choices=Measure.choices)
    event = models.CharField(_("событие"), max_length=10, choices=EventType.choices)
    date = models.DateField(_("дата"))
    result = models.PositiveSmallIntegerField(_("результат (V009)"), null=True, blank=True)
    health_group = models.CharField(_("группа здоровья"), max_length=4, blank=True)
    diagnoses = ArrayField(models.CharField(max_length=10), default=list, blank=True, verbose_name=_("диагнозы"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("событие этапа")
        verbose_name_plural = _("события этапов")
        ordering = ["person", "date"]
        constraints = [
            # A re-posted event is the same event: posting is idempotent.
            models.UniqueConstraint(fields=["person", "measure", "event", "date"], name="stageevent_unique"),
        ]
        indexes = [models.Index(fields=["mo", "date"], name="stageevent_mo_date")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.event} {self.date}"

