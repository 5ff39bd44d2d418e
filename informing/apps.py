from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InformingConfig(AppConfig):
    name = "informing"
    verbose_name = _("Информирование")
