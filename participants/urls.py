from participants.views import accounts, audit, organizations, persons, register

urlpatterns = [*accounts.urlpatterns, *persons.urlpatterns, *register.urlpatterns, *audit.urlpatterns]
urlpatterns += organizations.urlpatterns
