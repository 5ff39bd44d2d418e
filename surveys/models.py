"""Questionnaires, call lists with their items and attempts, survey answers, the SMO's quarterly survey report and
the appeals register [R II.14, R I.7.2 g, L1, L2, L3, domain §7]."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.jobs.models import Job
from participants.models import Organization, Person

# --- Questionnaires [R II.14, R I.7.2 g] ----------------------------------------------------------------------


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("один вариант")
    MULTI = "multi", _("несколько вариантов")
    SCALE = "scale", _("шкала")
    TEXT = "text", _("свободный ответ")


class FormPurpose(models.TextChoices):
    WHY_NOT_PASSED = "WHY_NOT_PASSED", _("причины непрохождения")
    SATISFACTION = "SATISFACTION", _("удовлетворённость организацией в МО")
    ACCESSIBILITY = "ACCESSIBILITY", _("доступность и качество медицинской помощи")
    OTHER = "OTHER", _("иное")


class Questionnaire(models.Model):
    """A survey form; its questions live in versions, and an answer keeps the version it was given for."""

    code = models.SlugField(_("код"), max_length=50, unique=True)
    title = models.CharField(_("название"), max_length=300)
    purpose = models.CharField(_("назначение"), max_length=15, choices=FormPurpose.choices, default=FormPurpose.OTHER)
    # None: a form of the Fund (shipped ones included), used by every SMO; else the SMO that built it.
    owner = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("владелец")
    )
    is_active = models.BooleanField(_("используется"), default=True)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        verbose_name = _("анкета")
        verbose_name_plural = _("анкеты")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class QuestionnaireVersion(models.Model):
    """One wording of a form: an ordered list of questions (see surveys.questionnaires for the shape); never edited
    once saved — a change is a new version."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("версия"))
    questions = models.JSONField(_("вопросы"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        verbose_name = _("версия анкеты")
        verbose_name_plural = _("версии анкет")
        ordering = ["questionnaire", "-number"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "number"], name="questionnaireversion_number")]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} v{self.number}"


# --- Call lists [R II.14, O14, L1, L2] ------------------------------------------------------------------------


class CallPurpose(models.TextChoices):
    QUOTA = "QUOTA", _("квартальная выборка опроса")
    FOLLOWUP = "FOLLOWUP", _("дозвон после рассылки")
    NOT_REACHED = "NOT_REACHED", _("повторный обзвон недозвонившихся")


class Stratum(models.TextChoices):
    """Which part of the O14 quota an item counts for."""

    PASSED = "PASSED", _("прошедшие")
    INFORMED_NOT_PASSED = "INFORMED", _("проинформированные, не прошедшие")
    OTHER = "OTHER", _("прочие")


class CallList(Job):
    """A call list built by level 2 from a rule, as a job; the random seed is recorded so that the same rule on the
    same data rebuilds the same sample [R II.14]. ``rule`` holds the rule's parameters as the builder gave them."""

    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"), db_index=False
    )
    mo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("МО")
    )
    year = models.PositiveSmallIntegerField(_("год"))
    quarter = models.PositiveSmallIntegerField(_("квартал"))
    purpose = models.CharField(_("назначение"), max_length=12, choices=CallPurpose.choices)
    rule = models.JSONField(_("правило"), default=dict, blank=True)
    seed = models.BigIntegerField(_("зерно выборки"))
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("анкета"),
    )  # fmt: skip
    is_open = models.BooleanField(_("открыт"), default=True)
    closed_at = models.DateTimeField(_("закрыт"), null=True, blank=True)
    items_created = models.PositiveIntegerField(_("строк"), default=0)
    left_out_opted_out = models.PositiveIntegerField(_("исключено: отказ от информирования"), default=0)
    left_out_no_phone = models.PositiveIntegerField(_("исключено: нет телефона"), default=0)
    left_out_on_open_list = models.PositiveIntegerField(_("исключено: уже в открытом списке"), default=0)

    class Meta:
        verbose_name = _("список обзвона")
        verbose_name_plural = _("списки обзвона")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["smo", "year", "quarter"], name="calllist_smo_period")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.year}/{self.quarter}"


class ItemState(models.TextChoices):
    READY = "READY", _("ожидает звонка")
    CLAIMED = "CLAIMED", _("у оператора")
    DONE = "DONE", _("закрыта")


