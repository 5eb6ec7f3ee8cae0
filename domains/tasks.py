from celery import shared_task

from integrity.audit import audit_context

from . import services


@shared_task(name="domains.expire_records")
def expire_records() -> int:
    """Nightly: set 已届满 on records whose publicity and punishment periods are over."""
    with audit_context(source="task:domains.expire_records"):
        return services.records_expire()
