"""Views: audit."""

urlpatterns: list = []
