"""Web views of the screening app, one module per area; each exports ``urlpatterns``."""
