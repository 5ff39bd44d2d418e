from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from omsportal.admin import RussianCasesAdmin

from .models import District, MedicalWorker, Organization, User


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(RussianCasesAdmin):
    accusative = _("организацию")
    list_display = ["code", "short_name", "kind", "phone", "responsible_name", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "short_name"]
    inlines = [DistrictInline]


@admin.register(MedicalWorker)
class MedicalWorkerAdmin(RussianCasesAdmin):
    accusative = _("медицинского работника")
    list_display = ["full_name", "position", "mo", "district"]
    list_filter = ["mo"]
    search_fields = ["full_name"]
    autocomplete_fields = ["mo"]
    raw_id_fields = ["district"]


@admin.register(User)
class UserAdmin(RussianCasesAdmin, BaseUserAdmin):
    accusative = _("пользователя")
    list_display = ["username", "last_name", "first_name", "role", "organization", "is_active"]
    list_filter = ["role", "is_active", "organization__kind"]
    autocomplete_fields = ["organization"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Портал ОМС"), {"fields": ("organization", "role", "patronymic", "phone")}),
    )
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Портал ОМС"), {"fields": ("organization", "role")}))
