import datetime

import pytest

from omsportal import workdays
from omsportal.models import CalendarDay

D = datetime.date


@pytest.mark.django_db
class TestOfficial2026Calendar:
    def test_new_year_transfer_days_are_days_off(self):
        assert not workdays.is_working_day(D(2026, 1, 9))
        assert not workdays.is_working_day(D(2026, 12, 31))

    def test_twelfth_of_january_is_a_working_day(self):
        assert workdays.is_working_day(D(2026, 1, 12))

    def test_plain_weekend_and_weekday(self):
        assert not workdays.is_working_day(D(2026, 11, 22))  # Sunday
        assert workdays.is_working_day(D(2026, 11, 23))  # Monday

    def test_last_working_day_of_2026_is_30_december(self):
        assert workdays.last_working_day_of_year(2026) == D(2026, 12, 30)

    def test_add_working_days_skips_the_new_year_holidays(self):
        # 30 Dec 2026 (Wed) + 1 working day: 31 Dec is off, 1–8 Jan 2027 are holidays.
        assert workdays.add_working_days(D(2026, 12, 30), 1) == workdays.first_working_day_on_or_after(D(2027, 1, 9))
        assert workdays.add_working_days(D(2026, 1, 8), 1) == D(2026, 1, 12)

    def test_add_working_days_five_after_protocol(self):
        # R II.6: Friday 20 Nov 2026 + 5 working days = Friday 27 Nov 2026.
        assert workdays.add_working_days(D(2026, 11, 20), 5) == D(2026, 11, 27)

    def test_add_negative_working_days(self):
        # 31 Dec 2025 was a transferred day off, 1–11 Jan 2026 are holidays and a weekend.
        assert workdays.add_working_days(D(2026, 1, 12), -1) == D(2025, 12, 30)

    def test_last_working_day_of_month(self):
        assert workdays.last_working_day_of_month(2026, 5) == D(2026, 5, 29)  # 30–31 May are a weekend

    def test_working_days_between(self):
        assert workdays.working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5


@pytest.mark.django_db
class TestAdministratorOverrides:
    def test_an_extra_day_off_is_honoured(self):
        CalendarDay.objects.create(date=D(2026, 11, 24), is_working=False, note="Указ")
        assert not workdays.is_working_day(D(2026, 11, 24))
        assert workdays.add_working_days(D(2026, 11, 23), 1) == D(2026, 11, 25)

    def test_an_extra_working_saturday_is_honoured(self):
        CalendarDay.objects.create(date=D(2026, 11, 28), is_working=True, note="Перенос")
        assert workdays.is_working_day(D(2026, 11, 28))
        assert workdays.add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 28)


@pytest.mark.django_db
class TestCorrectionsReadOnce:
    def test_repeated_calendars_in_a_run_read_the_corrections_once(self, django_assert_num_queries):
        CalendarDay.objects.create(date=D(2026, 11, 24), is_working=False, note="Указ")
        with workdays.corrections_read_once(), django_assert_num_queries(1):
            for _ in range(50):
                assert workdays.add_working_days(D(2026, 11, 23), 1) == D(2026, 11, 25)
                assert not workdays.is_working_day(D(2026, 11, 24))
                assert workdays.working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 4

    def test_outside_a_run_every_calendar_reads(self, django_assert_num_queries):
        with django_assert_num_queries(3):
            for _ in range(3):
                workdays.is_working_day(D(2026, 11, 24))

    def test_a_correction_saved_takes_effect_on_the_next_call_inside_a_run(self, django_assert_num_queries):
        with workdays.corrections_read_once():
            assert workdays.is_working_day(D(2026, 11, 24))
            day = CalendarDay.objects.create(date=D(2026, 11, 24), is_working=False, note="Указ")
            assert not workdays.is_working_day(D(2026, 11, 24))
            assert workdays.add_working_days(D(2026, 11, 23), 1) == D(2026, 11, 25)
            day.is_working = True
            day.save()
            assert workdays.is_working_day(D(2026, 11, 24))
            day.delete()
            CalendarDay.objects.create(date=D(2026, 11, 28), is_working=True, note="Перенос")
            assert workdays.add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 28)
            with django_assert_num_queries(0):  # read again once after the change, then from the memo
                assert workdays.is_working_day(D(2026, 11, 28))

    def test_the_memo_ends_with_the_run(self):
        with workdays.corrections_read_once():
            assert workdays.is_working_day(D(2026, 11, 24))
        CalendarDay.objects.bulk_create([CalendarDay(date=D(2026, 11, 24), is_working=False)])  # no signal
        assert not workdays.is_working_day(D(2026, 11, 24))
