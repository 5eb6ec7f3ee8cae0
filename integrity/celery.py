import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrity.settings")

app = Celery("integrity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Row-level security (integrity.rls): a task runs with the scope of the code that queued it, and
# beat's periodic jobs with the platform's. Connected here, when any Celery process (web, worker,
# beat) first imports the app, not in an AppConfig.ready() that beat may reach only later.
from integrity import rls  # noqa: E402

rls.connect_celery()
