"""The obligations screening's data judge, declared to the registry (omsportal.obligations) [domain §3].

O1 the yearly plan, O2 the lists for next year (and the MO's plans), O3 the protocol, O4 the corrections after it,
O7 the quarterly updates, O8 the daily stage events, O20 the schedule of preventive work. Pages and deadline
panels read their due dates and evidence from here; the obligations engine (non-compliance records) will too.
"""

from __future__ import annotations

import datetime

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omsportal.jobs.models import JobStatus
from omsportal.obligations import DAY, PROTOCOL, QUARTER, YEAR, Obligation, Period, declare_obligation
from omsportal.workdays import add_working_days, first_working_day_on_or_after
from participants.models import OrganizationKind
from screening.models import EventBatch, ListEntry, ListKind, ListUpload, PlanChange, StageEvent, UploadStatus, YearPlan


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _first_day(queryset, field: str = "created_at") -> datetime.date | None:
    """The local day of the earliest row of ``queryset`` (by ``field``), or None."""
    first = queryset.order_by(field).values_list(field, flat=True).first()
    return timezone.localdate(first) if first else None


# --- O1, R II.1: the Ministry approves the yearly plan by 15 January (a regional parameter) -------------------


def year_plan_due(period: Period, rules) -> datetime.date:
    """A calendar date of the plan year (R II.1: 15 January by default)."""
    return rules.year_plan_due(period.year)


def year_plan_approved_on(_organization_id, period: Period) -> datetime.date | None:
    """The first approval of the plan for the year, even if it was reopened since."""
    plans = YearPlan.objects.filter(year=period.year).values("id")
    return _first_day(PlanChange.objects.filter(object_type="YearPlan", action="approve", object_id__in=plans), "at")


# --- O2, R II.2: the lists (and the MO's plans) for next year by the last working day of the year before -----------


def before_the_year(period: Period, rules) -> datetime.date:
    """The lists' deadline: the last working day of the year before the period's year (a working day already: never
    moves), or the region's number of working days before it (``lists_due_working_days_before``, 0 by default)."""
    return rules.lists_due(period.year)


def schedule_before_the_year(period: Period, rules) -> datetime.date:
    """The schedule's deadline (O20): as the lists', with its own parameter (``schedule_due_working_days_before``)."""
    return rules.schedule_due(period.year)


def yearly_list_accepted_on(mo_id: int, period: Period) -> datetime.date | None:
    """A processed yearly list for the year, uploaded since the year before began."""
    return _first_day(
        ListUpload.objects.filter(
            mo_id=mo_id,
            status=UploadStatus.DONE,
            kind=ListKind.YEARLY,
            year=period.year,
            created_at__gte=_day_start(datetime.date(period.year - 1, 1, 1)),
        )
    )


# --- O3, R II.5 and O4, R II.6: the protocol at once; corrections within 5 working days of it ----------------------


def protocol_issued_on(mo_id: int, period: Period) -> datetime.date | None:
    """A protocol issued for an upload the MO made on the period's day."""
    start = _day_start(period.day)
    return _first_day(
        ListUpload.objects.filter(
            mo_id=mo_id,
            created_at__gte=start,
            created_at__lt=start + datetime.timedelta(days=1),
            protocol_issued_at__isnull=False,
        ),
        "protocol_issued_at",
    )


def correction_due(period: Period, rules) -> datetime.date:
    """R II.6: the N-th working day after the protocol's day (the day itself not counted) [domain §3]."""
    return add_working_days(period.day, rules.correction_working_days)


def protocol_had_errors(mo_id: int, period: Period) -> bool:
    """Corrections are owed only after a protocol that rejected records of a list the MO uploaded that day."""
    start = _day_start(period.day)
    return ListUpload.objects.filter(
        mo_id=mo_id,
        created_at__gte=start,
        created_at__lt=start + datetime.timedelta(days=1),
        protocol_issued_at__isnull=False,
        records_rejected__gt=0,
    ).exists()


def corrected_on(mo_id: int, period: Period) -> datetime.date | None:
    """The MO's next processed upload after the protocol's day (the upload pages pair it by list and year)."""
    return _first_day(
        ListUpload.objects.filter(
            mo_id=mo_id,
            status=UploadStatus.DONE,
            created_at__gte=_day_start(period.day + datetime.timedelta(days=1)),
        )
    )


# --- O7, R II.9: the quarterly update by the 1st day of the quarter's first month ----------------------------------


