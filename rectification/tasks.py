from celery import shared_task
from django.conf import settings
from django.utils import translation

from integrity.audit import audit_context

from . import services


@shared_task(name="rectification.flag_overdue")
def flag_overdue() -> dict[str, int]:
    """Daily: mark milestones and ledger issues that passed their deadline, notify the agencies'
    clerks and the office."""
    with audit_context(source="task:rectification.flag_overdue"):
        return services.flag_overdue()


@shared_task(name="rectification.import_check")
def import_check(job_id: int, language: str | None = None) -> str:
    """Check an uploaded ledger file and every row of it (progress in the cache)."""
    from . import importing

    with (
        translation.override(language or settings.LANGUAGE_CODE),
        audit_context(source="task:rectification.import_check"),
    ):
        return importing.job_check(job_id).status


@shared_task(name="rectification.import_commit")
def import_commit(job_id: int, language: str | None = None) -> str:
    """Write every row of a checked ledger file in one transaction, or nothing."""
    from . import importing
    from .models import ImportJob

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with (
        translation.override(language or settings.LANGUAGE_CODE),
        audit_context(actor=job.created_by, source="task:rectification.import_commit"),
    ):
        return importing.job_commit(job_id).status
