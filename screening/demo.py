"""The screening part of the demo year (omsportal.demo): plan, lists, a correction, stage events.

Everything goes through the app's services as the demo user who does it in life: the Ministry's user sets and
approves the plan, each MO's user uploads a ZL_LIST file (built here from the register, with the usual share of
mistakes a clinic makes: typos in surnames, a bad SNILS, a person attached elsewhere, a deceased one, a repeat,
a measure the age does not allow) and gets its protocol from the real pipeline, two MOs upload a corrected file,
and every MO posts its stage events month by month through the events service. Afterwards only the dates are
moved to when these things happen in a real year (the plan in January, the lists in December before the year,
the events at the end of each month).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import connection
from django.utils.translation import gettext_lazy as _

from omsportal.demo import DemoContext, DemoStep, declare_demo_step
from omsportal.obligations import Period, obligation
from omsportal.workdays import add_working_days, is_working_day, last_working_day_of_month
from participants.identifiers import snils_format
from participants.models import OrganizationKind, Role
from screening.eligibility import age_in_year, current_rules, is_due_dvn
from screening.formats.zl_list_xml import zl_list_xml_bytes
from screening.models import ListEntry, ListUpload, PlanChange, YearPlan
from screening.services.events import API_MAX_RECORDS, event_batch_create_from_api
from screening.services.list_upload import list_upload_create
from screening.services.plans import year_plan_approve, year_plan_line_set

# The share of an MO's adults it puts on its yearly list (coverage of DVN + PMO is about this in a real region).
LIST_SHARE = 0.6
# Of the listed persons whose month has passed: refused, did not come (yet), came.
SHARE_REFUSED, SHARE_NOT_CAME = 0.03, 0.12
SHARE_DVN_TO_STAGE2 = 0.25  # DVN stage 1 ending with "sent to stage 2"
SHARE_STAGE2_DONE = 0.75
# The MOs that already uploaded next year's list (the lists are due on the last working day of the year).
NEXT_YEAR_EARLY_MOS = 3
# Months of the plan by weight: fewer in January, the summer and December, as check-ups go in a real year.
MONTH_WEIGHTS = (0.6, 1.0, 1.1, 1.1, 1.0, 0.8, 0.7, 0.8, 1.1, 1.2, 1.2, 0.9)
DVN_FINAL = ((317, 0.2), (318, 0.25), (355, 0.45), (356, 0.1))
DVN_STAGE2 = ((352, 0.1), (353, 0.3), (357, 0.45), (358, 0.15))
PMO_FINAL = ((343, 0.25), (344, 0.3), (373, 0.35), (374, 0.1))
CHRONIC = ("I10", "I11.9", "E11.9", "J44.9", "I25.1", "E66.0", "K29.5", "M42.1")


def _pick(rng: random.Random, weighted) -> int:
    return rng.choices([code for code, _w in weighted], weights=[w for _c, w in weighted])[0]


def _month_of(rng: random.Random) -> int:
    return rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]


_WORKING_DAYS: dict[tuple[int, int], list[datetime.date]] = {}


def _working_days(year: int, month: int) -> list[datetime.date]:
    """The working days of a month (the calendar read once per month, not once per person)."""
    key = (year, month)
    if key not in _WORKING_DAYS:
        end = last_working_day_of_month(year, month)
        _WORKING_DAYS[key] = [d for d in (datetime.date(year, month, n) for n in range(1, end.day + 1))
                              if is_working_day(d)]  # fmt: skip
    return _WORKING_DAYS[key]


def _working_day_in(rng: random.Random, year: int, month: int, *, last: datetime.date | None = None):
    days = [d for d in _working_days(year, month) if last is None or d <= last]
    return rng.choice(days) if days else None


def _working_day_before(day: datetime.date, days: int) -> datetime.date:
    day -= datetime.timedelta(days=days)
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return day


# --- the register, read once per step -------------------------------------------------------------------------

_ADULTS_SQL = """
    SELECT a.mo_code, p.enp, coalesce(p.snils, ''), p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date,
           a.district, p.phone, pol.smo_id IS NULL
    FROM participants_person p
    JOIN participants_attachmentperiod a ON a.person_id = p.id AND a.date_to IS NULL
    JOIN participants_policyperiod pol ON pol.person_id = p.id AND pol.date_to IS NULL
    WHERE p.death_date IS NULL AND p.birth_date <= %s
    ORDER BY a.mo_code, p.id
