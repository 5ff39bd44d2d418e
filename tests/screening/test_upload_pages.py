"""Upload pages: the drop zone creates the job, progress polling, the protocol with its clock, downloads, isolation."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from omsportal.models import AuditAction, AuditLog
from screening.models import ListKind, ListUpload, ProtocolError, UploadStatus
from tests.scoping_base import assert_login_required, assert_read_only, assert_scoped

YEAR = 2027


def zl_list_xml(mo_code: str, year: int, records: list[dict]) -> bytes:
    """A small ZL_LIST file (formats.md) with one SV_PR_MER per record."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<ZL_LIST><ZGLV><VERSION>1.0</VERSION><DATA>2026-12-20</DATA>"
        f"<FILENAME>PROF_M{mo_code}_2701</FILENAME><CODE_MO>{mo_code}</CODE_MO><YEAR>{year}</YEAR></ZGLV>",
    ]
    for n, record in enumerate(records, start=1):
        parts.append(
            f"<SV_PR_MER><N_ZAP>{n}</N_ZAP><ENP>{record['enp']}</ENP>"
            f"<FAM>{record['fam']}</FAM><IM>{record['im']}</IM><OT>{record.get('ot', '')}</OT>"
            f"<W>{record['w']}</W><DR>{record['dr']}</DR><UCH>1</UCH>"
            f"<SV_PL_MER><DISP>{record.get('disp', 'ДВН')}</DISP><MONTH>{record.get('month', 3)}</MONTH></SV_PL_MER>"
            "</SV_PR_MER>"
        )
    parts.append("</ZL_LIST>")
    return "".join(parts).encode("utf-8")


def person_record(person, **extra) -> dict:
    return {
        "enp": person.enp,
        "fam": person.last_name,
        "im": person.first_name,
        "ot": person.patronymic,
        "w": person.sex,
        "dr": person.birth_date.isoformat(),
        **extra,
    }


def mixed_list(region) -> bytes:
    """MO1's list: p1 is accepted, p2 is attached to MO2 (401), a stranger is not in the register (201)."""
    stranger = {"enp": "2755000000000011", "fam": "Неизвестная", "im": "Анна", "w": 2, "dr": "1970-01-01"}
    return zl_list_xml("270001", YEAR, [person_record(region.p1), person_record(region.p2), stranger])


def finished_upload(mo, user, *, errors=(), status=UploadStatus.DONE, **extra) -> ListUpload:
    """A processed upload with protocol rows, made directly (no pipeline)."""
    by_code: dict[str, int] = {}
    for error in errors:
        by_code[str(error["code"])] = by_code.get(str(error["code"]), 0) + 1
    defaults = {
        "records_total": 10,
        "records_read": 10,
        "records_checked": 10,
        "records_written": 10,
        "records_accepted": 10 - len(errors),
        "records_rejected": len(errors),
        "counts_by_code": by_code,
        "protocol_issued_at": timezone.now(),
        "finished_at": timezone.now(),
    }
    defaults.update(extra)
    upload = ListUpload.objects.create(
        mo=mo,
        year=YEAR,
        uploaded_by=user,
        file="lists/test.xml",
        original_name=f"PROF_M{mo.code}_2701.xml",
        header_filename=f"PROF_M{mo.code}_2701",
        status=status,
        **defaults,
    )
    ProtocolError.objects.bulk_create(
        ProtocolError(upload=upload, base_element="SV_PR_MER", **error) for error in errors
    )
    return upload


ERRORS = [
    {"n_zap": 3, "code": 401, "field": "CODE_MO", "comment": "Прикреплён к МО 270002", "person_label": "Петров П. И."},
    {"n_zap": 5, "code": 201, "field": "ENP", "person_label": "Неизвестная А."},
    {"n_zap": 7, "code": 401, "field": "CODE_MO", "comment": "Прикреплён к МО 270005", "person_label": "Сидоров И."},
]


@pytest.fixture
def uploads(region):
    region.own = finished_upload(region.mo1, region.mo1_user, errors=ERRORS)
    region.foreign = finished_upload(region.mo2, region.mo2_user)
    return region


def detail_url(upload) -> str:
    return reverse("screening:upload_detail", args=[upload.pk])


