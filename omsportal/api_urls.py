"""/api/v1/: each app contributes its routes.

An app with an API adds ``<app>/api/urls.py`` (``app_name = "<app>_api"``, a ``SimpleRouter``, views built on
``omsportal.api.base.ScopedViewSet``; see that module's docstring) and one line below. Its routes then appear
under /api/v1/, in the OpenAPI schema (/api/schema/) and in the browsable docs (/api/docs/).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("participants.api.urls")),
    path("", include("screening.api.urls")),
    path("", include("informing.api.urls")),
    path("", include("surveys.api.urls")),
]
