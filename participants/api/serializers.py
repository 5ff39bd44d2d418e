"""Serializers of the participants API: read-only shapes of persons, organizations and the current user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from participants.access import SEE_PERSONS
from participants.models import AttachmentPeriod, District, Organization, Person, PolicyPeriod, User


class OrganizationBriefSerializer(serializers.ModelSerializer):
    """An organization named inside another object."""

    class Meta:
        model = Organization
        fields = ["id", "kind", "code", "name", "short_name"]


class OrganizationSerializer(serializers.ModelSerializer):
    """A row of the organization directory."""

    class Meta:
        model = Organization
        fields = ["id", "kind", "code", "name", "short_name", "address", "hours", "phone", "email", "is_active"]


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "number", "kind", "name"]


class OrganizationDetailSerializer(OrganizationSerializer):
    """An organization with its responsible person and, for an MO, its districts [R II.24]."""

    districts = DistrictSerializer(many=True, read_only=True)

    class Meta(OrganizationSerializer.Meta):
        fields = [
            *OrganizationSerializer.Meta.fields,
            "responsible_name",
            "responsible_phone",
            "responsible_email",
            "districts",
        ]


class PolicyPeriodSerializer(serializers.ModelSerializer):
    smo = OrganizationBriefSerializer(
        read_only=True, allow_null=True, help_text=_("Пусто, если код СМО не в справочнике")
    )

    class Meta:
        model = PolicyPeriod
        fields = ["smo_code", "smo", "date_from", "date_to"]


class AttachmentPeriodSerializer(serializers.ModelSerializer):
    mo = OrganizationBriefSerializer(
        read_only=True, allow_null=True, help_text=_("Пусто, если код МО не в справочнике")
    )

    class Meta:
        model = AttachmentPeriod
        fields = ["mo_code", "mo", "district", "date_from", "date_to"]


class PersonListSerializer(serializers.ModelSerializer):
    """A person in a search result, with today's SMO and MO (from ``persons_with_current_links``)."""

    current_smo_code = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Код СМО, страхующей сегодня")
    )
    current_mo_code = serializers.CharField(read_only=True, allow_null=True, help_text=_("Код МО прикрепления сегодня"))
    current_district = serializers.CharField(read_only=True, allow_null=True, help_text=_("Участок прикрепления"))

    class Meta:
        model = Person
        fields = [
            "id",
            "enp",
            "snils",
            "last_name",
            "first_name",
            "patronymic",
            "sex",
            "birth_date",
            "death_date",
            "current_smo_code",
            "current_mo_code",
            "current_district",
        ]


class PersonDetailSerializer(PersonListSerializer):
    """A person's card: contacts, informing opt-out and the whole policy and attachment history, newest first."""

    policies = PolicyPeriodSerializer(many=True, read_only=True)
    attachments = AttachmentPeriodSerializer(many=True, read_only=True)

    class Meta(PersonListSerializer.Meta):
        fields = [
            *PersonListSerializer.Meta.fields,
            "address",
            "phone",
            "email",
            "informing_opt_out",
            "opt_out_date",
            "updated_at",
            "policies",
            "attachments",
        ]


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user: who they are, their role and organization."""

    role_display = serializers.CharField(source="get_role_display", read_only=True)
    display_name = serializers.CharField(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    can_see_persons = serializers.SerializerMethodField(help_text=_("Работает ли роль с карточками лиц"))

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "last_name",
            "first_name",
            "patronymic",
            "display_name",
            "email",
            "role",
            "role_display",
            "organization",
            "can_see_persons",
        ]

    def get_can_see_persons(self, user: User) -> bool:
        return SEE_PERSONS.allows(user)


class TokenRequestSerializer(serializers.Serializer):
    """Credentials exchanged for an API token (documentation shape; parsing is DRF's AuthTokenSerializer)."""

    username = serializers.CharField(label=_("Имя пользователя"))
    password = serializers.CharField(label=_("Пароль"), style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=_("Передавайте в заголовке запросов: Authorization: Token <token>")
    )