def quarter_update_due(period: Period, _rules) -> datetime.date:
    """"Not later than the 1st of the quarter's first month": a calendar date, so a day off moves it on [domain §3]."""
    return first_working_day_on_or_after(period.quarter_start)


def quarter_updated_on(mo_id: int, period: Period) -> datetime.date | None:
    """A processed update (or yearly) list for the year, uploaded since the previous quarter began (for Q1 the
    last quarter of the year before: an update for the new year made in December is early, not missing)."""
    start = period.quarter_start
    since = datetime.date(start.year - 1, 10, 1) if start.month == 1 else start.replace(month=start.month - 3)
    return _first_day(
        ListUpload.objects.filter(
            mo_id=mo_id,
            status=UploadStatus.DONE,
            kind__in=(ListKind.UPDATE, ListKind.YEARLY),
            year=period.year,
            created_at__gte=_day_start(since),
        )
    )


# --- O8, R II.9: stage events daily ---------------------------------------------------------------------------------


def the_day(period: Period, _rules) -> datetime.date:
    return period.day


def has_list_of_the_year(mo_id: int, period: Period) -> bool:
    """Daily events are owed by an MO with persons on its lists of the day's year (working days only)."""
    return ListEntry.objects.filter(mo_id=mo_id, year=period.year).exists()


def events_posted_on(mo_id: int, period: Period) -> datetime.date | None:
    """A processed batch of the MO posted on the day; else the first one posted later with events dated that day
    (met late by the working days in between). A later batch without the day's events does not meet it."""
    start = _day_start(period.day)
    on_the_day = _first_day(
        EventBatch.objects.filter(
            mo_id=mo_id,
            status=JobStatus.DONE,
            created_at__gte=start,
            created_at__lt=start + datetime.timedelta(days=1),
        )
    )
    if on_the_day is not None:
        return on_the_day
    # the day's events by the (mo, date) index, then their batches: not a scan of the MO's later batches
    later = StageEvent.objects.filter(
        mo_id=mo_id, date=period.day, batch__status=JobStatus.DONE, batch__created_at__gte=start
    ).aggregate(first=Min("batch__created_at"))["first"]
    return timezone.localdate(later) if later else None


# --- O20, R II.24: the schedule of preventive work, routing and the responsible phone, before the year -------------


def schedule_posted_on(mo_id: int, period: Period) -> datetime.date | None:
    return _first_day(
        PlanChange.objects.filter(object_type="PreventionSchedule", mo_id=mo_id, changes__year=period.year), "at"
    )


# code, clause, who owes it, what, per which period, due, met, the evidence.
OBLIGATIONS = (
    Obligation(
        "O1", "R II.1", OrganizationKind.MINISTRY, _("Годовой план профилактических мероприятий по МО и месяцам"),
        YEAR, year_plan_due, year_plan_approved_on, _("план утверждён"),
    ),
    Obligation(
        "O2", "R II.2", OrganizationKind.MO,
        _("Списки на следующий год по месяцам; планы по участкам, графики бригад, особые дни, маршрутизация"),
        YEAR, before_the_year, yearly_list_accepted_on, _("годовой список принят по протоколу"),
    ),
    Obligation(
        "O3", "R II.5", OrganizationKind.FUND, _("Протокол идентификации по каждому загруженному списку"),
        PROTOCOL, the_day, protocol_issued_on, _("протокол выдан при обработке"),
    ),
    Obligation(
        "O4", "R II.6", OrganizationKind.MO, _("Исправления после протокола"),
        PROTOCOL, correction_due, corrected_on, _("исправленный список принят"), protocol_had_errors,
    ),
    Obligation(
        "O7", "R II.9", OrganizationKind.MO, _("Ежеквартальная актуализация списков"),
        QUARTER, quarter_update_due, quarter_updated_on, _("актуализированный список загружен"),
    ),
    Obligation(
        "O8", "R II.9", OrganizationKind.MO, _("Ежедневная передача событий этапов"),
        DAY, the_day, events_posted_on, _("события переданы"), has_list_of_the_year,
    ),
    Obligation(
        "O20", "R II.24", OrganizationKind.MO,
        _("График профилактической работы, маршрутизация и телефон ответственного для СМО"),
        YEAR, schedule_before_the_year, schedule_posted_on, _("график размещён"),
    ),
)  # fmt: skip
for _obligation in OBLIGATIONS:
    declare_obligation(_obligation)
