"""Screening routes of /api/v1/ (uploads, protocols, lists, events, plans)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views_events import EventBatchViewSet, StageEventViewSet
from .views_plans import (
    BrigadeTripList,
    DistrictPlanList,
    PreventionScheduleList,
    RoutingRuleList,
    SpecialDayList,
    YearPlanAPIView,
)
from .views_uploads import ListUploadViewSet

app_name = "screening_api"

router = SimpleRouter()
router.register("uploads", ListUploadViewSet, basename="upload")
router.register("events", StageEventViewSet, basename="event")
router.register("event-batches", EventBatchViewSet, basename="event-batch")

urlpatterns = [
    # The protocol files keep their extension in the URL (no trailing slash), as the issue names them.
    path(
        "uploads/<int:pk>/protocol.xml",
        ListUploadViewSet.as_view({"get": "protocol_xml"}),
        name="upload-protocol-xml",
    ),
    path(
        "uploads/<int:pk>/protocol.xlsx",
        ListUploadViewSet.as_view({"get": "protocol_xlsx"}),
        name="upload-protocol-xlsx",
    ),
    path("uploads/<int:pk>/answer", ListUploadViewSet.as_view({"get": "answer"}), name="upload-answer"),
    # Plans (read-only) [R II.1, II.2, II.24]
    path("plans/<int:year>/", YearPlanAPIView.as_view(), name="plan-year"),
    path("plans/<int:year>/districts/", DistrictPlanList.as_view(), name="plan-districts"),
    path("plans/<int:year>/brigades/", BrigadeTripList.as_view(), name="plan-brigades"),
    path("plans/<int:year>/special-days/", SpecialDayList.as_view(), name="plan-special-days"),
    path("plans/<int:year>/routing/", RoutingRuleList.as_view(), name="plan-routing"),
    path("plans/<int:year>/schedules/", PreventionScheduleList.as_view(), name="plan-schedules"),
    *router.urls,
]
