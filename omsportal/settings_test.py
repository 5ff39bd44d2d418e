"""Test settings: the real PostgreSQL from DATABASE_URL (or the embedded one), jobs inline."""

import os

# Tests run with DEBUG off, as production does: they give the key production must give.
os.environ.setdefault("SECRET_KEY", "test-only-key-not-a-secret")

from .settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
OMS_INPROCESS_JOBS = False
# Other apps' tests upload lists by the hundred: the engine after each job is switched on by the tests of reports.
OMS_OBLIGATIONS_AFTER_JOBS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "ru"
# Static files are served by the finders in tests (no collectstatic): WhiteNoise looks there, not in STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
