from surveys.views import forms

app_name = "surveys"
urlpatterns = [*forms.urlpatterns]
