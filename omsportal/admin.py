from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from omsportal.models import CalendarDay, RegionalParameters


class RussianCasesAdmin(admin.ModelAdmin):
    """Russian puts the name after a verb in the accusative: «Выберите пользователя для изменения», «Добавить
    организацию». Django's own phrases paste the nominative verbose name; an admin built on this class names the model
    in the accusative (``accusative``; the nominative when left empty, which is right for most inanimate nouns), and
    its bulk delete says «Удалить выбранные записи: пользователи»."""

    accusative = ""

    def _acc(self) -> str:
        return str(self.accusative or self.opts.verbose_name)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not changelist.is_popup:
            phrase = (
                gettext("Выберите %s для изменения")
                if self.has_change_permission(request)
                else gettext("Выберите %s для просмотра")
            )
            changelist.title = phrase % self._acc()
        return changelist

    def changelist_view(self, request, extra_context=None):
        extra = {"add_label": gettext("Добавить %s") % self._acc(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def add_view(self, request, form_url="", extra_context=None):
        extra = {"title": gettext("Добавить %s") % self._acc(), **(extra_context or {})}
        return super().add_view(request, form_url, extra_context=extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        title = gettext("Изменить %s") if self.has_change_permission(request) else gettext("Просмотр: %s")
        name = self._acc() if self.has_change_permission(request) else str(self.opts.verbose_name)
        extra = {"title": title % name, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            func, name, _description = actions["delete_selected"]
            plural = str(self.opts.verbose_name_plural)
            actions["delete_selected"] = (func, name, gettext("Удалить выбранные записи: %s") % plural)
        return actions


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RussianCasesAdmin, BaseGroupAdmin):
    accusative = _("группу")


@admin.register(CalendarDay)
class CalendarDayAdmin(RussianCasesAdmin):
    accusative = _("исключение производственного календаря")
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"


@admin.register(RegionalParameters)
class RegionalParametersAdmin(RussianCasesAdmin):
    """One row; each field says its clause. Nobody adds a second row or deletes the first."""

    fieldsets = (
        (
            _("Сроки обязательств"),
            {
                "fields": (
                    ("year_plan_due_month", "year_plan_due_day"),
                    ("missing_lists_report_due_month", "missing_lists_report_due_day"),
                    "correction_working_days",
                    "informing_working_days",
                    "informing_fact_days",
                    "channel_report_day",
                    "accounting_day",
                    "repeat_informing_months",
                    "stage2_notice_months",
                    "lists_due_working_days_before",
                    "schedule_due_working_days_before",
                    "control_days_after_month",
                    "survey_report_days_after_quarter",
                    "analytic_register_months_after",
                    "informing_month_days_after",
                    "fund_report_working_days",
                    "digest_working_days",
                )
            },
        ),
        (
            _("Опросы и обзвон"),
            {
                "fields": (
                    "survey_quota_passed_percent",
                    "survey_quota_informed_percent",
                    "call_tries",
                    "call_claim_minutes",
                    "appeal_written_days",
                )
            },
        ),
        (_("Личный кабинет"), {"fields": ("otp_lifetime_hours",)}),
        (_("Списки"), {"fields": ("list_dialects",)}),
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request) -> bool:
        return not RegionalParameters.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
