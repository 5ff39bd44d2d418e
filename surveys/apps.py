from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Опросы и обращения")

    def ready(self) -> None:
        from omsportal.scoping import register_person_scope_hook

        from .access import operator_person_scope

        register_person_scope_hook(operator_person_scope)