class CallOutcome(models.TextChoices):
    REACHED = "REACHED", _("дозвонились")
    NO_ANSWER = "NO_ANSWER", _("не отвечает")
    BUSY = "BUSY", _("занято")
    WRONG_NUMBER = "WRONG_NUMBER", _("ошибочный номер")
    REFUSED = "REFUSED", _("отказ от опроса")
    OPTED_OUT = "OPTED_OUT", _("просит больше не информировать")
    CALLBACK = "CALLBACK", _("перезвонить в согласованное время")
    NOT_REACHED = "NOT_REACHED", _("не дозвонились за все попытки")


class CallItem(models.Model):
    """One person to call on a call list.

    ``due_at`` is when the item may next be handed out: for a READY item the time of its next try (now, a retry at
    another time of day, an agreed callback); for a CLAIMED one the end of the claim, after which an operator who
    went away no longer holds it and the next "next call" takes it back (surveys.services.calls). "Next call" is
    one ``SELECT … WHERE due_at <= now ORDER BY due_at FOR UPDATE SKIP LOCKED LIMIT 1`` over the partial index
    below, so two operators never get the same item and nobody waits for another's lock.
    A person is on at most one open list of each purpose: the partial unique index on (person, purpose).
    """

    # No index of its own: callitem_list_state (call_list, state) serves the list's lookups, and every claim and
    # close would write one more index entry.
    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="items", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    mo = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    purpose = models.CharField(_("назначение"), max_length=12, choices=CallPurpose.choices)
    is_open = models.BooleanField(_("в открытом списке"), default=True)
    stratum = models.CharField(_("группа"), max_length=10, choices=Stratum.choices, default=Stratum.OTHER)
    phone = models.CharField(_("телефон"), max_length=50)
    state = models.CharField(_("состояние"), max_length=8, choices=ItemState.choices, default=ItemState.READY)
    outcome = models.CharField(_("итог"), max_length=12, choices=CallOutcome.choices, blank=True)
    tries = models.PositiveSmallIntegerField(_("попыток"), default=0)
    # The times of day already tried without an answer (surveys.calls.SLOTS): a retry goes to another one.
    tried_slots = models.CharField(_("испробованное время суток"), max_length=10, blank=True, default="")
    due_at = models.DateTimeField(_("следующий звонок"))
    callback_at = models.DateTimeField(_("согласованный перезвон"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("оператор"),
    )  # fmt: skip
    claimed_at = models.DateTimeField(_("взята"), null=True, blank=True)
    closed_at = models.DateTimeField(_("закрыта"), null=True, blank=True)

    class Meta:
        verbose_name = _("строка обзвона")
        verbose_name_plural = _("строки обзвона")
        ordering = ["call_list", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"], condition=Q(is_open=True), name="callitem_one_open_list_per_purpose"
            )
        ]
        indexes = [
            # "Next call": the SMO's open, not closed items by due time (the claim query of services.calls).
            models.Index(
                fields=["smo", "due_at", "id"],
                condition=Q(is_open=True) & ~Q(state="DONE"),
                name="callitem_claim",
            ),
            models.Index(fields=["call_list", "state"], name="callitem_list_state"),
            # The items an operator holds (every read of claimed_by is of CLAIMED items): a close or a retry writes no
            # entry to it, and it holds one live entry per operator at work.
            models.Index(fields=["claimed_by"], condition=Q(state="CLAIMED"), name="callitem_operator"),
        ]

    def __str__(self) -> str:
        return f"{self.call_list_id}/{self.pk}"


