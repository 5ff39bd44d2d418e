from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Сроки, мониторинг и отчёты")

    def ready(self):
        from django.db.models.signals import post_save

        from omsportal.jobs.runner import job_finished
        from reports.services.quotas import after_survey_saved
        from reports.services.runs import after_job

        job_finished.connect(after_job, dispatch_uid="reports.after_job")
        post_save.connect(after_survey_saved, sender="surveys.SurveyResponse", dispatch_uid="reports.after_survey")
