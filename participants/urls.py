from participants.views import accounts, organizations, persons, register

urlpatterns = [*accounts.urlpatterns, *persons.urlpatterns, *register.urlpatterns]
urlpatterns += organizations.urlpatterns
