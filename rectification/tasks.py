from celery import shared_task

from integrity.audit import audit_context

from . import services


@shared_task(name="rectification.flag_overdue")
def flag_overdue() -> dict[str, int]:
    """Daily: mark milestones and ledger issues that passed their deadline, notify the agencies'
    clerks and the office."""
    with audit_context(source="task:rectification.flag_overdue"):
        return services.flag_overdue()
