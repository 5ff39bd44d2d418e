"""Pages of questionnaires: the forms, one form with its versions and a preview, a new form, a new version."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from omsportal.views.base import PortalView
from surveys.access import EDIT_FORMS, READ_FORMS
from surveys.models import FormPurpose, QuestionKind
from surveys.questionnaires import QuestionsError
from surveys.selectors.forms import can_edit, current_version, questionnaire_for_user, questionnaires_for_user
from surveys.services.forms import questionnaire_create, questionnaire_version_create

MAX_JSON_CHARS = 200_000


class QuestionsField(forms.CharField):
    """The questions as JSON text (the shape is in surveys.questionnaires); parsed here, checked by the service."""

    widget = forms.Textarea(attrs={"rows": 18, "class": "form-control font-monospace", "spellcheck": "false"})

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_JSON_CHARS, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Вопросы не прочитаны как JSON: строка %(line)s, позиция %(col)s.")
                % {"line": getattr(exc, "lineno", "?"), "col": getattr(exc, "colno", "?")}
            ) from exc


class FormCreateForm(forms.Form):
    title = forms.CharField(
        label=_lazy("Название"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    purpose = forms.ChoiceField(
        label=_lazy("Назначение"), choices=FormPurpose.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    questions = QuestionsField(label=_lazy("Вопросы (JSON)"))


class VersionForm(forms.Form):
    questions = QuestionsField(label=_lazy("Вопросы (JSON)"))


EXAMPLE = [
    {"code": "came", "text": "Вы проходили диспансеризацию?", "kind": "single", "required": True,
     "options": [["yes", "Да"], ["no", "Нет"]]},
    {"code": "why", "text": "Почему нет?", "kind": "multi", "required": True,
     "options": [["time", "Нет времени"], ["other", "Другое"]], "show_if": {"question": "came", "in": ["no"]}},
    {"code": "score", "text": "Оцените поликлинику", "kind": "scale", "min": 1, "max": 5},
    {"code": "comment", "text": "Пожелания", "kind": "text"},
]  # fmt: skip


def _help() -> dict:
    return {"example": json.dumps(EXAMPLE, ensure_ascii=False, indent=2), "kinds": QuestionKind.choices}


class FormListView(PortalView):
    capability = READ_FORMS

    def get(self, request):
        return render(
            request,
            "surveys/forms.html",
            {"questionnaires": questionnaires_for_user(request.user), "may_edit": EDIT_FORMS.allows(request.user)},
        )


class FormDetailView(PortalView):
    capability = READ_FORMS

    def get(self, request, pk: int):
        questionnaire = questionnaire_for_user(request.user, pk)
        versions = list(questionnaire.versions.order_by("-number"))
        number = request.GET.get("version")
        shown = next((v for v in versions if str(v.number) == number), versions[0] if versions else None)
        return render(
            request,
            "surveys/form_detail.html",
            {
                "questionnaire": questionnaire,
                "versions": versions,
                "shown": shown,
                "may_edit": EDIT_FORMS.allows(request.user) and can_edit(request.user, questionnaire),
            },
        )


class FormCreateView(PortalView):
    capability = READ_FORMS
    write_capability = EDIT_FORMS

    def get(self, request):
        if not EDIT_FORMS.allows(request.user):
            raise PermissionDenied(_("Ваша роль позволяет только просмотр."))
        return render(request, "surveys/form_edit.html", {"form": FormCreateForm(), **_help()})

    def post(self, request):
        form = FormCreateForm(request.POST)
        errors: list[str] = []
        if form.is_valid():
            try:
                questionnaire = questionnaire_create(
                    user=request.user,
                    title=form.cleaned_data["title"],
                    purpose=form.cleaned_data["purpose"],
                    questions=form.cleaned_data["questions"],
                )
            except QuestionsError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Анкета создана."))
                return redirect("surveys:form_detail", pk=questionnaire.pk)
        return render(request, "surveys/form_edit.html", {"form": form, "errors": errors, **_help()}, status=400)


class FormVersionCreateView(PortalView):
    capability = READ_FORMS
    write_capability = EDIT_FORMS

    def _questionnaire(self, request, pk):
        questionnaire = questionnaire_for_user(request.user, pk)
        if not can_edit(request.user, questionnaire):
            raise Http404
        return questionnaire

    def get(self, request, pk: int):
        if not EDIT_FORMS.allows(request.user):
            raise PermissionDenied(_("Ваша роль позволяет только просмотр."))
        questionnaire = self._questionnaire(request, pk)
        version = current_version(questionnaire)
        initial = json.dumps(version.questions if version else EXAMPLE, ensure_ascii=False, indent=2)
        form = VersionForm(initial={"questions": initial})
        return render(request, "surveys/form_edit.html", {"form": form, "questionnaire": questionnaire, **_help()})

    def post(self, request, pk: int):
        questionnaire = self._questionnaire(request, pk)
        form = VersionForm(request.POST)
        errors: list[str] = []
        if form.is_valid():
            try:
                version = questionnaire_version_create(
                    user=request.user, questionnaire=questionnaire, questions=form.cleaned_data["questions"]
                )
            except QuestionsError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Сохранена версия %(n)s.") % {"n": version.number})
                return redirect("surveys:form_detail", pk=questionnaire.pk)
        context = {"form": form, "questionnaire": questionnaire, "errors": errors, **_help()}
        return render(request, "surveys/form_edit.html", context, status=400)


urlpatterns = [
    path("forms/", FormListView.as_view(), name="forms"),
    path("forms/new/", FormCreateView.as_view(), name="form_create"),
    path("forms/<int:pk>/", FormDetailView.as_view(), name="form_detail"),
    path("forms/<int:pk>/version/", FormVersionCreateView.as_view(), name="form_version_create"),
]
