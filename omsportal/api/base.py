"""Base pieces of the REST API v1 that every app's API reuses: scoped viewsets, pagination, ordering, audit.

One way to scope data (NetBox style): :class:`ScopedAPIMixin.get_queryset` passes every queryset through
``omsportal.scoping.restrict(queryset, request.user)``. Subclasses give their unscoped queryset through
``queryset = ...`` or ``get_base_queryset()`` and may not define ``get_queryset()`` (a TypeError at import),
so a later app's API view cannot forget to scope. A row outside the user's scope is a 404, the same answer as
one that does not exist [domain §2, §10].

How a later app adds its API (e.g. ``screening``):

1. Let the model say who sees what: a ``scope_for_user(user) -> Q | None`` classmethod or staticmethod on the
   model (``Q()`` = everything, ``None`` = nothing); Person rows go through the person rules of
   ``omsportal.scoping`` by themselves. ``omsportal.scoping.own_organization_q`` covers
   "rows of my organization".
2. ``screening/api/views.py``::

       class ListUploadViewSet(ScopedViewSet):
           queryset = ListUpload.objects.select_related("mo")   # unscoped; the base restricts it
           serializer_class = ListUploadSerializer
           permission_classes = [HasRole(Role.MO_STAFF, Role.FUND)]
           filterset_class = ListUploadFilterSet
           ordering_fields = ["created_at", "id"]
           ordering = ["-created_at"]

   Rows carrying personal data also mix in :class:`AuditedReadMixin` (before ``ScopedViewSet``) and override
   ``audit_person_ids()`` (e.g. ``[e.person_id for e in objects]``): lists then write ``AuditAction.SEARCH`` and
   details ``AuditAction.VIEW`` with channel ``"api"``. Writable endpoints combine :class:`ScopedAPIMixin`
   with DRF's ``mixins.CreateModelMixin`` etc. and ``GenericViewSet``; their serializers only parse and the
   view calls the app's service (``list_upload_create(...)``); use ``ReadOnlyOrRole(...)`` so read-only members
   get 403 on writes while outsiders still get 404.
3. ``screening/api/urls.py``: ``app_name = "screening_api"``, a ``SimpleRouter()`` (not ``DefaultRouter``: the
   apps share ``/api/v1/``) with its routes; then add ``path("", include("screening.api.urls"))`` to
   ``omsportal/api_urls.py``.
4. Check the schema: ``manage.py spectacular --validate --fail-on-warn`` (give ``SerializerMethodField``
   getters return type hints, ``@extend_schema`` on custom actions).
5. Test each endpoint with the owner / read-only member / outsider pattern (see tests/participants/test_api_*.py).
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
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from omsportal.audit import audit_record
from omsportal.models import AuditAction
from omsportal.scoping import restrict
from participants.models import Person

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
    permission_classes = [IsAuthenticated]
    pagination_class = PortalPagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in vars(cls):
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); override get_base_queryset() instead, "
                "so that omsportal.scoping.restrict() still applies"
            )
        queryset = vars(cls).get("queryset")
        if queryset is not None:
            model = queryset.model
            if model is not Person and getattr(model, "scope_for_user", None) is None:
                raise TypeError(f"{model.__name__} must declare scope_for_user(user) to be served by {cls.__name__}")

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

    audit_object_type = "person"
    audit_channel = "api"

    def audit_person_ids(self, objects: Sequence[Model]) -> list[int]:
        """Ids of the persons whose data ``objects`` show; override for rows that point to a person."""
        return [obj.pk for obj in objects]

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
            object_type=self.audit_object_type,
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
