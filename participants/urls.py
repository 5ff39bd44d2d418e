from participants.views import accounts, audit, persons, register

urlpatterns = [*accounts.urlpatterns, *persons.urlpatterns, *register.urlpatterns, *audit.urlpatterns]
