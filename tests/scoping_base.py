"""Shared role-isolation checks: the owner and read-only members get the page, an outsider gets 404.

The pattern is healthchecks': every scoped page or endpoint is tried with the owner, a read-only member (403 on
writes) and an outsider who "should have no access" (404, the same answer as "does not exist").

Usage with the Django test client (web pages)::

    assert_scoped(client, reverse("persons:detail", args=[p.pk]),
                  allowed_users=[region.smo1_l2, region.fund_user], denied_users=[region.smo2_l2])

or with any callable that produces the response for a user (an API client, a POST, headers)::

    def fetch(user):
        api.force_authenticate(user)
        return api.get(url)

    assert_scoped(None, fetch, allowed_users=[...], denied_users=[...])

All users are tried and every mismatch is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Target = str | Callable[[Any], Any]


def as_user(client, url: str, *, method: str = "get", data: dict | None = None, **extra) -> Callable[[Any], Any]:
    """A callable that logs ``client`` in as the given user and requests ``url`` (Django test client)."""

    def fetch(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return getattr(client, method)(url, data or {}, **extra)

    return fetch


def responses_for(client, target: Target, users: Iterable[Any]) -> list[tuple[Any, Any]]:
    fetch = target if callable(target) else as_user(client, target)
    return [(user, fetch(user)) for user in users]


def _label(user) -> str:
    if user is None:
        return "anonymous"
    return f"{getattr(user, 'username', user)} ({getattr(user, 'role', '?')})"


def assert_statuses(client, target: Target, expected: Iterable[tuple[int, Iterable[Any]]]) -> dict[Any, Any]:
    """Request ``target`` as each user of each (status, users) pair and check the status; returns {user: response}."""
    failures = []
    results = {}
    for status, users in expected:
        for user, response in responses_for(client, target, users):
            results[user] = response
            if response.status_code != status:
                failures.append(f"{_label(user)}: expected {status}, got {response.status_code}")
    assert results, "no users given: a role-isolation check must try at least one user"
    assert not failures, (
        "Role isolation broken for "
        + (target if isinstance(target, str) else "target")
        + ":\n  "
        + ("\n  ".join(failures))
    )
    return results


def assert_scoped(
    client,
    target: Target,
    allowed_users: Iterable[Any] = (),
    denied_users: Iterable[Any] = (),
    *,
    allowed_status: int = 200,
    denied_status: int = 404,
) -> dict[Any, Any]:
    """Allowed users get ``allowed_status`` (200), outsiders ``denied_status`` (404); returns {user: response}."""
    return assert_statuses(client, target, [(allowed_status, allowed_users), (denied_status, denied_users)])


def assert_read_only(
    client,
    target: Target,
    owners: Iterable[Any] = (),
    read_only_users: Iterable[Any] = (),
    outsiders: Iterable[Any] = (),
    *,
    owner_status: int = 200,
    read_only_status: int = 403,
    outsider_status: int = 404,
) -> dict[Any, Any]:
    """A write: owners succeed, read-only members get 403, outsiders 404 (pass a callable that POSTs)."""
    return assert_statuses(
        client,
        target,
        [(owner_status, owners), (read_only_status, read_only_users), (outsider_status, outsiders)],
    )


def assert_login_required(client, url: str) -> None:
    """An anonymous request is sent to the login page (web) — never served."""
    client.logout()
    response = client.get(url)
    assert response.status_code in (302, 401, 403), f"anonymous got {response.status_code} for {url}"
    if response.status_code == 302:
        assert "login" in response["Location"], response["Location"]
