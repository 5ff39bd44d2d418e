"""The surveys' demo steps: call lists built by level 2, calls and surveys by the operators, appeals."""

from __future__ import annotations

import pytest

from surveys.models import Appeal, AppealStatus, CallAttempt, CallList, SurveyResponse
from tests.screening.test_demo_year import _seed

pytestmark = pytest.mark.django_db


def test_the_demo_year_has_call_lists_surveys_and_appeals():
    out = _seed()
    assert "Списки обзвона и опросы" in out and "Обращения застрахованных" in out
    lists = CallList.objects.all()
    assert lists.count() == 2 and all(cl.status == "DONE" for cl in lists)
    assert CallAttempt.objects.exists()
    for response in SurveyResponse.objects.all():
        assert response.version.questionnaire.code == "why-not-passed" and response.answers
    assert Appeal.objects.count() == 8
    assert Appeal.objects.filter(status=AppealStatus.ANSWERED).count() == 4
    assert Appeal.objects.filter(channel="WRITTEN", status=AppealStatus.OPEN).count() == 2  # overdue ones
