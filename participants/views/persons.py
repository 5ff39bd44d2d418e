"""Views: person search and the person card, scoped by omsportal.scoping and written to the audit log."""

from __future__ import annotations

import datetime

from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from omsportal.models import AuditAction
from omsportal.pagination import CappedPaginator
from omsportal.scoping import today
from omsportal.views.base import PortalTemplateView, ScopedDetailView, ScopedObjectMixin
from participants.access import SEE_PERSONS
from participants.cards import person_card_sections
from participants.forms import OnDateForm, PersonSearchForm
from participants.identifiers import snils_format
from participants.models import Person, Role
from participants.selectors.persons import (
    attachment_on,
    insurer_on,
    person_history_prefetch,
    person_search_page_queryset,
)

PAGE_SIZE = 50
# Counting every match of a two-letter surname prefix in a region of millions costs seconds; past this many
# the page says "more than N, refine the search" and offers the first N only.
COUNT_CAP = 1000

# What the search covers for each role, said on the page so an empty result is not a surprise [domain §2].
SCOPE_NOTES = {
    Role.MO_STAFF: _("Поиск среди прикреплённых к вашей МО и включённых в её списки."),
    Role.SMO_L1: _("Поиск среди лиц из назначенных вам строк обзвона."),
    Role.SMO_L2: _("Поиск среди застрахованных вашей СМО по текущему регистру."),
    Role.SMO_L3: _("Поиск среди застрахованных вашей СМО по текущему регистру."),
    Role.FUND: _("Поиск по всему региону."),
}


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class PersonSearchView(ScopedObjectMixin, PortalTemplateView):
    """Search among the persons the user may see; every search with criteria is an audit entry.

    Person pages exist only for roles that work with persons; the Ministry and administrators get 404.
    """

    capability = SEE_PERSONS
    model = Person
    template_name = "participants/person_search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = PersonSearchForm(self.request.GET or None)
        context.update(form=form, page_obj=None, searched=False, scope_note=SCOPE_NOTES.get(self.request.user.role))
        if not form.is_bound or not form.is_valid():
            return context
        criteria = form.criteria()
        if criteria.is_empty():
            return context
        sort = form.cleaned_data["sort"]
        queryset = person_search_page_queryset(user=self.request.user, criteria=criteria, sort=sort)
        paginator = CappedPaginator(queryset, PAGE_SIZE, cap=COUNT_CAP)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        persons = list(page_obj.object_list)
        for person in persons:
            person.snils_display = snils_format(person.snils or "")
        self.audit_read(
            AuditAction.SEARCH,
            persons,
            model=Person,
            query={
                **criteria.as_audit_query(),
                "sort": sort,
                "page": page_obj.number,
                "total": paginator.count,
                **({"total_capped": True} if paginator.is_capped else {}),
            },
        )
        context.update(page_obj=page_obj, persons=persons, searched=True, sort=sort)
        return context


class PersonDetailView(ScopedDetailView):
    """The person card: personal data, contacts, opt-out, policy and attachment history, 'on date' answer."""

    capability = SEE_PERSONS
    model = Person
    template_name = "participants/person_detail.html"
    context_object_name = "person"

    def get_base_queryset(self):
        return Person.objects.prefetch_related(*person_history_prefetch())

    def on_form(self) -> OnDateForm:
        return OnDateForm(self.request.GET if "on" in self.request.GET else None)

    def audit_query(self) -> dict:
        form = self.on_form()
        return {"on": form.cleaned_data["on"].isoformat()} if form.is_bound and form.is_valid() else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self.object
        form = self.on_form()
        on_date = None
        if form.is_bound and form.is_valid():
            day = form.cleaned_data["on"]
            on_date = {"day": day, "policy": insurer_on(person, day), "attachment": attachment_on(person, day)}
        now = today()
        context.update(
            age=_age(person.birth_date, person.death_date or now),
            snils_display=snils_format(person.snils or ""),
            policies=list(person.policies.all()),
            attachments=list(person.attachments.all()),
            on_form=form,
            on_date=on_date,
            today=now,
            sections=person_card_sections(request=self.request, person=person),
        )
        context["current_policy"] = next((p for p in context["policies"] if p.date_to is None), None)
        context["current_attachment"] = next((a for a in context["attachments"] if a.date_to is None), None)
        return context


patterns = [
    path("", PersonSearchView.as_view(), name="search"),
    path("<int:pk>/", PersonDetailView.as_view(), name="detail"),
]

urlpatterns = [path("persons/", include((patterns, "persons")))]