class CallAttempt(models.Model):
    """One call made on an item and its outcome: the operators' log and the supervisor's progress [L1]."""

    item = models.ForeignKey(CallItem, on_delete=models.CASCADE, related_name="attempts")
    # No index of its own: callattempt_operator_at (operator, at) serves it.
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    at = models.DateTimeField(_("когда"), auto_now_add=True)
    outcome = models.CharField(_("итог"), max_length=12, choices=CallOutcome.choices)
    note = models.CharField(_("примечание"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("звонок")
        verbose_name_plural = _("звонки")
        ordering = ["-at"]
        indexes = [models.Index(fields=["operator", "at"], name="callattempt_operator_at")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.outcome}"


class SurveyResponse(models.Model):
    """A completed survey: the answers ({question code: value}) and the form version they were given for."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses")
    item = models.ForeignKey(CallItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    smo = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    mo = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    year = models.PositiveSmallIntegerField(_("год"))
    quarter = models.PositiveSmallIntegerField(_("квартал"))
    stratum = models.CharField(_("группа"), max_length=10, choices=Stratum.choices, default=Stratum.OTHER)
    answers = models.JSONField(_("ответы"))
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("заполнена"), auto_now_add=True)

    class Meta:
        verbose_name = _("ответ на анкету")
        verbose_name_plural = _("ответы на анкеты")
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["smo", "year", "quarter", "mo"], name="surveyresponse_period")]

    def __str__(self) -> str:
        return f"{self.version_id} {self.year}/{self.quarter}"


class ReportState(models.TextChoices):
    DRAFT = "DRAFT", _("не представлен")
    FILED = "FILED", _("представлен в ТФОМС")


class SurveyReport(models.Model):
    """The SMO's quarterly report of its phone surveys to the Fund (O14): counts per MO frozen when it is filed."""

    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("год"))
    quarter = models.PositiveSmallIntegerField(_("квартал"))
    state = models.CharField(_("состояние"), max_length=6, choices=ReportState.choices, default=ReportState.DRAFT)
    rows = models.JSONField(_("строки по МО"), default=list, blank=True)
    quotas_met = models.BooleanField(_("квоты выполнены"), default=False)
    filed_at = models.DateTimeField(_("представлен"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("отчёт об опросах")
        verbose_name_plural = _("отчёты об опросах")
        ordering = ["-year", "-quarter"]
        constraints = [models.UniqueConstraint(fields=["smo", "year", "quarter"], name="surveyreport_smo_period")]

    def __str__(self) -> str:
        return f"{self.smo_id} {self.year}/{self.quarter}"


# --- Appeals [L1, L2, L3] -------------------------------------------------------------------------------------


class AppealTopic(models.Model):
    """The classifier of appeal topics (loaded by a data migration, edited in the admin)."""

    code = models.CharField(_("код"), max_length=10, unique=True)
    name = models.CharField(_("тема"), max_length=300)
    is_active = models.BooleanField(_("используется"), default=True)

    class Meta:
        verbose_name = _("тема обращения")
        verbose_name_plural = _("темы обращений")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AppealChannel(models.TextChoices):
    PHONE = "PHONE", _("телефонный звонок")
    WRITTEN = "WRITTEN", _("письменное обращение")
    EMAIL = "EMAIL", _("электронная почта")
    PORTAL = "PORTAL", _("портал / личный кабинет")
    PERSONAL = "PERSONAL", _("личный приём")


# Channels whose appeals are written: the answer is due within the written-appeal term (a regional parameter).
WRITTEN_CHANNELS = (AppealChannel.WRITTEN, AppealChannel.EMAIL, AppealChannel.PORTAL)


class AppealStatus(models.TextChoices):
    OPEN = "OPEN", _("зарегистрировано")
    ROUTED = "ROUTED", _("передано")
    ANSWERED = "ANSWERED", _("дан ответ")


class Appeal(models.Model):
    """An incoming call or a written complaint: registered by level 1, answered there or routed to level 2 or 3 with a
    deadline; the answer and the informing of the person about it [L1, L2, L3, domain §7]."""

    smo = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("СМО"), db_index=False
    )
    channel = models.CharField(_("канал"), max_length=10, choices=AppealChannel.choices)
    topic = models.ForeignKey(AppealTopic, on_delete=models.PROTECT, related_name="+", verbose_name=_("тема"))
    text = models.TextField(_("содержание"))
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("застрахованный")
    )
    applicant = models.CharField(_("заявитель"), max_length=300, blank=True)
    contact = models.CharField(_("контакт для ответа"), max_length=200, blank=True)
    received_on = models.DateField(_("дата поступления"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("зарегистрировано"), auto_now_add=True)
    level = models.PositiveSmallIntegerField(_("уровень"), default=1, choices=[(1, "1"), (2, "2"), (3, "3")])
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("ответственный"),
        db_index=False,
    )  # fmt: skip
    due_on = models.DateField(_("срок ответа"), null=True, blank=True)
    status = models.CharField(_("статус"), max_length=8, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    answer = models.TextField(_("ответ"), blank=True)
    answered_at = models.DateTimeField(_("ответ дан"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result_informed_on = models.DateField(_("заявитель уведомлён о результате"), null=True, blank=True)

    class Meta:
        verbose_name = _("обращение")
        verbose_name_plural = _("обращения")
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["smo", "status", "due_on"], name="appeal_smo_status_due"),
            models.Index(fields=["assignee", "status"], name="appeal_assignee"),
        ]

    def __str__(self) -> str:
        return f"№ {self.pk}"
