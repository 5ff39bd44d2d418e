"""The access layer: one declaration per app read by the pages, the API and the menu; base views that cannot forget
the capability, the scope or the read audit; no route outside the bases."""

from __future__ import annotations

import pytest
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeDoneView, PasswordChangeView
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from omsportal.access import SIGNED_IN, Capability, MenuItem, is_declared, menu_items, model_access
from omsportal.api.base import ScopedAPIMixin
from omsportal.models import AuditAction, AuditLog, CalendarDay
from omsportal.navigation import menu_for
from omsportal.views.base import PortalMixin, PortalView, ScopedDetailView, ScopedListView
from participants.access import SEE_PERSONS
from participants.api.views import MeView, TokenView
from participants.models import Organization, Person, Role
from screening.access import READ_LIST_PERSONS
from screening.models import ListEntry
from tests.screening.factories import rec, upload, zl_list_xml

factory = RequestFactory()


def routed_views():
    """(route name, view class) of every route outside the Django admin."""

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern):
                callback = pattern.callback
                view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
                yield f"{namespace}{pattern.name}", view

    return list(walk(get_resolver()))


# Views of Django, DRF and drf-spectacular that serve no portal data: sign-in, language, the schema.
FRAMEWORK_VIEWS = (
    LoginView,
    LogoutView,
    PasswordChangeView,
    PasswordChangeDoneView,
    SpectacularAPIView,
    SpectacularSwaggerView,
    TokenView,  # username + password -> token
    MeView,  # the caller's own user row
)


def test_every_page_is_built_on_the_portal_base_and_every_endpoint_on_the_scoped_api_base():
    outside = []
    for name, view in routed_views():
        # The unsubscribe link of informing e-mails is public: its signed token is the authority (tests/informing).
        public = ("set_language", "informing:unsubscribe")
        if name in public or (view is not None and issubclass(view, FRAMEWORK_VIEWS)):
            continue
        if view is None or not (issubclass(view, PortalMixin) or issubclass(view, ScopedAPIMixin)):
            outside.append(f"{name}: {view}")
    assert not outside, outside


def test_a_page_without_a_capability_cannot_be_routed():
    class Forgetful(PortalView):
        pass

    with pytest.raises(ImproperlyConfigured, match="capability"):
        Forgetful.as_view()


def test_a_scoped_view_cannot_override_get_queryset():
    with pytest.raises(TypeError, match="get_base_queryset"):

        class Escaping(ScopedListView):
            capability = SIGNED_IN
            model = Organization

            def get_queryset(self):
                return Organization.objects.all()


def test_a_model_nobody_scoped_cannot_be_served_by_a_page():
    assert not is_declared(CalendarDay)
    with pytest.raises(TypeError, match="declares no scope"):

        class Calendar(ScopedListView):
            capability = SIGNED_IN
            model = CalendarDay


def test_each_model_served_to_users_is_declared_once_with_its_personal_data():
    assert model_access(Person).holds_personal_data and model_access(ListEntry).holds_personal_data
    assert not model_access(Organization).holds_personal_data
    with pytest.raises(ValueError):
        Capability("x.nobody", [])
    with pytest.raises(ValueError):
        Capability("x.typo", ["MO"])


@pytest.mark.django_db
def test_a_role_without_the_capability_gets_404_and_a_reader_403_on_a_write(region):
    class Probe(PortalView):
        capability = Capability("test.read", [Role.MO_STAFF, Role.FUND])
        write_capability = Capability("test.write", [Role.MO_STAFF])

        def get(self, request):
            from django.http import HttpResponse

            return HttpResponse("ok")

        post = get

    view = Probe.as_view()

    def call(method, user):
        request = getattr(factory, method)("/probe/")
        request.user = user
        try:
            return view(request).status_code
        except Exception as exc:  # Http404 / PermissionDenied, as the handler turns them into 404 / 403
            return {"Http404": 404, "PermissionDenied": 403}[type(exc).__name__]

    assert call("get", region.mo1_user) == 200 and call("post", region.mo1_user) == 200
    assert call("get", region.fund_user) == 200 and call("post", region.fund_user) == 403
    assert call("get", region.smo1_l2) == 404 and call("post", region.smo1_l2) == 404


@pytest.mark.django_db
def test_the_base_list_view_audits_rows_that_hold_personal_data_by_itself(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload(region, zl_list_xml([rec(region.p1, 1)]))

    class Entries(ScopedListView):
        capability = READ_LIST_PERSONS
        model = ListEntry
        template_name = "base.html"

    class Directory(ScopedDetailView):
        capability = SIGNED_IN
        model = Organization
        template_name = "base.html"

    def get(view, user, **kwargs):
        request = factory.get("/x/", {"measure": "DVN"})
        request.user = user
        request.session = {}
        return view.as_view()(request, **kwargs)

    assert get(Entries, region.mo1_user).status_code == 200
    entry = AuditLog.objects.get()
    assert (entry.action, entry.person_ids, entry.object_type, entry.query) == (
        AuditAction.LIST,
        [region.p1.pk],
        "list_entry",
        {"measure": "DVN"},
    )
    get(Entries, region.mo2_user)  # another MO: its (empty) page is a read too, with no ids
    assert AuditLog.objects.filter(user=region.mo2_user).get().person_ids == []
    get(Directory, region.mo1_user, pk=region.mo1.pk)  # the directory holds no personal data: no entry
    assert AuditLog.objects.count() == 2


def test_the_menu_is_read_from_the_declarations():
    urls = {item.url_name for item in menu_items()}
    assert {"home", "persons:search", "screening:plans", "audit:log"} <= urls
    persons = next(item for item in menu_items() if item.url_name == "persons:search")
    assert persons.capability is SEE_PERSONS


@pytest.mark.django_db
def test_a_menu_entry_follows_its_capability(region, monkeypatch):
    from omsportal import access

    extra = MenuItem("Проба", "organizations", Capability("test.fund", [Role.FUND]), order=1)
    access.MENU.discover()
    monkeypatch.setattr(access.MENU, "entries", {extra.url_name: extra})
    assert [item["label"] for item in menu_for(region.fund_user)] == ["Проба"]
    assert menu_for(region.mo1_user) == []
