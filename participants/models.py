"""Organizations, users and roles, the register of insured persons, audit and calendar."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from omsportal.jobs.models import Job, JobStatus

mo_code_validator = RegexValidator(r"\A[0-9]{6}\Z", _("Код МО (F003) состоит из 6 цифр"))
smo_code_validator = RegexValidator(r"\A[0-9]{5}\Z", _("Код СМО (F002) состоит из 5 цифр"))


class OrganizationKind(models.TextChoices):
    MO = "MO", _("Медицинская организация")
    SMO = "SMO", _("Страховая медицинская организация")
    FUND = "FUND", _("Территориальный фонд ОМС")
    MINISTRY = "MINISTRY", _("Министерство здравоохранения")


class Organization(models.Model):
    """A participant of the regional OMS system: an MO, an SMO, the Fund or the Ministry [R I, R II.24]."""

    kind = models.CharField(_("вид"), max_length=10, choices=OrganizationKind.choices)
    code = models.CharField(_("код"), max_length=6, help_text=_("F003 для МО (6 цифр), F002 для СМО (5 цифр)"))
    name = models.CharField(_("полное наименование"), max_length=500)
    short_name = models.CharField(_("краткое наименование"), max_length=200, blank=True)
    address = models.CharField(_("адрес"), max_length=500, blank=True)
    hours = models.CharField(_("режим работы"), max_length=300, blank=True)
    phone = models.CharField(_("телефон"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    responsible_name = models.CharField(_("ответственное лицо"), max_length=300, blank=True)
    responsible_phone = models.CharField(_("телефон ответственного"), max_length=100, blank=True)
    responsible_email = models.EmailField(_("e-mail ответственного"), blank=True)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("организация")
        verbose_name_plural = _("организации")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="organization_kind_code_unique"),
            models.CheckConstraint(
                condition=~Q(kind="MO") | Q(code__regex=r"^[0-9]{6}$"), name="organization_mo_code_f003"
            ),
            models.CheckConstraint(
                condition=~Q(kind="SMO") | Q(code__regex=r"^[0-9]{5}$"), name="organization_smo_code_f002"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name or self.name}"

    @property
    def display_name(self) -> str:
        return self.short_name or self.name



class DistrictKind(models.TextChoices):
    THERAPEUTIC = "THER", _("терапевтический")
    GP = "GP", _("врача общей практики")
    FELDSHER = "FELD", _("фельдшерский")


class District(models.Model):
    """A catchment area (участок) of an MO with its own doctor."""

    mo = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="districts", limit_choices_to={"kind": "MO"},
        db_index=False,
    )
    number = models.CharField(_("номер участка"), max_length=20)
    kind = models.CharField(_("вид"), max_length=4, choices=DistrictKind.choices, default=DistrictKind.THERAPEUTIC)
    name = models.CharField(_("наименование"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("участок")
        verbose_name_plural = _("участки")
        ordering = ["mo", "number"]
        constraints = [models.UniqueConstraint(fields=["mo", "number"], name="district_mo_number_unique")]

    def __str__(self) -> str:
        return f"{self.mo.code} / {self.number}"


class MedicalWorker(models.Model):
    """A doctor or feldsher of an MO, identified by SNILS (IDDOKT in DN lists)."""

    mo = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="workers", limit_choices_to={"kind": "MO"},
        db_index=False,
    )
    snils = models.CharField(_("СНИЛС"), max_length=11, validators=[RegexValidator(r"\A[0-9]{11}\Z")])
    full_name = models.CharField(_("ФИО"), max_length=300)
    position = models.CharField(_("должность"), max_length=200)
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="workers", verbose_name=_("участок")
    )

    class Meta:
        verbose_name = _("медицинский работник")
        verbose_name_plural = _("медицинские работники")
        ordering = ["mo", "full_name"]
        constraints = [models.UniqueConstraint(fields=["mo", "snils"], name="worker_mo_snils_unique")]

    def __str__(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    MO_STAFF = "MO_STAFF", _("Сотрудник МО")
    SMO_L1 = "SMO_L1", _("Страховой представитель 1 уровня")
    SMO_L2 = "SMO_L2", _("Страховой представитель 2 уровня")
    SMO_L3 = "SMO_L3", _("Страховой представитель 3 уровня")
    FUND = "FUND", _("Аналитик ТФОМС")
    MINISTRY = "MINISTRY", _("Министерство здравоохранения")
    ADMIN = "ADMIN", _("Администратор")


# Which organization kind each role belongs to; ADMIN needs none.
ROLE_ORGANIZATION_KIND = {
    Role.MO_STAFF: OrganizationKind.MO,
    Role.SMO_L1: OrganizationKind.SMO,
    Role.SMO_L2: OrganizationKind.SMO,
    Role.SMO_L3: OrganizationKind.SMO,
    Role.FUND: OrganizationKind.FUND,
    Role.MINISTRY: OrganizationKind.MINISTRY,
}


class User(AbstractUser):
    """A portal user: belongs to one organization with one role."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("организация"),
    )
    role = models.CharField(_("роль"), max_length=10, choices=Role.choices, default=Role.ADMIN)
    patronymic = models.CharField(_("отчество"), max_length=150, blank=True)
    phone = models.CharField(_("телефон"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="ADMIN") | Q(organization__isnull=False), name="user_role_needs_organization"
            )
        ]

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def display_name(self) -> str:
        full = " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)
        return full or self.username


class Sex(models.IntegerChoices):
    MALE = 1, _("мужской")
    FEMALE = 2, _("женский")


class Person(models.Model):
    """An insured person of the regional register (РС ЕРЗ), keyed by ENP."""

    enp = models.CharField(_("ЕНП"), max_length=16, unique=True)
    snils = models.CharField(_("СНИЛС"), max_length=11, null=True, blank=True, db_index=True)
    last_name = models.CharField(_("фамилия"), max_length=100)
    first_name = models.CharField(_("имя"), max_length=100)
    patronymic = models.CharField(_("отчество"), max_length=100, blank=True)
    # Upper case, ё→Е, no spaces or hyphens: "surname|name|patronymic"; the identification key [domain §4].
    name_key = models.CharField(max_length=310, editable=False)
    sex = models.PositiveSmallIntegerField(_("пол"), choices=Sex.choices)
    birth_date = models.DateField(_("дата рождения"))
    death_date = models.DateField(_("дата смерти"), null=True, blank=True)
    address = models.CharField(_("адрес"), max_length=500, blank=True)
    phone = models.CharField(_("телефон"), max_length=50, blank=True)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)
    informing_opt_out = models.BooleanField(_("отказ от информирования"), default=False)
    opt_out_date = models.DateField(_("дата отказа"), null=True, blank=True)
    updated_at = models.DateTimeField(_("обновлено"), auto_now=True)

    class Meta:
        verbose_name = _("застрахованное лицо")
        verbose_name_plural = _("застрахованные лица")
        ordering = ["last_name", "first_name", "patronymic", "birth_date"]
        indexes = [
            models.Index(fields=["name_key", "birth_date"], name="person_name_key_dr"),
            models.Index(fields=["last_name", "first_name", "birth_date"], name="person_fio_dr"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name} {self.patronymic}".strip()

    @property
    def full_name(self) -> str:
        return str(self)


class PolicyPeriod(models.Model):
    """Which SMO insured the person from when to when (empty ``date_to`` = still active)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="policies", db_index=False)
    smo_code = models.CharField(_("код СМО"), max_length=5, validators=[smo_code_validator])
    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("СМО"),
        db_index=False,
    )
    date_from = models.DateField(_("с"))
    date_to = models.DateField(_("по"), null=True, blank=True)

    class Meta:
        verbose_name = _("период страхования")
        verbose_name_plural = _("периоды страхования")
        ordering = ["person", "date_from"]
        indexes = [
            models.Index(fields=["smo", "person"], name="policy_smo_person"),
            models.Index(fields=["person", "date_from"], name="policy_person_from"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(date_to__isnull=True), name="policy_one_open"),
            models.CheckConstraint(
                condition=Q(date_to__isnull=True) | Q(date_to__gte=models.F("date_from")), name="policy_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.smo_code} {self.date_from}–{self.date_to or ''}"


class AttachmentPeriod(models.Model):
    """Which MO and district the person was attached to from when to when."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attachments", db_index=False)
    mo_code = models.CharField(_("код МО"), max_length=6, validators=[mo_code_validator])
    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("МО"),
        db_index=False,
    )
    district = models.CharField(_("участок"), max_length=20, blank=True)
    date_from = models.DateField(_("с"))
    date_to = models.DateField(_("по"), null=True, blank=True)

    class Meta:
        verbose_name = _("период прикрепления")
        verbose_name_plural = _("периоды прикрепления")
        ordering = ["person", "date_from"]
        indexes = [
            models.Index(fields=["mo", "person"], name="attach_mo_person"),
            models.Index(fields=["person", "date_from"], name="attach_person_from"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(date_to__isnull=True), name="attach_one_open"),
            models.CheckConstraint(
                condition=Q(date_to__isnull=True) | Q(date_to__gte=models.F("date_from")), name="attach_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mo_code}/{self.district} {self.date_from}–{self.date_to or ''}"


class PersonUserObjectPermission(UserObjectPermissionBase):
    """django-guardian direct per-object grant on a person (e.g. an L3 expert given a consenting person)."""

    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("доступ к застрахованному лицу")
        verbose_name_plural = _("доступы к застрахованным лицам")


class RegisterImport(Job):
    """A load of a REGISTER file (full or changes) as a background job with progress and errors."""

    file = models.FileField(_("файл"), upload_to="register/%Y/%m/")
    original_name = models.CharField(_("имя файла"), max_length=255)
    file_date = models.DateField(_("дата файла"), null=True, blank=True)
    records_loaded = models.PositiveIntegerField(_("загружено"), default=0)
    records_created = models.PositiveIntegerField(_("новых лиц"), default=0)
    records_changed = models.PositiveIntegerField(_("изменённых лиц"), default=0)
    records_rejected = models.PositiveIntegerField(_("отклонено"), default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    # errors: [{"n_zap": 17, "field": "SNILS", "reason": "..."}], capped; the count is records_rejected.

    class Meta:
        verbose_name = _("загрузка регистра")
        verbose_name_plural = _("загрузки регистра")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(self.bytes_read * 100 / self.bytes_total))
