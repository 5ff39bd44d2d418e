"""The Russian production calendar: working days for every deadline of the portal.

Built on the ``holidays`` package (Russia; 0.107+ knows the 2026 and 2027
transfers, both holidays moved to weekdays and Saturdays made working days),
corrected by the administrator's :class:`~participants.models.CalendarDay`
table for decrees the package does not know yet. Everything that computes a
deadline calls this module and nothing else.
"""

from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime
import itertools
from functools import lru_cache

import holidays
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from omsportal.models import CalendarDay


@lru_cache(maxsize=64)
def _package_days_off(year: int) -> frozenset[datetime.date]:
    """Holidays and transferred days off of ``year`` per the package."""
    ru = holidays.country_holidays("RU", years=year)
    return frozenset(d for d in ru if d.year == year)


@lru_cache(maxsize=64)
def _package_working_weekends(year: int) -> frozenset[datetime.date]:
    """Saturdays/Sundays declared working days by a transfer decree."""
    ru = holidays.country_holidays("RU", years=year)
    weekend_workdays = getattr(ru, "weekend_workdays", set()) or set()
    return frozenset(d for d in weekend_workdays if d.year == year)


# The administrator's corrections are a handful of rows, but a calendar is built for every deadline (thousands per
# engine run). Inside :func:`corrections_read_once` they are read once, all of them; outside it every calendar reads
# them again. Any save or delete of a correction in this process bumps ``_generation``, and a memo of an older
# generation is read again at its next use, so a correction takes effect on the next call even inside a run. (A
# correction saved by another process, e.g. the admin's web worker while a Celery run is going, is seen by the next
# run or by the next call outside a run: the memo lives only as long as the ``with`` block.)
_generation = itertools.count(1)
_current_generation = 0
_memo: contextvars.ContextVar[list | None] = contextvars.ContextVar("workdays_corrections_memo", default=None)


@receiver(post_save, sender=CalendarDay, dispatch_uid="workdays_corrections_changed_save")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="workdays_corrections_changed_delete")
def _corrections_changed(**kwargs) -> None:
    global _current_generation
    _current_generation = next(_generation)


@contextlib.contextmanager
def corrections_read_once():
    """Within it, the calendar corrections are read from the database once (again after a change); nests."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set([None, {}])  # [generation read, {date: is_working}]
    try:
        yield
    finally:
        _memo.reset(token)


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    memo = _memo.get()
    if memo is None:
        return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working"))
    if memo[0] != _current_generation:
        generation = _current_generation  # taken before the read: a change during the read makes the next call read
        memo[1] = dict(CalendarDay.objects.values_list("date", "is_working"))
        memo[0] = generation
    return {day: working for day, working in memo[1].items() if start <= day <= end}


class WorkCalendar:
    """A calendar loaded for a span of dates, so loops over days make one query."""

    def __init__(self, start: datetime.date, end: datetime.date):
        self.start, self.end = start, end
        self.overrides = _overrides(start, end)

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day in _package_days_off(day.year):
            return False
        if day in _package_working_weekends(day.year):
            return True
        return day.weekday() < 5


def _calendar_for(day: datetime.date, span_days: int = 400) -> WorkCalendar:
    lo = min(day, day + datetime.timedelta(days=span_days))
    hi = max(day, day + datetime.timedelta(days=span_days))
    return WorkCalendar(lo - datetime.timedelta(days=1), hi + datetime.timedelta(days=1))


def is_working_day(day: datetime.date) -> bool:
    return WorkCalendar(day, day).is_working_day(day)


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The date ``n`` working days after ``day`` (before it for negative ``n``); ``day`` itself is not counted."""
    if n == 0:
        return day
    step = 1 if n > 0 else -1
    cal = _calendar_for(day, span_days=step * (abs(n) * 3 + 30))
    current, remaining = day, abs(n)
    while remaining:
        current += datetime.timedelta(days=step)
        if current < cal.start or current > cal.end:
            cal = _calendar_for(current, span_days=step * (remaining * 3 + 30))
        if cal.is_working_day(current):
            remaining -= 1
    return current


def last_working_day_of_month(year: int, month: int) -> datetime.date:
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    cal = WorkCalendar(last - datetime.timedelta(days=31), last)
    while not cal.is_working_day(last):
        last -= datetime.timedelta(days=1)
    return last


def last_working_day_of_year(year: int) -> datetime.date:
    return last_working_day_of_month(year, 12)


def first_working_day_on_or_after(day: datetime.date) -> datetime.date:
    cal = _calendar_for(day, span_days=40)
    while not cal.is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in (start, end]: how many working days ``end`` lies after ``start``."""
    if end <= start:
        return 0
    cal = WorkCalendar(start, end)
    count, current = 0, start
    while current < end:
        current += datetime.timedelta(days=1)
        count += cal.is_working_day(current)
    return count
