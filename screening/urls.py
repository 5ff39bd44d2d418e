from screening.views import events, lists, plans, uploads

app_name = "screening"
urlpatterns = [*uploads.urlpatterns, *lists.urlpatterns, *plans.urlpatterns, *events.urlpatterns]
