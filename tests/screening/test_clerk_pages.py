"""Pages a clerk reads without help: the wording, counts and names issue 10 found wrong on day one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from participants.models import Person
from screening.models import EventBatch, PlanChange, ProtocolError
from screening.services.plans import year_plan_line_set
from tests.factories import insured_person
from tests.screening.test_events import YEAR, day, ev, post, put_on_list
from tests.screening.test_upload_pages import finished_upload

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_events_batch_counts_rejected_records_not_errors(client, region):
    put_on_list(region.p1, region.mo1, user=region.mo1_user, smo=region.smo1)
    bad = {"enp": "12", "disp": "XX", "event": "NOPE", "date": "soon"}  # one record, four errors
    batch = post(region, [ev(region.p1, "START1", day(3, 5)), bad, {**bad, "enp": "34"}])
    assert (batch.records_accepted, batch.records_rejected) == (1, 2) and len(batch.errors) == 8
    client.force_login(region.mo1_user)
    page = text(client.get(reverse("screening:event_batch", args=[batch.pk])))
    assert re.search(r'data-testid="rejected-records">2<', page)
    assert "ошибок в них: 8" in page
    assert re.search(r">2</div><div class=\"small text-muted\">отклонено", page)


def test_a_progress_url_without_a_measure_shows_the_form_error(client, region):
    client.force_login(region.fund_user)
    response = client.get(reverse("screening:events_progress"), {"year": YEAR})
    page = text(response)
    assert response.status_code == 200
    assert 'data-testid="measure-error"' in page and "Обязательное поле" in page
    assert 'data-testid="progress-form-error"' in page and "исправьте условия отбора" in page
    ok = text(client.get(reverse("screening:events_progress"), {"year": YEAR, "measure": "DVN"}))
    assert "progress-form-error" not in ok and 'data-testid="progress-table"' in ok


def test_the_events_page_describes_the_file_and_offers_templates(client, region):
    client.force_login(region.mo1_user)
    page = text(client.get(reverse("screening:events")))
    assert 'data-testid="events-columns"' in page and "START1 — начат 1 этап" in page
    for fmt in ("csv", "xlsx"):
        assert reverse("screening:events_template", args=[fmt]) in page
        response = client.get(reverse("screening:events_template", args=[fmt]))
        assert response.status_code == 200 and f"EVENTS_template.{fmt}" in response["Content-Disposition"]
    csv_text = client.get(reverse("screening:events_template", args=["csv"])).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "N_ZAP;ENP;DISP;EVENT;DATE;RSLT;DS"


def test_the_list_template_says_the_enp_column_is_needed_but_its_value_is_not(client, region):
    client.force_login(region.mo1_user)
    page = text(client.get(reverse("screening:upload_templates")))
    row = page[page.index("<code>ENP</code>") :][:600]
    assert "колонка — да, значение можно оставить пустым" in row
    assert "пусто, если неизвестен" not in page and "по СНИЛС" in row


def test_the_protocol_explains_the_field_column(client, region):
    upload = finished_upload(
        region.mo1, region.mo1_user, errors=[{"n_zap": 4, "code": 101, "field": "DR", "person_label": "Иванова"}]
    )
    client.force_login(region.mo1_user)
    page = text(client.get(reverse("screening:upload_detail", args=[upload.pk])))
    assert "дата рождения <code>DR</code>" in page
    assert "в элементе «запись о лице»" in page and 'title="SV_PR_MER"' in page
    assert ProtocolError.objects.filter(upload=upload).exists()


def test_list_entries_name_the_smo_and_fall_back_to_the_register_phone(client, region):
    Person.objects.filter(pk=region.p1.pk).update(phone="+79141112233")
    put_on_list(region.p1, region.mo1, user=region.mo1_user, smo=region.smo1)
    client.force_login(region.fund_user)
    page = text(client.get(reverse("screening:list_entries"), {"year": YEAR}))
    assert f"{region.smo1.code}</span> {region.smo1.display_name[:20]}" in page
    assert "+79141112233" in page and "из регистра" in page


def test_the_person_card_keeps_informing_on_one_line(client, region):
    client.force_login(region.smo1_l2)
    page = text(client.get(reverse("persons:detail", args=[region.p1.pk])))
    assert '<dt class="col-12 text-nowrap" data-testid="opt-out-label">Информирование</dt>' in page


def test_the_register_page_tells_a_seeded_register_from_an_empty_one(client, region):
    client.force_login(region.fund_user)
    page = text(client.get(reverse("register:imports")))
    assert "Регистр ещё не загружался." not in page
    assert f"В регистре уже {Person.objects.count()} застрахованных" in page
    Person.objects.all().delete()
    assert "загрузите полный файл РС ЕРЗ" in text(client.get(reverse("register:imports")))


def _full_plan(region, year):
    values = {(m, month): 10 + month for m in ("DVN", "PMO") for month in range(1, 13)}
    year_plan_line_set(user=region.ministry_user, year=year, mo=region.mo1, values=values)


def test_the_plan_overview_speaks_russian_under_the_chart(client, region):
    _full_plan(region, YEAR)
    client.force_login(region.fund_user)
    page = text(client.get(reverse("screening:plans"), {"year": YEAR}))
    assert "ДВН: <strong>" in page and "ПМО: <strong>" in page
    assert "DVN: " not in page and "PMO: " not in page


def test_the_plan_history_is_compact(client, region):
    _full_plan(region, YEAR)
    values = {("DVN", 3): 99}
    year_plan_line_set(user=region.ministry_user, year=YEAR, mo=region.mo1, values=values)
    assert PlanChange.objects.count() == 2
    client.force_login(region.ministry_user)
    page = text(client.get(reverse("screening:plan_year", args=[YEAR])))
    total = sum(10 + month for month in range(1, 13))
    assert f"ДВН: изменено месяцев: 12, всего — → {total}" in page
    assert "ДВН, январь: — → 11" not in page  # twelve lines per measure are gone
    assert "ДВН, март: 13 → 99" in page  # a single change is still named by its month
    assert not EventBatch.objects.exists()


def test_a_person_elsewhere_in_the_list_needs_no_smo(client, region):
    other = insured_person(smo=region.smo2, mo=region.mo1, last_name="Смирнова")
    put_on_list(other, region.mo1, user=region.mo1_user, smo=None)
    client.force_login(region.fund_user)
    assert client.get(reverse("screening:list_entries"), {"year": YEAR}).status_code == 200
