"""Views: persons."""

urlpatterns: list = []
