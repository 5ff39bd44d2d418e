"""Surveys routes of /api/v1/ (forms, quotas, call lists, calls, results, appeals)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AppealViewSet, CallListViewSet, CallViewSet, QuestionnaireViewSet, QuotaAPIView, ResultsAPIView

app_name = "surveys_api"

router = SimpleRouter()
router.register("surveys/forms", QuestionnaireViewSet, basename="form")
router.register("surveys/call-lists", CallListViewSet, basename="call-list")
router.register("surveys/calls", CallViewSet, basename="operator-call")
router.register("surveys/appeals", AppealViewSet, basename="appeal")

urlpatterns = [
    path("surveys/quotas/", QuotaAPIView.as_view(), name="quotas"),
    path("surveys/results/", ResultsAPIView.as_view(), name="results"),
    *router.urls,
]
