from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Сроки, мониторинг и отчёты")

    def ready(self):
        from omsportal.jobs.runner import job_finished
        from reports.services.runs import after_job

        job_finished.connect(after_job, dispatch_uid="reports.after_job")
