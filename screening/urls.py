from screening.views import events, lists, plans, progress, uploads

app_name = "screening"
urlpatterns = [*uploads.urlpatterns, *lists.urlpatterns, *plans.urlpatterns, *progress.urlpatterns, *events.urlpatterns]
