"""Views: lists."""

urlpatterns: list = []
