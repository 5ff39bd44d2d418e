from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from omsportal.views import audit

admin.site.site_header = _("Портал ОМС: администрирование")
admin.site.site_title = _("Портал ОМС")
admin.site.index_title = _("Настройка портала")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("omsportal.api_urls")),
    path("screening/", include("screening.urls")),
    path("informing/", include("informing.urls")),
    path("reports/", include("reports.urls")),
    path("surveys/", include("surveys.urls")),
    *audit.urlpatterns,
    path("", include("participants.urls")),
]
# No media route, in any mode (DEBUG too): uploaded lists and register files hold personal data and are read only
# through the scoped, audited views of their protocols and jobs.
