"""Models of the shared kit: the audit log of personal-data access, the production calendar, regional parameters.

The audit log and the calendar corrections moved here from ``participants`` (their tables kept their names).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "VIEW", _("просмотр карточки")
    SEARCH = "SEARCH", _("поиск")
    LIST = "LIST", _("просмотр списка")
    EXPORT = "EXPORT", _("выгрузка")
    UPDATE = "UPDATE", _("изменение")
    IMPORT = "IMPORT", _("загрузка")


class AuditLog(models.Model):
    """Who read, searched, exported or changed which persons' data, when and from where [R II.25]."""

    at = models.DateTimeField(_("когда"), auto_now_add=True, db_index=True)
    # No index of their own: audit_user_at and audit_org_at lead with them (every audited read writes a row, so
    # each index is paid for on every card, search and claim).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("кто"),
        db_index=False,
    )
    organization = models.ForeignKey(
        "participants.Organization",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("организация"),
        db_index=False,
    )
    action = models.CharField(_("действие"), max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(_("объект"), max_length=50, default="person")
    person_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name=_("лица"))
    person_count = models.PositiveIntegerField(_("число лиц"), default=0)
    query = models.JSONField(_("параметры"), default=dict, blank=True)
    path = models.CharField(_("адрес"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    channel = models.CharField(_("канал"), max_length=10, default="web")
    reason = models.CharField(_("основание"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("запись журнала доступа")
        verbose_name_plural = _("журнал доступа к персональным данным")
        ordering = ["-at"]
        db_table = "participants_auditlog"  # the table kept its name when the model moved here from participants
        indexes = [
            models.Index(fields=["user", "at"], name="audit_user_at"),
            models.Index(fields=["organization", "at"], name="audit_org_at"),
            # "Who read this person's data": person_ids @> ARRAY[id] on the Fund's audit page (1M rows: 1.5 s seq scan).
            GinIndex(fields=["person_ids"], name="audit_person_ids_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action}"


class CalendarDay(models.Model):
    """An administrator's correction of the production calendar for a decree the holidays package lacks."""

    date = models.DateField(_("дата"), unique=True)
    is_working = models.BooleanField(_("рабочий день"))
    note = models.CharField(_("основание"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("исключение производственного календаря")
        verbose_name_plural = _("производственный календарь: исключения")
        ordering = ["date"]
        db_table = "participants_calendarday"  # kept when the model moved here from participants

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} — {'рабочий' if self.is_working else 'выходной'}"


def list_dialect_choices() -> list[tuple[str, str]]:
    """The MIS list dialects the portal reads (screening/formats/dialects/): the kit names them, screening has them."""
    from screening.formats.dialects import dialect_choices

    return dialect_choices()


def default_list_dialects() -> list[str]:
    """Every readable dialect: a clinic's MIS export is taken as it is until the region narrows the list."""
    from screening.formats.dialects import readable_codes

    return list(readable_codes())


class RegionalParameters(models.Model):
    """The region's rule parameters, one row edited by the administrator; defaults are those of the regulation.

    Read through omsportal.regional.regional_rules() (typed, with these defaults when the row is missing), never
    from settings. Each field's help text names the clause it parameterizes [domain §3: "every deadline is a
    regional parameter with the value below as default"].
    """

    # Deadlines [domain §3]
    year_plan_due_month = models.PositiveSmallIntegerField(
        _("годовой план: месяц срока"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("О1, п. II.1: министерство утверждает план не позднее 15 января года плана"),
    )
    year_plan_due_day = models.PositiveSmallIntegerField(
        _("годовой план: день срока"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("О1, п. II.1"),
    )
    missing_lists_report_due_month = models.PositiveSmallIntegerField(
        _("перечень МО без списков: месяц срока"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("О5, п. II.7: СМО представляет перечень МО, не представивших списки, до 15 января"),
    )
    missing_lists_report_due_day = models.PositiveSmallIntegerField(
        _("перечень МО без списков: день срока"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("О5, п. II.7"),
    )
    correction_working_days = models.PositiveSmallIntegerField(
        _("исправление после протокола, рабочих дней"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("О4, п. II.6: МО исправляет ошибки в течение 5 рабочих дней после протокола"),
    )
    informing_working_days = models.PositiveSmallIntegerField(
        _("индивидуальное информирование, рабочих дней"),
        default=10,
        choices=[(10, "10"), (15, "15")],
        help_text=_(
            "О9, п. II.11: СМО информирует в течение 10–15 рабочих дней после получения списков "
            "(в I квартале) или с начала квартала; регион выбирает 10 или 15"
        ),
    )
    informing_fact_days = models.PositiveSmallIntegerField(
        _("размещение факта информирования, дней"),
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("О10, п. II.12: факт информирования размещается не позднее следующего дня"),
    )
    channel_report_day = models.PositiveSmallIntegerField(
        _("отчёт об эффективности каналов: число месяца"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("О12, п. II.10: до 30-го числа месяца, следующего за кварталом"),
    )
    accounting_day = models.PositiveSmallIntegerField(
        _("ежемесячный учёт: число второго месяца"),
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("О13, п. II.14: до 25-го числа второго месяца после отчётного"),
    )
    repeat_informing_months = models.PositiveSmallIntegerField(
        _("повторное информирование, месяцев"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("О15, п. II.18: не позднее 3 месяцев после первого информирования"),
    )
    stage2_notice_months = models.PositiveSmallIntegerField(
        _("информирование о 2 этапе, месяцев"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("О16, п. II.18: через 3 месяца после завершения 1 этапа без явки на 2 этап"),
    )
    fund_report_working_days = models.PositiveSmallIntegerField(
        _("сведения ТФОМС министерству, рабочих дней"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "О6, п. II.8: ТФОМС направляет министерству перечень МО, не исполнивших обязательства, в течение "
            "стольких рабочих дней после срока перечня СМО (О5)"
        ),
    )
    digest_working_days = models.PositiveSmallIntegerField(
        _("рассылка о сроках: рабочих дней вперёд"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Письмо организации о сроках, наступающих в ближайшие столько рабочих дней (правило портала)"),
    )
    lists_due_working_days_before = models.PositiveSmallIntegerField(
        _("годовые списки: рабочих дней до конца предыдущего года"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "О2, п. II.2: МО представляет списки на следующий год не позднее последнего рабочего дня предыдущего "
            "года (0); N — за столько рабочих дней до него"
        ),
    )
    schedule_due_working_days_before = models.PositiveSmallIntegerField(
        _("график профилактической работы: рабочих дней до конца предыдущего года"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "О20, п. II.24: МО размещает график, маршрутизацию и телефон ответственного до начала года — не "
            "позднее последнего рабочего дня предыдущего года (0); N — за столько рабочих дней до него"
        ),
    )
    control_days_after_month = models.PositiveSmallIntegerField(
        _("контроль информирования: дней после конца месяца"),
        default=0,
        validators=[MaxValueValidator(31)],
        help_text=_(
            "О11, п. II.13: ТФОМС контролирует информирование не реже раза в месяц — до последнего дня месяца (0) "
            "или через столько календарных дней после него; выходной день переносит срок на следующий рабочий"
        ),
    )
    survey_report_days_after_quarter = models.PositiveSmallIntegerField(
        _("телефонные опросы: дней после конца квартала"),
        default=0,
        validators=[MaxValueValidator(31)],
        help_text=_(
            "О14, п. II.14: квоты опросов выполняются до конца квартала (0) или через столько календарных дней "
            "после него; выходной день переносит срок на следующий рабочий"
        ),
    )
    analytic_register_months_after = models.PositiveSmallIntegerField(
        _("аналитический учёт: месяцев после отчётного"),
        default=1,
        validators=[MaxValueValidator(3)],
        help_text=_(
            "О17, п. II.19–20: ежемесячный аналитический учёт формируется до последнего рабочего дня месяца, "
            "следующего за отчётным (1); 0 — того же месяца"
        ),
    )
    informing_month_days_after = models.PositiveSmallIntegerField(
        _("ежемесячное информирование: дней после конца месяца"),
        default=0,
        validators=[MaxValueValidator(31)],
        help_text=_(
            "О15, О16, О19, п. II.18 и I.7.2 б: повторное информирование, информирование о 2 этапе и о достижении "
            "18 лет за месяц — до последнего дня месяца (0) или через столько календарных дней после него; выходной "
            "день переносит срок на следующий рабочий"
        ),
    )
    # Surveys [R II.14]
    survey_quota_passed_percent = models.DecimalField(
        _("опрос прошедших ДВН, % не менее"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("О14, п. II.14: не менее 0,5 % прошедших диспансеризацию по реестрам счетов, по МО за квартал"),
    )
    survey_quota_informed_percent = models.DecimalField(
        _("опрос проинформированных, но не прошедших, % не менее"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("О14, п. II.14: не менее 50 % проинформированных и не прошедших, по МО за квартал"),
    )
    call_tries = models.PositiveSmallIntegerField(
        _("попыток дозвона по строке обзвона"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Строки обзвона СП 1 уровня: после стольких недозвонов строка закрывается (правило портала)"),
    )
    call_claim_minutes = models.PositiveSmallIntegerField(
        _("строка обзвона у оператора, минут"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Строка, которую оператор взял и не закрыл за это время, возвращается в общую очередь"),
    )
    appeal_written_days = models.PositiveSmallIntegerField(
        _("ответ на письменное обращение, дней"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Обращения: письменное обращение рассматривается в течение 30 дней со дня регистрации"),
    )
    otp_lifetime_hours = models.PositiveSmallIntegerField(
        _("срок действия одноразового пароля, часов"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("Личный кабинет застрахованного: пароль, выданный через СМО, действует столько часов"),
    )
    # Lists [R II.2, formats.md "a regional variant is a small, separate reader"]
    list_dialects = ArrayField(
        models.CharField(max_length=20, choices=list_dialect_choices),
        default=default_list_dialects,
        blank=True,
        verbose_name=_("принимаемые форматы МИС для годовых списков"),
        help_text=_(
            "Региональные форматы выгрузки годового списка из МИС, которые портал принимает наряду со своим "
            "ZL_LIST (коды через запятую); пусто — только ZL_LIST и его CSV/XLSX"
        ),
    )
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("параметры правил региона")
        verbose_name_plural = _("параметры правил региона")
        # One row: the region's parameters (created by the migration, edited in the admin).
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="regionalparameters_one_row")]

    def __str__(self) -> str:
        return str(_("Параметры правил региона"))
