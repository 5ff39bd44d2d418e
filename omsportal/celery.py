"""The Celery application: a real broker with REDIS_URL, in-process jobs without."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omsportal.settings")

app = Celery("omsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
