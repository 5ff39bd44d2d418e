"""Every route of the project (web and API), for every role: the answer each role gets is written down here.

The test walks the URL configuration itself. A route that is in neither :data:`MATRIX` nor :data:`NOT_HERE` fails
the test, so a new page or endpoint is untested for roles only by an explicit choice (an entry in ``NOT_HERE``
saying why). Each route is requested with GET as a user of every role, on objects owned by MO 1 / insured by
SMO 1; the expected status is the one the role must get (200 for the owner and readers, 403 for a read-only member
asking for an edit form, 404 for an outsider, 302 where a page sends a role elsewhere, 405 for POST-only routes).
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from participants.services.register_import import register_import_create
from reports.models import NonCompliance
from screening.models import StageEvent
from screening.services.events import event_batch_create_from_api
from screening.services.plans import brigade_trip_create, routing_rule_create, special_day_create
from surveys.models import AppealTopic, CallItem, CallList, Questionnaire
from surveys.services.appeals import appeal_register
from surveys.shipped import ensure_loaded
from tests.participants.test_register_import import pers, register_xml
from tests.screening.factories import rec, upload, zl_list_xml
from tests.screening.promed import perm_xml

ROLES = ("mo", "l1", "l2", "l3", "fund", "ministry", "admin")
USERS = {
    "mo": "mo1_user",
    "l1": "smo1_l1",
    "l2": "smo1_l2",
    "l3": "smo1_l3",
    "fund": "fund_user",
    "ministry": "ministry_user",
    "admin": "admin_user",
}
YEAR = 2027


def row(mo, l1, l2, l3, fund, ministry, admin) -> dict[str, int]:
    return dict(zip(ROLES, (mo, l1, l2, l3, fund, ministry, admin), strict=True))


ALL_200 = row(200, 200, 200, 200, 200, 200, 200)
FUND_ONLY = row(404, 404, 404, 404, 200, 404, 404)
PERSON_PAGES = row(200, 200, 200, 200, 200, 404, 404)
MO_FUND = row(200, 404, 404, 404, 200, 404, 404)
LIST_COUNTS = row(200, 404, 200, 200, 200, 200, 404)
LIST_PERSONS = row(200, 404, 200, 200, 200, 404, 404)
PLAN_READERS = row(200, 200, 200, 200, 200, 200, 404)
MO_EDITS = row(200, 403, 403, 403, 403, 403, 404)  # the MO's own plan forms: readers 403
MINISTRY_EDITS = row(403, 403, 403, 403, 403, 200, 404)
POST_ONLY = row(405, 405, 405, 405, 405, 405, 404)
API_EVENTS = row(200, 403, 200, 200, 200, 403, 403)
REGION_READERS = row(404, 404, 404, 404, 200, 200, 404)
API_BATCHES = row(200, 403, 403, 403, 200, 403, 403)
INFORMING = row(404, 404, 200, 200, 200, 404, 404)  # SMO L2/L3 their SMO's, the Fund every SMO's
INFORMING_BATCHES = row(404, 200, 200, 200, 200, 404, 404)  # + L1: the phone batches assigned to them
INFORMING_POST_ONLY = row(404, 404, 405, 405, 405, 404, 404)
API_INFORMING = row(403, 403, 200, 200, 200, 403, 403)
SURVEY_FORMS = row(404, 200, 200, 200, 200, 404, 404)
SURVEY_L2_FUND = row(404, 404, 200, 404, 200, 404, 404)
SURVEY_RESULTS = row(200, 404, 200, 200, 200, 404, 404)
SURVEY_APPEALS = row(404, 200, 200, 200, 200, 404, 404)
API_SURVEY_L2_FUND = row(403, 403, 200, 403, 200, 403, 403)
API_SURVEY_L1 = row(403, 200, 403, 403, 403, 403, 403)
API_SURVEY_APPEALS = row(403, 200, 200, 200, 200, 403, 403)

# route name -> (URL kwargs from the world, expected GET status per role)
MATRIX: dict[str, tuple] = {
    # participants and the kit
    "home": (None, ALL_200),  # the Fund: its dashboard, the Ministry: its coverage view
    "login": (None, row(302, 302, 302, 302, 302, 302, 302)),  # signed in: straight on
    "logout": (None, row(405, 405, 405, 405, 405, 405, 405)),  # POST only
    "password_change": (None, ALL_200),
    "password_change_done": (None, ALL_200),
    "set_language": (None, row(302, 302, 302, 302, 302, 302, 302)),  # GET: back where the user was
    "persons:search": (None, PERSON_PAGES),
    "persons:detail": (lambda w: {"pk": w.person.pk}, row(200, 404, 200, 200, 200, 404, 404)),
    "register:imports": (None, FUND_ONLY),
    "register:detail": (lambda w: {"pk": w.register_import.pk}, FUND_ONLY),
    "register:progress": (lambda w: {"pk": w.register_import.pk}, FUND_ONLY),
    "organizations": (None, ALL_200),
    "organization_detail": (lambda w: {"pk": w.mo.pk}, ALL_200),
    "audit:log": (None, FUND_ONLY),
    "audit:export": (None, FUND_ONLY),
    # screening: uploads and protocols
    "screening:uploads": (None, MO_FUND),
    "screening:upload_detail": (lambda w: {"pk": w.upload.pk}, MO_FUND),
    "screening:upload_progress": (lambda w: {"pk": w.upload.pk}, MO_FUND),
    "screening:upload_confirm_replace": (lambda w: {"pk": w.upload.pk}, row(405, 404, 404, 404, 405, 404, 404)),
    "screening:protocol_download": (lambda w: {"pk": w.upload.pk, "fmt": "xml"}, MO_FUND),
    "screening:protocol_answer": (lambda w: {"pk": w.perm_upload.pk}, MO_FUND),
    "screening:upload_templates": (None, ALL_200),
    "screening:upload_template": (lambda w: {"fmt": "csv"}, ALL_200),
    "screening:events_template": (lambda w: {"fmt": "xlsx"}, ALL_200),
    "screening:plan_progress": (None, row(200, 404, 404, 404, 200, 200, 404)),
    "screening:plan_progress_export": (None, row(200, 404, 404, 404, 200, 200, 404)),
    # lists
    "screening:lists": (None, LIST_COUNTS),
    "screening:list_entries": (None, LIST_PERSONS),
    "screening:list_export": (lambda w: {"fmt": "csv"}, LIST_PERSONS),
    # plans
    "screening:plans": (None, PLAN_READERS),
    "screening:plan_history": (None, PLAN_READERS),
    "screening:plan_year": (lambda w: {"year": YEAR}, PLAN_READERS),
    "screening:plan_year_upload": (lambda w: {"year": YEAR}, MINISTRY_EDITS),
    "screening:plan_year_template": (lambda w: {"year": YEAR}, row(403, 200, 200, 200, 200, 200, 404)),
    "screening:plan_year_approve": (lambda w: {"year": YEAR}, POST_ONLY),
    "screening:plan_year_reopen": (lambda w: {"year": YEAR}, POST_ONLY),
    "screening:plan_year_mo_edit": (lambda w: {"year": YEAR, "mo_id": w.mo.pk}, MINISTRY_EDITS),
    "screening:plan_mo": (lambda w: {"mo_id": w.mo.pk}, PLAN_READERS),
    "screening:plan_districts": (lambda w: {"mo_id": w.mo.pk, "year": YEAR}, PLAN_READERS),
    "screening:plan_districts_edit": (lambda w: {"mo_id": w.mo.pk, "year": YEAR, "measure": "DVN"}, MO_EDITS),
    "screening:plan_schedule_edit": (lambda w: {"mo_id": w.mo.pk, "year": YEAR}, MO_EDITS),
    "screening:plan_brigades": (lambda w: {"mo_id": w.mo.pk}, PLAN_READERS),
    "screening:plan_brigade_create": (lambda w: {"mo_id": w.mo.pk}, MO_EDITS),
    "screening:plan_brigade_edit": (lambda w: {"pk": w.trip.pk}, MO_EDITS),
    "screening:plan_brigade_delete": (lambda w: {"pk": w.trip.pk}, MO_EDITS),
    "screening:plan_special_days": (lambda w: {"mo_id": w.mo.pk}, PLAN_READERS),
    "screening:plan_special_day_create": (lambda w: {"mo_id": w.mo.pk}, MO_EDITS),
    "screening:plan_special_day_edit": (lambda w: {"pk": w.special_day.pk}, MO_EDITS),
    "screening:plan_special_day_delete": (lambda w: {"pk": w.special_day.pk}, MO_EDITS),
    "screening:plan_routing": (lambda w: {"mo_id": w.mo.pk}, PLAN_READERS),
    "screening:plan_routing_create": (lambda w: {"mo_id": w.mo.pk}, MO_EDITS),
    "screening:plan_routing_edit": (lambda w: {"pk": w.rule.pk}, MO_EDITS),
    "screening:plan_routing_delete": (lambda w: {"pk": w.rule.pk}, MO_EDITS),
    # stage events: roles without batches are sent to the progress page
    "screening:events": (None, row(200, 404, 302, 302, 200, 302, 404)),
    "screening:events_progress": (None, LIST_COUNTS),
    "screening:event_batch": (lambda w: {"pk": w.batch.pk}, MO_FUND),
    "screening:event_batch_status": (lambda w: {"pk": w.batch.pk}, MO_FUND),
    # informing
    "informing:due": (None, INFORMING),
    "informing:due_persons": (None, INFORMING),
    "informing:texts": (None, INFORMING),
    "informing:text": (lambda w: {"pk": w.template.pk}, INFORMING),
    "informing:text_preview": (lambda w: {"pk": w.template.pk}, INFORMING_POST_ONLY),
    "informing:batches": (None, INFORMING_BATCHES),
    "informing:batch": (lambda w: {"pk": w.inform_batch.pk}, INFORMING_BATCHES),
    "informing:batch_file": (lambda w: {"pk": w.inform_batch.pk, "fmt": "phone"}, INFORMING_BATCHES),
    "informing:batch_unreachable": (lambda w: {"pk": w.inform_batch.pk}, INFORMING),  # not level 1: no phone list
    "informing:facts": (None, INFORMING),
    "informing:upload": (lambda w: {"pk": w.inform_upload.pk}, INFORMING),
    "informing:optouts": (None, INFORMING),
    "informing:channel_preference": (None, INFORMING_POST_ONLY),
    "informing:unsubscribe": (lambda w: {"token": w.unsubscribe_token}, ALL_200),  # public: the signed link
    "informing:effectiveness": (None, INFORMING),
    "informing:effectiveness_report": (None, INFORMING),
    "informing:control": (None, FUND_ONLY),
    "informing:counts": (None, row(200, 404, 200, 200, 200, 200, 404)),  # counts only: MOs and the Ministry too
    "informing_api:fact-list": (None, API_INFORMING),
    "informing_api:fact-detail": (lambda w: {"pk": w.fact.pk}, API_INFORMING),
    "informing_api:upload-list": (None, API_INFORMING),
    "informing_api:upload-detail": (lambda w: {"pk": w.inform_upload.pk}, API_INFORMING),
    # reports: obligations, non-compliance, the SMO's reports, the dashboard, coverage, the Ministry's report
    "reports:noncompliance": (None, row(200, 200, 200, 200, 200, 200, 404)),
    "reports:noncompliance_detail": (lambda w: {"pk": w.noncompliance.pk}, MO_FUND),  # MO 1's own, not forwarded
    "reports:noncompliance_forward": (None, row(404, 404, 404, 404, 405, 404, 404)),  # POST only
    "reports:filings": (None, row(404, 404, 200, 404, 200, 404, 404)),
    "reports:dashboard": (None, FUND_ONLY),
    "reports:dashboard_export": (lambda w: {"table": "mo", "fmt": "xlsx"}, FUND_ONLY),
    "reports:coverage": (None, REGION_READERS),
    "reports:coverage_export": (lambda w: {"fmt": "csv"}, REGION_READERS),
    "reports:ministry_report": (lambda w: {"fmt": "pdf"}, REGION_READERS),
    # surveys: questionnaires
    "surveys:forms": (None, SURVEY_FORMS),
    "surveys:form_create": (None, row(404, 403, 200, 403, 200, 404, 404)),
    "surveys:form_detail": (lambda w: {"pk": w.questionnaire.pk}, SURVEY_FORMS),
    "surveys:form_version_create": (lambda w: {"pk": w.questionnaire.pk}, row(404, 403, 404, 403, 200, 404, 404)),
    # surveys: quotas, call lists, the operators' workspace, results, reports, appeals
    "surveys:quotas": (None, SURVEY_L2_FUND),
    "surveys:call_list_create": (None, row(404, 404, 200, 404, 403, 404, 404)),
    "surveys:call_list": (lambda w: {"pk": w.call_list.pk}, SURVEY_L2_FUND),
    "surveys:call_list_close": (lambda w: {"pk": w.call_list.pk}, row(404, 404, 405, 404, 405, 404, 404)),
    "surveys:supervisor": (None, row(404, 404, 200, 404, 404, 404, 404)),
    "surveys:workspace": (None, row(404, 200, 404, 404, 404, 404, 404)),
    "surveys:call_next": (None, row(404, 405, 404, 404, 404, 404, 404)),
    "surveys:call_outcome": (lambda w: {"pk": w.call_item.pk}, row(404, 405, 404, 404, 404, 404, 404)),
    "surveys:results": (None, SURVEY_RESULTS),
    "surveys:results_xlsx": (None, SURVEY_RESULTS),
    "surveys:reports": (None, SURVEY_L2_FUND),
    "surveys:appeals": (None, SURVEY_APPEALS),
    "surveys:appeal_create": (None, row(404, 200, 200, 200, 403, 404, 404)),
    "surveys:appeals_overdue": (None, row(404, 302, 200, 200, 200, 404, 404)),
    "surveys:appeal": (lambda w: {"pk": w.appeal.pk}, SURVEY_APPEALS),
    "surveys_api:form-list": (None, row(403, 200, 200, 200, 200, 403, 403)),
    "surveys_api:form-detail": (lambda w: {"pk": w.questionnaire.pk}, row(403, 200, 200, 200, 200, 403, 403)),
    "surveys_api:quotas": (None, API_SURVEY_L2_FUND),
    "surveys_api:results": (None, row(200, 403, 200, 200, 200, 403, 403)),
    "surveys_api:call-list-list": (None, API_SURVEY_L2_FUND),
    "surveys_api:call-list-detail": (lambda w: {"pk": w.call_list.pk}, API_SURVEY_L2_FUND),
    "surveys_api:operator-call-list": (None, API_SURVEY_L1),
    "surveys_api:operator-call-detail": (lambda w: {"pk": w.call_item.pk}, row(403, 404, 403, 403, 403, 403, 403)),
    "surveys_api:operator-call-next": (None, row(403, 405, 403, 403, 403, 403, 403)),
    "surveys_api:operator-call-outcome": (lambda w: {"pk": w.call_item.pk}, row(403, 405, 403, 403, 403, 403, 403)),
    "surveys_api:appeal-list": (None, API_SURVEY_APPEALS),
    "surveys_api:appeal-detail": (lambda w: {"pk": w.appeal.pk}, API_SURVEY_APPEALS),
    "surveys_api:appeal-route": (lambda w: {"pk": w.appeal.pk}, row(403, 405, 405, 405, 405, 403, 403)),
    "surveys_api:appeal-answer": (lambda w: {"pk": w.appeal.pk}, row(403, 405, 405, 405, 405, 403, 403)),
    # API v1
    "api-schema": (None, ALL_200),
    "api-docs": (None, ALL_200),
    "participants_api:auth-token": (None, row(405, 405, 405, 405, 405, 405, 405)),  # POST / DELETE
    "participants_api:me": (None, ALL_200),
    "participants_api:person-list": (None, ALL_200),  # the scope decides whom: nobody for the Ministry
    "participants_api:person-detail": (lambda w: {"pk": w.person.pk}, row(200, 404, 200, 200, 200, 404, 404)),
    "participants_api:organization-list": (None, ALL_200),
    "participants_api:organization-detail": (lambda w: {"pk": w.mo.pk}, ALL_200),
    "screening_api:upload-list": (None, ALL_200),
    "screening_api:upload-detail": (lambda w: {"pk": w.upload.pk}, row(200, 404, 404, 404, 200, 200, 404)),
    "screening_api:upload-errors": (lambda w: {"pk": w.upload.pk}, MO_FUND),
    "screening_api:upload-confirm-replace": (lambda w: {"pk": w.upload.pk}, row(405, 405, 405, 405, 405, 405, 405)),
    "screening_api:upload-protocol-xml": (lambda w: {"pk": w.upload.pk}, MO_FUND),
    "screening_api:upload-protocol-xlsx": (lambda w: {"pk": w.upload.pk}, MO_FUND),
    "screening_api:upload-answer": (lambda w: {"pk": w.perm_upload.pk}, MO_FUND),
    "screening_api:event-list": (None, API_EVENTS),
    "screening_api:event-detail": (lambda w: {"pk": w.event.pk}, API_EVENTS),
    "screening_api:event-batch-list": (None, API_BATCHES),
    "screening_api:event-batch-detail": (lambda w: {"pk": w.batch.pk}, API_BATCHES),
    "screening_api:plan-year": (lambda w: {"year": YEAR}, PLAN_READERS),
    "screening_api:plan-districts": (lambda w: {"year": YEAR}, ALL_200),  # lists: empty where nothing is seen
    "screening_api:plan-brigades": (lambda w: {"year": YEAR}, ALL_200),
    "screening_api:plan-special-days": (lambda w: {"year": YEAR}, ALL_200),
    "screening_api:plan-routing": (lambda w: {"year": YEAR}, ALL_200),
    "screening_api:plan-schedules": (lambda w: {"year": YEAR}, ALL_200),
}

# Routes deliberately left out of the matrix, each with the reason (and where they are tested instead).
NOT_HERE: dict[str, str] = {
    "admin:": "the Django admin (Russian, for administrators): Django's own permissions, tests/participants",
}


def routes(resolver=None, namespace: str = "") -> list[tuple[str, str]]:
    """(qualified name, pattern) of every route, through every include."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.extend(routes(pattern, inner))
        elif isinstance(pattern, URLPattern):
            found.append((f"{namespace}{pattern.name or ''}", str(pattern.pattern)))
    return found


