"""The shipped forms and topics exist in every surveys test, even after a transactional test flushed the tables
(migration data do not survive a flush)."""

import pytest


@pytest.fixture(autouse=True)
def shipped_forms(request):
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames or request.node.get_closest_marker(
        "django_db"
    ):
        request.getfixturevalue("transactional_db" if _transactional(request) else "db")
        from surveys.shipped import ensure_loaded

        ensure_loaded()


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
