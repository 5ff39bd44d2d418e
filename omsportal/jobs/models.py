"""The abstract job row every background job of the portal is built on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "PENDING", _("в очереди")
    RUNNING = "RUNNING", _("выполняется")
    DONE = "DONE", _("завершено")
    REJECTED = "REJECTED", _("файл отклонён")  # a file-level problem (901): the reason is in the message
    FAILED = "FAILED", _("ошибка обработки")  # an internal error or an interrupted job


# Entries kept in a job's log; older ones are dropped (the log says what happened to the job, not to each record).
LOG_ENTRIES_KEPT = 50


class Job(models.Model):
    """A background job: status, progress counts, errors, a short log, timestamps and who started it.

    The kit (omsportal.jobs) claims a job with a conditional update (PENDING -> RUNNING, ``attempts`` + 1), holds
    the kind's advisory lock on (space, id) while a worker runs it, writes progress through its own connection
    (``progress_at`` moves with every change) and closes or resumes a job whose worker is gone or whose progress
    stood still too long, writing why into ``log``. A concrete job adds its own counts and result fields.

    A model whose user field has another name (``uploaded_by``) sets ``created_by = None`` and names it in
    ``STARTED_BY_FIELD``; one with more statuses overrides ``status`` with its own choices, keeping the five here.
    """

    status = models.CharField(_("статус"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто запустил"),
    )
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    started_at = models.DateTimeField(_("начато"), null=True, blank=True)
    finished_at = models.DateTimeField(_("завершено"), null=True, blank=True)
    # The last time the progress counts or the step changed: a job standing still longer than
    # settings.OMS_JOB_STALL_SECONDS is treated as lost.
    progress_at = models.DateTimeField(_("последнее продвижение"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    records_total = models.PositiveIntegerField(_("всего записей"), default=0)
    records_read = models.PositiveIntegerField(_("прочитано записей"), default=0)
    errors = models.JSONField(_("ошибки"), default=list, blank=True)
    message = models.TextField(_("сообщение"), blank=True)
    # [{"at": ISO time, "text": Russian}]: started, lost, resumed, closed (at most LOG_ENTRIES_KEPT).
    log = models.JSONField(_("журнал задания"), default=list, blank=True)

    STARTED_BY_FIELD = "created_by"
    # Statuses in which the job is over; a model with more statuses (HELD) extends them.
    FINISHED_STATUSES: tuple[str, ...] = (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED)

    class Meta:
        abstract = True

    @property
    def started_by(self):
        return getattr(self, self.STARTED_BY_FIELD)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES
