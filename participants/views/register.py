"""Views: register."""

urlpatterns: list = []
