"""API v1 authentication: token obtain / use / revoke, session, anonymous refusals, /me/, the OpenAPI schema."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

TOKEN_URL = reverse("participants_api:auth-token")
ME_URL = reverse("participants_api:me")
PERSONS_URL = reverse("participants_api:person-list")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the token endpoint's attempt counter lives in the cache
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def is_russian(text: str) -> bool:
    return bool(re.search(r"[а-яА-ЯёЁ]{3}", text))


def obtain(api, username, password, **kwargs):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", **kwargs)


@pytest.mark.django_db
class TestToken:
    def test_username_and_password_give_a_token_that_authenticates(self, api, region):
        response = obtain(api, "smo1_l2", "pw")
        assert response.status_code == 200
        token = response.json()["token"]
        assert Token.objects.get(user=region.smo1_l2).key == token
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get(ME_URL).json()["username"] == "smo1_l2"
        assert {row["id"] for row in client.get(PERSONS_URL).json()["results"]} == {region.p1.pk}

    def test_asking_again_returns_the_same_token(self, api, region):
        assert obtain(api, "fund", "pw").json() == obtain(api, "fund", "pw").json()

    def test_form_encoded_credentials_work_too(self, api, region):
        response = api.post(TOKEN_URL, {"username": "fund", "password": "pw"})
        assert response.status_code == 200

    def test_a_wrong_password_is_refused_in_russian_without_a_token(self, api, region):
        response = obtain(api, "fund", "wrong")
        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]
        assert is_russian(response.json()["non_field_errors"][0])
        assert not Token.objects.exists()

    def test_missing_fields_are_named(self, api, region):
        response = api.post(TOKEN_URL, {"username": "fund"}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["password"]
        assert is_russian(response.json()["password"][0])

    def test_an_inactive_user_gets_no_token(self, api, region):
        region.fund_user.is_active = False
        region.fund_user.save()
        assert obtain(api, "fund", "pw").status_code == 400

    def test_a_token_of_a_deactivated_user_stops_working(self, api, region):
        token = obtain(api, "fund", "pw").json()["token"]
        region.fund_user.is_active = False
        region.fund_user.save()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api.get(ME_URL)
        assert response.status_code == 401
        assert is_russian(response.json()["detail"])

    def test_a_bad_token_is_401_in_russian(self, api, region):
        api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
        response = api.get(PERSONS_URL)
        assert response.status_code == 401
        assert "токен" in response.json()["detail"]
        assert response["WWW-Authenticate"] == "Token"

    def test_a_browser_session_does_not_make_the_token_request_csrf_checked(self, region):
        browser = APIClient(enforce_csrf_checks=True)
        browser.force_login(region.fund_user)
        assert obtain(browser, "fund", "pw").status_code == 200

    def test_revoking_the_token(self, api, region):
        token = obtain(api, "mo1", "pw").json()["token"]
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api.delete(TOKEN_URL).status_code == 204
        assert api.get(ME_URL).status_code == 401
        assert not Token.objects.filter(user=region.mo1_user).exists()

    def test_revoking_needs_authentication(self, api, region):
        assert api.delete(TOKEN_URL).status_code == 401

    def test_repeated_attempts_are_throttled(self, api, region):
        for _ in range(20):
            assert obtain(api, "fund", "wrong").status_code == 400
        response = obtain(api, "fund", "pw")
        assert response.status_code == 429
        assert "Запрос был проигнорирован" in response.json()["detail"]
        assert not Token.objects.exists()


@pytest.mark.django_db
class TestSessionAndAnonymous:
    def test_a_logged_in_browser_session_authenticates(self, client, region):
        client.force_login(region.mo1_user)
        response = client.get(PERSONS_URL)
        assert response.status_code == 200
        assert response.json()["count"] == 1

    @pytest.mark.parametrize(
        "url",
        [
            ME_URL,
            PERSONS_URL,
            reverse("participants_api:organization-list"),
        ],
    )
    def test_anonymous_gets_401_with_a_token_challenge(self, api, region, url):
        response = api.get(url)
        assert response.status_code == 401
        assert is_russian(response.json()["detail"])
        assert response["WWW-Authenticate"] == "Token"

    def test_anonymous_gets_401_on_a_card(self, api, region):
        assert api.get(reverse("participants_api:person-detail", args=[region.p1.pk])).status_code == 401


@pytest.mark.django_db
class TestMe:
    def test_me_describes_the_user_role_and_organization(self, api, region):
        region.smo1_l2.last_name, region.smo1_l2.first_name = "Сидорова", "Анна"
        region.smo1_l2.save()
        api.force_authenticate(region.smo1_l2)
        body = api.get(ME_URL).json()
        assert body["username"] == "smo1_l2"
        assert body["display_name"] == "Сидорова Анна"
        assert (body["role"], body["role_display"]) == ("SMO_L2", "Страховой представитель 2 уровня")
        assert body["organization"] == {
            "id": region.smo1.pk,
            "kind": "SMO",
            "code": "27001",
            "name": region.smo1.name,
            "short_name": region.smo1.short_name,
        }
        assert body["can_see_persons"] is True

    def test_me_for_an_administrator_without_organization(self, api, region):
        api.force_authenticate(region.admin_user)
        body = api.get(ME_URL).json()
        assert body["organization"] is None
        assert body["can_see_persons"] is False

    def test_me_shows_only_the_caller(self, api, region):
        api.force_authenticate(region.mo2_user)
        assert api.get(ME_URL, {"id": region.fund_user.pk}).json()["username"] == "mo2"


@pytest.mark.django_db
class TestSchema:
    def test_schema_endpoint_serves_the_api(self, api, region):
        response = api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi")
        assert response.status_code == 200
        schema = yaml.safe_load(response.content)
        assert {"/api/v1/persons/", "/api/v1/persons/{id}/", "/api/v1/organizations/", "/api/v1/me/"} <= set(
            schema["paths"]
        )
        token_post = schema["paths"]["/api/v1/auth/token/"]["post"]
        assert token_post.get("security", []) in ([], [{}])  # obtaining a token needs no credentials
        assert "tokenAuth" in schema["components"]["securitySchemes"]

    def test_docs_page_is_served_from_our_own_static_files(self, client, region):
        response = client.get(reverse("api-docs"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "swagger-ui" in page
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the docs page must not load from a CDN"

    def test_schema_validates_without_warnings(self, tmp_path):
        # Raises on any warning or on an invalid OpenAPI document.
        out = tmp_path / "schema.yml"
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
        assert "/api/v1/persons/" in out.read_text()