def not_here(name: str) -> bool:
    return any(name == key or (key.endswith(":") and name.startswith(key)) for key in NOT_HERE)


def test_every_route_is_in_the_role_matrix_or_left_out_on_purpose():
    names = [name for name, _pattern in routes()]
    unnamed = [pattern for name, pattern in routes() if (not name or name.endswith(":")) and not not_here(name)]
    assert not unnamed, f"unnamed routes cannot be put in the matrix: {unnamed}"
    missing = sorted(name for name in names if name not in MATRIX and not not_here(name))
    advice = "routes with no entry in the role matrix (add them to MATRIX or, with a reason, NOT_HERE):\n"
    assert not missing, advice + "\n".join(missing)
    stale = sorted(set(MATRIX) - set(names))
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


@pytest.fixture
def world(region, settings, tmp_path):
    """One object of each kind a route shows, owned by MO 1 and about p1 (insured by SMO 1, attached to MO 1)."""
    settings.MEDIA_ROOT = tmp_path

    class World:
        pass

    w = World()
    w.mo = region.mo1
    w.person = region.p1
    w.upload = upload(region, zl_list_xml([rec(region.p1, 1)]))
    # The same list in the Perm MIS dialect, whose protocol has an answer file (OSHIB_PR).
    w.perm_upload = upload(region, perm_xml([rec(region.p1, 1)]), name="PROF_M270001T59_26121.xml")
    w.register_import = register_import_create(
        file=io.BytesIO(register_xml([pers(1)])), original_name="RS.xml", created_by=region.fund_user
    )
    w.batch = event_batch_create_from_api(
        mo=region.mo1,
        records=[{"enp": region.p1.enp, "disp": "ДВН", "event": "START1", "date": datetime.date.today().isoformat()}],
        posted_by=region.mo1_user,
    )
    w.event = StageEvent.objects.create(
        batch=w.batch, mo=region.mo1, person=region.p1, measure="DVN", event="START1", date=datetime.date.today()
    )
    w.trip = brigade_trip_create(
        user=region.mo1_user,
        mo=region.mo1,
        kind="BRIGADE",
        date_from=datetime.date(YEAR, 5, 12),
        date_to=datetime.date(YEAR, 5, 13),
        settlement="с. Тест",
        measures=["DVN"],
    )
    w.special_day = special_day_create(
        user=region.mo1_user, mo=region.mo1, date=datetime.date(YEAR, 4, 10), description="День"
    )
    w.rule = routing_rule_create(
        user=region.mo1_user, mo=region.mo1, year=YEAR, measure="DVN", examination="Флюорография"
    )
    _informing_world(w, region)
    ensure_loaded()  # the shipped forms and topics (a transactional test before may have flushed them)
    w.noncompliance = NonCompliance.objects.create(
        code="O4", clause="R II.6", organization=region.mo1, period_kind="protocol", period_key="2027-01-14",
        period_year=YEAR, due_on=datetime.date(YEAR, 1, 21), detected_on=datetime.date(YEAR, 1, 22), late_days=1,
    )  # fmt: skip
    w.questionnaire = Questionnaire.objects.get(code="why-not-passed")  # shipped: shared by every SMO
    w.call_list = CallList.objects.create(
        smo=region.smo1, mo=region.mo1, year=YEAR, quarter=1, purpose="QUOTA", seed=1, status="DONE",
        version=w.questionnaire.versions.first(), created_by=region.smo1_l2,
    )  # fmt: skip
    w.call_item = CallItem.objects.create(
        call_list=w.call_list, person=region.p1, mo=region.mo1, smo=region.smo1, purpose="QUOTA", phone="1",
        due_at=datetime.datetime.now(datetime.UTC),
    )  # fmt: skip
    w.appeal = appeal_register(
        user=region.smo1_l1, channel="PHONE", topic=AppealTopic.objects.get(code="01"), text="Вопрос"
    )
    return w


