"""The API base other apps build on: ScopedViewSet guards, pagination cap, stable ordering, role permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from omsportal.api.base import MAX_PAGE_SIZE, PortalPagination, ScopedAPIMixin, ScopedViewSet
from omsportal.api.permissions import HasRole, ReadOnly, ReadOnlyOrRole
from omsportal.models import CalendarDay
from participants.models import Organization, Person, Role

factory = APIRequestFactory()


class TestScopedViewSetGuards:
    def test_overriding_get_queryset_is_refused_at_class_creation(self):
        with pytest.raises(TypeError, match="get_base_queryset"):

            class Forgetful(ScopedViewSet):
                queryset = Person.objects.all()

                def get_queryset(self):
                    return Person.objects.all()

    def test_a_writable_viewset_built_on_the_mixin_is_guarded_too(self):
        with pytest.raises(TypeError, match="get_base_queryset"):

            class ForgetfulWriter(ScopedAPIMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
                def get_queryset(self):
                    return Organization.objects.all()

    def test_a_model_without_scope_for_user_cannot_be_served(self):
        with pytest.raises(TypeError, match="scope_for_user"):

            class Unscoped(ScopedViewSet):
                queryset = CalendarDay.objects.all()

    def test_person_and_models_declaring_a_scope_are_accepted(self):
        class Persons(ScopedViewSet):
            queryset = Person.objects.all()

        class Organizations(ScopedViewSet):
            queryset = Organization.objects.all()

        assert Persons.pagination_class is PortalPagination


class TestPagination:
    @pytest.mark.parametrize(("asked", "served"), [(None, 50), ("10", 10), ("500", 500), ("100000", MAX_PAGE_SIZE)])
    def test_page_size_parameter_is_capped_at_500(self, asked, served):
        params = {} if asked is None else {"page_size": asked}
        request = Request(factory.get("/x/", params))
        assert PortalPagination().get_page_size(request) == served


class _Probe(APIView):
    """A minimal view to exercise permission classes."""

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=status.HTTP_201_CREATED)


def call(permission, method, user):
    view = type("ProbeView", (_Probe,), {"permission_classes": [permission]}).as_view()
    request = getattr(factory, method)("/probe/")
    if user is not None:
        force_authenticate(request, user=user)
    return view(request).status_code


@pytest.mark.django_db
class TestPermissions:
    def test_has_role_lets_only_the_named_roles_through(self, region):
        perm = HasRole(Role.MO_STAFF, Role.FUND)
        assert call(perm, "get", region.mo1_user) == 200
        assert call(perm, "post", region.fund_user) == 201
        assert call(perm, "get", region.smo1_l2) == 403
        assert call(perm, "get", region.admin_user) == 403  # no implicit pass for administrators

    def test_refusals_are_in_russian(self, region):
        view = type("ProbeView", (_Probe,), {"permission_classes": [HasRole(Role.FUND)]}).as_view()
        request = factory.get("/probe/")
        force_authenticate(request, user=region.mo1_user)
        response = view(request)
        response.render()
        assert response.data["detail"] == "Ваша роль не даёт доступа к этому разделу."

    def test_read_only_or_role_separates_readers_from_writers(self, region):
        perm = ReadOnlyOrRole(Role.MO_STAFF)
        assert call(perm, "get", region.smo1_l2) == 200
        assert call(perm, "post", region.smo1_l2) == 403
        assert call(perm, "post", region.mo1_user) == 201

    def test_read_only_refuses_writes_for_everyone(self, region):
        assert call(ReadOnly, "get", region.fund_user) == 200
        assert call(ReadOnly, "post", region.fund_user) == 403

    def test_inactive_users_are_refused(self, region):
        region.fund_user.is_active = False
        assert call(HasRole(Role.FUND), "get", region.fund_user) == 403

    @pytest.mark.parametrize("perm", [HasRole(Role.FUND), ReadOnlyOrRole(Role.FUND), ReadOnly])
    def test_anonymous_is_refused(self, perm):
        assert call(perm, "get", AnonymousUser()) in (401, 403)

    def test_a_factory_needs_roles(self):
        with pytest.raises(ValueError):
            HasRole()
        with pytest.raises(ValueError):
            ReadOnlyOrRole()
