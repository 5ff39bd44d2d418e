"""Query filters of the participants API; bad values are answered 400 with a Russian message per parameter.

Filters only parse: the person criteria are applied by ``participants.selectors.person_search_apply`` to the
queryset the base viewset has already scoped, so the API and the web search find the same persons.
"""

from __future__ import annotations

import re

import django_filters
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from omsportal.scoping import active_on, today
from participants.identifiers import snils_clean
from participants.models import AttachmentPeriod, Organization, OrganizationKind, Person, PolicyPeriod
from participants.selectors.persons import PersonSearch, person_search_apply

DATE_ERRORS = {"invalid": _("Неверная дата: ожидается ГГГГ-ММ-ДД")}
_SNILS_CHARS = re.compile(r"^[0-9\s\-]+$")


def validate_snils_input(value: str) -> None:
    """11 digits, written plain or as NNN-NNN-NNN NN."""
    if not _SNILS_CHARS.match(value) or len(snils_clean(value)) != 11:
        raise ValidationError(_("Неверный СНИЛС: ожидается 11 цифр"), code="invalid")


class PersonFilterSet(django_filters.FilterSet):
    """Person search: ENP, SNILS, surname prefix (case- and ё-insensitive), name, birth date, today's SMO / MO."""

    q = django_filters.CharFilter(
        label=_("Свободный поиск: ЕНП (16 цифр), СНИЛС (11 цифр) или начало «фамилии [имени [отчества]]»"),
        max_length=200,
    )
    enp = django_filters.CharFilter(
        label=_("ЕНП, 16 цифр"), validators=[RegexValidator(r"^[0-9]{16}$", _("Неверный ЕНП: ожидается 16 цифр"))]
    )
    snils = django_filters.CharFilter(label=_("СНИЛС, 11 цифр"), validators=[validate_snils_input])
    last_name = django_filters.CharFilter(
        label=_("Фамилия: одна — по началу, вместе с именем — целиком (регистр и ё/е не важны)"),
        max_length=100,
    )
    first_name = django_filters.CharFilter(
        label=_("Имя; вместе с фамилией — начало имени"),
        max_length=100,
    )
    patronymic = django_filters.CharFilter(
        label=_("Начало отчества (учитывается вместе с фамилией и именем)"),
        max_length=100,
    )
    birth_date = django_filters.DateFilter(
        label=_("Дата рождения, ГГГГ-ММ-ДД"), input_formats=["%Y-%m-%d"], error_messages=DATE_ERRORS
    )
    smo = django_filters.CharFilter(
        label=_("Код СМО (F002, 5 цифр), страхующей лицо сегодня"),
        validators=[RegexValidator(r"^[0-9]{5}$", _("Неверный код СМО: ожидается 5 цифр"))],
    )
    mo = django_filters.CharFilter(
        label=_("Код МО (F003, 6 цифр), к которой лицо прикреплено сегодня"),
        validators=[RegexValidator(r"^[0-9]{6}$", _("Неверный код МО: ожидается 6 цифр"))],
    )

    class Meta:
        model = Person
        fields: list[str] = []

    def criteria(self) -> PersonSearch:
        data = self.form.cleaned_data
        return PersonSearch(
            q=data.get("q") or "",
            enp=data.get("enp") or "",
            snils=data.get("snils") or "",
            last_name=data.get("last_name") or "",
            first_name=data.get("first_name") or "",
            patronymic=data.get("patronymic") or "",
            birth_date=data.get("birth_date"),
        )

    def filter_queryset(self, queryset: QuerySet[Person]) -> QuerySet[Person]:
        data = self.form.cleaned_data
        queryset = person_search_apply(queryset, self.criteria())
        day = today()
        if data.get("smo"):
            policies = PolicyPeriod.objects.filter(active_on(day), person=OuterRef("pk"), smo_code=data["smo"])
            queryset = queryset.filter(Exists(policies))
        if data.get("mo"):
            attachments = AttachmentPeriod.objects.filter(active_on(day), person=OuterRef("pk"), mo_code=data["mo"])
            queryset = queryset.filter(Exists(attachments))
        return queryset


class OrganizationFilterSet(django_filters.FilterSet):
    """The organization directory by kind, code and whether it still works."""

    kind = django_filters.ChoiceFilter(label=_("Вид организации"), choices=OrganizationKind.choices)
    code = django_filters.CharFilter(label=_("Код (F003 для МО, F002 для СМО)"), max_length=6)
    is_active = django_filters.BooleanFilter(label=_("Действует"))

    class Meta:
        model = Organization
        fields: list[str] = []
