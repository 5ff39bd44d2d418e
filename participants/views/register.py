"""Views: the Fund uploads REGISTER files (РС ЕРЗ) and follows each import's progress, counts and rejected records."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from omsportal.filelimits import file_limits, format_bytes
from omsportal.jobs.models import JobStatus
from omsportal.views.base import PortalMixin, ScopedObjectMixin
from participants.access import LOAD_REGISTER
from participants.models import RegisterImport
from participants.selectors.persons import register_person_count
from participants.services.register_import import register_import_create

PAGE_SIZE = 20
ERRORS_PAGE_SIZE = 50
ALLOWED_SUFFIXES = (".xml", ".zip")
# The share of the bar for reading the file; the rest is the merge into the register.
READING_SHARE = 90

STATUS_BADGES = {
    JobStatus.PENDING: "secondary",
    JobStatus.RUNNING: "primary",
    JobStatus.DONE: "success",
    JobStatus.REJECTED: "danger",
    JobStatus.FAILED: "dark",
}


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Файл регистра"),
        help_text=_("Формат REGISTER: XML в кодировке UTF-8 или windows-1251 либо ZIP-архив с одним таким файлом."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.zip", "class": "form-control"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("Загрузите файл .xml или .zip."))
        if not upload.size:
            raise forms.ValidationError(_("Файл пуст."))
        limit = file_limits().max_bytes
        if upload.size > limit:
            raise forms.ValidationError(
                _("Файл больше допустимых %(limit)s (OMS_FILE_MAX_BYTES); упакуйте его в ZIP.")
                % {"limit": format_bytes(limit)}
            )
        return upload


class RegisterPagesMixin(ScopedObjectMixin, PortalMixin):
    """Loading the register is the Fund's duty; for every other role these pages do not exist (404)."""

    capability = LOAD_REGISTER
    model = RegisterImport


def progress_percent(job: RegisterImport) -> int:
    """Reading the file fills the bar to 90 %, the merge into the register the rest."""
    if job.status in (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED):
        return 100
    if job.status == JobStatus.PENDING or not job.bytes_total:
        return 0
    if job.bytes_read >= job.bytes_total:
        return READING_SHARE + 5
    return min(READING_SHARE, job.bytes_read * READING_SHARE // job.bytes_total)


def _decorate(job: RegisterImport) -> RegisterImport:
    job.badge = STATUS_BADGES.get(job.status, "secondary")
    job.percent = progress_percent(job)
    job.is_active = job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    job.merging = job.status == JobStatus.RUNNING and job.bytes_total and job.bytes_read >= job.bytes_total
    return job


class RegisterImportListView(RegisterPagesMixin, TemplateView):
    """The imports, newest first, and the upload form."""

    template_name = "participants/register_list.html"

    def get_context_data(self, form: RegisterUploadForm | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = self.scoped(
            RegisterImport.objects.select_related("created_by").defer("errors").order_by("-created_at", "-id")
        )
        page_obj = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            form=form or RegisterUploadForm(),
            page_obj=page_obj,
            imports=[_decorate(job) for job in page_obj.object_list],
        )
        if not page_obj.object_list:
            # No file went in through the portal: the register may still hold persons (a seeded demo region).
            context["persons_in_register"] = register_person_count()
        return context

    def post(self, request, *args, **kwargs):
        form = RegisterUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        job = register_import_create(file=upload, original_name=upload.name, created_by=request.user, start=True)
        messages.success(request, gettext("Файл принят. Загрузка идёт в фоне; ход виден на этой странице."))
        return redirect("register:detail", pk=job.pk)


class RegisterImportDetailView(RegisterPagesMixin, TemplateView):
    """One import: status, live progress, counts and the rejected records by N_ZAP."""

    template_name = "participants/register_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = _decorate(self.get_scoped_object(RegisterImport.objects.select_related("created_by"), pk=kwargs["pk"]))
        errors_page = Paginator(job.errors, ERRORS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(job=job, errors_page=errors_page)
        return context


class RegisterImportProgressView(RegisterPagesMixin, TemplateView):
    """The progress block alone, polled by htmx while the job runs; when it ends the page reloads for the errors."""

    template_name = "participants/register_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["job"] = _decorate(
            self.get_scoped_object(RegisterImport.objects.defer("errors").select_related("created_by"), pk=kwargs["pk"])
        )
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if getattr(request, "htmx", False) and not response.context_data["job"].is_active:
            response["HX-Refresh"] = "true"
        return response


patterns = [
    path("", RegisterImportListView.as_view(), name="imports"),
    path("<int:pk>/", RegisterImportDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", RegisterImportProgressView.as_view(), name="progress"),
]

urlpatterns = [path("register/", include((patterns, "register")))]
