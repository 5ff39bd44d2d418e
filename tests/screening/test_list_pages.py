"""List pages: counts per MO × month for every list reader, persons only for those who may see them, audited."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from omsportal.models import AuditAction, AuditLog
from screening.models import EntryState, ListEntry, ListUpload, Measure, UploadStatus
from tests.factories import MOFactory, PolicyFactory, insured_person
from tests.scoping_base import assert_login_required, assert_scoped

YEAR = 2027


def make_upload(mo, user, *, year=YEAR, status=UploadStatus.DONE, is_current=True, **extra) -> ListUpload:
    return ListUpload.objects.create(
        mo=mo,
        year=year,
        uploaded_by=user,
        file="lists/test.xml",
        original_name=f"PROF_M{mo.code}.xml",
        status=status,
        is_current=is_current,
        **extra,
    )


def add_entry(upload, person, *, smo, measure=Measure.DVN, month=3, district="1", state=EntryState.LISTED, n_zap=1):
    return ListEntry.objects.create(
        upload=upload,
        mo=upload.mo,
        year=upload.year,
        measure=measure,
        month=month,
        person=person,
        smo=smo,
        smo_code=smo.code,
        district=district,
        n_zap=n_zap,
        state=state,
    )


@pytest.fixture
def lists(region):
    """MO1's list: p1 (SMO1), p3 (SMO2), p4 (was SMO1 when listed, moved to SMO2 since); MO2's list: p2 (SMO2)."""
    r = region
    r.mo3 = MOFactory(code="270003")  # uploaded nothing for the year
    r.up1 = make_upload(r.mo1, r.mo1_user)
    r.up2 = make_upload(r.mo2, r.mo2_user)
    r.p3 = insured_person(smo=r.smo2, mo=r.mo1, last_name="Сидоров", first_name="Иван", sex=1)
    r.p4 = insured_person(smo=r.smo1, mo=r.mo1, last_name="Алексеева", first_name="Анна")
    policy = r.p4.policies.get()
    policy.date_to = datetime.date(2026, 1, 31)
    policy.save()
    PolicyFactory(person=r.p4, smo=r.smo2, date_from=datetime.date(2026, 2, 1))
    r.e1 = add_entry(r.up1, r.p1, smo=r.smo1, month=3, district="12", n_zap=1)
    r.e3 = add_entry(r.up1, r.p3, smo=r.smo2, month=4, district="7", state=EntryState.STARTED, n_zap=2)
    r.e4 = add_entry(r.up1, r.p4, smo=r.smo1, month=3, district="12", n_zap=3)
    r.e2 = add_entry(r.up2, r.p2, smo=r.smo2, measure=Measure.PMO, month=5, n_zap=1)
    return r


def entries_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"year": YEAR, **params}.items())
    return reverse("screening:list_entries") + "?" + query


def names_on(response) -> set[str]:
    return {entry.person.last_name for entry in response.context["entries"]}


@pytest.mark.django_db
class TestOverview:
    def test_anonymous_is_sent_to_login(self, client, lists):
        assert_login_required(client, reverse("screening:lists"))

    def test_list_readers_get_it_and_l1_and_admin_get_404(self, client, lists):
        r = lists
        assert_scoped(
            client,
            reverse("screening:lists") + f"?year={YEAR}",
            allowed_users=[r.mo1_user, r.smo1_l2, r.smo1_l3, r.fund_user, r.ministry_user],
            denied_users=[r.smo1_l1, r.admin_user],
        )

    def test_mo_sees_only_its_own_counts(self, client, lists):
        client.force_login(lists.mo1_user)
        rows = client.get(reverse("screening:lists"), {"year": YEAR}).context["rows"]
        assert [(row["mo"].code, row["total"]) for row in rows] == [("270001", 3)]
        assert rows[0]["months"][2] == 2 and rows[0]["months"][3] == 1  # March: p1, p4; April: p3

    def test_smo_counts_only_persons_it_insures_now(self, client, lists):
        client.force_login(lists.smo1_l2)
        rows = client.get(reverse("screening:lists"), {"year": YEAR}).context["rows"]
        # p4 was listed with SMO1 but moved to SMO2: SMO1 no longer sees them [R I.6].
        assert [(row["mo"].code, row["total"]) for row in rows] == [("270001", 1)]

    def test_the_new_insurer_sees_the_person_who_moved_to_it(self, client, lists):
        client.force_login(lists.smo2_l2)
        rows = client.get(reverse("screening:lists"), {"year": YEAR}).context["rows"]
        # p3 and p4 (listed with SMO1, insured by SMO2 since February) on MO1's list, p2 on MO2's [R I.6, FAQ].
        assert [(row["mo"].code, row["total"]) for row in rows] == [("270001", 2), ("270002", 1)]
        response = client.get(entries_url(mo="270001"))
        assert names_on(response) == {"Сидоров", "Алексеева"}

    def test_fund_sees_every_mo_and_those_without_a_list(self, client, lists):
        client.force_login(lists.fund_user)
        response = client.get(reverse("screening:lists"), {"year": YEAR})
        assert [(row["mo"].code, row["total"]) for row in response.context["rows"]] == [("270001", 3), ("270002", 1)]
        assert [mo.code for mo in response.context["missing_mos"]] == ["270003"]
        page = response.content.decode()
        assert 'data-testid="missing-mos"' in page and "270003" in page
        assert reverse("screening:list_entries") in page  # drill-down links

    def test_ministry_sees_counts_without_links_to_persons(self, client, lists):
        client.force_login(lists.ministry_user)
        response = client.get(reverse("screening:lists"), {"year": YEAR})
        assert [row["total"] for row in response.context["rows"]] == [3, 1]
        page = response.content.decode()
        assert reverse("screening:list_entries") not in page
        assert "Иванова" not in page
        assert [mo.code for mo in response.context["missing_mos"]] == ["270003"]

    def test_measure_filter(self, client, lists):
        client.force_login(lists.fund_user)
        rows = client.get(reverse("screening:lists"), {"year": YEAR, "measure": "PMO"}).context["rows"]
        assert [(row["mo"].code, row["total"]) for row in rows] == [("270002", 1)]

    def test_a_non_current_upload_counts_as_missing(self, client, lists):
        ListUpload.objects.filter(pk=lists.up2.pk).update(is_current=False)
        client.force_login(lists.fund_user)
        missing = client.get(reverse("screening:lists"), {"year": YEAR}).context["missing_mos"]
        assert [mo.code for mo in missing] == ["270002", "270003"]

    def test_counts_write_no_person_audit(self, client, lists):
        client.force_login(lists.fund_user)
        client.get(reverse("screening:lists"), {"year": YEAR})
        assert not AuditLog.objects.exists()


@pytest.mark.django_db
class TestEntries:
    def test_person_roles_get_it_others_404(self, client, lists):
        r = lists
        assert_scoped(
            client,
            entries_url(),
            allowed_users=[r.mo1_user, r.mo2_user, r.smo1_l2, r.smo1_l3, r.fund_user],
            denied_users=[r.ministry_user, r.smo1_l1, r.admin_user],
        )

    def test_mo_sees_its_own_list_only(self, client, lists):
        client.force_login(lists.mo1_user)
        assert names_on(client.get(entries_url())) == {"Иванова", "Сидоров", "Алексеева"}
        client.force_login(lists.mo2_user)
        assert names_on(client.get(entries_url())) == {"Петров"}

    def test_mo_filter_cannot_reach_another_mo(self, client, lists):
        client.force_login(lists.mo2_user)
        assert names_on(client.get(entries_url(mo="270001"))) == set()

    def test_smo_sees_its_insured_only(self, client, lists):
        client.force_login(lists.smo1_l2)
        assert names_on(client.get(entries_url())) == {"Иванова"}
        client.force_login(lists.smo2_l2)
        # p3 (SMO2 on MO1's list), p2, and p4: listed under SMO1 but insured by SMO2 today [R I.6, FAQ].
        assert names_on(client.get(entries_url())) == {"Сидоров", "Петров", "Алексеева"}

    def test_fund_sees_everyone(self, client, lists):
        client.force_login(lists.fund_user)
        assert names_on(client.get(entries_url())) == {"Иванова", "Сидоров", "Алексеева", "Петров"}

    def test_filters_by_month_district_state(self, client, lists):
        client.force_login(lists.mo1_user)
        assert names_on(client.get(entries_url(month=3))) == {"Иванова", "Алексеева"}
        assert names_on(client.get(entries_url(district=7))) == {"Сидоров"}
        assert names_on(client.get(entries_url(state="STARTED"))) == {"Сидоров"}
        assert names_on(client.get(entries_url(measure="PMO"))) == set()

    def test_sort_by_name_both_ways(self, client, lists):
        client.force_login(lists.mo1_user)
        ascending = [e.person.last_name for e in client.get(entries_url(sort="name")).context["entries"]]
        descending = [e.person.last_name for e in client.get(entries_url(sort="-name")).context["entries"]]
        assert ascending == ["Алексеева", "Иванова", "Сидоров"]
        assert descending == list(reversed(ascending))

    def test_page_shows_state_of_each_person(self, client, lists):
        client.force_login(lists.mo1_user)
        page = client.get(entries_url()).content.decode()
        assert "начал 1 этап" in page and "в списке" in page

    def test_paginated(self, client, lists):
        for n in range(55):
            person = insured_person(smo=lists.smo1, mo=lists.mo1, last_name=f"Лицо{n:02d}")
            add_entry(lists.up1, person, smo=lists.smo1, n_zap=100 + n)
        client.force_login(lists.mo1_user)
        first = client.get(entries_url())
        assert len(first.context["entries"]) == 50 and first.context["page_obj"].paginator.count == 58
        assert len(client.get(entries_url(page=2)).context["entries"]) == 8

    def test_viewing_writes_a_list_audit_entry_with_the_persons_on_the_page(self, client, lists):
        client.force_login(lists.smo1_l2)
        client.get(entries_url(month=3))
        entry = AuditLog.objects.get()
        assert entry.action == AuditAction.LIST
        assert entry.user == lists.smo1_l2 and entry.organization_id == lists.smo1.pk
        assert entry.person_ids == [lists.p1.pk]
        assert entry.query["month"] == 3 and entry.query["year"] == YEAR


@pytest.mark.django_db
class TestExport:
    def test_csv_has_the_visible_persons_and_writes_an_export_entry(self, client, lists):
        client.force_login(lists.smo1_l2)
        response = client.get(reverse("screening:list_export", args=["csv"]), {"year": YEAR})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
        assert [(row["FAM"], row["ENP"], row["DISP"], row["MONTH"]) for row in rows] == [
            ("Иванова", lists.p1.enp, "DVN", "3")
        ]
        entry = AuditLog.objects.get()
        assert entry.action == AuditAction.EXPORT and entry.person_ids == [lists.p1.pk]

    def test_xlsx_export(self, client, lists):
        client.force_login(lists.mo1_user)
        response = client.get(reverse("screening:list_export", args=["xlsx"]), {"year": YEAR, "sort": "name"})
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][:3] == ("CODE_MO", "YEAR", "DISP")
        assert [row[8] for row in values[1:]] == ["Алексеева", "Иванова", "Сидоров"]
        assert values[1][6] == lists.p4.enp  # ENP stays text, not a number
        assert AuditLog.objects.get().action == AuditAction.EXPORT

    def test_csv_cells_cannot_become_spreadsheet_formulas(self, client, lists):
        person = insured_person(smo=lists.smo1, mo=lists.mo1, last_name='=HYPERLINK("http://x")')
        add_entry(lists.up1, person, smo=lists.smo1, n_zap=9)
        client.force_login(lists.mo1_user)
        response = client.get(reverse("screening:list_export", args=["csv"]), {"year": YEAR})
        rows = list(
            csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";")
        )
        assert '\'=HYPERLINK("http://x")' in [row["FAM"] for row in rows]

    def test_export_is_scoped_like_the_page(self, client, lists):
        r = lists
        url = reverse("screening:list_export", args=["csv"]) + f"?year={YEAR}"
        assert_scoped(
            client,
            url,
            allowed_users=[r.mo1_user, r.smo1_l2, r.fund_user],
            denied_users=[r.ministry_user, r.smo1_l1, r.admin_user],
        )
        client.force_login(r.mo2_user)
        text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
        assert "Иванова" not in text and "Петров" in text
