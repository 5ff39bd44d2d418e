"""The appeals register: registration by level 1, routing with a deadline, the answer and the informing of the
result, overdue appeals per representative, role isolation."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Appeal, AppealStatus, AppealTopic
from surveys.services.appeals import AppealError, appeal_answer, appeal_due, appeal_register, appeal_route
from tests.scoping_base import assert_statuses


def topic():
    return AppealTopic.objects.get(code="02")


@pytest.mark.django_db
def test_a_written_appeal_is_due_in_thirty_days_moved_off_a_day_off(region):
    received = datetime.date(2026, 4, 1)  # + 30 = 1 May, a holiday: the next working day
    appeal = appeal_register(user=region.smo1_l1, channel="WRITTEN", topic=topic(), text="Жалоба", received_on=received)
    assert appeal.due_on == datetime.date(2026, 5, 4)  # 2 and 3 May are a weekend
    # 3 April + 30 days = Sunday 3 May: due Monday 4 May.
    assert appeal_due(datetime.date(2026, 4, 3)) == datetime.date(2026, 5, 4)
    assert appeal_due(datetime.date(2026, 4, 14)) == datetime.date(2026, 5, 14)  # a working day: as it is
    oral = appeal_register(user=region.smo1_l1, channel="PHONE", topic=topic(), text="Вопрос")
    assert oral.due_on is None and oral.level == 1 and oral.assignee == region.smo1_l1


@pytest.mark.django_db
def test_the_written_appeal_deadline_is_the_regional_parameter(region):
    from omsportal.models import RegionalParameters

    rules = RegionalParameters.objects.filter(pk=1).first() or RegionalParameters(pk=1)
    rules.appeal_written_days = 10
    rules.save()
    received = datetime.date(2026, 4, 3)
    assert appeal_due(received) == datetime.date(2026, 4, 13)  # + 10 days: Monday 13 April
    appeal = appeal_register(user=region.smo1_l1, channel="WRITTEN", topic=topic(), text="Жалоба", received_on=received)
    assert appeal.due_on == datetime.date(2026, 4, 13)
    rules.appeal_written_days = 8  # + 8 days: Saturday 11 April, due Monday 13 April
    rules.save()
    assert appeal_due(received) == datetime.date(2026, 4, 13)
    rules.appeal_written_days = 12
    rules.save()
    assert appeal_due(received) == datetime.date(2026, 4, 15)


@pytest.mark.django_db
def test_level_one_routes_to_level_two_which_answers_and_informs(region):
    appeal = appeal_register(user=region.smo1_l1, channel="PHONE", topic=topic(), text="Отказали в записи",
                             enp=region.p1.enp)  # fmt: skip
    assert appeal.person == region.p1
    with pytest.raises(AppealError):
        appeal_answer(user=region.smo1_l2, appeal=appeal, answer="…")  # not level 2's turn yet
    appeal = appeal_route(user=region.smo1_l1, appeal=appeal, level=2, assignee=region.smo1_l2)
    assert (appeal.level, appeal.status, appeal.due_on) == (2, AppealStatus.ROUTED, appeal_due(timezone.localdate()))
    with pytest.raises(AppealError):
        appeal_answer(user=region.smo1_l1, appeal=appeal, answer="…")  # level 1 no longer answers it
    appeal = appeal_answer(user=region.smo1_l2, appeal=appeal, answer="Записали на 5 мая", inform_channel="PHONE")
    assert appeal.status == AppealStatus.ANSWERED and appeal.result_informed_on == timezone.localdate()
    from informing.models import InformingFact

    fact = InformingFact.objects.get(person=region.p1)
    assert (fact.kind, fact.channel, fact.reference) == ("APPEAL", "PHONE", f"appeal-{appeal.pk}")


@pytest.mark.django_db
def test_bad_registrations_change_nothing(region):
    for kwargs in ({"text": ""}, {"enp": "123"}, {"enp": "1" * 16}, {"channel": "FAX"},
                   {"received_on": timezone.localdate() + datetime.timedelta(days=1)}):  # fmt: skip
        options = {"user": region.smo1_l1, "channel": "PHONE", "topic": topic(), "text": "x", **kwargs}
        with pytest.raises(AppealError):
            appeal_register(**options)
    assert not Appeal.objects.exists()


@pytest.mark.django_db
def test_overdue_appeals_are_highlighted_per_representative_and_for_the_head(client, region):
    late = appeal_register(user=region.smo1_l1, channel="WRITTEN", topic=topic(), text="Старое",
                           received_on=timezone.localdate() - datetime.timedelta(days=60))  # fmt: skip
    appeal_register(user=region.smo1_l1, channel="PHONE", topic=topic(), text="Новое")
    client.force_login(region.smo1_l1)
    page = client.get(reverse("surveys:appeals") + "?mine=1").content.decode()
    assert page.count('data-overdue="1"') == 1
    client.force_login(region.smo1_l2)
    lines = client.get(reverse("surveys:appeals_overdue")).context["lines"]
    assert [(line["user"], line["open"], line["overdue"]) for line in lines] == [(region.smo1_l1, 2, 1)]
    assert late.due_on < timezone.localdate()


@pytest.mark.django_db
def test_appeal_pages_by_role(client, region):
    appeal = appeal_register(user=region.smo1_l1, channel="PHONE", topic=topic(), text="Вопрос", enp=region.p1.enp)
    assert_statuses(
        client, reverse("surveys:appeal", args=[appeal.pk]),
        [(200, [region.smo1_l1, region.smo1_l2, region.smo1_l3, region.fund_user]),
         (404, [region.smo2_l2, region.mo1_user, region.ministry_user, region.admin_user])],
    )  # fmt: skip
    client.force_login(region.fund_user)  # the Fund reads, never answers
    response = client.post(reverse("surveys:appeal", args=[appeal.pk]), {"action": "answer", "answer": "x"})
    assert response.status_code == 403
    client.force_login(region.smo1_l1)
    response = client.post(reverse("surveys:appeal_create"), {"channel": "PHONE", "topic": topic().pk, "text": "",
                                                              "enp": ""})  # fmt: skip
    assert response.status_code == 400 and Appeal.objects.count() == 1
