"""Views: uploads."""

urlpatterns: list = []
