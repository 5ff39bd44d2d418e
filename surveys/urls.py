from surveys.views import appeals, calls, forms, results, workspace

app_name = "surveys"
urlpatterns = [
    *forms.urlpatterns,
    *calls.urlpatterns,
    *workspace.urlpatterns,
    *results.urlpatterns,
    *appeals.urlpatterns,
]
