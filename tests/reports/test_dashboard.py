"""The Fund's dashboard and the Ministry's coverage and reports: the aggregate equals a direct count on the raw tables
of a generated region (seed_demo's living year), the pages and downloads answer by role, the figures follow an upload,
and the Ministry's PDF names the organizations and no person."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Exists, F, OuterRef, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from openpyxl import load_workbook

from informing.models import InformingFact
from informing.selectors.facts import INFORMED_OUTCOMES
from participants.models import Organization, Person, User
from reports.models import MonthlyFigures, NonCompliance, ReviewStatus
from reports.services.figures import STAGE1_DONE, STAGE2_DONE, STAGE2_DUE, STARTED, refresh_figures
from screening.models import ListEntry, YearPlanLine
from screening.selectors.passed import passed_entries
from tests.scoping_base import assert_scoped

AS_OF = datetime.date(2026, 10, 15)


@pytest.fixture
def demo(db):
    call_command("seed_demo", persons=1500, mos=3, smos=2, seed=5, as_of=AS_OF, stdout=io.StringIO())
    refresh_figures(AS_OF.year)
    return AS_OF.year


def direct(year: int, *, months: tuple[int, int] | None = None, **where) -> dict:
    """The funnel counted on the raw tables (lists, informing facts, stage states, the passed selector, the plan);
    ``months``: the entries planned in those months (by quarter: the quarter's first month; neither: January)."""
    entries = ListEntry.objects.filter(year=year, **where)
    month = where.pop("month", None)
    plan = YearPlanLine.objects.filter(plan__year=year, **({"month": month} if month else {}))
    if months:
        entry_month = Coalesce("month", F("quarter") * 3 - 2, Value(1))
        entries = entries.annotate(entry_month=entry_month).filter(entry_month__range=months)
        plan = plan.filter(month__range=months)
    if "mo_id" in where:
        plan = plan.filter(mo_id=where["mo_id"])
    if "measure" in where:
        plan = plan.filter(measure=where["measure"])
    informed = InformingFact.objects.filter(
        person_id=OuterRef("person_id"), outcome__in=INFORMED_OUTCOMES, date__year=year
    )
    return {
        "plan": (plan.aggregate(n=Sum("quantity"))["n"] or 0) if "smo_id" not in where else 0,
        "listed": entries.count(),
        "identified": entries.filter(smo__isnull=False).count(),
        "informed": entries.filter(Exists(informed)).count(),
        "started": entries.filter(state__in=STARTED).count(),
        "stage1_done": entries.filter(state__in=STAGE1_DONE).count(),
        "stage2_due": entries.filter(state__in=STAGE2_DUE).count(),
        "stage2_done": entries.filter(state__in=STAGE2_DONE).count(),
        "passed": passed_entries(entries).count(),
    }


def aggregate(year: int, **where) -> dict:
    rows = MonthlyFigures.objects.filter(year=year, **where)
    return {name: rows.aggregate(n=Sum(name))["n"] or 0 for name in direct(year)}


@pytest.mark.django_db
def test_the_figures_equal_a_direct_count_on_the_raw_tables(demo):
    year = demo
    assert ListEntry.objects.filter(year=year).exists() and YearPlanLine.objects.filter(plan__year=year).exists()
    assert aggregate(year) == direct(year)
    totals = direct(year)
    assert totals["passed"] > 0 and totals["started"] > 0  # the demo year is in motion
    for mo in Organization.objects.filter(kind="MO"):
        assert aggregate(year, mo_id=mo.pk) == direct(year, mo_id=mo.pk), mo.code
    for smo in Organization.objects.filter(kind="SMO"):
        assert aggregate(year, smo_id=smo.pk) == direct(year, smo_id=smo.pk), smo.code
    assert totals["informed"] > 0  # the "informed" stage counted too (a delivered fact of the year)
    # months: the entry's planned month (an entry listed by quarter counts in the quarter's first month)
    by_month = Counter(
        month or (3 * quarter - 2 if quarter else 1)
        for month, quarter in ListEntry.objects.filter(year=year).values_list("month", "quarter")
    )
    for month, count in by_month.items():
        assert MonthlyFigures.objects.filter(year=year, month=month).aggregate(n=Sum("listed"))["n"] == count


@pytest.mark.django_db
def test_the_dashboard_shows_the_aggregate_with_drill_down_and_downloads(client, demo):
    year = demo
    url = reverse("reports:dashboard") + f"?year={year}"
    mo = Organization.objects.filter(kind="MO").order_by("code").last()
    smo = Organization.objects.filter(kind="SMO").first()
    assert_scoped(client, url, allowed_users=[User.objects.get(username="fund")], denied_users=[
        User.objects.get(username=f"mo_{mo.code}"), User.objects.get(username=f"smo_{smo.code}_l2"),
        User.objects.get(username="ministry")])  # fmt: skip
    client.force_login(User.objects.get(username="fund"))
    page = client.get(url).content.decode()
    assert f'data-total="passed">{direct(year)["passed"]}<' in page.replace("\n", "")
    assert "chart.umd.min.js" in page  # Chart.js, vendored
    drill = client.get(url + f"&mo={mo.pk}").content.decode()
    assert f'data-total="listed">{direct(year, mo_id=mo.pk)["listed"]}<' in drill.replace("\n", "")
    assert reverse("screening:list_entries") in drill  # on to the MO's persons (scoped there)
    response = client.get(reverse("reports:dashboard_export", args=["mo", "xlsx"]) + f"?year={year}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    codes = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert codes[mo.code][10].value == direct(year, mo_id=mo.pk)["passed"]  # code, name, 9 funnel columns
    # informing timeliness: the MO's listed persons with a delivered informing fact of the year posted in time (O10)
    on_time = ListEntry.objects.filter(year=year, mo=mo).filter(Exists(InformingFact.objects.filter(
        person_id=OuterRef("person_id"), outcome__in=INFORMED_OUTCOMES, is_late=False, date__year=year)))
    assert on_time.exists() and codes[mo.code][14].value == on_time.count()  # then met, late, overdue, on time
    assert f'data-on-time="{mo.code}">{on_time.count()}<' in page
    csv = client.get(reverse("reports:dashboard_export", args=["months", "csv"]) + f"?year={year}")
    assert csv["Content-Type"].startswith("text/csv") and csv.content.startswith("\ufeff".encode())
    assert client.get(reverse("reports:dashboard_export", args=["mo", "exe"])).status_code == 404


@pytest.mark.django_db
def test_figures_follow_an_upload_and_its_events(region, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    settings.OMS_OBLIGATIONS_AFTER_JOBS = True
    from screening.services.events import event_batch_create_from_api
    from tests.screening.factories import rec, upload, zl_list_xml

    year = datetime.date.today().year

    def figure(name):
        return MonthlyFigures.objects.filter(year=year, mo=region.mo1).aggregate(n=Sum(name))["n"]

    # p2 is attached to MO 2: not on MO 1's list
    upload(region, zl_list_xml([rec(region.p1, 1, month=1), rec(region.p2, 2)], year=year), year=year)
    assert figure("listed") == 1 and figure("passed") == 0
    day = datetime.date.today().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        batch = event_batch_create_from_api(mo=region.mo1, posted_by=region.mo1_user, records=[
            {"enp": region.p1.enp, "disp": "ДВН", "event": "START1", "date": day},
            {"enp": region.p1.enp, "disp": "ДВН", "event": "END1", "date": day, "rslt": "317", "gruppa": "I"},
        ])  # fmt: skip
    assert batch.records_accepted == 2, batch.errors
    assert (figure("started"), figure("stage1_done"), figure("passed")) == (1, 1, 1)


@pytest.mark.django_db
def test_the_ministry_sees_coverage_and_downloads_confirmed_noncompliance(client, demo):
    year = demo
    mo, other = Organization.objects.filter(kind="MO").order_by("code")[:2]
    person = Person.objects.first()
    NonCompliance.objects.create(
        code="O2", clause="R II.2", organization=mo, period_kind="year", period_key=str(year), period_year=year,
        due_on=datetime.date(year - 1, 12, 30), detected_on=datetime.date(year, 1, 10), late_days=7,
        status=ReviewStatus.FORWARDED, evidence={"counts": {"entries": 0}, "uploads": []},
    )  # fmt: skip
    NonCompliance.objects.create(
        code="O4", clause="R II.6", organization=other, period_kind="protocol", period_key=f"{year}-03-02",
        period_year=year, due_on=datetime.date(year, 3, 10), detected_on=datetime.date(year, 3, 11), late_days=2,
        status=ReviewStatus.DISMISSED,
    )  # fmt: skip
    client.force_login(User.objects.get(username="ministry"))
    page = client.get(reverse("home")).content.decode()  # the Ministry's home: coverage
    assert "Охват профилактическими мероприятиями против плана" in page and mo.code in page
    xlsx = client.get(reverse("reports:coverage_export", args=["xlsx"]) + f"?year={year}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == mo.code)
    assert row[-3] == direct(year, mo_id=mo.pk)["plan"] and row[-2] == direct(year, mo_id=mo.pk)["passed"]

    report = client.get(reverse("reports:ministry_report", args=["xlsx"]) + f"?year={year}")
    rows = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3]) for r in rows] == [(mo.code, "O2")]  # the dismissed one is not in it
    cells = " ".join(str(cell) for row in rows for cell in row if cell is not None)
    assert mo.code in cells and "R II.2" in cells
    for somebody in Person.objects.all()[:200]:  # no person is named in the XLSX either
        assert somebody.last_name not in cells and somebody.enp not in cells
        assert not somebody.snils or somebody.snils not in cells
    pdf = client.get(reverse("reports:ministry_report", args=["pdf"]) + f"?year={year}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert mo.code in text and "O2" in text and "R II.2" in text and str(year) in text
    # the coverage against the plan per MO and month opens it: the MO's line ends with its year's plan and passed
    covered = direct(year, mo_id=mo.pk)
    line = next(line for line in text.splitlines() if line.startswith(f"{mo.code} ") and "/" in line)
    assert line.split()[-3:-1] == [str(covered["plan"]), str(covered["passed"])], line
    assert person.last_name not in text and person.enp not in text  # no person is named
    assert client.get(reverse("reports:ministry_report", args=["doc"])).status_code == 404


@pytest.mark.django_db
def test_the_survey_quotas_equal_a_direct_count_and_follow_a_completed_survey(
    client, demo, django_capture_on_commit_callbacks
):
    from reports.models import QuotaFigures
    from reports.selectors.dashboard import Filters, quotas_by_mo
    from reports.services.quotas import refresh_quotas
    from surveys.models import CallItem, Stratum, SurveyResponse
    from surveys.quotas import quota_rows

    year, quarter = demo, 4  # seed_demo's surveys: the quota call lists of AS_OF's quarter, calls with surveys
    assert refresh_quotas(year, AS_OF) > 0
    assert not QuotaFigures.objects.filter(year=year, quarter__gt=quarter).exists()  # only the quarters begun
    # The quota's parts from every list of the quarter (the quota sample and the re-call of the not reached).
    strata = (Stratum.PASSED, Stratum.INFORMED_NOT_PASSED)
    items = CallItem.objects.filter(call_list__year=year, call_list__quarter=quarter, stratum__in=strata)
    responses = SurveyResponse.objects.filter(year=year, quarter=quarter, stratum__in=strata)
    rows = {(r["code"], r["quarter"]): r for r in quotas_by_mo(Filters(year=year))}
    shown = 0
    for mo in Organization.objects.filter(kind="MO"):
        lines = [row for row in quota_rows(year, quarter) if row.mo_id == mo.pk]
        expected = {
            "quota": sum(row.quota_passed + row.quota_informed for row in lines),
            "listed": items.filter(mo=mo).values("person_id").distinct().count(),
            "surveyed": responses.filter(mo=mo).values("person_id").distinct().count(),
        }
        assert {k: rows[(mo.code, quarter)][k] for k in expected} == expected, mo.code
        shown += expected["surveyed"]
    assert shown > 0 and sum(r["listed"] for r in rows.values()) > 0  # the demo's quarter is in motion

    client.force_login(User.objects.get(username="fund"))
    page = client.get(reverse("reports:dashboard") + f"?year={year}").content.decode()
    assert f'data-quota="{mo.code}-{quarter}"' in page
    sheet = load_workbook(io.BytesIO(client.get(
        reverse("reports:dashboard_export", args=["quotas", "xlsx"]) + f"?year={year}").content)).active
    line = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == mo.code and r[2] == quarter)
    assert (line[3], line[6], line[7]) == (expected["quota"], expected["listed"], expected["surveyed"])

    # a completed survey: its line follows once the transaction commits (no engine run in between)
    item = items.exclude(pk__in=SurveyResponse.objects.values("item_id")).exclude(stratum=Stratum.OTHER).first()
    before = rows[(item.mo.code, quarter)]["surveyed"]
    done = SurveyResponse.objects.filter(item__isnull=False).first()
    with django_capture_on_commit_callbacks(execute=True):
        SurveyResponse.objects.create(
            version=done.version, item=item, person=item.person, smo_id=item.smo_id, mo_id=item.mo_id, year=year,
            quarter=quarter, stratum=item.stratum, answers={}, operator=done.operator,
        )  # fmt: skip
    after = {(r["code"], r["quarter"]): r for r in quotas_by_mo(Filters(year=year, mo_id=item.mo_id))}
    assert after[(item.mo.code, quarter)]["surveyed"] == before + 1


def shown_totals(page: str) -> dict:
    """The funnel's figures on the dashboard page (its cards)."""
    import re

    return {name: int(n) for name, n in re.findall(r'data-total="(\w+)">(\d+)<', page.replace("\n", ""))}


@pytest.mark.django_db
def test_the_period_measure_mo_and_smo_filters_equal_a_direct_count(client, demo):
    year = demo
    client.force_login(User.objects.get(username="fund"))
    url = reverse("reports:dashboard")
    mo = Organization.objects.filter(kind="MO").order_by("code").first()
    smo = Organization.objects.filter(kind="SMO").order_by("code").last()
    cases = [
        ({"from": 4, "to": 6}, {"months": (4, 6)}),
        ({"from": 10, "to": 10}, {"months": (10, 10)}),
        ({"measure": "DVN"}, {"measure": "DVN"}),
        ({"measure": "PMO"}, {"measure": "PMO"}),
        ({"smo": smo.pk}, {"smo_id": smo.pk}),
        ({"mo": mo.pk, "smo": smo.pk, "from": 1, "to": 9, "measure": "DVN"},
         {"mo_id": mo.pk, "smo_id": smo.pk, "months": (1, 9), "measure": "DVN"}),
    ]  # fmt: skip
    for params, where in cases:
        page = client.get(url, {"year": year, **params}).content.decode()
        expected = direct(year, **where)
        assert shown_totals(page) == expected, params
    assert direct(year, months=(4, 6))["listed"] and direct(year, measure="PMO")["listed"]  # the cases filter something
    assert direct(year, months=(4, 6)) != direct(year)


@pytest.mark.django_db
def test_the_drill_down_to_an_smo_leads_to_its_persons_for_those_who_may_see_them(client, demo):
    year = demo
    smo = Organization.objects.filter(kind="SMO").order_by("code").first()
    fund = User.objects.get(username="fund")
    client.force_login(fund)
    page = client.get(reverse("reports:dashboard"), {"year": year, "smo": smo.pk}).content.decode()
    link = f'{reverse("screening:list_entries")}?year={year}&amp;smo={smo.code}'
    assert link in page
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    expected = ListEntry.objects.filter(year=year, smo=smo).count()
    assert expected and response.context["page_obj"].paginator.count == expected
    assert {entry.smo_id for entry in response.context["entries"]} == {smo.pk}
    # the MO and the SMO together, with a month: the persons of both in that month
    mo = Organization.objects.filter(kind="MO").order_by("code").first()
    page = client.get(reverse("reports:dashboard"), {"year": year, "smo": smo.pk, "mo": mo.pk, "from": 3, "to": 3})
    assert f"mo={mo.code}&amp;smo={smo.code}&amp;month=3" in page.content.decode()
    # an SMO's own user following another SMO's filter still sees only its own insured (the list page's scope)
    other = Organization.objects.filter(kind="SMO").exclude(pk=smo.pk).first()
    client.force_login(User.objects.get(username=f"smo_{other.code}_l2"))
    scoped = client.get(reverse("screening:list_entries"), {"year": year}).context["page_obj"].paginator.count
    filtered = client.get(reverse("screening:list_entries"), {"year": year, "smo": smo.code})
    assert filtered.context["page_obj"].paginator.count <= scoped
    own = {p.pk for p in Person.objects.filter(policies__smo=other)}
    assert all(entry.person_id in own for entry in filtered.context["entries"])
