from celery import shared_task

from integrity.audit import audit_context

from . import services


@shared_task(name="domains.expire_records")
def expire_records() -> int:
    """Nightly: publicity that ended (or began) by date alone is written down and announced to
    the webhooks (`records_publicity_sweep`), then 已届满 is set on records whose publicity and
    punishment periods are over. Returns the number of records set to 已届满."""
    with audit_context(source="task:domains.expire_records"):
        services.records_publicity_sweep()
        return services.records_expire()
