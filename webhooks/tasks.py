from celery import shared_task

from integrity import rls
from integrity.audit import audit_context

from . import services


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver(delivery_id: int, manual: bool = False) -> str | None:
    """One attempt of a delivery (nothing if it was sent meanwhile or is not due); a failure to
    be retried is scheduled on the delivery and picked up by `deliver_due`."""
    # Deliveries are the platform's machinery: a county's event reaches its city's endpoints.
    with rls.system(), audit_context(source="task:webhooks.deliver"):
        attempt = services.delivery_attempt(delivery_id, manual=manual)
    return attempt.outcome if attempt is not None else None


@shared_task(name="webhooks.deliver_due", acks_late=True)
def deliver_due() -> int:
    """Every minute: queue an attempt of every pending delivery whose next attempt is due."""
    with rls.system():
        ids = services.due_deliveries()
        for pk in ids:
            deliver.delay(pk)
    return len(ids)
