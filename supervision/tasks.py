from celery import shared_task

from integrity.audit import audit_context

from . import services


@shared_task(name="supervision.flag_overdue_complaints")
def flag_overdue_complaints() -> int:
    """Daily: flag complaints past their reply deadline without the agency's reply."""
    with audit_context(source="task:supervision.flag_overdue_complaints"):
        return services.complaints_flag_overdue()
