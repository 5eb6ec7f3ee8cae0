from celery import shared_task
from django.conf import settings
from django.utils import translation

from integrity.audit import audit_context

from . import services


@shared_task(name="monitoring.evaluate_all")
def evaluate_all() -> dict[str, int]:
    """Nightly: evaluate the warning rules of every jurisdiction and notify the offices."""
    with (
        translation.override(settings.LANGUAGE_CODE),
        audit_context(source="task:monitoring.evaluate_all"),
    ):
        return services.evaluate_all()
