"""Settings read from the environment: a production start without SECRET_KEY stops, beat follows TIME_ZONE."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

CODE = "import django; django.setup(); from django.conf import settings; print(settings.CELERY_TIMEZONE)"


def start(**env) -> subprocess.CompletedProcess:
    """A fresh interpreter that reads omsportal.settings with ``env`` (None removes a variable)."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "omsportal.settings"}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    command = [sys.executable, "-c", CODE]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=settings.BASE_DIR, timeout=120)


@pytest.mark.parametrize("debug", [None, "0"])
def test_without_debug_the_secret_key_is_required(debug):
    result = start(SECRET_KEY=None, DEBUG=debug)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_development_runs_with_its_own_key_and_production_with_the_given_one():
    assert start(SECRET_KEY=None, DEBUG="1").returncode == 0
    assert start(SECRET_KEY="from-the-environment", DEBUG="0").returncode == 0


def test_celery_keeps_the_portals_time_zone():
    result = start(SECRET_KEY="k", TIME_ZONE="Europe/Samara")
    assert result.stdout.strip() == "Europe/Samara", result.stderr[-2000:]
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    """``manage.py args`` in a fresh interpreter with ``env`` (None removes a variable), on this run's database."""
    environment = {**os.environ, "DATABASE_URL": settings.DATABASE_URL}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=settings.BASE_DIR, timeout=120)


def test_the_migrations_check_runs_without_debug_or_a_secret_key():
    """A CI check runs a plain ``manage.py makemigrations --check``: it only reads the code, so it needs no key."""
    result = manage("makemigrations", "--check", "--dry-run", SECRET_KEY=None, DEBUG=None, OMS_OFFLINE_COMMAND=None)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No changes detected" in result.stdout


def test_a_command_that_serves_or_writes_still_needs_the_key():
    result = manage("migrate", "--plan", SECRET_KEY=None, DEBUG=None, OMS_OFFLINE_COMMAND=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
