from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omsportal.models import CalendarDay, RegionalParameters


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"


@admin.register(RegionalParameters)
class RegionalParametersAdmin(admin.ModelAdmin):
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
                    "fund_report_working_days",
                    "digest_working_days",
                )
            },
        ),
        (
            _("Опросы и обзвон"),
            {"fields": ("survey_quota_passed_percent", "survey_quota_informed_percent", "call_tries")},
        ),
        (_("Личный кабинет"), {"fields": ("otp_lifetime_hours",)}),
        (_("Списки"), {"fields": ("list_dialects",)}),
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request) -> bool:
        return not RegionalParameters.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
