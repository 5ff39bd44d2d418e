"""Forms of the plan pages: they only parse input; the services in screening.services.plans write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.models import District, Organization, OrganizationKind
from screening.models import (
    MAX_QUANTITY,
    MAX_YEAR,
    MIN_YEAR,
    MONTHS,
    PLAN_MEASURES,
    BrigadeTrip,
    Measure,
    PreventionSchedule,
    RoutingRule,
    SpecialDay,
)
from screening.selectors.plans import MONTH_SHORT

MAX_PLAN_FILE_BYTES = 10 * 1024 * 1024


class BootstrapMixin:
    """Bootstrap classes on every widget."""

    def _style(self) -> None:
        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


def _quantity_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end", "min": 0, "step": 1}),
    )


class YearPlanMoForm(forms.Form):
    """One MO's row of the yearly plan: ДВН and ПМО × 12 months; an empty cell removes the month from the plan."""

    def __init__(self, *args, initial_values: dict[tuple[str, int], int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_values = initial_values or {}
        for measure in PLAN_MEASURES:
            for month in MONTHS:
                name = f"{measure}_{month}"
                self.fields[name] = _quantity_field(f"{Measure(measure).label}, {MONTH_SHORT[month - 1]}")
                self.initial.setdefault(name, initial_values.get((measure, month)))

    def rows(self) -> list[dict]:
        return [
            {"measure": Measure(measure).label, "fields": [self[f"{measure}_{month}"] for month in MONTHS]}
            for measure in PLAN_MEASURES
        ]

    def values(self) -> dict[tuple[str, int], int | None]:
        return {
            (measure, month): self.cleaned_data.get(f"{measure}_{month}")
            for measure in PLAN_MEASURES
            for month in MONTHS
        }


class YearPlanUploadForm(forms.Form):
    """The plan file (XLSX, layout in docs/formats/plan_xlsx.md)."""

    file = forms.FileField(
        label=_("Файл плана (XLSX)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Загрузите файл Excel в формате .xlsx."))
        if upload.size > MAX_PLAN_FILE_BYTES:
            raise forms.ValidationError(_("Файл больше 10 МБ: план столько не занимает."))
        return upload


class YearPlanReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Причина изменения утверждённого плана"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class DistrictPlanForm(forms.Form):
    """The MO's plan for one measure: districts × 12 months."""

    def __init__(self, *args, districts: list[District], initial_cells: dict[int, list[int | None]], **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = districts
        for district in districts:
            cells = initial_cells.get(district.pk, [None] * 12)
            for month in MONTHS:
                name = f"d{district.pk}_m{month}"
                self.fields[name] = _quantity_field(
                    _("участок %(n)s, %(m)s") % {"n": district.number, "m": MONTH_SHORT[month - 1]}
                )
                self.initial.setdefault(name, cells[month - 1])

    def rows(self) -> list[dict]:
        return [{"district": d, "fields": [self[f"d{d.pk}_m{month}"] for month in MONTHS]} for d in self.districts]

    def values(self) -> dict[tuple[int, int], int | None]:
        return {(d.pk, month): self.cleaned_data.get(f"d{d.pk}_m{month}") for d in self.districts for month in MONTHS}


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class BrigadeTripForm(BootstrapMixin, forms.ModelForm):
    measures = forms.MultipleChoiceField(
        label=_("мероприятия"),
        choices=Measure.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    class Meta:
        model = BrigadeTrip
        fields = ["kind", "date_from", "date_to", "settlement", "measures", "note"]
        widgets = {"date_from": DATE_WIDGET, "date_to": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("Дата окончания выезда раньше даты начала."))
        return data


class SpecialDayForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = SpecialDay
        fields = ["date", "time_from", "time_to", "description"]
        widgets = {"date": DATE_WIDGET, "time_from": TIME_WIDGET, "time_to": TIME_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class RoutingRuleForm(BootstrapMixin, forms.ModelForm):
    year = forms.IntegerField(label=_("год"), min_value=MIN_YEAR, max_value=MAX_YEAR)

    class Meta:
        model = RoutingRule
        fields = ["year", "measure", "examination", "performer", "place", "contract"]
        help_texts = {
            "performer": _("Пусто — исследование проводится в своей МО; иначе — в другой МО по договору."),
        }

    def __init__(self, *args, mo: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        performer = self.fields["performer"]
        performer.queryset = Organization.objects.filter(kind=OrganizationKind.MO, is_active=True).exclude(pk=mo.pk)
        performer.empty_label = _("своя МО")
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("performer") and not (data.get("contract") or "").strip():
            self.add_error("contract", _("Укажите договор с медицинской организацией-исполнителем."))
        return data


class PreventionScheduleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PreventionSchedule
        fields = ["working_hours", "booking", "responsible_name", "responsible_phone"]
        widgets = {"working_hours": forms.Textarea(attrs={"rows": 4}), "booking": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
