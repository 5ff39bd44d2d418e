"""The obligations' states with their history, non-compliance records, the SMOs' filed reports, the engine's runs
and the dashboard's aggregates [domain §3, §8; R II.7, II.8, II.13, II.15]."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omsportal.jobs.models import Job
from participants.models import Organization


class State(models.TextChoices):
    NOT_DUE = "NOT_DUE", _("срок не наступил")
    MET = "MET", _("исполнено в срок")
    MET_LATE = "MET_LATE", _("исполнено с опозданием")
    OVERDUE = "OVERDUE", _("просрочено")
    NOT_APPLICABLE = "NA", _("не применяется")
    NO_DATA = "NO_DATA", _("нет данных")


STATE_LABELS = dict(State.choices)


class ObligationRun(Job):
    """One run of the obligations engine as of a date: nightly (beat), after an upload or import, or by hand."""

    as_of = models.DateField(_("на дату"))
    trigger = models.CharField(_("причина"), max_length=60, blank=True)  # "nightly", a job kind, "manual"
    states_changed = models.PositiveIntegerField(_("изменилось состояний"), default=0)
    noncompliance_created = models.PositiveIntegerField(_("новых нарушений"), default=0)

    class Meta:
        verbose_name = _("расчёт обязательств")
        verbose_name_plural = _("расчёты обязательств")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.trigger}"


class ObligationState(models.Model):
    """The state of one obligation of one organization for one period, valid over [valid_from, valid_to).

    The engine closes a row and opens a new one only when the state (or its evidence) changed, so a rerun changes
    nothing and the state "as of" a past date is the row valid on it.
    """

    code = models.CharField(_("обязательство"), max_length=4)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    period_kind = models.CharField(_("вид периода"), max_length=10)
    period_key = models.CharField(_("период"), max_length=20)  # 2027, 2027-Q1, 2027-03, 2027-03-05
    period_year = models.PositiveSmallIntegerField(_("год"))
    due_on = models.DateField(_("срок"))
    state = models.CharField(_("состояние"), max_length=10, choices=State.choices)
    met_on = models.DateField(_("исполнено"), null=True, blank=True)
    late_days = models.PositiveIntegerField(_("рабочих дней просрочки"), null=True, blank=True)
    evidence = models.JSONField(_("подтверждение"), default=dict, blank=True)
    valid_from = models.DateField(_("действует с"))
    valid_to = models.DateField(_("действует до"), null=True, blank=True)

    class Meta:
        verbose_name = _("состояние обязательства")
        verbose_name_plural = _("состояния обязательств")
        ordering = ["code", "organization", "period_key", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "organization", "period_key"], condition=Q(valid_to__isnull=True), name="obstate_open"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "code"], name="obstate_org"),
            models.Index(fields=["valid_from", "valid_to"], name="obstate_valid"),
            # "valid on a day" is (valid_to IS NULL OR valid_to > day): with valid_to leading, both arms are index
            # scans (a BitmapOr) and the closed history, which grows every day, is not read (the dashboard's counts)
            models.Index(fields=["valid_to"], name="obstate_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.organization_id} {self.period_key}: {self.state}"


class ReviewStatus(models.TextChoices):
    NEW = "NEW", _("на рассмотрении")
    CONFIRMED = "CONFIRMED", _("подтверждено")
    DISMISSED = "DISMISSED", _("отклонено")
    FORWARDED = "FORWARDED", _("направлено в министерство")


class NonCompliance(models.Model):
    """An overdue obligation: the organization, the obligation, the period and the evidence [R II.8, II.15]."""

    code = models.CharField(_("обязательство"), max_length=4)
    clause = models.CharField(_("пункт"), max_length=20)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("организация")
    )
    period_kind = models.CharField(_("вид периода"), max_length=10)
    period_key = models.CharField(_("период"), max_length=20)
    period_year = models.PositiveSmallIntegerField(_("год"))
    due_on = models.DateField(_("срок"))
    detected_on = models.DateField(_("выявлено"))
    met_on = models.DateField(_("исполнено позже"), null=True, blank=True)
    late_days = models.PositiveIntegerField(_("рабочих дней просрочки"), default=0)
    # {"text": what proves it, "counts": {...}, "dates": {...}, "uploads": [ids], "persons": count}: no names.
    evidence = models.JSONField(_("подтверждение"), default=dict, blank=True)
    status = models.CharField(_("статус"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.NEW)
    reason = models.TextField(_("основание решения"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("рассмотрено"), null=True, blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    forwarded_at = models.DateTimeField(_("направлено"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("нарушение срока")
        verbose_name_plural = _("нарушения сроков")
        ordering = ["-due_on", "code", "organization"]
        constraints = [
            models.UniqueConstraint(fields=["code", "organization", "period_key"], name="noncompliance_unique"),
        ]
        indexes = [models.Index(fields=["status", "period_year"], name="noncompliance_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.organization_id} {self.period_key}"


class Filing(models.Model):
    """A report an organization files on the portal for an obligation: the SMO's list of MOs without lists (O5), its
    monthly accounting (O13), its analytic register (O17), the Fund's report to the Ministry (O6).

    The portal drafts the content; filing it (by the organization's user) is the evidence the obligation is met.
    """

    code = models.CharField(_("обязательство"), max_length=4)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    period_key = models.CharField(_("период"), max_length=20)
    content = models.JSONField(_("содержание"), default=dict, blank=True)  # counts and organizations, no persons
    filed_at = models.DateTimeField(_("представлено"), null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("представленный отчёт")
        verbose_name_plural = _("представленные отчёты")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["code", "organization", "period_key"], name="filing_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.organization_id} {self.period_key}"


class MonthlyFigures(models.Model):
    """The dashboard's aggregate: one MO × SMO × measure × month of a year, kept by the jobs that change it.

    ``smo`` is the insurer recorded on the list entry (null: not identified). Months are the planned month of the
    list entry (for plan, listed, identified) — the funnel of the persons planned for that month.
    """

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    smo = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", null=True, db_constraint=False
    )
    measure = models.CharField(max_length=3)
    plan = models.PositiveIntegerField(default=0)
    listed = models.PositiveIntegerField(default=0)
    identified = models.PositiveIntegerField(default=0)
    informed = models.PositiveIntegerField(default=0)
    informed_on_time = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    stage1_done = models.PositiveIntegerField(default=0)
    stage2_due = models.PositiveIntegerField(default=0)
    stage2_done = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("показатели за месяц")
        verbose_name_plural = _("показатели за месяц")
        indexes = [models.Index(fields=["year", "mo"], name="monthlyfigures_year_mo")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month} {self.mo_id} {self.smo_id} {self.measure}"


class YearOutcome(models.Model):
    """The aggregate of the year's outcomes: MO × SMO (recorded on the entry) × measure × month of the entry ×
    outcome -> persons, and of them those not invited by their invitation deadline (informing.due's O9 rule)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=1)  # the entry's planned month (its quarter's first, else 1)
    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    smo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", null=True, db_constraint=False)
    measure = models.CharField(max_length=3)
    outcome = models.CharField(max_length=16)
    persons = models.PositiveIntegerField(default=0)
    not_invited_by_deadline = models.PositiveIntegerField(default=0)
    counted_on = models.DateField()

    class Meta:
        verbose_name = _("итог года по лицам в списках")
        verbose_name_plural = _("итоги года по лицам в списках")
        indexes = [models.Index(fields=["year", "mo"], name="yearoutcome_year_mo")]

    def __str__(self) -> str:
        return f"{self.year} {self.mo_id} {self.smo_id} {self.outcome}: {self.persons}"


class ChannelCredit(models.Model):
    """Completions credited to the channel and the representative level that informed last before them."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=1)  # the completed entry's planned month
    measure = models.CharField(max_length=3, blank=True)
    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    smo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", null=True, db_constraint=False)
    channel = models.CharField(max_length=10, blank=True)  # empty: no informing fact before the completion
    level = models.CharField(max_length=10, blank=True)  # the representative's role (SMO_L1/L2/L3), empty: unknown
    persons = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("прохождение по каналу информирования")
        verbose_name_plural = _("прохождения по каналам информирования")
        indexes = [models.Index(fields=["year", "smo"], name="channelcredit_year_smo")]

    def __str__(self) -> str:
        return f"{self.year} {self.smo_id} {self.channel} {self.level}: {self.persons}"


class QuotaFigures(models.Model):
    """The dashboard's aggregate of the survey quotas (O14): one MO × SMO × quarter of a year — the quota's two parts
    (surveys.quotas.quota_rows), the persons on the SMO's quota call lists at the MO and the surveys completed —
    kept by the engine's runs (they follow the jobs that change passings, informing and call lists) and by every
    completed survey (reports.services.quotas)."""

    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    mo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    smo = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", null=True, db_constraint=False)
    quota_passed = models.PositiveIntegerField(default=0)
    quota_informed = models.PositiveIntegerField(default=0)
    listed = models.PositiveIntegerField(default=0)
    surveyed_passed = models.PositiveIntegerField(default=0)
    surveyed_informed = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("квоты опроса за квартал")
        verbose_name_plural = _("квоты опроса за квартал")
        indexes = [models.Index(fields=["year", "quarter", "mo"], name="quotafigures_period_mo")]

    def __str__(self) -> str:
        return f"{self.year}/{self.quarter} {self.mo_id} {self.smo_id}"
