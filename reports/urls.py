from reports.views import dashboard, obligations

app_name = "reports"
urlpatterns = [*obligations.urlpatterns, *dashboard.urlpatterns]
