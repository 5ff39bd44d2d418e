"""Forms of the screening pages: the list upload and the filters of protocols and lists."""

from __future__ import annotations

import datetime
import os

from django import forms
from django.utils.translation import gettext_lazy as _

from screening.models import EntryState, ListKind, Measure, UploadStatus

# What the pipeline reads: ZL_LIST XML (plain or zipped) and its CSV / XLSX twins [formats.md].
LIST_FILE_EXTENSIONS = (".xml", ".zip", ".csv", ".xlsx")
# One large MO uploads 50–150 thousand records (about 60 MB of XML); leave room, refuse the absurd [domain §11].
LIST_FILE_MAX_BYTES = 512 * 1024 * 1024

MONTH_CHOICES = [
    (1, _("январь")),
    (2, _("февраль")),
    (3, _("март")),
    (4, _("апрель")),
    (5, _("май")),
    (6, _("июнь")),
    (7, _("июль")),
    (8, _("август")),
    (9, _("сентябрь")),
    (10, _("октябрь")),
    (11, _("ноябрь")),
    (12, _("декабрь")),
]

LIST_SORTS = {
    "name": ("person__last_name", "person__first_name", "person__patronymic", "id"),
    "-name": ("-person__last_name", "-person__first_name", "-person__patronymic", "-id"),
    "birth_date": ("person__birth_date", "id"),
    "-birth_date": ("-person__birth_date", "-id"),
    "month": ("month", "person__last_name", "id"),
    "-month": ("-month", "person__last_name", "-id"),
    "district": ("district", "person__last_name", "id"),
    "-district": ("-district", "person__last_name", "-id"),
    "state": ("state", "person__last_name", "id"),
    "-state": ("-state", "person__last_name", "-id"),
    "n_zap": ("n_zap", "id"),
    "-n_zap": ("-n_zap", "-id"),
}


def validate_list_file(upload) -> None:
    """The uploaded file has a list extension, is not empty and not absurdly large."""
    name = upload.name or ""
    if not name.lower().endswith(LIST_FILE_EXTENSIONS):
        raise forms.ValidationError(
            _("Файл «%(name)s» не похож на список: ожидается XML (можно в ZIP), CSV или XLSX."),
            code="extension",
            params={"name": os.path.basename(name)},
        )
    if upload.size == 0:
        raise forms.ValidationError(_("Файл пустой."), code="empty")
    if upload.size > LIST_FILE_MAX_BYTES:
        raise forms.ValidationError(
            _("Файл больше %(mb)s МБ: разделите список или сожмите его в ZIP."),
            code="too_large",
            params={"mb": LIST_FILE_MAX_BYTES // (1024 * 1024)},
        )


class ListUploadForm(forms.Form):
    """An MO uploads a ZL_LIST file (yearly list, DN list or quarterly update) [R II.2, II.6, II.9]."""

    file = forms.FileField(
        label=_("Файл списка"),
        help_text=_(
            "ZL_LIST в XML (можно упаковать в ZIP) или по шаблону CSV / XLSX, или выгрузка МИС в формате, "
            "который принимает регион (формат распознаётся сам)."
        ),
        validators=[validate_list_file],
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(LIST_FILE_EXTENSIONS)}),
    )
    kind = forms.ChoiceField(
        label=_("Вид списка"), choices=ListKind.choices, initial=ListKind.YEARLY, widget=forms.RadioSelect
    )
    year = forms.IntegerField(
        label=_("Год списка"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_(
            "Нужен только для файлов без года: CSV / XLSX без колонки YEAR, выгрузки МИС без года (Башкортостан, "
            "Астраханская область); в XML год берётся из заголовка ZGLV."
        ),
    )


def _year_choices() -> list[tuple[int, int]]:
    this_year = datetime.date.today().year
    return [(year, year) for year in range(this_year + 1, this_year - 5, -1)]


class UploadHistoryFilterForm(forms.Form):
    """Filters of the upload history: year, status and (for the Fund) the MO."""

    year = forms.TypedChoiceField(
        label=_("Год"), required=False, coerce=int, empty_value=None, choices=[("", _("все годы"))]
    )
    status = forms.ChoiceField(label=_("Статус"), required=False, choices=[("", _("все")), *UploadStatus.choices])
    mo = forms.CharField(label=_("Код МО"), required=False, max_length=6)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("все годы")), *_year_choices()]


class ProtocolFilterForm(forms.Form):
    """Filters of the protocol table: error code and record number N_ZAP."""

    code = forms.TypedChoiceField(label=_("Код"), required=False, coerce=int, empty_value=None, choices=[])
    n_zap = forms.IntegerField(label=_("N_ZAP"), required=False, min_value=1)

    def __init__(self, *args, code_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [("", _("все коды")), *code_choices]


class ListFilterForm(forms.Form):
    """Filters of the list pages: year, measure, MO, SMO, month, district, state and the sort order."""

    year = forms.IntegerField(label=_("Год"), required=False, min_value=2000, max_value=2100)
    measure = forms.ChoiceField(label=_("Мероприятие"), required=False, choices=[("", _("все")), *Measure.choices])
    mo = forms.CharField(label=_("Код МО"), required=False, max_length=6)
    smo = forms.CharField(label=_("Код СМО"), required=False, max_length=5)  # the dashboard's drill-down to an SMO
    month = forms.TypedChoiceField(
        label=_("Месяц"), required=False, coerce=int, empty_value=None, choices=[("", _("все")), *MONTH_CHOICES]
    )
    district = forms.CharField(label=_("Участок"), required=False, max_length=20)
    state = forms.ChoiceField(label=_("Состояние"), required=False, choices=[("", _("все")), *EntryState.choices])
    sort = forms.ChoiceField(
        label=_("Сортировка"), required=False, choices=[(key, key) for key in LIST_SORTS], widget=forms.HiddenInput
    )

    def filters(self) -> dict:
        """The cleaned filters as keyword arguments of the list selectors (empty ones left out)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        keys = ("year", "measure", "mo", "smo", "month", "district", "state")
        return {key: data[key] for key in keys if data.get(key) not in (None, "")}

    def sort_key(self) -> str:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("sort") or "name"
