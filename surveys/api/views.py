"""The surveys API (/api/v1/surveys/…): forms, quotas, call lists, the operators' calls, results, appeals.

Every view is on the scoped API base (omsportal.api.base): the capabilities of surveys/access.py say who reads and
who writes (403 otherwise), the scopes which rows (404 outside). Writes call the same services as the pages.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from omsportal.api.base import AuditedReadMixin, ScopedAPIMixin, ScopedViewSet
from omsportal.scoping import restrict
from participants.models import Organization, OrganizationKind, User
from surveys.access import (
    BUILD_CALL_LISTS,
    READ_APPEALS,
    READ_CALL_LISTS,
    READ_FORMS,
    READ_RESULTS,
    WORK_APPEALS,
    WORK_CALLS,
)
from surveys.models import Appeal, AppealTopic, CallItem, CallList, Questionnaire, QuestionnaireVersion
from surveys.quotas import quarter_of
from surveys.selectors.calls import quota_overview
from surveys.selectors.forms import result_questionnaires_for_user
from surveys.selectors.results import question_results, results_by_mo
from surveys.services.appeals import AppealError, appeal_answer, appeal_register, appeal_route
from surveys.services.call_lists import CallListError, call_list_create
from surveys.services.calls import CallError, SurveyAnswersError, call_next, call_outcome_record

from .serializers import (
    AppealAnswerSerializer,
    AppealCreateSerializer,
    AppealRouteSerializer,
    AppealSerializer,
    CallItemSerializer,
    CallListCreateSerializer,
    CallListSerializer,
    OutcomeSerializer,
    QuestionnaireSerializer,
    QuotaRowSerializer,
)

PERIOD = [
    OpenApiParameter("year", int, description="Год"),
    OpenApiParameter("quarter", int, description="Квартал, 1–4"),
]


def _period(request) -> tuple[int, int]:
    year, quarter = quarter_of(timezone.localdate())
    try:
        year = int(request.query_params.get("year", year))
        quarter = int(request.query_params.get("quarter", quarter))
    except ValueError as exc:
        raise ValidationError({"year": "Год и квартал — целые числа."}) from exc
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise ValidationError({"quarter": "Год 2000–2100, квартал 1–4."})
    return year, quarter


class QuestionnaireViewSet(ScopedViewSet):
    queryset = Questionnaire.objects.prefetch_related("versions")
    serializer_class = QuestionnaireSerializer
    capability = READ_FORMS
    ordering = ["title"]


@extend_schema(parameters=PERIOD, responses=QuotaRowSerializer(many=True))
class QuotaAPIView(ScopedAPIMixin, generics.GenericAPIView):
    """O14 quotas of the quarter per MO: quota, persons in call lists, surveys completed."""

    capability = READ_CALL_LISTS
    queryset = CallList.objects.all()
    pagination_class = None

    def get(self, request):
        year, quarter = _period(request)
        return Response(QuotaRowSerializer(quota_overview(request.user, year, quarter), many=True).data)


class CallListViewSet(ScopedAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CallList.objects.all()
    serializer_class = CallListSerializer
    capability = READ_CALL_LISTS
    write_capability = BUILD_CALL_LISTS
    ordering = ["-created_at"]

    def get_serializer_class(self):
        return CallListCreateSerializer if self.action == "create" else CallListSerializer

    @extend_schema(request=CallListCreateSerializer, responses={201: CallListSerializer})
    def create(self, request, *args, **kwargs):
        data = CallListCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # Only a form the user may use (the shared ones and its SMO's own), as the page offers.
        version = restrict(QuestionnaireVersion.objects.all(), request.user).filter(pk=values["version"]).first()
        mo = Organization.objects.filter(pk=values.get("mo"), kind=OrganizationKind.MO).first() if values.get(
            "mo"
        ) else None
        if version is None:
            raise ValidationError({"version": "Версия анкеты не найдена."})
        try:
            call_list = call_list_create(
                user=request.user, purpose=values["purpose"], year=values["year"], quarter=values["quarter"],
                mo=mo, version=version, seed=values.get("seed"),
                rule={"batch": values["batch"]} if values.get("batch") else {},
            )  # fmt: skip
        except CallListError as exc:
            raise ValidationError({"rule": str(exc)}) from exc
        return Response(CallListSerializer(call_list).data, status=status.HTTP_201_CREATED)


class CallViewSet(AuditedReadMixin, ScopedAPIMixin, viewsets.GenericViewSet):
    """The operator's calls: ``next`` claims one item; ``outcome`` records the call (and the survey)."""

    queryset = CallItem.objects.select_related("person", "mo", "call_list__version__questionnaire")
    serializer_class = CallItemSerializer
    capability = WORK_CALLS
    write_capability = WORK_CALLS

    @extend_schema(request=None, responses={200: CallItemSerializer, 204: None})
    @action(detail=False, methods=["post"])
    def next(self, request):
        item = call_next(operator=request.user)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(CallItemSerializer(item).data)

    @extend_schema(request=OutcomeSerializer, responses={200: CallItemSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            item = call_outcome_record(
                operator=request.user, item_id=int(pk), outcome=values["outcome"], note=values.get("note", ""),
                callback_at=values.get("callback_at"), answers=values.get("answers"), request=request,
            )  # fmt: skip
        except SurveyAnswersError as exc:
            raise ValidationError({"answers": exc.errors}) from exc
        except CallError as exc:
            raise ValidationError({"outcome": str(exc)}) from exc
        return Response({"id": item.pk, "state": item.state, "outcome": item.outcome, "tries": item.tries})


@extend_schema(
    parameters=[*PERIOD, OpenApiParameter("questionnaire", str, description="Код анкеты")],
    responses={200: dict},
)
class ResultsAPIView(ScopedAPIMixin, generics.GenericAPIView):
    """Survey results of the quarter: responses per MO, answers per question and option (no persons)."""

    capability = READ_RESULTS
    queryset = Questionnaire.objects.all()
    pagination_class = None

    def get(self, request):
        year, quarter = _period(request)
        # The forms the user may read results of, as the page offers them (another SMO's form: the shared one).
        questionnaire = result_questionnaires_for_user(request.user).filter(
            code=request.query_params.get("questionnaire", "why-not-passed")
        )
        questionnaire = questionnaire.first() or Questionnaire.objects.filter(code="why-not-passed").first()
        if questionnaire is None:
            raise NotFound("Анкета не найдена.")
        total, questions = question_results(request.user, year, quarter, questionnaire)
        by_mo = results_by_mo(request.user, year, quarter, questionnaire)
        by_mo_rows = [
            {"mo": row["mo"].code if row["mo"] else None, "responses": row["total"], "passed": row["passed"],
             "informed": row["informed"]}
            for row in by_mo
        ]  # fmt: skip
        question_rows = [
            {"code": q.code, "text": q.text, "kind": q.kind, "answered": q.answered, "average": q.average,
             "options": [{"value": v, "label": label, "count": n} for v, label, n in q.options]}
            for q in questions
        ]  # fmt: skip
        return Response(
            {"year": year, "quarter": quarter, "questionnaire": questionnaire.code, "responses": total,
             "by_mo": by_mo_rows, "questions": question_rows}
        )


class AppealViewSet(AuditedReadMixin, ScopedAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Appeal.objects.select_related("person")
    serializer_class = AppealSerializer
    capability = READ_APPEALS
    write_capability = WORK_APPEALS
    ordering = ["-registered_at"]

    @extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer})
    def create(self, request, *args, **kwargs):
        data = AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        topic = AppealTopic.objects.filter(code=values["topic"], is_active=True).first()
        if topic is None:
            raise ValidationError({"topic": "Тема: код из классификатора тем обращений."})
        try:
            appeal = appeal_register(
                user=request.user, channel=values["channel"], topic=topic, text=values["text"],
                received_on=values.get("received_on"), enp=values.get("enp", ""), applicant=values.get("applicant", ""),
                contact=values.get("contact", ""), request=request,
            )  # fmt: skip
        except AppealError as exc:
            raise ValidationError({"appeal": str(exc)}) from exc
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppealRouteSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        appeal = self.get_object()
        data = AppealRouteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee_id = data.validated_data.get("assignee")
        assignee = User.objects.filter(pk=assignee_id).first() if assignee_id else None
        try:
            appeal = appeal_route(user=request.user, appeal=appeal, level=int(data.validated_data["level"]),
                                  assignee=assignee)  # fmt: skip
        except AppealError as exc:
            raise ValidationError({"appeal": str(exc)}) from exc
        return Response(AppealSerializer(appeal).data)

    @extend_schema(request=AppealAnswerSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        appeal = self.get_object()
        data = AppealAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            appeal = appeal_answer(
                user=request.user, appeal=appeal, answer=data.validated_data["answer"],
                inform_channel=data.validated_data.get("inform_channel", ""), request=request,
            )  # fmt: skip
        except AppealError as exc:
            raise ValidationError({"appeal": str(exc)}) from exc
        return Response(AppealSerializer(appeal).data)