"""
_DECEASED_SQL = """
    SELECT DISTINCT ON (p.id) a.mo_code, p.enp, coalesce(p.snils, ''), p.last_name, p.first_name, p.patronymic,
           p.sex, p.birth_date, a.district, p.phone, false
    FROM participants_person p JOIN participants_attachmentperiod a ON a.person_id = p.id
    WHERE p.death_date IS NOT NULL AND p.birth_date <= %s
    ORDER BY p.id, a.date_from DESC
"""


def _register_adults(year: int) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]]]:
    """Adults (18 or more in ``year``) by the MO they are attached to: the living, and the deceased (last MO)."""
    living, deceased = defaultdict(list), defaultdict(list)
    born_by = datetime.date(year - 18, 12, 31)
    with connection.cursor() as cursor:
        cursor.execute(_ADULTS_SQL, [born_by])
        for row in cursor.fetchall():
            living[row[0]].append(row[1:])
        cursor.execute(_DECEASED_SQL, [born_by])
        for row in cursor.fetchall():
            deceased[row[0]].append(row[1:])
    return living, deceased


def _record(person: tuple, n: int, disp: str, month: int) -> dict:
    enp, snils, fam, im, ot, sex, birth, district, phone, _elsewhere = person
    return {
        "N_ZAP": n, "ENP": enp, "SNILS": snils_format(snils) if snils else "", "FAM": fam, "IM": im, "OT": ot,
        "W": sex, "DR": birth.isoformat(), "UCH": district, "TEL": phone,
        "measures": [{"DISP": disp, "MONTH": month}],
    }  # fmt: skip


def _yearly_list(rng: random.Random, year: int, own: list, others: list, deceased: list) -> tuple[list, list]:
    """An MO's list for ``year`` as it first sends it (with mistakes) and as it sends it corrected."""
    rules = current_rules()
    first, corrected = [], []
    for person in own:
        if rng.random() >= LIST_SHARE:
            continue
        birth = person[6]
        disp = "ДВН" if is_due_dvn(age_in_year(birth, year), rules) else "ПМО"
        month = _month_of(rng)
        clean = _record(person, 0, disp, month)
        written = dict(clean)
        roll = rng.random()
        if roll < 0.012:  # a typo in the surname: 203, corrected
            written["FAM"] = clean["FAM"][:-1] + ("а" if clean["FAM"][-1] != "а" else "о")
        elif roll < 0.02 and clean["SNILS"] and clean["ENP"]:  # no ENP: found by SNILS, accepted
            written["ENP"] = ""
        elif roll < 0.025 and clean["SNILS"]:  # a bad SNILS check number: 103, corrected
            digits = clean["SNILS"]
            written["SNILS"] = digits[:-1] + str((int(digits[-1]) + 1) % 10)
        elif roll < 0.03 and disp == "ДВН" and age_in_year(birth, year) < 40:  # PMO instead of DVN: 501
            written["measures"] = [{"DISP": "ПМО", "MONTH": month}]
        first.append(written)
        if not person[9]:  # insured in another region (303): the MO takes them off its list
            corrected.append(clean)
        if rng.random() < 0.004:  # the same person twice: 601, the repeat dropped
            first.append(dict(written))
    # Persons of other MOs (401) and deceased ones (302): the MO's own records are out of date; dropped on correction.
    for person in rng.sample(others, min(len(others), max(1, len(own) // 150))):
        disp = "ДВН" if is_due_dvn(age_in_year(person[6], year), rules) else "ПМО"
        first.insert(rng.randrange(len(first) + 1), _record(person, 0, disp, _month_of(rng)))
    for person in deceased[: max(1, len(own) // 400)]:
        first.insert(rng.randrange(len(first) + 1), _record(person, 0, "ПМО", _month_of(rng)))
    for records in (first, corrected):
        for n, record in enumerate(records, start=1):
            record["N_ZAP"] = n
    return first, corrected


def _upload(ctx: DemoContext, mo, year: int, records: list, when: datetime.datetime, part: str) -> ListUpload:
    name = f"PROF_M{mo.code}_{str(year)[2:]}{part}"
    content = zl_list_xml_bytes(code_mo=mo.code, year=year, filename=name, date=when.date(), records=records)
    upload = list_upload_create(
        mo=mo, file=ContentFile(content, name=f"{name}.xml"), original_name=f"{name}.xml",
        uploaded_by=ctx.user(Role.MO_STAFF, mo), year=year, run_async=False,
    )  # fmt: skip
    _backdate_upload(ctx, upload, when)
    return upload


def _backdate_upload(ctx: DemoContext, upload: ListUpload, when: datetime.datetime) -> None:
    ctx.backdate(ListUpload.objects.filter(pk=upload.pk), when)
    updates = {"processing_date": when.date()}
    if upload.protocol_issued_at is not None:
        updates["correction_due"] = obligation("O4").due_on(Period.protocol(when.date()))
    ListUpload.objects.filter(pk=upload.pk).update(**updates)


# --- the steps ---------------------------------------------------------------------------------------------


def plan_step(ctx: DemoContext) -> str:
    """R II.1: the Ministry enters every MO's plan by month (a share of its adults) and approves it in January."""
    year = ctx.year
    rng = ctx.rng("screening.plan")
    ministry = ctx.user(Role.MINISTRY)
    rules = current_rules()
    living, _deceased = _register_adults(year)
    cells = 0
    for mo in ctx.organizations(OrganizationKind.MO):
        due = {"DVN": 0, "PMO": 0}
        for person in living.get(mo.code, ()):
            due["DVN" if is_due_dvn(age_in_year(person[6], year), rules) else "PMO"] += 1
        values = {}
        for measure, count in due.items():
            target = count * LIST_SHARE * rng.uniform(0.95, 1.1)
            weight = sum(MONTH_WEIGHTS)
            for month, w in enumerate(MONTH_WEIGHTS, start=1):
                values[(measure, month)] = max(0, round(target * w / weight))
        year_plan_line_set(user=ministry, year=year, mo=mo, values=values)
        cells += len(values)
    plan = year_plan_approve(user=ministry, year=year)
    entered = ctx.moment(add_working_days(datetime.date(year, 1, 1), 2), 11)
    ctx.backdate(PlanChange.objects.filter(changes__year=year).exclude(action="approve"), entered)
    approved = ctx.moment(add_working_days(datetime.date(year, 1, 1), 4), 15)
    ctx.backdate(PlanChange.objects.filter(changes__year=year, action="approve"), approved)
    ctx.backdate(YearPlan.objects.filter(pk=plan.pk), approved)
    return f"план на {year} год: {cells} ячеек, утверждён {approved:%d.%m.%Y}"


def lists_step(ctx: DemoContext) -> str:
    """R II.2, II.5: every MO uploads its yearly list in December before the year; the first MOs, next year's too."""
    summaries = []
    for year, mos in ((ctx.year, None), (ctx.year + 1, NEXT_YEAR_EARLY_MOS)):
        rng = ctx.rng(f"screening.lists.{year}")
        living, deceased = _register_adults(year)
        organizations = ctx.organizations(OrganizationKind.MO)[:mos]
        corrected_lists = ctx.notes.setdefault("screening.corrected", {})
        accepted = rejected = 0
        for index, mo in enumerate(organizations):
            others = [p for code, persons in living.items() if code != mo.code for p in persons[:300]]
            first, corrected = _yearly_list(rng, year, living.get(mo.code, []), others, deceased.get(mo.code, []))
            if year == ctx.year:
                day = add_working_days(datetime.date(year - 1, 12, 10), index + rng.randrange(3))
            else:
                day = _working_day_before(ctx.today, index * 2 + 2)
            upload = _upload(ctx, mo, year, first, ctx.moment(day, 9 + index % 6, 15), "01")
            corrected_lists[(mo.pk, year)] = (corrected, day)
            accepted += upload.records_accepted
            rejected += upload.records_rejected
        summaries.append(
            f"списки на {year} год: {len(organizations)} МО, принято {accepted}, отклонено {rejected} записей"
        )
    return "; ".join(summaries)


def correction_step(ctx: DemoContext) -> str:
    """R II.6: two MOs correct their list within five working days of the protocol (the re-upload replaces it)."""
    done = []
    corrected_lists = ctx.notes.get("screening.corrected", {})
    for mo in ctx.organizations(OrganizationKind.MO)[:2]:
        found = corrected_lists.get((mo.pk, ctx.year))
        if found is None:
            continue
        records, day = found
        upload = _upload(ctx, mo, ctx.year, records, ctx.moment(add_working_days(day, 3), 14, 40), "02")
        done.append(f"{mo.code} (принято {upload.records_accepted}, отклонено {upload.records_rejected})")
    return "исправленные списки: " + (", ".join(done) or "нет")


def _entry_events(rng: random.Random, measure: str, month: int, year: int, today: datetime.date) -> list[dict]:
    """The stage events of one listed person so far (R II.9), as the MO posts them."""
    if datetime.date(year, month, 1) > today:
        return []
    current = (year, month) == (today.year, today.month)
    if current and rng.random() > 0.2:
        return []
    roll = rng.random()
    if not current and roll < SHARE_REFUSED:
        day = _working_day_in(rng, year, month, last=today)
        return [{"event": "REFUSED", "date": day}] if day else []
    if not current and roll < SHARE_REFUSED + SHARE_NOT_CAME:
        return []
    start = _working_day_in(rng, year, month, last=today)
    if start is None:
        return []
    events = [{"event": "START1", "date": start}]
    end = start + datetime.timedelta(days=rng.randrange(0, 9))
    if end > today:
        return events
    if measure == "PMO":
        result = _pick(rng, PMO_FINAL)
        events.append({"event": "END1", "date": end, "rslt": result, "ds": _diagnoses(rng, result)})
        return events
    if rng.random() < SHARE_DVN_TO_STAGE2:
        result = _pick(rng, DVN_STAGE2)
        events.append({"event": "END1", "date": end, "rslt": result})
        end2 = end + datetime.timedelta(days=rng.randrange(10, 46))
        if end2 <= today and rng.random() < SHARE_STAGE2_DONE:
            final = _pick(rng, DVN_FINAL)
            events.append({"event": "END2", "date": end2, "rslt": final, "ds": _diagnoses(rng, final)})
        return events
    result = _pick(rng, DVN_FINAL)
    events.append({"event": "END1", "date": end, "rslt": result, "ds": _diagnoses(rng, result)})
    return events


def _diagnoses(rng: random.Random, result: int) -> list[str]:
    if result in (355, 356, 373, 374):  # health groups IIIa / IIIb: chronic diseases found or known
        return rng.sample(CHRONIC, rng.randint(1, 2))
    return []


def events_step(ctx: DemoContext) -> str:
    """R II.9: every MO posts the stage events of its listed persons, one batch at the end of each month so far."""
    year, today = ctx.year, ctx.today
    rng = ctx.rng("screening.events")
    entries = (
        ListEntry.objects.filter(year=year, measure__in=("DVN", "PMO"), mo__kind=OrganizationKind.MO)
        .order_by("mo_id", "id")
        .values_list("mo_id", "person__enp", "measure", "month")
    )
    by_mo_month: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for mo_id, enp, measure, month in entries.iterator(chunk_size=5000):
        for event in _entry_events(rng, measure, month or 1, year, today):
            disp = "ДВН" if measure == "DVN" else "ПМО"
            record = {"enp": enp, "disp": disp, "event": event["event"], "date": event["date"].isoformat()}
            if event.get("rslt"):
                record["rslt"] = str(event["rslt"])
            if event.get("ds"):
                record["ds"] = list(event["ds"])
            by_mo_month[(mo_id, event["date"].month)].append(record)
    organizations = {mo.pk: mo for mo in ctx.organizations(OrganizationKind.MO)}
    strangers = list(
        ListEntry.objects.filter(year=year).values_list("mo_id", "person__enp").order_by("id")[:2000]
    )  # persons on another MO's list: a clerk's slip, rejected "not on your list"
    batches = accepted = rejected = 0
    for (mo_id, month), records in sorted(by_mo_month.items()):
        mo = organizations[mo_id]
        records.sort(key=lambda r: (r["date"], r["enp"]))
        slips = [enp for other, enp in strangers if other != mo_id]
        if slips and rng.random() < 0.5:
            day = records[-1]["date"]
            records.append({"enp": rng.choice(slips), "disp": "ПМО", "event": "START1", "date": day})
        last_day = datetime.date.fromisoformat(records[-1]["date"])
        posted_on = min(max(last_working_day_of_month(year, month), last_day), today)
        for start in range(0, len(records), API_MAX_RECORDS):
            batch = event_batch_create_from_api(
                mo=mo, records=records[start : start + API_MAX_RECORDS], posted_by=ctx.user(Role.MO_STAFF, mo)
            )
            ctx.backdate(type(batch).objects.filter(pk=batch.pk), ctx.moment(posted_on, 17, 30))
            batches += 1
            accepted += batch.records_accepted
            rejected += batch.records_rejected
    return f"события этапов: {batches} пакетов, принято {accepted}, отклонено {rejected} записей"


declare_demo_step(DemoStep("screening.plan", 100, plan_step, _("Годовой план министерства")))
declare_demo_step(DemoStep("screening.lists", 200, lists_step, _("Годовые списки МО и протоколы")))
declare_demo_step(DemoStep("screening.corrections", 300, correction_step, _("Исправленные списки")))
declare_demo_step(DemoStep("screening.events", 400, events_step, _("События этапов по месяцам")))
