"""Regional rules in one place: the parameters the administrator edits, read through one typed accessor, and the
obligations registry the pages read their deadlines from; the layout every app keeps."""

from __future__ import annotations

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from omsportal.models import RegionalParameters
from omsportal.obligations import DAY, MONTH, PROTOCOL, QUARTER, YEAR, Period, obligation, obligations
from omsportal.regional import regional_rules
from omsportal.workdays import add_working_days
from screening.models import ListUpload
from screening.selectors.lists import mo_list_deadlines
from screening.selectors.plans import mo_plans_due, year_plan_due
from screening.services.events import event_batch_create_from_api
from screening.services.plans import prevention_schedule_set
from tests.screening.factories import rec, upload, zl_list_xml

BASE = Path(settings.BASE_DIR)


# --- The parameters ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_defaults_are_those_of_the_regulation():
    rules = regional_rules()
    assert (rules.year_plan_due_month, rules.year_plan_due_day) == (1, 15)  # R II.1
    assert rules.correction_working_days == 5  # R II.6
    assert rules.informing_working_days == 10  # R II.11: 10 or 15
    assert (rules.survey_quota_passed_percent, rules.survey_quota_informed_percent) == (Decimal("0.5"), 50)  # II.14
    assert rules.repeat_informing_months == rules.stage2_notice_months == 3  # R II.18
    assert rules.call_tries >= 1 and rules.otp_lifetime == datetime.timedelta(hours=rules.otp_lifetime_hours)


@pytest.mark.django_db
def test_without_the_row_the_defaults_still_apply():
    RegionalParameters.objects.all().delete()
    assert regional_rules().correction_working_days == 5


