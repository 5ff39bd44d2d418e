import pytest
from django.urls import reverse


@pytest.mark.django_db
class TestLoginAndHome:
    def test_login_page_is_russian(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert "Вход в портал" in response.content.decode()

    def test_anonymous_home_redirects_to_login(self, client):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_login_and_home_lists_role_duties(self, client, region):
        response = client.post(reverse("login"), {"username": "fund", "password": "pw"})
        assert response.status_code == 302
        page = client.get(reverse("home")).content.decode()
        assert "Загружает регистр застрахованных лиц" in page
        assert "Загружает годовые списки" not in page

    def test_wrong_password_is_refused_in_russian(self, client, region):
        response = client.post(reverse("login"), {"username": "fund", "password": "wrong"})
        assert "Неверное имя пользователя или пароль" in response.content.decode()

    def test_logout_ends_the_session(self, client, region):
        client.force_login(region.fund_user)
        client.post(reverse("logout"))
        assert client.get(reverse("home")).status_code == 302

    def test_password_change(self, client, region):
        client.force_login(region.mo1_user)
        response = client.post(
            reverse("password_change"),
            {"old_password": "pw", "new_password1": "Zz-long-pass-4821", "new_password2": "Zz-long-pass-4821"},
        )
        assert response.status_code == 302
        region.mo1_user.refresh_from_db()
        assert region.mo1_user.check_password("Zz-long-pass-4821")
