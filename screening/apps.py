from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Профилактические мероприятия")

    def ready(self) -> None:
        from omsportal.scoping import register_person_scope_hook
        from participants.cards import register_person_card_section

        from .access import mo_list_person_scope
        from .selectors.events import person_stage_section

        register_person_scope_hook(mo_list_person_scope)
        register_person_card_section(person_stage_section)
