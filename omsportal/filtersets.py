"""django-filter sets of the kit's pages: the audit log."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.models import AuditAction, AuditLog
from omsportal.scoping import persons_visible_to
from participants.forms import DATE_INPUT_FORMATS, DateInput
from participants.models import Organization, User

# Entries listed for one person; a card viewed more often than this is cut (the CSV has the same cut).
MAX_PERSON_ENTRIES = 100_000


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class UserChoiceField(forms.ModelChoiceField):
    """Users named as people are: «Фамилия Имя Отчество (логин) — организация»."""

    def label_from_instance(self, obj) -> str:
        org = f" — {obj.organization.code} {obj.organization.display_name}" if obj.organization_id else ""
        return f"{obj.display_name} ({obj.username}){org}"


class OrganizationChoiceField(forms.ModelChoiceField):
    """Organizations by code and name, grouped by kind in the order of the kinds."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.display_name} ({obj.get_kind_display()})"


class _UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class _OrganizationFilter(django_filters.ModelChoiceFilter):
    field_class = OrganizationChoiceField


class AuditLogFilter(django_filters.FilterSet):
    """Filters of the audit log page: who, which organization, what, when, about which person (by ENP)."""

    user = _UserFilter(
        label=_("Пользователь"),
        queryset=User.objects.select_related("organization").order_by("last_name", "first_name", "username"),
        empty_label=_("все пользователи"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    organization = _OrganizationFilter(
        label=_("Организация"),
        queryset=Organization.objects.order_by("kind", "code"),
        empty_label=_("все организации"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    action = django_filters.ChoiceFilter(
        label=_("Действие"),
        choices=AuditAction.choices,
        empty_label=_("все действия"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date_from = django_filters.DateFilter(
        label=_("С даты"),
        method="filter_date_from",
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )
    date_to = django_filters.DateFilter(
        label=_("По дату"),
        method="filter_date_to",
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )
    enp = django_filters.CharFilter(
        label=_("ЕНП лица"),
        method="filter_enp",
        max_length=16,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric", "pattern": r"[0-9]{16}"}),
    )

    class Meta:
        model = AuditLog
        fields = ["user", "organization", "action", "date_from", "date_to", "enp"]

    # Local days become bounds on ``at`` itself: ``at__date`` would wrap the column in a time-zone cast
    # that the index on ``at`` cannot serve.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_enp(self, queryset, name, value):
        """Entries that name the person with this ENP in ``person_ids``; an unknown ENP matches nothing."""
        enp = value.strip()
        person_id = persons_visible_to(self.request.user).filter(enp=enp).values_list("pk", flat=True).first()
        if person_id is None:
            return queryset.none()
        # The ids come first, through the GIN index, in their own query: inside the page query the planner
        # expects 0.5 % of the log to match and walks the whole log newest-first instead (1M rows: 1.5 s vs ms).
        entry_ids = list(
            AuditLog.objects.filter(person_ids__contains=[person_id]).values_list("pk", flat=True)[:MAX_PERSON_ENTRIES]
        )
        return queryset.filter(pk__in=entry_ids)

    def audit_query(self) -> dict:
        """The applied filters in a JSON-friendly form, for the EXPORT entry of a download."""
        data = getattr(self.form, "cleaned_data", {}) or {}
        result = {}
        for key, value in data.items():
            if value in (None, ""):
                continue
            if hasattr(value, "isoformat"):
                result[key] = value.isoformat()
            elif hasattr(value, "pk"):
                result[key] = value.pk
            else:
                result[key] = value
        return result
