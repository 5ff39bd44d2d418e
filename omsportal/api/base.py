"""Base pieces of the REST API v1 that every app's API reuses: scoped viewsets, pagination, ordering, audit.

One way to scope data (NetBox style): :class:`ScopedAPIMixin.get_queryset` passes every queryset through
``omsportal.scoping.restrict(queryset, request.user)``, which applies the scope the model's app declares in its
``access.py``. Subclasses give their unscoped queryset through ``queryset = ...`` or ``get_base_queryset()`` and
may not define ``get_queryset()`` (a TypeError at import), so a later app's API view cannot forget to scope. A row
outside the user's scope is a 404, the same answer as one that does not exist [domain §2, §10]. The permission
is the one of omsportal.api.permissions, reading the view's ``capability`` / ``write_capability``.

How a later app adds its API (e.g. ``surveys``):

1. Declare the model's scope (and whether it shows persons' data) and the capabilities in ``surveys/access.py``
   (see omsportal.access).
2. ``surveys/api/views.py``::

       class CallItemViewSet(AuditedReadMixin, ScopedViewSet):
           queryset = CallItem.objects.select_related("person")   # unscoped; the base restricts it
           serializer_class = CallItemSerializer
           capability = READ_CALLS                                 # who reads; a role without it gets 403
           write_capability = WORK_CALLS                           # who writes (default: nobody)
           filterset_class = CallItemFilterSet
           ordering_fields = ["created_at", "id"]
           ordering = ["-created_at"]

   :class:`AuditedReadMixin` (before ``ScopedViewSet``) writes the personal-data audit for models declared
   ``personal``: lists are ``AuditAction.SEARCH``, details ``AuditAction.VIEW``, channel ``"api"``. Writable
   endpoints combine :class:`ScopedAPIMixin` with DRF's ``mixins.CreateModelMixin`` etc. and ``GenericViewSet``;
   their serializers only parse and the view calls the app's service.
3. ``surveys/api/urls.py``: ``app_name = "surveys_api"``, a ``SimpleRouter()`` (not ``DefaultRouter``: the
   apps share ``/api/v1/``) with its routes; then add ``path("", include("surveys.api.urls"))`` to
   ``omsportal/api_urls.py``.
4. Check the schema: ``manage.py spectacular --validate --fail-on-warn`` (give ``SerializerMethodField``
   getters return type hints, ``@extend_schema`` on custom actions).
5. Test each endpoint with the owner / read-only member / outsider pattern (see tests/participants/test_api_*.py)
   and add its routes to the role matrix of tests/omsportal/test_url_inventory.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from omsportal.access import guard_scoped_class, model_access
from omsportal.api.permissions import CapabilityPermission
from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.scoping import restrict

# Token first: an anonymous API client is told 401 with "WWW-Authenticate: Token" rather than a bare 403.
# Session authentication serves the browsable docs and same-site pages (CSRF enforced on writes).
API_AUTHENTICATION_CLASSES = [TokenAuthentication, SessionAuthentication]

MAX_PAGE_SIZE = 500


class PortalPagination(PageNumberPagination):
    """Page-number pagination: ``?page=N&page_size=M``, 50 by default, at most 500 rows a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = _("Номер страницы, с 1")
    page_size_query_description = _("Строк на странице: по умолчанию 50, не больше 500")


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` that always ends with the primary key, so equal names cannot shuffle rows between pages."""

    ordering_description = _("Сортировка: имена полей через запятую, «-» перед именем — по убыванию")

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        ordering = list(ordering)
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            ordering.append("pk")
        return ordering


class ScopedAPIMixin:
    """API view mixin: the queryset always goes through ``omsportal.scoping.restrict()`` for the request user."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [CapabilityPermission]
    capability = None  # omsportal.access.Capability: who may read
    write_capability = None  # who may write; None: nobody
    pagination_class = PortalPagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        queryset = vars(cls).get("queryset")
        guard_scoped_class(cls, queryset.model if queryset is not None else None)

    @classmethod
    def as_view(cls, *args, **kwargs):
        if cls.capability is None and CapabilityPermission in cls.permission_classes:
            raise TypeError(f"{cls.__name__} declares no capability: every endpoint says who may use it")
        return super().as_view(*args, **kwargs)

    def get_base_queryset(self) -> QuerySet:
        """The unscoped queryset; override to vary it per action (annotations, prefetches)."""
        if self.queryset is None:
            raise TypeError(f"{type(self).__name__} needs a queryset or get_base_queryset()")
        return self.queryset.all()

    def get_queryset(self) -> QuerySet:
        return restrict(self.get_base_queryset(), self.request.user)

    def get_object(self):
        # One answer for "does not exist" and "not yours", without DRF echoing "No <Model> matches the given query".
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound(_("Не найдено.")) from exc


class ScopedViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only list + detail over a model, scoped to the request user; outside the scope is a 404."""


class AuditedReadMixin:
    """Writes the personal-data audit: a list page is a SEARCH (query and ids on the page), a detail a VIEW."""

    audit_channel = "api"

    def _access(self):
        return model_access(self.get_base_queryset().model)

    def audit_person_ids(self, objects: Sequence[Model]) -> list[int]:
        """Ids of the persons whose data ``objects`` show, as the model's access declaration says."""
        access = self._access()
        return access.personal(objects) if access.holds_personal_data else []

    def audit_query(self) -> dict:
        params = self.request.query_params
        return {key: params.get(key) for key in params}

    def audit_read(self, action: AuditAction, objects: Iterable[Model], *, query: dict | None = None) -> None:
        audit_record(
            user=self.request.user,
            action=action,
            person_ids=self.audit_person_ids(list(objects)),
            query=query,
            request=self.request,
            channel=self.audit_channel,
            object_type=self._access().object_type,
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        objects = list(page) if page is not None else list(queryset)
        self.audit_read(AuditAction.SEARCH, objects, query=self.audit_query())
        data = self.get_serializer(objects, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()  # scoped: 404 outside
        self.audit_read(AuditAction.VIEW, [instance])
        return Response(self.get_serializer(instance).data)
