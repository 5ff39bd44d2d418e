from informing.views import batches, due, effect, facts, texts

app_name = "informing"
urlpatterns = [*due.urlpatterns, *texts.urlpatterns, *batches.urlpatterns, *facts.urlpatterns, *effect.urlpatterns]
