"""End to end in headless Chromium: an operator presses "next call", sees whom to call, fills the survey (the
conditional question appears when its condition holds) and records the call.

Runs against pytest-django's live server; needs a Chromium (tests/browser.py), fails without one, never skips.
"""

from __future__ import annotations

import pytest

from surveys.models import CallItem, ItemState, SurveyResponse
from tests.screening.test_e2e_upload import browser, page, sign_in
from tests.surveys.test_api import one_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["browser", "page"]


def test_an_operator_takes_a_call_and_fills_the_survey(page, region):
    item = one_item(region)
    sign_in(page, region.smo1_l1.username)
    page.goto("/surveys/calls/")
    page.click("[data-testid=next-call]")
    page.locator("[data-testid=call-card]").wait_for()
    assert item.person.first_name in page.locator("[data-testid=person-name]").inner_text()
    assert page.locator("[data-testid=phone]").inner_text() == item.phone

    reason = page.locator("fieldset[data-question=reason]")
    assert reason.is_hidden()  # asked only if "came" is "no"
    page.check("#q_informed_1")  # yes
    page.check("#q_came_2")  # no
    reason.wait_for(state="visible")
    page.check("#q_reason_4")  # queues
    page.check("#q_will_come_1")
    page.select_option("[data-testid=outcome]", "REACHED")
    page.click("[data-testid=save-stay]")
    page.locator("[data-testid=next-call]").wait_for()

    response = SurveyResponse.objects.get()
    assert response.answers == {"informed": "yes", "came": "no", "reason": ["queue"], "will_come": "yes"}
    assert CallItem.objects.get(pk=item.pk).state == ItemState.DONE
