"""Views: events."""

urlpatterns: list = []
