from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InformingConfig(AppConfig):
    name = "informing"
    verbose_name = _("Информирование")

    def ready(self) -> None:
        from omsportal.scoping import register_person_scope_hook

        from .access import assigned_phone_persons

        register_person_scope_hook(assigned_phone_persons)
