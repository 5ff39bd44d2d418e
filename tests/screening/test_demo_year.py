"""seed_demo's year in motion (omsportal.demo + screening/demo.py): built through the services, dated as in life."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from omsportal.demo import DemoContext, demo_steps
from participants.models import Organization
from screening.models import (
    EntryState,
    EventBatch,
    ListEntry,
    ListUpload,
    PlanStatus,
    StageEvent,
    UploadStatus,
    YearPlan,
)

pytestmark = pytest.mark.django_db


def _seed(**kwargs) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **({"persons": 1500, "mos": 3, "smos": 2, "seed": 3} | kwargs))
    return out.getvalue()


@pytest.fixture
def year_seeded():
    return _seed()


def test_the_steps_are_declared_in_order_and_other_apps_can_add_theirs():
    names = [step.name for step in demo_steps()]
    assert names[:4] == ["screening.plan", "screening.lists", "screening.corrections", "screening.events"]
    assert [step.order for step in demo_steps()] == sorted(step.order for step in demo_steps())


def test_the_ministry_plan_is_approved_in_january(year_seeded):
    today = timezone.localdate()
    plan = YearPlan.objects.get(year=today.year)
    assert plan.status == PlanStatus.APPROVED and plan.approved_by.username == "ministry"
    assert timezone.localtime(plan.approved_at).date() < datetime.date(today.year, 1, 20)
    mos = Organization.objects.filter(kind="MO")
    assert set(plan.lines.values_list("mo_id", flat=True)) == set(mos.values_list("id", flat=True))
    assert "Годовой план министерства" in year_seeded


def test_every_mo_uploads_its_list_and_gets_a_protocol_with_the_usual_errors(year_seeded):
    year = timezone.localdate().year
    mos = Organization.objects.filter(kind="MO")
    codes: set[str] = set()
    for mo in mos:
        uploads = ListUpload.objects.filter(mo=mo, year=year).order_by("created_at")
        assert uploads and all(u.status == UploadStatus.DONE and u.protocol_issued_at for u in uploads)
        assert uploads[0].uploaded_by.username == f"mo_{mo.code}"
        first = uploads[0]
        assert timezone.localtime(first.created_at).date() < datetime.date(year, 1, 1)  # in December before
        assert first.processing_date == timezone.localtime(first.created_at).date()
        assert 0 < first.records_rejected < first.records_total * 0.15
        codes |= set(first.counts_by_code)
        current = uploads.filter(is_current=True).get()
        assert ListEntry.objects.filter(mo=mo, year=year).count() == current.records_accepted
    assert {"203", "401", "302"} <= codes


def test_two_mos_correct_their_list_within_five_working_days(year_seeded):
    year = timezone.localdate().year
    corrected = 0
    for mo in Organization.objects.filter(kind="MO"):
        uploads = list(ListUpload.objects.filter(mo=mo, year=year).order_by("created_at"))
        if len(uploads) == 2:
            corrected += 1
            first, second = uploads
            assert second.is_current and not first.is_current
            assert timezone.localtime(second.created_at).date() <= first.correction_due
            assert second.records_rejected < first.records_rejected
    assert corrected == 2


def test_stage_events_run_through_the_months_so_far(year_seeded):
    today = timezone.localdate()
    events = StageEvent.objects.filter(date__year=today.year)
    assert events.exists() and not events.filter(date__gt=today).exists()
    months = set(events.values_list("date__month", flat=True))
    assert set(range(1, today.month)) <= months | {1}
    states = set(ListEntry.objects.filter(year=today.year).values_list("state", flat=True))
    assert {EntryState.LISTED, EntryState.PMO_DONE, EntryState.STAGE1_DONE} <= states
    batches = EventBatch.objects.all()
    assert batches.filter(records_rejected__gt=0).exists()  # a clerk's slip: someone not on the MO's list
    for batch in batches:
        posted = timezone.localtime(batch.created_at).date()
        assert not batch.events.filter(date__gt=posted).exists()


def test_next_year_lists_have_started_to_arrive(year_seeded):
    year = timezone.localdate().year + 1
    assert 0 < ListUpload.objects.filter(year=year).count() < Organization.objects.filter(kind="MO").count() + 1


def test_register_only_and_unknown_steps():
    _seed(register_only=True, persons=200)
    assert not ListUpload.objects.exists() and not YearPlan.objects.exists()
    with pytest.raises(CommandError, match="Неизвестные шаги"):
        _seed(steps="screening.nothing", persons=10, if_empty=True)


def test_backdate_keeps_durations():
    ctx = DemoContext(seed=1, today=datetime.date(2026, 12, 2))
    when = ctx.moment(datetime.date(2026, 3, 2), 9)
    assert when.tzinfo is not None and timezone.localtime(when).hour == 9