@pytest.mark.django_db
def test_there_is_one_row_of_parameters():
    RegionalParameters.objects.get_or_create(pk=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionalParameters.objects.create(pk=2)


@pytest.mark.django_db
def test_an_edit_of_the_administrator_changes_the_deadlines_the_portal_counts(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    RegionalParameters.objects.update_or_create(
        pk=1, defaults={"correction_working_days": 10, "year_plan_due_month": 2, "year_plan_due_day": 1}
    )
    processed = upload(region, zl_list_xml([rec(region.p1, 1)]))
    issued = timezone.localdate(processed.protocol_issued_at)
    assert processed.correction_due == add_working_days(issued, 10)
    assert year_plan_due(2030) == datetime.date(2030, 2, 1)


@pytest.mark.django_db
def test_the_administrator_edits_the_parameters_in_the_russian_admin(client, region):
    RegionalParameters.objects.get_or_create(pk=1)
    client.force_login(region.admin_user)
    page = client.get(reverse("admin:omsportal_regionalparameters_change", args=[1]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Исправление после протокола, рабочих дней" in text and "п. II.6" in text
    assert client.get(reverse("admin:omsportal_regionalparameters_add")).status_code == 403  # one row only


def test_no_read_takes_a_rule_from_the_settings():
    """Selectors read the regional parameters through regional_rules(), never ``getattr(settings, ...)``."""
    offenders = [
        str(path.relative_to(BASE))
        for path in BASE.glob("*/selectors/*.py")
        if "getattr(settings" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


# --- The obligations ------------------------------------------------------------------------------------------------


def test_the_obligations_the_portal_can_judge_are_declared_with_clause_debtor_and_period():
    declared = {item.code: item for item in obligations()}
    expected = {
        "O1": ("R II.1", "MINISTRY", YEAR),
        "O2": ("R II.2", "MO", YEAR),
        "O3": ("R II.5", "FUND", PROTOCOL),
        "O4": ("R II.6", "MO", PROTOCOL),
        "O7": ("R II.9", "MO", QUARTER),
        "O8": ("R II.9", "MO", DAY),
        "O14": ("R II.14", "SMO", QUARTER),
        "O20": ("R II.24", "MO", YEAR),
        # informing/obligations.py
        "O9": ("R II.11", "SMO", QUARTER),
        "O10": ("R II.12", "SMO", MONTH),
        "O11": ("R II.13", "FUND", MONTH),
        "O12": ("R II.10", "SMO", QUARTER),
        "O15": ("R II.18", "SMO", MONTH),
        "O16": ("R II.18", "SMO", MONTH),
        "O19": ("R I.7.2 b", "SMO", MONTH),
    }
    # screening's; other apps declare theirs beside them (reports: O5, O6, O13, O17, O18)
    judged = {code: (item.clause, item.debtor, item.period) for code, item in declared.items() if code in expected}
    assert judged == expected
    assert all(declared[code].title and declared[code].evidence and declared[code].met for code in expected)
    with pytest.raises(ValueError):
        obligation("O2").due_on(Period.of_quarter(2027, 2))


@pytest.mark.django_db
def test_their_due_dates_follow_the_production_calendar_and_the_parameters():
    # The last working day of 2026: 31 December is a day off by the 2026 transfer.
    assert obligation("O2").due_on(Period.of_year(2027)) == datetime.date(2026, 12, 30) == mo_plans_due(2027)
    assert obligation("O20").due_on(Period.of_year(2027)) == datetime.date(2026, 12, 30)
    assert obligation("O7").due_on(Period.of_quarter(2026, 3)) == datetime.date(2026, 7, 1)
    assert obligation("O1").due_on(Period.of_year(2027)) == datetime.date(2027, 1, 15)
    friday = datetime.date(2026, 11, 27)
    assert obligation("O4").due_on(Period.protocol(friday)) == add_working_days(friday, 5)
    assert obligation("O8").due_on(Period.of_day(friday)) == friday


@pytest.mark.django_db
def test_they_know_when_they_were_met(region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    processed = upload(region, zl_list_xml([rec(region.p1, 1)]))  # a yearly list for next year, processed
    assert obligation("O2").met_on(region.mo1.pk, Period.of_year(processed.year)) == today
    assert obligation("O2").met_on(region.mo2.pk, Period.of_year(processed.year)) is None
    assert obligation("O3").met_on(region.mo1.pk, Period.protocol(today)) == today
    assert obligation("O8").met_on(region.mo1.pk, Period.of_day(today)) is None
    event_batch_create_from_api(mo=region.mo1, records=[], posted_by=region.mo1_user)
    assert obligation("O8").met_on(region.mo1.pk, Period.of_day(today)) == today
    prevention_schedule_set(
        user=region.mo1_user,
        mo=region.mo1,
        year=2030,
        working_hours="8-20",
        booking="",
        responsible_name="Иванова",
        responsible_phone="+7",
    )
    assert obligation("O20").met_on(region.mo1.pk, Period.of_year(2030)) == today


@pytest.mark.django_db
def test_the_uploads_deadline_panel_reads_the_registry(region, monkeypatch):
    from dataclasses import replace

    from omsportal import obligations as registry

    o7 = registry.obligation("O7")
    moved = replace(o7, due=lambda period, rules: datetime.date(period.year, 3 * period.number - 2, 5))
    monkeypatch.setitem(registry.OBLIGATIONS.entries, "O7", moved)
    deadlines = {d.label: d for d in mo_list_deadlines(mo_id=region.mo1.pk, today=datetime.date(2026, 5, 12))}
    assert deadlines["Актуализация списков на 3 квартал"].due == datetime.date(2026, 7, 5)


# --- The rooms of an app --------------------------------------------------------------------------------------------

ROOMS = ("models.py", "access.py", "selectors", "services", "views", "api", "formats", "tasks.py")


@pytest.mark.parametrize("app", ["participants", "screening"])
def test_every_app_has_the_same_rooms(app):
    assert [room for room in ROOMS if not (BASE / app / room).exists()] == []


@pytest.mark.parametrize("app", ["participants", "screening"])
def test_reads_never_import_writes(app):
    offenders = []
    for path in (BASE / app / "selectors").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name}: {name}" for name in names if ".services" in name or ".tasks" in name]
    assert not offenders, offenders


def test_no_service_imports_a_task():
    """Services start jobs by name (omsportal.jobs.dispatch.enqueue_job): no import loop hidden in a function."""
    offenders = []
    for path in BASE.glob("*/services/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".tasks"):
                offenders.append(f"{path.relative_to(BASE)}: {node.module}")
    assert not offenders, offenders


def test_the_kit_lives_in_the_project_package():
    gone = ("scoping.py", "audit.py", "workdays.py", "navigation.py", "api/base.py", "formats/xmlsafe.py")
    assert [name for name in gone if (BASE / "participants" / name).exists()] == []
    assert ListUpload._meta.get_field("attempts")  # the jobs are on the kit's abstract model


# --- the deadlines of domain §3 are parameters: defaults, and an edit moves the due date -----------------------------


@pytest.mark.django_db
def test_the_deadline_parameters_default_to_domain_and_an_edit_moves_each_due_date():
    from omsportal.obligations import MONTH, QUARTER, Period, obligation

    d = datetime.date
    march, q1 = Period(MONTH, 2026, 3), Period(QUARTER, 2026, 1)
    june = Period(MONTH, 2026, 6)
    # Defaults [domain §3]: the month's / quarter's last day (31 May 2026 a Sunday -> 1 June); the analytic register
    # by the last working day of the month after; the lists and the schedule by the last working day of the year
    # before (31 December 2026 a transferred day off -> 30 December).
    assert obligation("O11").due_on(march) == obligation("O15").due_on(march) == d(2026, 3, 31)
    assert obligation("O19").due_on(Period(MONTH, 2026, 5)) == d(2026, 6, 1)
    assert obligation("O14").due_on(q1) == d(2026, 3, 31)
    assert obligation("O17").due_on(march) == d(2026, 4, 30)
    rules = regional_rules()
    assert rules.lists_due(2027) == rules.schedule_due(2027) == d(2026, 12, 30)
    RegionalParameters.objects.update_or_create(pk=1, defaults={
        "control_days_after_month": 5, "informing_month_days_after": 10, "survey_report_days_after_quarter": 15,
        "analytic_register_months_after": 2, "lists_due_working_days_before": 1, "schedule_due_working_days_before": 3,
    })  # fmt: skip
    assert obligation("O11").due_on(march) == d(2026, 4, 6)  # 5 April a Sunday -> Monday 6 April
    for code in ("O15", "O16", "O19"):
        assert obligation(code).due_on(june) == d(2026, 7, 10)
    assert obligation("O14").due_on(q1) == d(2026, 4, 15)
    assert obligation("O17").due_on(march) == d(2026, 5, 29)  # 30-31 May 2026 a weekend
    rules = regional_rules()
    assert (rules.lists_due(2027), rules.schedule_due(2027)) == (d(2026, 12, 29), d(2026, 12, 25))


@pytest.mark.django_db
def test_the_admin_shows_every_parameter(client, region):
    from omsportal.admin import RegionalParametersAdmin

    shown = set()
    for _title, options in RegionalParametersAdmin.fieldsets:
        for line in options["fields"]:
            shown.update(line if isinstance(line, tuple) else (line,))
    fields = {f.name for f in RegionalParameters._meta.get_fields() if f.editable and not f.auto_created}
    assert fields - {"updated_at"} <= shown
    RegionalParameters.objects.get_or_create(pk=1)
    client.force_login(region.admin_user)
    text = client.get(reverse("admin:omsportal_regionalparameters_change", args=[1])).content.decode()
    assert "Контроль информирования: дней после конца месяца" in text and "О11, п. II.13" in text
