"""Informing routes of /api/v1/ (facts and their uploads)."""

from rest_framework.routers import SimpleRouter

from .views import InformingFactViewSet, InformUploadViewSet

app_name = "informing_api"

router = SimpleRouter()
router.register("informing/facts", InformingFactViewSet, basename="fact")
router.register("informing/uploads", InformUploadViewSet, basename="upload")

urlpatterns = router.urls
