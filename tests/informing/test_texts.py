"""Texts approved by the Fund: versions, placeholders, SMS length, the live preview (audited)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from informing.models import TemplateVersion, VersionStatus
from informing.services.texts import (
    approved_version,
    template_create,
    template_text_change,
    version_approve,
    version_return,
    version_submit,
)
from informing.texts import render, sms_length, unknown_placeholders
from omsportal.models import AuditLog

pytestmark = pytest.mark.django_db

BODY = "{имя_отчество}, приглашаем на диспансеризацию в {мо} ({адрес_мо}), {часы_мо}. Тел. {телефон_смо}"


def make(region, body=BODY):
    return template_create(smo=region.smo1, kind="INVITE", channel="SMS", name="Приглашение", body=body,
                           created_by=region.smo1_l2)  # fmt: skip


def test_an_unknown_placeholder_is_a_form_error_not_a_crash(region):
    assert unknown_placeholders("{имя_отчество} {фамилия}") == ["фамилия"]
    with pytest.raises(ValidationError) as exc:
        make(region, body="Здравствуйте, {фамилия}!")
    assert "{фамилия}" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        make(region, body="Скобка { без подстановки")


def test_versions_draft_submitted_approved_and_a_changed_approved_text_needs_approval_again(region):
    template = make(region)
    v1 = template.versions.get()
    assert approved_version(template) is None
    with pytest.raises(ValidationError):
        version_approve(version=v1, user=region.fund_user)  # a draft is not decided
    version_submit(version=v1, user=region.smo1_l2)
    with pytest.raises(PermissionDenied):
        version_approve(version=v1, user=region.smo1_l2)
    version_approve(version=v1, user=region.fund_user)
    assert approved_version(template) == v1
    v2 = template_text_change(template=template, body=BODY + " Ждём!", changed_by=region.smo1_l2)
    assert (v2.number, v2.status) == (2, VersionStatus.DRAFT)
    assert approved_version(template) == v1  # the approved one still serves until v2 is approved
    version_submit(version=v2, user=region.smo1_l2)
    with pytest.raises(ValidationError):
        version_return(version=v2, user=region.fund_user, comment="")
    version_return(version=v2, user=region.fund_user, comment="Уберите восклицательный знак")
    v3 = template_text_change(template=template, body=BODY, changed_by=region.smo1_l2)
    assert v3.number == 3
    assert list(TemplateVersion.objects.filter(template=template).values_list("number", "status")) == [
        (3, "DRAFT"), (2, "RETURNED"), (1, "APPROVED"),
    ]  # fmt: skip


def test_sms_length_and_segments_for_cyrillic():
    assert (sms_length("а" * 70).segments, sms_length("а" * 71).segments) == (1, 2)
    assert sms_length("а" * 134).segments == 2
    assert sms_length("а" * 135).segments == 3
    assert sms_length("a" * 160).segments == 1 and sms_length("a" * 161).segments == 2
    assert sms_length("Привет").per_segment == 70


def test_render_replaces_known_placeholders_only():
    assert render("{имя_отчество}: {x} {месяц}", {"имя_отчество": "Мария Петровна", "месяц": "март"}) == (
        "Мария Петровна: {x} март"
    )


def test_the_live_preview_shows_a_sample_person_and_is_audited(client, region):
    template = make(region)
    client.force_login(region.smo1_l2)
    response = client.post(reverse("informing:text_preview", args=[template.pk]), {"body": "{имя_отчество}, ждём"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Мария Петровна, ждём" in html
    assert "частей СМС: 1" in html
    assert AuditLog.objects.filter(object_type="text_preview", person_ids=[region.p1.pk]).exists()
    # Another SMO's template does not exist for this user.
    client.force_login(region.smo2_l2)
    assert client.post(reverse("informing:text_preview", args=[template.pk]), {"body": "x"}).status_code == 404


def test_the_fund_approves_in_the_browser_and_level_3_only_reads(client, region):
    template = make(region)
    version_submit(version=template.versions.get(), user=region.smo1_l2)
    url = reverse("informing:text", args=[template.pk])
    client.force_login(region.smo1_l3)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "save", "body": BODY}).status_code == 403
    client.force_login(region.fund_user)
    version = template.versions.get()
    assert client.post(url, {"action": "approve", "version": version.pk}).status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED


def test_a_text_cut_where_the_name_goes_renders_as_the_whole_text_does():
    """A batch renders each text once per MO and month and puts each person's name into the slots: the same text as
    rendering per person, escaped for COPY the same way, whatever the values hold."""
    from informing.services.batches import _copy_text
    from informing.texts import _NAME_SLOT, name_slots, render

    values = {"мо": "ГБУЗ {мо} «Поликлиника\t№ 1»", "адрес_мо": "ул. Ленина, 1\\2", "часы_мо": "8:00–20:00",
              "телефон_мо": "", "телефон_смо": "+74212000000", "месяц": "май"}  # fmt: skip
    bodies = [
        "{имя_отчество}, приглашаем в {мо} ({адрес_мо}), {часы_мо}. Тел. {телефон_смо}",
        "Уважаемая(ый) {имя_отчество}! {имя_отчество}, ждём вас в {месяц}.",
        "Без обращения: {мо}, {неизвестно} и {скобки",
        "",
    ]
    for body in bodies:
        for name in ("Мария Петровна", "", "А{мо}\tБ\\"):
            whole = render(body, {**values, "имя_отчество": name})
            parts = name_slots(body, values)
            assert name.join(parts) == whole
            assert _copy_text(name).join(_copy_text(p) for p in parts) == _copy_text(whole)
    assert name_slots("x" + _NAME_SLOT, values) is None
    assert name_slots("{мо}", {**values, "мо": _NAME_SLOT}) is None