@pytest.mark.django_db
class TestUploadsPage:
    def test_anonymous_is_sent_to_login(self, client, region):
        assert_login_required(client, reverse("screening:uploads"))

    def test_mo_and_fund_get_it_other_roles_404(self, client, uploads):
        r = uploads
        assert_scoped(
            client,
            reverse("screening:uploads"),
            allowed_users=[r.mo1_user, r.fund_user],
            denied_users=[r.smo1_l1, r.smo1_l2, r.smo1_l3, r.ministry_user, r.admin_user],
        )

    def test_mo_gets_the_drop_zone_and_its_own_history_only(self, client, uploads):
        client.force_login(uploads.mo1_user)
        response = client.get(reverse("screening:uploads"))
        assert response.context["form"] is not None
        assert 'data-testid="dropzone"' in response.content.decode()
        assert [u.pk for u in response.context["uploads"]] == [uploads.own.pk]

    def test_fund_reads_every_mo_history_without_a_form(self, client, uploads):
        client.force_login(uploads.fund_user)
        response = client.get(reverse("screening:uploads"))
        assert response.context["form"] is None
        assert {u.pk for u in response.context["uploads"]} == {uploads.own.pk, uploads.foreign.pk}
        filtered = client.get(reverse("screening:uploads"), {"mo": "270002"})
        assert [u.pk for u in filtered.context["uploads"]] == [uploads.foreign.pk]

    def test_history_shows_status_and_correction_due(self, client, uploads):
        ListUpload.objects.filter(pk=uploads.own.pk).update(correction_due=datetime.date(2030, 1, 10))
        client.force_login(uploads.mo1_user)
        page = client.get(reverse("screening:uploads")).content.decode()
        assert "протокол сформирован" in page and "10.01.2030" in page

    def test_upload_is_a_write_mo_only(self, client, region):
        def post(user):
            client.force_login(user)
            data = {"file": SimpleUploadedFile("list.xml", mixed_list(region)), "kind": ListKind.YEARLY}
            return client.post(reverse("screening:uploads"), data)

        assert_read_only(
            client,
            post,
            owners=[region.mo1_user],
            read_only_users=[region.fund_user],
            outsiders=[region.smo1_l2, region.ministry_user],
            owner_status=302,
        )
        assert ListUpload.objects.filter(uploaded_by=region.fund_user).count() == 0

    def test_a_file_that_is_not_a_list_is_refused_by_the_form(self, client, region):
        client.force_login(region.mo1_user)
        response = client.post(
            reverse("screening:uploads"), {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8"), "kind": "YEARLY"}
        )
        assert response.status_code == 400
        assert "не похож на список" in response.content.decode()
        assert not ListUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
class TestUploadCreatesTheJob:
    """With eager Celery (tests) the job runs on commit: the next page load shows the protocol."""

    def test_the_upload_runs_and_the_protocol_is_on_the_next_page(self, client, region):
        client.force_login(region.mo1_user)
        response = client.post(
            reverse("screening:uploads"),
            {"file": SimpleUploadedFile("PROF_M270001_2701.xml", mixed_list(region)), "kind": "YEARLY"},
        )
        upload = ListUpload.objects.get()
        assert response.status_code == 302 and response["Location"] == detail_url(upload)
        assert upload.mo == region.mo1 and upload.uploaded_by == region.mo1_user and upload.kind == ListKind.YEARLY
        assert upload.status == UploadStatus.DONE
        page = client.get(detail_url(upload))
        html = page.content.decode()
        assert page.context["finished"] is True
        assert re.search(r'data-testid="count-total">\s*3<', html)
        assert re.search(r'data-testid="count-accepted">\s*1<', html)
        assert re.search(r'data-testid="count-rejected">\s*2<', html)
        assert 'data-code="401"' in html and 'data-code="201"' in html
        assert "Прикреплён к другой медицинской организации" in html  # the Russian meaning of 401
        assert 'data-testid="correction-clock"' in html

    def test_dn_list_kind_is_passed_to_the_job(self, client, region):
        client.force_login(region.mo1_user)
        client.post(
            reverse("screening:uploads"),
            {"file": SimpleUploadedFile("DN.xml", mixed_list(region)), "kind": ListKind.DN},
        )
        assert ListUpload.objects.get().kind == ListKind.DN


@pytest.mark.django_db
class TestDetailAndProgress:
    def test_owner_and_fund_read_it_others_get_404(self, client, uploads):
        r = uploads
        assert_scoped(
            client,
            detail_url(r.own),
            allowed_users=[r.mo1_user, r.fund_user],
            denied_users=[r.mo2_user, r.smo1_l1, r.smo1_l2, r.smo1_l3, r.ministry_user, r.admin_user],
        )

    def test_unknown_upload_is_404(self, client, uploads):
        client.force_login(uploads.fund_user)
        assert client.get(reverse("screening:upload_detail", args=[999999])).status_code == 404

    def test_a_running_job_shows_the_polling_progress_bar(self, client, region):
        upload = finished_upload(
            region.mo1_user.organization,
            region.mo1_user,
            status=UploadStatus.RUNNING,
            records_total=200,
            records_read=200,
            records_checked=100,
            records_written=0,
            protocol_issued_at=None,
        )
        client.force_login(region.mo1_user)
        html = client.get(detail_url(upload)).content.decode()
        assert f'hx-get="{reverse("screening:upload_progress", args=[upload.pk])}"' in html
        assert 'hx-trigger="every 1s"' in html
        assert 'data-testid="protocol-counts"' not in html

    def test_progress_partial_returns_the_counts(self, client, region):
        upload = finished_upload(
            region.mo1,
            region.mo1_user,
            status=UploadStatus.RUNNING,
            records_total=200,
            records_read=200,
            records_checked=100,
            records_written=0,
        )
        client.force_login(region.mo1_user)
        response = client.get(reverse("screening:upload_progress", args=[upload.pk]), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert re.search(r'data-testid="progress-read">200<', html)
        assert re.search(r'data-testid="progress-checked">100<', html)
        assert re.search(r'data-testid="progress-written">0<', html)
        assert response.context["progress"]["percent"] == 50
        assert "HX-Refresh" not in response and 'hx-trigger="every 1s"' in html

    def test_progress_of_a_finished_job_reloads_into_the_protocol(self, client, uploads):
        client.force_login(uploads.mo1_user)
        response = client.get(reverse("screening:upload_progress", args=[uploads.own.pk]), HTTP_HX_REQUEST="true")
        assert response["HX-Refresh"] == "true"
        assert "hx-trigger" not in response.content.decode()

    def test_progress_is_scoped(self, client, uploads):
        r = uploads
        assert_scoped(
            client,
            reverse("screening:upload_progress", args=[r.own.pk]),
            allowed_users=[r.mo1_user, r.fund_user],
            denied_users=[r.mo2_user, r.smo1_l2, r.ministry_user],
        )

    def test_protocol_counts_by_code_with_meanings_and_chart(self, client, uploads):
        client.force_login(uploads.mo1_user)
        response = client.get(detail_url(uploads.own))
        html = response.content.decode()
        assert [(row["code"], row["count"]) for row in response.context["codes"]] == [(201, 1), (401, 2)]
        assert "Застрахованное лицо не найдено в регистре" in html
        assert 'id="protocol-chart"' in html and "chart.umd.min.js" in html

    def test_protocol_table_filters_by_code_and_n_zap(self, client, uploads):
        client.force_login(uploads.mo1_user)
        by_code = client.get(detail_url(uploads.own), {"code": 401}).context["errors"]
        assert [e.n_zap for e in by_code] == [3, 7]
        by_n_zap = client.get(detail_url(uploads.own), {"n_zap": 5}).context["errors"]
        assert [(e.n_zap, e.code) for e in by_n_zap] == [(5, 201)]

    def test_protocol_rows_carry_russian_explanations(self, client, uploads):
        client.force_login(uploads.mo1_user)
        html = client.get(detail_url(uploads.own), {"code": 401}).content.decode()
        assert "Прикреплён к МО 270002" in html and "Прикреплён к другой медицинской организации" in html

    def test_protocol_table_is_paginated(self, client, region):
        errors = [{"n_zap": n, "code": 201, "field": "ENP"} for n in range(1, 61)]
        upload = finished_upload(region.mo1, region.mo1_user, errors=errors, records_total=60, records_accepted=0)
        client.force_login(region.mo1_user)
        assert len(client.get(detail_url(upload)).context["errors"]) == 50
        assert [e.n_zap for e in client.get(detail_url(upload), {"page": 2}).context["errors"]] == list(range(51, 61))

    def test_reading_the_protocol_table_is_audited(self, client, uploads):
        client.force_login(uploads.fund_user)
        client.get(detail_url(uploads.own))
        entry = AuditLog.objects.get()
        assert entry.action == AuditAction.LIST and entry.object_type == "protocol"
        assert entry.person_count == 3 and entry.query["upload"] == uploads.own.pk

    def test_clean_protocol_needs_no_correction(self, client, uploads):
        client.force_login(uploads.mo2_user)
        html = client.get(detail_url(uploads.foreign)).content.decode()
        assert "Исправления не требуются" in html and 'data-testid="protocol-clean"' in html

    def test_correction_clock_shows_the_due_date(self, client, uploads):
        due = timezone.localdate() + datetime.timedelta(days=30)
        ListUpload.objects.filter(pk=uploads.own.pk).update(correction_due=due)
        client.force_login(uploads.mo1_user)
        response = client.get(detail_url(uploads.own))
        assert response.context["clock"].due == due and not response.context["clock"].overdue
        assert f"Исправить до {due:%d.%m.%Y}" in response.content.decode()

    def test_correction_clock_says_overdue(self, client, uploads):
        ListUpload.objects.filter(pk=uploads.own.pk).update(correction_due=datetime.date(2020, 1, 15))
        client.force_login(uploads.mo1_user)
        html = client.get(detail_url(uploads.own)).content.decode()
        assert 'data-testid="clock-overdue"' in html and "15.01.2020" in html

    def test_correction_clock_is_five_working_days_after_the_protocol(self, client, uploads):
        # R II.6: Tuesday 30 December 2025 + 5 working days, the New Year holidays skipped = Friday 16 January.
        issued = timezone.make_aware(datetime.datetime(2025, 12, 30, 12, 0))
        ListUpload.objects.filter(pk=uploads.own.pk).update(protocol_issued_at=issued, correction_due=None)
        client.force_login(uploads.mo1_user)
        assert client.get(detail_url(uploads.own)).context["clock"].due == datetime.date(2026, 1, 16)

    def test_a_later_accepted_upload_is_the_correction(self, client, uploads):
        ListUpload.objects.filter(pk=uploads.own.pk).update(correction_due=timezone.localdate())
        later = finished_upload(uploads.mo1, uploads.mo1_user)
        client.force_login(uploads.mo1_user)
        response = client.get(detail_url(uploads.own))
        assert response.context["clock"].correction == later and not response.context["clock"].overdue
        assert "Исправления загружены в срок" in response.content.decode()

    def test_rejected_file_says_so(self, client, region):
        upload = finished_upload(
            region.mo1,
            region.mo1_user,
            status=UploadStatus.REJECTED,
            errors=[{"code": 902, "field": "CODE_MO", "severity": "F", "comment": "В файле код МО 270002"}],
            file_error_code=902,
            records_total=0,
            records_accepted=0,
            records_rejected=0,
            message="Код МО в заголовке 270002 не совпадает с вашей МО 270001",
        )
        client.force_login(region.mo1_user)
        html = client.get(detail_url(upload)).content.decode()
        assert 'data-testid="file-rejected"' in html and "Код МО в заголовке 270002" in html


@pytest.mark.django_db
class TestDownloads:
    def test_protocol_xml(self, client, uploads):
        client.force_login(uploads.mo1_user)
        response = client.get(reverse("screening:protocol_download", args=[uploads.own.pk, "xml"]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert 'filename="VPROF_M270001_2701.xml"' in response["Content-Disposition"]
        content = b"".join(response.streaming_content)
        assert b"<FLK_P>" in content and b"<OSHIB>401</OSHIB>" in content
        assert AuditLog.objects.get().action == AuditAction.EXPORT

    def test_protocol_xlsx(self, client, uploads):
        client.force_login(uploads.fund_user)
        response = client.get(reverse("screening:protocol_download", args=[uploads.own.pk, "xlsx"]))
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        text = " ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)
        assert "401" in text and "Прикреплён к МО 270002" in text

    def test_downloads_are_scoped(self, client, uploads):
        r = uploads
        for fmt in ("xml", "xlsx"):
            assert_scoped(
                client,
                reverse("screening:protocol_download", args=[r.own.pk, fmt]),
                allowed_users=[r.mo1_user, r.fund_user],
                denied_users=[r.mo2_user, r.smo1_l2, r.ministry_user, r.admin_user],
            )

    def test_no_protocol_while_processing(self, client, region):
        upload = finished_upload(region.mo1, region.mo1_user, status=UploadStatus.RUNNING)
        client.force_login(region.mo1_user)
        assert client.get(reverse("screening:protocol_download", args=[upload.pk, "xml"])).status_code == 404

    def test_templates_page_and_files(self, client, region):
        client.force_login(region.mo1_user)
        page = client.get(reverse("screening:upload_templates")).content.decode()
        assert "N_ZAP" in page and "DISP" in page
        csv_response = client.get(reverse("screening:upload_template", args=["csv"]))
        assert csv_response["Content-Type"].startswith("text/csv")
        assert b"N_ZAP" in csv_response.content
        xlsx_response = client.get(reverse("screening:upload_template", args=["xlsx"]))
        header = next(openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active.iter_rows(values_only=True))
        assert "N_ZAP" in header and "DISP" in header


# --- The MO's list deadlines (O2, O7) ------------------------------------------------------------------------------


@pytest.mark.django_db
class TestListDeadlines:
    def make(self, region, kind, year, created):
        u = ListUpload.objects.create(
            mo=region.mo1, kind=kind, year=year, uploaded_by=region.mo1_user, original_name="l.xml",
            status=UploadStatus.DONE,
        )  # fmt: skip
        ListUpload.objects.filter(pk=u.pk).update(created_at=created)

    def test_the_yearly_list_and_the_quarterly_updates_with_their_state(self, region):
        import datetime as dt

        from django.utils import timezone as tz

        from screening.selectors.lists import mo_list_deadlines

        today = dt.date(2026, 5, 12)
        aware = lambda d: tz.make_aware(dt.datetime.combine(d, dt.time(12)))  # noqa: E731
        self.make(region, "UPDATE", 2026, aware(dt.date(2026, 3, 20)))  # Q2 update in time
        self.make(region, "UPDATE", 2027, aware(dt.date(2026, 4, 2)))  # another year's: does not count
        deadlines = {d.label: d for d in mo_list_deadlines(mo_id=region.mo1.pk, today=today)}
        q2, q3 = deadlines["Актуализация списков на 2 квартал"], deadlines["Актуализация списков на 3 квартал"]
        assert (q2.due, q2.done_on, q2.overdue) == (dt.date(2026, 4, 1), dt.date(2026, 3, 20), False)
        assert (q3.due, q3.done_on, q3.overdue) == (dt.date(2026, 7, 1), None, False) and q3.working_days_left > 30
        yearly = deadlines["Списки на 2027 год"]
        # The last working day of 2026: 31 December is a day off by the 2026 transfer (from Saturday 3 January).
        assert yearly.due == dt.date(2026, 12, 30) and yearly.done_on is None  # the 2027 upload was an UPDATE
        late = {d.label: d for d in mo_list_deadlines(mo_id=region.mo1.pk, today=dt.date(2026, 7, 3))}
        assert late["Актуализация списков на 3 квартал"].overdue
        self.make(region, "UPDATE", 2026, aware(dt.date(2026, 7, 5)))
        after = {d.label: d for d in mo_list_deadlines(mo_id=region.mo1.pk, today=dt.date(2026, 7, 6))}
        q3 = after["Актуализация списков на 3 квартал"]
        assert q3.done_on == dt.date(2026, 7, 5) and q3.done_late and not q3.overdue

    def test_the_mo_sees_its_deadlines_and_the_fund_does_not(self, client, region):
        client.force_login(region.mo1_user)
        page = client.get(reverse("screening:uploads")).content.decode()
        assert 'data-testid="list-deadlines"' in page and "Актуализация списков на 2 квартал" in page
        client.force_login(region.fund_user)
        assert 'data-testid="list-deadlines"' not in client.get(reverse("screening:uploads")).content.decode()
