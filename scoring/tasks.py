from celery import shared_task

from integrity.audit import audit_context

from . import services


@shared_task(name="scoring.compute_run", acks_late=True)
def compute_run(run_id: int) -> int:
    """Compute a score run (idempotent: a retry or rerun replaces the run's own results)."""
    from .models import ScoreRun

    run = ScoreRun.objects.select_related("started_by").get(pk=run_id)
    with audit_context(actor=run.started_by, source="task:scoring.compute_run"):
        return services.run_execute(run_id).agencies


@shared_task(name="scoring.scheduled_runs")
def scheduled_runs() -> int:
    """Nightly: recompute the validated schemes of periods in progress (see the service)."""
    with audit_context(source="task:scoring.scheduled_runs"):
        return len(services.scheduled_runs())
