"""API v1 of participants: token, current user, persons (scoped, audited) and the organization directory."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from omsportal.access import SIGNED_IN
from omsportal.api.base import API_AUTHENTICATION_CLASSES, AuditedReadMixin, ScopedViewSet
from participants.access import READ_DIRECTORY
from participants.models import District, Organization, Person, User
from participants.selectors.persons import person_history_prefetch, persons_with_current_links

from .filters import OrganizationFilterSet, PersonFilterSet
from .serializers import (
    MeSerializer,
    OrganizationDetailSerializer,
    OrganizationSerializer,
    PersonDetailSerializer,
    PersonListSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

TOKEN_DOC = _(
    "Обменивает имя пользователя и пароль портала на токен API. Токен передаётся в каждом запросе в заголовке "
    "`Authorization: Token <токен>`; он действует, пока его не отзовут (DELETE по этому же адресу) или не "
    "сменят пароль через администратора. Повторный запрос возвращает тот же токен. Частые неудачные попытки "
    "ограничиваются (не более 20 запросов в минуту с одного адреса)."
)


class TokenObtainThrottle(AnonRateThrottle):
    """Slows down password guessing against the token endpoint, per client IP."""

    scope = "api_token"
    rate = "20/min"


@extend_schema_view(
    post=extend_schema(
        summary=_("Получить токен API"),
        description=TOKEN_DOC,
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description=_("Неверное имя пользователя или пароль")),
            429: OpenApiResponse(description=_("Слишком много попыток")),
        },
        auth=[],
        tags=["auth"],
    ),
    delete=extend_schema(
        summary=_("Отозвать свой токен API"),
        description=_("Удаляет токен текущего пользователя; следующий POST выдаст новый."),
        request=None,
        responses={204: OpenApiResponse(description=_("Токен удалён"))},
        tags=["auth"],
    ),
)
class TokenView(ObtainAuthToken):
    """POST: username + password -> token (no authentication needed); DELETE: revoke the caller's token."""

    serializer_class = AuthTokenSerializer
    throttle_classes = [TokenObtainThrottle]

    def _is_obtain(self) -> bool:
        request = getattr(self, "request", None)  # None while drf-spectacular builds the schema
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        # Credentials travel in the body: a browser session must not turn the POST into a CSRF-checked one.
        return [] if self._is_obtain() else [cls() for cls in API_AUTHENTICATION_CLASSES]

    def get_permissions(self):
        return [AllowAny()] if self._is_obtain() else [IsAuthenticated()]

    def delete(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary=_("Текущий пользователь"),
    description=_("Имя, роль и организация пользователя, от имени которого выполняется запрос."),
    tags=["auth"],
)
class MeView(generics.RetrieveAPIView):
    """The signed-in user: name, role and organization."""

    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get_object(self) -> User:
        return User.objects.select_related("organization").get(pk=self.request.user.pk)


@extend_schema_view(
    list=extend_schema(
        summary=_("Поиск застрахованных лиц"),
        description=_(
            "Только лица, которых видит пользователь: СМО — свои застрахованные по текущему регистру, МО — "
            "прикреплённые к ней, ТФОМС — весь регион; министерству и администратору лица не показываются. "
            "Каждый запрос записывается в журнал доступа к персональным данным."
        ),
    ),
    retrieve=extend_schema(
        summary=_("Карточка застрахованного лица"),
        description=_(
            "Карточка с историей страхования и прикрепления. Лицо вне области видимости пользователя — 404. "
            "Просмотр записывается в журнал доступа."
        ),
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("Идентификатор лица"))],
    ),
)
class PersonViewSet(AuditedReadMixin, ScopedViewSet):
    """Insured persons: search list and card, scoped by omsportal.scoping and audited."""

    # Every signed-in user may ask; the scope decides whom they find (the Ministry and administrators: nobody).
    capability = SIGNED_IN
    filterset_class = PersonFilterSet
    ordering_fields = ["last_name", "first_name", "patronymic", "birth_date", "enp", "id"]
    ordering = ["last_name", "first_name", "patronymic", "birth_date", "id"]

    def get_base_queryset(self) -> QuerySet[Person]:
        queryset = persons_with_current_links(Person.objects.all())
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(*person_history_prefetch())
        return queryset

    def get_serializer_class(self):
        return PersonDetailSerializer if self.action == "retrieve" else PersonListSerializer


@extend_schema_view(
    list=extend_schema(
        summary=_("Справочник организаций"),
        description=_("МО, СМО, ТФОМС и министерство с контактами и режимом работы; доступен всем пользователям."),
    ),
    retrieve=extend_schema(
        summary=_("Организация с участками"),
        description=_("Карточка организации с ответственным лицом и, для МО, её участками."),
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("Идентификатор организации"))],
    ),
)
class OrganizationViewSet(ScopedViewSet):
    """The directory of MOs, SMOs, the Fund and the Ministry with contacts; open to every signed-in user."""

    queryset = Organization.objects.all()
    capability = READ_DIRECTORY
    filterset_class = OrganizationFilterSet
    ordering_fields = ["kind", "code", "name", "id"]
    ordering = ["kind", "code"]

    def get_base_queryset(self) -> QuerySet[Organization]:
        queryset = super().get_base_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(Prefetch("districts", queryset=District.objects.order_by("number")))
        return queryset

    def get_serializer_class(self):
        return OrganizationDetailSerializer if self.action == "retrieve" else OrganizationSerializer
