"""Views: plans."""

urlpatterns: list = []
