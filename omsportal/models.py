"""Models of the shared kit: the audit log of personal-data access, the production calendar, regional parameters.

The audit log and the calendar corrections moved here from ``participants`` (their tables kept their names).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("кто")
    )
    organization = models.ForeignKey(
        "participants.Organization",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("организация"),
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
