"""Informing of insured persons: texts approved by the Fund, documented facts, opt-outs, contact corrections,
batches out and files in [R II.10–II.13, II.18, R I.7.2 b, domain §6, FAQ]."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.jobs.models import Job, JobStatus
from participants.models import Organization, Person


class Kind(models.TextChoices):
    """The kinds of informing (INFORM ``KIND``) [domain §6]."""

    INVITE = "INVITE", _("приглашение")
    REMIND = "REMIND", _("напоминание")
    STAGE2 = "STAGE2", _("о 2 этапе")
    REPEAT = "REPEAT", _("повторное приглашение")
    DN = "DN", _("напоминание о ДН")
    AGE18 = "AGE18", _("о достижении 18 лет")
    APPEAL = "APPEAL", _("о результатах обращения")


class Channel(models.TextChoices):
    """The channels of informing (INFORM ``CHANNEL``) [domain §6]."""

    SMS = "SMS", _("СМС")
    POST = "POST", _("почта")
    PHONE = "PHONE", _("телефонный звонок")
    MESSENGER = "MESSENGER", _("мессенджер")
    EMAIL = "EMAIL", _("электронная почта")
    VISIT = "VISIT", _("подомовой обход")
    OTHER = "OTHER", _("иное")


class Outcome(models.TextChoices):
    """The outcome of one informing (INFORM ``RESULT``)."""

    DELIVERED = "DELIVERED", _("доставлено")
    NOT_DELIVERED = "NOT_DELIVERED", _("не доставлено")
    REFUSED = "REFUSED", _("отказ")


class FactSource(models.TextChoices):
    FILE = "FILE", _("файл INFORM")
    API = "API", _("API")
    DELIVERY = "DELIVERY", _("отчёт о доставке")
    EMAIL = "EMAIL", _("отправленное письмо")
    BATCH = "BATCH", _("рассылка")
    MANUAL = "MANUAL", _("вручную")


# --- Texts approved by the Fund [R II.10] ---------------------------------------------------------------------


class Template(models.Model):
    """A text of an SMO for one kind and channel; its wording lives in versions, each approved by the Fund."""

    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"), db_index=False
    )
    kind = models.CharField(_("вид информирования"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices)
    name = models.CharField(_("название"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        verbose_name = _("шаблон текста")
        verbose_name_plural = _("шаблоны текстов")
        ordering = ["smo", "kind", "channel", "name"]
        indexes = [models.Index(fields=["smo", "kind", "channel"], name="inftemplate_smo_kind")]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "DRAFT", _("черновик")
    SUBMITTED = "SUBMITTED", _("на согласовании")
    APPROVED = "APPROVED", _("согласован ТФОМС")
    RETURNED = "RETURNED", _("возвращён на доработку")


class TemplateVersion(models.Model):
    """One wording of a template: draft → submitted → approved or returned by the Fund; every version stays."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("версия"))
    subject = models.CharField(_("тема письма"), max_length=200, blank=True)
    body = models.TextField(_("текст"))
    status = models.CharField(_("статус"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    comment = models.TextField(_("замечания ТФОМС"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("отправлена на согласование"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("решение ТФОМС"), null=True, blank=True)

    class Meta:
        verbose_name = _("версия текста")
        verbose_name_plural = _("версии текстов")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="inftemplateversion_number")]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


# --- Documented facts [R II.10, II.12] ------------------------------------------------------------------------


class InformingFact(models.Model):
    """One documented informing of a person: kind, channel, date, outcome, reference, representative [R II.12].

    A repeated fact (same person, kind, channel, date, reference) is kept once: the unique key below, written with
    ``INSERT … ON CONFLICT DO NOTHING`` by informing.services.facts. ``mo`` is the MO on whose list the person is
    for the fact's year (else the MO of the current attachment): the counts per MO read it.
    ``is_late``: posted more than ``informing_fact_days`` working days after the date (O10).
    """

    # The foreign keys of the rows that a load writes in bulk are kept by Django (on_delete) and not re-checked by
    # database triggers (as the list entries'): facts_load takes each of these ids from a join with its table in the
    # same transaction (the person by ENP or with a policy period, the list entry's or attachment's MO, the agent by
    # login, the job's own upload), and five checks per row were a third of a million-fact load. Organizations and
    # persons are never deleted by SQL. ``message`` keeps its check: callers name the message.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices)
    date = models.DateField(_("дата информирования"))
    outcome = models.CharField(_("результат"), max_length=14, choices=Outcome.choices)
    reference = models.CharField(_("номер сообщения / письма / звонка"), max_length=100, blank=True, default="")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    agent_login = models.CharField(_("представитель"), max_length=150, blank=True, default="")
    source = models.CharField(_("источник"), max_length=10, choices=FactSource.choices, default=FactSource.FILE)
    upload = models.ForeignKey(
        "InformUpload", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    message = models.ForeignKey(
        "BatchMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    posted_at = models.DateTimeField(_("размещён"))
    is_late = models.BooleanField(_("размещён с опозданием"), default=False)

    class Meta:
        verbose_name = _("факт информирования")
        verbose_name_plural = _("факты информирования")
        ordering = ["-date", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "channel", "date", "reference"], name="informingfact_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["smo", "date"], name="informingfact_smo_date"),
            models.Index(fields=["mo", "date"], name="informingfact_mo_date"),
            # Deleting a batch's messages looks their facts up by message (the foreign key's check and the SET NULL):
            # without an index each lookup read every fact. Partial: file facts name no message and skip it.
            models.Index(fields=["message"], condition=Q(message__isnull=False), name="informingfact_message"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.channel} {self.date}"


class OptOutSource(models.TextChoices):
    REPRESENTATIVE = "REPR", _("заявление через представителя")
    UNSUBSCRIBE = "UNSUB", _("ссылка отказа в письме")
    PERSON = "PERSON", _("личный кабинет")


class OptOut(models.Model):
    """A person's refusal of informing [FAQ]: from ``at`` no batch not yet sent includes them, no due set either.

    ``revoked_at`` set: the person agreed again (the row stays as history).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(_("основание"), max_length=6, choices=OptOutSource.choices)
    date = models.DateField(_("дата отказа"))
    at = models.DateTimeField(_("записан"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("примечание"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("отменён"), null=True, blank=True)

    class Meta:
        verbose_name = _("отказ от информирования")
        verbose_name_plural = _("отказы от информирования")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(revoked_at__isnull=True), name="optout_one_active")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date}"


class ContactKind(models.TextChoices):
    PHONE = "PHONE", _("телефон")
    EMAIL = "EMAIL", _("e-mail")
    ADDRESS = "ADDRESS", _("адрес")


class CorrectionReason(models.TextChoices):
    WRONG_RECIPIENT = "WRONG", _("не тот получатель")
    UNKNOWN_NUMBER = "UNKNOWN", _("номер не существует")
    CORRECTED = "CORRECTED", _("исправлен")


class ContactCorrection(models.Model):
    """One change of a person's contact by informing: a wrong recipient removes it, history is kept [FAQ].

    Channel choice also skips a value reported wrong here, so a register reload that brings it back does not
    revive it.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    contact = models.CharField(_("контакт"), max_length=10, choices=ContactKind.choices)
    old_value = models.CharField(_("было"), max_length=500, blank=True)
    new_value = models.CharField(_("стало"), max_length=500, blank=True)
    reason = models.CharField(_("причина"), max_length=10, choices=CorrectionReason.choices)
    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("когда"), auto_now_add=True)
    note = models.CharField(_("примечание"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("исправление контакта")
        verbose_name_plural = _("исправления контактов")
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "contact"], name="contactcorr_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.contact} {self.reason}"


# --- Batches out [R II.10] ------------------------------------------------------------------------------------


class BatchStatus(models.TextChoices):
    PENDING = JobStatus.PENDING, _("в очереди")
    RUNNING = JobStatus.RUNNING, _("формируется")
    DONE = JobStatus.DONE, _("сформирована")
    SENDING = "SENDING", _("отправляется")
    SENT = "SENT", _("отправлена")
    CANCELLED = "CANCELLED", _("отменена")
    REJECTED = JobStatus.REJECTED, _("отклонена")
    FAILED = JobStatus.FAILED, _("ошибка обработки")


class Batch(Job):
    """A mailing of one kind to a due set, rendered per person from approved versions (one job) [R II.10].

    ``arms``: [{"version": id, "channel": code or ""}] — two or more split the persons at random (A/B).
    """

    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"))
    kind = models.CharField(_("вид информирования"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("год"))
    month = models.PositiveSmallIntegerField(
        _("месяц"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    due_on = models.DateField(_("на дату"))
    mo_ids = models.JSONField(_("МО"), default=list, blank=True)
    arms = models.JSONField(_("варианты"), default=list)
    status = models.CharField(_("статус"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    counts = models.JSONField(_("по каналам"), default=dict, blank=True)
    unreachable = models.PositiveIntegerField(_("недоступны ни по одному каналу"), default=0)
    # Level-1 operator who works the phone part of the batch (the call-list workspace is the surveys issue's).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("оператор"),
    )
    cancelled_at = models.DateTimeField(_("отменена"), null=True, blank=True)
    sent_at = models.DateTimeField(_("отправлена"), null=True, blank=True)

    FINISHED_STATUSES = (BatchStatus.DONE, BatchStatus.SENT, BatchStatus.CANCELLED, JobStatus.REJECTED,
                         JobStatus.FAILED)  # fmt: skip

    class Meta:
        verbose_name = _("рассылка")
        verbose_name_plural = _("рассылки")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}-{self.month or ''}"


class MessageStatus(models.TextChoices):
    RENDERED = "RENDERED", _("подготовлено")
    SENDING = "SENDING", _("передаётся")
    SENT = "SENT", _("отправлено")
    DELIVERED = "DELIVERED", _("доставлено")
    NOT_DELIVERED = "NOT_DELIVERED", _("не доставлено")
    SKIPPED = "SKIPPED", _("исключено (отказ от информирования)")
    UNREACHABLE = "UNREACHABLE", _("нет контакта")


class BatchMessage(models.Model):
    """One person's message of a batch: its channel, arm, rendered text and address; one per person and batch.

    ``id`` is the MSG_ID of the SMS batch file, unique for ever. A message is SENDING before its e-mail leaves
    and SENT after: a worker killed between the two never sends it twice (at most once).
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="messages", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices, blank=True)
    arm = models.PositiveSmallIntegerField(_("вариант"), default=0)
    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    address = models.CharField(_("адрес доставки"), max_length=500, blank=True)
    text = models.TextField(_("текст"), blank=True)
    status = models.CharField(_("статус"), max_length=14, choices=MessageStatus.choices)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    status_at = models.DateTimeField(_("статус получен"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("отказ по ссылке"), null=True, blank=True)

    class Meta:
        verbose_name = _("сообщение рассылки")
        verbose_name_plural = _("сообщения рассылок")
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "person"], name="batchmessage_batch_person")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.pk}"


# --- Files in [R II.12] ---------------------------------------------------------------------------------------


class UploadKind(models.TextChoices):
    INFORM = "INFORM", _("факты информирования (INFORM)")
    DELIVERY = "DELIVERY", _("отчёт о доставке")


class InformUpload(Job):
    """An INFORM file (XML, CSV, XLSX, zip) or a delivery report posted by an SMO, with its protocol of bad
    records (``errors``: [{"n": record, "field": …, "reason": Russian}], capped; counts exact)."""

    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"))
    kind = models.CharField(_("вид"), max_length=10, choices=UploadKind.choices, default=UploadKind.INFORM)
    source = models.CharField(_("источник"), max_length=10, choices=FactSource.choices, default=FactSource.FILE)
    file = models.FileField(_("файл"), upload_to="inform/%Y/%m/", blank=True)
    original_name = models.CharField(_("имя файла"), max_length=255, blank=True)
    file_format = models.CharField(_("формат"), max_length=5, blank=True)
    records_accepted = models.PositiveIntegerField(_("принято"), default=0)
    records_duplicate = models.PositiveIntegerField(_("повторных"), default=0)
    records_rejected = models.PositiveIntegerField(_("отклонено"), default=0)
    records_late = models.PositiveIntegerField(_("с опозданием"), default=0)

    class Meta:
        verbose_name = _("загрузка фактов информирования")
        verbose_name_plural = _("загрузки фактов информирования")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name or self.source} ({self.get_status_display()})"


# --- Reports and control [R II.10, II.13] ---------------------------------------------------------------------


class ChannelReport(models.Model):
    """The SMO's quarterly channel-effectiveness report to the Fund (O12), filed as XLSX."""

    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField(_("год"))
    quarter = models.PositiveSmallIntegerField(_("квартал"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    filed_at = models.DateTimeField(_("представлен"), auto_now_add=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(_("показатели"), default=dict)

    class Meta:
        verbose_name = _("отчёт об эффективности каналов")
        verbose_name_plural = _("отчёты об эффективности каналов")
        ordering = ["-year", "-quarter"]
        constraints = [models.UniqueConstraint(fields=["smo", "year", "quarter"], name="channelreport_unique")]

    def __str__(self) -> str:
        return f"{self.smo_id} {self.year} Q{self.quarter}"


class ControlRun(models.Model):
    """The Fund's monthly control of SMO informing (O11): who ran it for which month, when, with what counts."""

    year = models.PositiveSmallIntegerField(_("год"))
    month = models.PositiveSmallIntegerField(_("месяц"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    run_at = models.DateTimeField(_("проведён"), auto_now_add=True)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(_("показатели"), default=dict)

    class Meta:
        verbose_name = _("контроль информирования")
        verbose_name_plural = _("контроль информирования")
        ordering = ["-run_at"]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class ChannelPreference(models.Model):
    """The channel a person prefers to be informed by (recorded by a representative); batches try it first."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("канал"), max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("записано"), auto_now=True)

    class Meta:
        verbose_name = _("предпочтительный канал")
        verbose_name_plural = _("предпочтительные каналы")

    def __str__(self) -> str:
        return f"{self.person_id} {self.channel}"
