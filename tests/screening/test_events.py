"""Stage events: the EVENTS format, record checks, set-based loading and list entry states [R II.9, II.16, II.22]."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from lxml import etree

from omsportal.jobs.models import JobStatus
from screening.formats.events import EventsFileError, EventsReader, RawEvent, events_xml_bytes, validate_event
from screening.models import EntryState, EventBatch, ListEntry, ListUpload, StageEvent
from screening.services.events import (
    API_MAX_RECORDS,
    event_batch_create_from_api,
    event_batch_create_from_file,
    event_batch_process,
    list_entry_states_refresh,
)
from tests.factories import PersonFactory, insured_person

YEAR = timezone.localdate().year - 1  # a whole past year: every date in it is "not in the future"
TODAY = timezone.localdate()


def day(month: int, dom: int = 1) -> str:
    return datetime.date(YEAR, month, dom).isoformat()


def put_on_list(person, mo, *, user, year=YEAR, measure="DVN", month=3, smo=None) -> ListEntry:
    """A list entry made directly (the list pipeline is another helper's): person on ``mo``'s list."""
    upload = ListUpload.objects.create(mo=mo, year=year, uploaded_by=user, original_name="list.xml", is_current=True)
    return ListEntry.objects.create(
        upload=upload,
        mo=mo,
        year=year,
        measure=measure,
        month=month,
        person=person,
        smo=smo,
        smo_code=smo.code if smo else "27001",
        n_zap=1,
    )


def post(region, events, user=None) -> EventBatch:
    user = user or region.mo1_user
    return event_batch_create_from_api(mo=user.organization, records=events, posted_by=user)


def ev(person, event, date, *, disp="ДВН", rslt=None, ds=None) -> dict:
    record = {"enp": person.enp, "disp": disp, "event": event, "date": date}
    if rslt is not None:
        record["rslt"] = rslt
    if ds is not None:
        record["ds"] = ds
    return record


@pytest.fixture
def listed(region):
    """p1 on MO1's DVN list, a second person on MO1's PMO list."""
    region.e1 = put_on_list(region.p1, region.mo1, user=region.mo1_user, smo=region.smo1)
    region.p3 = insured_person(smo=region.smo1, mo=region.mo1, last_name="Сидоров", sex=1)
    region.e3 = put_on_list(region.p3, region.mo1, user=region.mo1_user, measure="PMO", month=5, smo=region.smo1)
    return region


# --- Record checks (no database) -----------------------------------------------------------------------------------


def check(**fields):
    base = {"n_zap": "1", "enp": "2755000000000011", "disp": "ДВН", "event": "START1", "date": day(3)}
    base.update(fields)
    ds = base.pop("ds", ())
    return validate_event(RawEvent(index=0, ds=tuple(ds), **base), today=TODAY)


def only_error(**fields) -> tuple[str, str]:
    valid, errors = check(**fields)
    assert valid is None
    assert len(errors) == 1, errors
    return errors[0].field, errors[0].message


def test_a_complete_record_passes_and_is_normalized():
    valid, errors = check(disp="dvn", event="end1", rslt="318", ds=["i10", "Е11,9"])
    assert errors == []
    assert (valid.measure, valid.event, valid.result, valid.health_group) == ("DVN", "END1", 318, "II")
    assert valid.diagnoses == ("I10", "E11.9")  # Cyrillic Е and a decimal comma are folded


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"n_zap": ""}, "N_ZAP", "Не заполнен номер записи"),
        ({"n_zap": "x1"}, "N_ZAP", "целым положительным"),
        ({"enp": ""}, "ENP", "Не заполнен ЕНП"),
        ({"enp": "27550000000000"}, "ENP", "16 цифр"),
        ({"enp": "2755000000000012"}, "ENP", "контрольная цифра"),
        ({"disp": ""}, "DISP", "Не указано мероприятие"),
        ({"disp": "ДН"}, "DISP", "ожидается ДВН или ПМО"),
        ({"event": ""}, "EVENT", "Не указано событие"),
        ({"event": "FINISHED"}, "EVENT", "Недопустимое событие"),
        ({"disp": "ПМО", "event": "TO_STAGE2"}, "EVENT", "не применяется к профилактическому"),
        ({"disp": "PMO", "event": "END2", "rslt": "343"}, "EVENT", "не применяется к профилактическому"),
        ({"date": ""}, "DATE", "Не указана дата"),
        ({"date": "02.03.2027"}, "DATE", "ГГГГ-ММ-ДД"),
        ({"date": f"{YEAR}-02-30"}, "DATE", "ГГГГ-ММ-ДД"),
        ({"date": (TODAY + datetime.timedelta(days=1)).isoformat()}, "DATE", "позже текущей даты"),
        ({"event": "END1"}, "RSLT", "обязателен результат RSLT"),
        ({"event": "END2"}, "RSLT", "обязателен результат RSLT"),
        ({"event": "END1", "rslt": "abc"}, "RSLT", "не является кодом"),
        ({"event": "END1", "rslt": "343"}, "RSLT", "Результат 343 не соответствует событию END1 мероприятия ДВН"),
        ({"event": "END2", "rslt": "352"}, "RSLT", "не соответствует событию END2"),
        ({"disp": "ПМО", "event": "END1", "rslt": "317"}, "RSLT", "мероприятия ПМО: допустимы 343, 344, 373, 374"),
        ({"event": "START1", "rslt": "317"}, "RSLT", "только для событий END1 и END2"),
        ({"ds": ["I10", "hypertension"]}, "DS", "формату МКБ-10"),
        ({"ds": ["I1"]}, "DS", "формату МКБ-10"),
        ({"ds": ["I10.123"]}, "DS", "формату МКБ-10"),
    ],
)
def test_each_invalid_field_is_named_with_a_russian_reason(fields, field, fragment):
    got_field, message = only_error(**fields)
    assert got_field == field
    assert fragment in message


@pytest.mark.parametrize(
    ("disp", "event", "rslt", "group"),
    [
        ("ДВН", "END1", "317", "I"),
        ("ДВН", "END1", "356", "IIIb"),
        ("ДВН", "END1", "357", "IIIa"),
        ("ДВН", "END2", "355", "IIIa"),
        ("ПМО", "END1", "344", "II"),
        ("ПМО", "END1", "374", "IIIb"),
    ],
)
def test_v009_results_give_the_health_group(disp, event, rslt, group):
    valid, errors = check(disp=disp, event=event, rslt=rslt)
    assert not errors
    assert valid.health_group == group


def test_several_errors_of_one_record_are_all_reported():
    valid, errors = check(enp="1", event="END1", ds=["??"])
    assert valid is None
    assert {e.field for e in errors} == {"ENP", "RSLT", "DS"}


# --- Reader --------------------------------------------------------------------------------------------------------


def sample_xml(records, code_mo="270001") -> bytes:
    return events_xml_bytes(code_mo=code_mo, filename="EV_M270001", date=TODAY, records=records)


def read_all(data: bytes, name="events.xml", on_header=None):
    reader = EventsReader(io.BytesIO(data), name=name, on_header=on_header)
    return reader, list(reader.records())


def test_the_reader_streams_records_with_repeated_ds_and_the_header():
    data = sample_xml(
        [
            {
                "enp": "2755000000000011",
                "disp": "ДВН",
                "event": "END1",
                "date": day(3),
                "rslt": 318,
                "ds": ["I10", "E11.9"],
            }
        ]
    )
    seen = []
    _reader, records = read_all(data, on_header=seen.append)
    assert seen and seen[0].code_mo == "270001" and seen[0].version == "1.0"
    assert records == [
        RawEvent(
            index=0,
            n_zap="1",
            enp="2755000000000011",
            disp="ДВН",
            event="END1",
            date=day(3),
            rslt="318",
            ds=("I10", "E11.9"),
        )
    ]


def test_the_sample_file_validates_against_the_documented_xsd():
    schema = etree.XMLSchema(etree.parse(str(settings.BASE_DIR / "docs" / "formats" / "events.xsd")))
    data = sample_xml(
        [
            {"enp": "2755000000000011", "disp": "ДВН", "event": "START1", "date": day(3)},
            {"enp": "2755000000000011", "disp": "ПМО", "event": "END1", "date": day(3), "rslt": 343, "ds": ["I10"]},
        ]
    )
    schema.assertValid(etree.fromstring(data))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"not xml at all <", "нет столбцов"),  # text, not XML: read as CSV, whose header it is not
        (b"<EVENTS><ZGLV></EVENTS>", "Ошибка XML"),
        (b'<?xml version="1.0"?><LIST><ZGLV/></LIST>', "Корневой элемент"),
        (
            b'<?xml version="1.0"?><!DOCTYPE EVENTS [<!ENTITY a "x">]><EVENTS><ZGLV/></EVENTS>',
            "DOCTYPE",
        ),
        (b'<?xml version="1.0"?><EVENTS><EV><ENP>1</ENP></EV></EVENTS>', "ZGLV должен предшествовать"),
        (b'<?xml version="1.0"?><EVENTS></EVENTS>', "нет заголовка ZGLV"),
        (
            b'<?xml version="1.0"?><EVENTS><ZGLV><VERSION>2.0</VERSION><DATA>2026-01-01</DATA>'
            b"<FILENAME>x</FILENAME><CODE_MO>270001</CODE_MO></ZGLV></EVENTS>",
            "Версия формата",
        ),
        (
            b'<?xml version="1.0"?><EVENTS><ZGLV><VERSION>1.0</VERSION><DATA>2026-01-01</DATA>'
            b"<FILENAME>x</FILENAME></ZGLV></EVENTS>",
            "CODE_MO",
        ),
    ],
)
def test_unreadable_files_are_rejected_whole_with_a_reason(data, fragment):
    with pytest.raises(EventsFileError) as exc:
        read_all(data)
    assert fragment in str(exc.value)


def test_windows_1251_and_zipped_files_are_read():
    xml = sample_xml([{"enp": "2755000000000011", "disp": "ДВН", "event": "START1", "date": day(3)}])
    cp1251 = xml.decode("utf-8").replace("encoding='UTF-8'", "encoding='windows-1251'").encode("windows-1251")
    assert b"windows-1251" in cp1251
    _reader, records = read_all(cp1251)
    assert records[0].disp == "ДВН"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("EV_M270001.xml", cp1251)
    _reader, records = read_all(buffer.getvalue(), name="EV.zip")
    assert records[0].disp == "ДВН"


def test_csv_twin_is_read_with_the_same_columns():
    data = "N_ZAP;ENP;DISP;EVENT;DATE;RSLT;DS\n1;2755000000000011;ПМО;END1;2026-03-02;343;I10, E11.9\n".encode(
        "windows-1251"
    )
    reader, records = read_all(data, name="events.csv")
    assert reader.file_format == "CSV"
    assert records[0].ds == ("I10", "E11.9") and records[0].rslt == "343"


# --- Loading and states --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_valid_records_load_and_invalid_ones_are_listed_by_index_and_field(listed):
    batch = post(
        listed,
        [
            ev(listed.p1, "START1", day(3, 2)),
            ev(listed.p1, "END1", day(3, 5)),  # RSLT missing
            {"enp": "123", "disp": "ДВН", "event": "START1", "date": day(3)},
        ],
    )
    assert batch.status == JobStatus.DONE
    assert (batch.records_total, batch.records_accepted, batch.records_rejected) == (3, 1, 2)
    assert [(e["index"], e["field"]) for e in batch.errors] == [(1, "RSLT"), (2, "ENP")]
    assert StageEvent.objects.count() == 1
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.state_date) == (EntryState.STARTED, datetime.date(YEAR, 3, 2))


@pytest.mark.django_db
def test_a_person_not_on_the_mos_list_is_rejected(listed):
    stranger = PersonFactory()
    batch = post(
        listed,
        [
            ev(stranger, "START1", day(3)),  # in the register, on no list
            ev(listed.p2, "START1", day(3)),  # on MO2's side
            ev(listed.p1, "START1", day(3), disp="ПМО"),  # p1 is listed for DVN, not PMO
            {"enp": "2755000000000011", "disp": "ДВН", "event": "START1", "date": day(3)},  # not in the register
        ],
    )
    put_on_list(listed.p2, listed.mo2, user=listed.mo2_user)
    assert batch.records_accepted == 0 and batch.records_rejected == 4
    assert all(e["field"] == "ENP" for e in batch.errors)
    assert batch.errors[0]["message"] == f"Лицо не включено в список вашей МО на {YEAR} год по мероприятию ДВН"
    assert "ПМО" in batch.errors[2]["message"]
    assert not StageEvent.objects.exists()


@pytest.mark.django_db
def test_the_event_year_must_be_a_year_of_the_list(listed):
    batch = post(listed, [ev(listed.p1, "START1", datetime.date(YEAR - 1, 12, 30).isoformat())])
    assert batch.records_rejected == 1
    assert f"на {YEAR - 1} год" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_another_mo_cannot_post_for_a_person_on_mo1s_list(listed):
    batch = post(listed, [ev(listed.p1, "START1", day(3))], user=listed.mo2_user)
    assert batch.records_rejected == 1
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.LISTED


@pytest.mark.django_db
def test_reposting_the_same_batch_creates_no_duplicates(listed):
    events = [
        ev(listed.p1, "START1", day(3, 2)),
        ev(listed.p1, "END1", day(3, 5), rslt=318, ds=["I10"]),
        ev(listed.p3, "START1", day(5, 4), disp="ПМО"),
    ]
    first = post(listed, events)
    second = post(listed, events)
    assert first.records_accepted == second.records_accepted == 3
    assert StageEvent.objects.count() == 3
    assert StageEvent.objects.filter(batch=second).count() == 0  # nothing rewritten
    assert "без изменений (уже переданы): 3" in second.message
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.health_group) == (EntryState.STAGE1_DONE, "II")


@pytest.mark.django_db
def test_the_same_event_twice_in_one_batch_is_stored_once_and_the_later_record_wins(listed):
    batch = post(
        listed,
        [ev(listed.p1, "END1", day(3, 5), rslt=317), ev(listed.p1, "END1", day(3, 5), rslt=355, ds=["I10"])],
    )
    assert batch.records_accepted == 2
    event = StageEvent.objects.get()
    assert (event.result, event.health_group, event.diagnoses) == (355, "IIIa", ["I10"])


@pytest.mark.django_db
def test_a_reposted_event_with_a_corrected_result_updates_it(listed):
    post(listed, [ev(listed.p1, "END1", day(3, 5), rslt=317)])
    batch = post(listed, [ev(listed.p1, "END1", day(3, 5), rslt=318, ds=["E11.9"])])
    event = StageEvent.objects.get()
    assert (event.result, event.health_group, event.diagnoses, event.batch_id) == (318, "II", ["E11.9"], batch.id)
    assert "исправлено: 1" in batch.message
    listed.e1.refresh_from_db()
    assert listed.e1.health_group == "II"


@pytest.mark.django_db
def test_dvn_stage2_path_updates_the_state_at_each_step(listed):
    entry = listed.e1
    steps = [
        (ev(listed.p1, "START1", day(3, 2)), EntryState.STARTED, ""),
        (ev(listed.p1, "END1", day(3, 10), rslt=357), EntryState.STAGE2_SENT, "IIIa"),
        (ev(listed.p1, "TO_STAGE2", day(3, 10)), EntryState.STAGE2_SENT, "IIIa"),
        (ev(listed.p1, "END2", day(4, 20), rslt=356, ds=["I10", "E78.0"]), EntryState.STAGE2_DONE, "IIIb"),
    ]
    for record, state, group in steps:
        post(listed, [record])
        entry.refresh_from_db()
        assert (entry.state, entry.health_group) == (state, group), record["event"]
    assert entry.state_date == datetime.date(YEAR, 4, 20)


@pytest.mark.django_db
def test_dvn_finished_at_stage1(listed):
    post(listed, [ev(listed.p1, "START1", day(3, 2)), ev(listed.p1, "END1", day(3, 3), rslt=317)])
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.health_group) == (EntryState.STAGE1_DONE, "I")


@pytest.mark.django_db
def test_pmo_path(listed):
    post(listed, [ev(listed.p3, "START1", day(5, 4), disp="ПМО")])
    listed.e3.refresh_from_db()
    assert listed.e3.state == EntryState.PMO_STARTED
    post(listed, [ev(listed.p3, "END1", day(5, 6), disp="PMO", rslt=373)])
    listed.e3.refresh_from_db()
    assert (listed.e3.state, listed.e3.health_group, listed.e3.state_date) == (
        EntryState.PMO_DONE,
        "IIIa",
        datetime.date(YEAR, 5, 6),
    )


@pytest.mark.django_db
def test_refusal_of_stage2_keeps_the_stage1_health_group(listed):
    post(listed, [ev(listed.p1, "END1", day(3, 10), rslt=353), ev(listed.p1, "REFUSED", day(3, 10))])
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.health_group) == (EntryState.REFUSED, "II")


@pytest.mark.django_db
def test_an_event_posted_late_with_an_earlier_date_does_not_move_the_state_back(listed):
    post(listed, [ev(listed.p1, "END1", day(3, 10), rslt=318)])
    post(listed, [ev(listed.p1, "START1", day(3, 2))])
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.state_date) == (EntryState.STAGE1_DONE, datetime.date(YEAR, 3, 10))


@pytest.mark.django_db
def test_states_are_restored_from_events_for_a_recreated_entry(listed):
    post(listed, [ev(listed.p1, "END1", day(3, 10), rslt=352)])
    listed.e1.delete()  # a list re-upload recreates the entry
    entry = put_on_list(listed.p1, listed.mo1, user=listed.mo1_user, smo=listed.smo1)
    assert entry.state == EntryState.LISTED
    assert list_entry_states_refresh(entry_ids=[entry.id]) == 1
    entry.refresh_from_db()
    assert (entry.state, entry.health_group) == (EntryState.STAGE2_SENT, "I")


@pytest.mark.django_db
def test_api_batches_are_limited_in_size(listed):
    with pytest.raises(ValueError):
        post(listed, [{}] * (API_MAX_RECORDS + 1))


# --- Files ---------------------------------------------------------------------------------------------------------


def upload(region, data: bytes, name="EV_M270001.xml", user=None) -> EventBatch:
    user = user or region.mo1_user
    return event_batch_create_from_file(
        mo=user.organization, file=ContentFile(data, name=name), original_name=name, posted_by=user, run_async=False
    )


@pytest.mark.django_db
def test_a_file_loads_its_valid_records_and_names_errors_by_n_zap(listed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = sample_xml(
        [
            {"n_zap": 7, "enp": listed.p1.enp, "disp": "ДВН", "event": "END1", "date": day(3, 5), "rslt": 318},
            {"n_zap": 8, "enp": listed.p3.enp, "disp": "ПМО", "event": "END2", "date": day(5, 5), "rslt": 343},
        ]
    )
    batch = upload(listed, data)
    assert batch.status == JobStatus.DONE
    assert (batch.records_accepted, batch.records_rejected) == (1, 1)
    assert batch.errors == [
        {
            "index": 1,
            "n_zap": 8,
            "field": "EVENT",
            "message": "Событие END2 не применяется к профилактическому медицинскому осмотру (ПМО)",
        }
    ]
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.STAGE1_DONE


@pytest.mark.django_db
def test_a_file_of_another_mo_is_rejected_whole(listed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = sample_xml([{"enp": listed.p1.enp, "disp": "ДВН", "event": "START1", "date": day(3)}], code_mo="270002")
    batch = upload(listed, data)
    assert batch.status == JobStatus.REJECTED
    assert "Код МО в заголовке (270002) не совпадает" in batch.message
    assert not StageEvent.objects.exists()


@pytest.mark.django_db
def test_a_file_broken_after_valid_records_loads_nothing(listed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    good = sample_xml([{"enp": listed.p1.enp, "disp": "ДВН", "event": "START1", "date": day(3)}])
    broken = good.replace(b"</EVENTS>", b"<EV><N_ZAP>2</N_ZAP></EVENTS>")
    batch = upload(listed, broken)
    assert batch.status == JobStatus.REJECTED
    assert "Ошибка XML" in batch.message
    assert not StageEvent.objects.exists()
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.LISTED


@pytest.mark.django_db
def test_a_file_with_a_doctype_is_rejected(listed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = b'<?xml version="1.0"?><!DOCTYPE EVENTS SYSTEM "http://example.com/x.dtd"><EVENTS/>'
    batch = upload(listed, data)
    assert batch.status == JobStatus.REJECTED
    assert "DOCTYPE" in batch.message


@pytest.mark.django_db
def test_the_file_job_runs_through_the_celery_task_and_runs_once(
    listed, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    data = sample_xml([{"enp": listed.p1.enp, "disp": "ДВН", "event": "START1", "date": day(3)}])
    with django_capture_on_commit_callbacks(execute=True):
        batch = event_batch_create_from_file(
            mo=listed.mo1, file=ContentFile(data, name="ev.xml"), original_name="ev.xml", posted_by=listed.mo1_user
        )
    batch.refresh_from_db()
    assert batch.status == JobStatus.DONE and batch.records_accepted == 1
    # A redelivered task finds the batch claimed and does nothing.
    again = event_batch_process(batch_id=batch.id)
    assert again.status == JobStatus.DONE
    assert StageEvent.objects.count() == 1


def test_a_celery_worker_finds_the_task_by_autodiscovery():
    # A fresh interpreter, as a worker starts: only what autodiscovery imports is registered.
    code = (
        "import django; django.setup(); from omsportal.celery import app; "
        "app.loader.import_default_modules(); print('screening.event_batch_process' in app.tasks)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "omsportal.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=120
    )
    assert result.stdout.strip().endswith("True"), result.stderr[-2000:]


@pytest.mark.celery_worker
def test_a_file_batch_runs_on_a_real_worker_through_redis(real_celery_worker, region, settings, tmp_path):
    import time

    settings.MEDIA_ROOT = tmp_path
    entry = put_on_list(region.p1, region.mo1, user=region.mo1_user, smo=region.smo1)
    data = sample_xml([{"enp": region.p1.enp, "disp": "ДВН", "event": "START1", "date": day(3)}])
    batch = event_batch_create_from_file(
        mo=region.mo1, file=ContentFile(data, name="ev.xml"), original_name="ev.xml", posted_by=region.mo1_user
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.status == JobStatus.DONE:
            break
        time.sleep(0.2)
    assert batch.status == JobStatus.DONE, batch.message
    entry.refresh_from_db()
    assert entry.state == EntryState.STARTED


# --- Stage 2 across the new year -----------------------------------------------------------------------------------

# A day of this year's January that is not in the future.
NEXT_JANUARY = min(datetime.date(YEAR + 1, 1, 20), TODAY).isoformat()


@pytest.mark.django_db
def test_stage2_sent_in_december_may_end_in_january_on_the_previous_years_entry(listed):
    post(listed, [ev(listed.p1, "START1", day(12, 1)), ev(listed.p1, "END1", day(12, 20), rslt=357)])
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.STAGE2_SENT
    batch = post(listed, [ev(listed.p1, "END2", NEXT_JANUARY, rslt=356, ds=["I10"])])
    assert batch.records_rejected == 0, batch.errors
    listed.e1.refresh_from_db()
    assert (listed.e1.state, listed.e1.health_group) == (EntryState.STAGE2_DONE, "IIIb")
    assert listed.e1.state_date.isoformat() == NEXT_JANUARY
    assert StageEvent.objects.get(event="END2").entry_id == listed.e1.pk


@pytest.mark.django_db
def test_stage2_sent_and_ended_across_the_new_year_in_one_batch(listed):
    batch = post(
        listed,
        [ev(listed.p1, "END1", day(12, 20), rslt=352), ev(listed.p1, "END2", NEXT_JANUARY, rslt=317)],
    )
    assert batch.records_rejected == 0, batch.errors
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.STAGE2_DONE


@pytest.mark.django_db
def test_only_a_stage2_ending_crosses_the_new_year(listed):
    post(listed, [ev(listed.p1, "END1", day(12, 20), rslt=317)])  # finished at stage 1: nothing to end in January
    january = [
        ev(listed.p1, "END2", NEXT_JANUARY, rslt=356),
        ev(listed.p1, "START1", NEXT_JANUARY),
    ]
    batch = post(listed, january)
    assert batch.records_rejected == 2
    assert all(f"на {YEAR + 1} год" in error["message"] for error in batch.errors)
    listed.e1.refresh_from_db()
    assert listed.e1.state == EntryState.STAGE1_DONE
