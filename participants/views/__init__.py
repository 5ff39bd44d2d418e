"""Web views of the participants app, one module per area; each module exports ``urlpatterns``."""
