"""Screening routes of /api/v1/ (uploads, protocols, lists, events, plans)."""

urlpatterns: list = []
