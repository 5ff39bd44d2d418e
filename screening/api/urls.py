"""Screening routes of /api/v1/ (uploads, protocols, lists, events, plans)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views_events import EventBatchViewSet, StageEventViewSet
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
    *router.urls,
]
