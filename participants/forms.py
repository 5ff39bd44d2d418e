"""Forms of the participants web UI: person search and the "on date" question of a person card."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.selectors.persons import PERSON_SORTS, PersonSearch

from .identifiers import name_part_key, snils_clean

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]

# A surname-only search needs this many letters: one letter would list a large share of the region.
MIN_SURNAME_PREFIX = 2


class DateInput(forms.DateInput):
    """A native date picker; browsers send ISO dates whatever the UI language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


def _text(label, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", **attrs}),
    )


class PersonSearchForm(forms.Form):
    """Search by ENP, SNILS, surname (whole or its beginning) with name, patronymic and date of birth."""

    SORT_CHOICES = [
        ("name", _("по фамилии (А–Я)")),
        ("-name", _("по фамилии (Я–А)")),
        ("birth_date", _("по дате рождения (старшие первыми)")),
        ("-birth_date", _("по дате рождения (младшие первыми)")),
    ]

    q = _text(
        _("ЕНП, СНИЛС или фамилия"),
        placeholder=_("например: 2700000000000017, 123-456-789 01 или Иванова Мария"),
        autofocus=True,
    )
    last_name = _text(_("Фамилия"))
    first_name = _text(_("Имя"))
    patronymic = _text(_("Отчество"))
    birth_date = forms.DateField(
        label=_("Дата рождения"), required=False, input_formats=DATE_INPUT_FORMATS, widget=DateInput()
    )
    sort = forms.ChoiceField(
        label=_("Сортировка"),
        choices=SORT_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean_q(self) -> str:
        q = " ".join(self.cleaned_data["q"].split())
        if q and not any(ch.isalpha() for ch in q):
            digits = snils_clean(q)
            if len(digits) not in (11, 16) or set(q) - set("0123456789- "):
                raise forms.ValidationError(
                    _("ЕНП состоит из 16 цифр, СНИЛС — из 11 цифр; для поиска по фамилии введите буквы.")
                )
        return q

    def clean_sort(self) -> str:
        sort = self.cleaned_data.get("sort") or "name"
        return sort if sort in PERSON_SORTS else "name"

    def clean(self):
        cleaned = super().clean()
        q = cleaned.get("q", "")
        surname = cleaned.get("last_name", "")
        if q and any(ch.isalpha() for ch in q) and len(name_part_key(q.split()[0])) < MIN_SURNAME_PREFIX:
            self.add_error("q", _("Введите не меньше двух букв фамилии."))
        if surname and len(name_part_key(surname)) < MIN_SURNAME_PREFIX:
            self.add_error("last_name", _("Введите не меньше двух букв фамилии."))
        if cleaned.get("first_name") and not surname and not q:
            self.add_error("last_name", _("Укажите фамилию вместе с именем."))
        return cleaned

    def criteria(self) -> PersonSearch:
        data = self.cleaned_data
        return PersonSearch(
            q=data.get("q", ""),
            last_name=data.get("last_name", ""),
            first_name=data.get("first_name", ""),
            patronymic=data.get("patronymic", ""),
            birth_date=data.get("birth_date"),
        )

    @property
    def advanced_fields(self) -> list:
        return [self["last_name"], self["first_name"], self["patronymic"]]

    @property
    def has_advanced(self) -> bool:
        """Whether the detailed fields were used (the page keeps that part open)."""
        return any(self.data.get(name) for name in ("last_name", "first_name", "patronymic"))


class OnDateForm(forms.Form):
    """'Who insured / where attached on date D' on the person card."""

    on = forms.DateField(label=_("На дату"), input_formats=DATE_INPUT_FORMATS, widget=DateInput())
