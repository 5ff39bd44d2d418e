"""The Django admin speaks Russian with its cases: «Выберите пользователя для изменения», «Добавить организацию»."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    return re.sub(r"\s+", " ", client.get(url).content.decode())


@pytest.mark.parametrize(
    ("model", "choose", "add"),
    [
        ("participants_user", "Выберите пользователя для изменения", "Добавить пользователя"),
        ("participants_organization", "Выберите организацию для изменения", "Добавить организацию"),
        ("participants_medicalworker", "Выберите медицинского работника для изменения",
         "Добавить медицинского работника"),
        ("auth_group", "Выберите группу для изменения", "Добавить группу"),
    ],
)  # fmt: skip
def test_the_changelist_and_add_page_name_the_model_in_the_accusative(client, region, model, choose, add):
    client.force_login(region.admin_user)
    changelist = page(client, reverse(f"admin:{model}_changelist"))
    assert choose in changelist and add in changelist
    assert "Выберите пользователь" not in changelist and "Добавить организация" not in changelist
    assert add in page(client, reverse(f"admin:{model}_add"))


def test_the_change_page_and_bulk_delete_read_right(client, region):
    client.force_login(region.admin_user)
    change = page(client, reverse("admin:participants_organization_change", args=[region.mo1.pk]))
    assert "Изменить организацию" in change
    changelist = page(client, reverse("admin:participants_user_changelist"))
    assert "Удалить выбранные записи: пользователи" in changelist


def test_the_administrator_home_page_links_to_the_admin(client, region):
    client.force_login(region.admin_user)
    home = page(client, reverse("home"))
    assert f'href="{reverse("admin:index")}"' in home and "Администрирование" in home
    client.force_login(region.fund_user)
    assert f'href="{reverse("admin:index")}"' not in page(client, reverse("home"))
