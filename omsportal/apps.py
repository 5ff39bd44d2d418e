from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmsportalConfig(AppConfig):
    """The shared kit as an app: its models (audit log, calendar, regional parameters), admin and commands."""

    name = "omsportal"
    verbose_name = _("Настройки портала")
    default_auto_field = "django.db.models.BigAutoField"