def _informing_world(w, region) -> None:
    """A template, a sent phone batch assigned to SMO 1's level-1 operator, an upload and a fact about p1."""
    from django.utils import timezone

    from informing.models import Batch, BatchMessage, InformingFact, InformUpload, MessageStatus, Template
    from informing.services.batches import unsubscribe_token

    w.template = Template.objects.create(smo=region.smo1, kind="INVITE", channel="SMS", name="t",
                                         created_by=region.smo1_l2)  # fmt: skip
    w.inform_batch = Batch.objects.create(
        smo=region.smo1, kind="INVITE", year=YEAR, due_on=datetime.date.today(), status="SENT",
        sent_at=timezone.now(), assigned_to=region.smo1_l1, counts={"PHONE": 1}, created_by=region.smo1_l2,
    )  # fmt: skip
    from tests.factories import insured_person

    # Another person than p1: the phone batch makes its persons visible to the operator (person routes stay as above).
    called = insured_person(smo=region.smo1, mo=region.mo1)
    message = BatchMessage.objects.create(batch=w.inform_batch, person=called, channel="PHONE",
                                          address="+79140000000", status=MessageStatus.SENT)  # fmt: skip
    w.unsubscribe_token = unsubscribe_token(message.pk)
    w.inform_upload = InformUpload.objects.create(smo=region.smo1, status="DONE", created_by=region.smo1_l2)
    w.fact = InformingFact.objects.create(
        person=region.p1, smo=region.smo1, kind="INVITE", channel="SMS", date=datetime.date.today(),
        outcome="DELIVERED", reference="1", posted_at=timezone.now(),
    )  # fmt: skip


@pytest.mark.django_db
def test_every_route_answers_each_role_as_the_matrix_says(client, region, world):
    failures = []
    for name, (kwargs, expected) in sorted(MATRIX.items()):
        url = reverse(name, kwargs=kwargs(world) if kwargs else None)
        for role in ROLES:
            client.force_login(getattr(region, USERS[role]))
            status = client.get(url).status_code
            if status != expected[role]:
                failures.append(f"{name} as {role}: expected {expected[role]}, got {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_no_route_serves_anonymous_visitors_except_the_public_ones(client, world):
    public = {"login", "set_language", "api-schema", "api-docs", "participants_api:auth-token", "logout",
              "informing:unsubscribe"}  # fmt: skip
    served = []
    for name, (kwargs, _expected) in sorted(MATRIX.items()):
        if name in public:
            continue
        status = client.get(reverse(name, kwargs=kwargs(world) if kwargs else None)).status_code
        if status not in (302, 401, 403):
            served.append(f"{name}: {status}")
    assert not served, served
