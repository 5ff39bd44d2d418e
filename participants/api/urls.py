"""Routes of the participants API under /api/v1/ (included from omsportal/api_urls.py).

auth/token/       POST username+password -> token; DELETE revokes it
me/               the signed-in user
persons/          search (filters, ordering, pagination) and card with history
organizations/    directory (filters by kind, code) and detail with districts
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView, OrganizationViewSet, PersonViewSet, TokenView

app_name = "participants_api"

router = SimpleRouter()
router.register("persons", PersonViewSet, basename="person")
router.register("organizations", OrganizationViewSet, basename="organization")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
