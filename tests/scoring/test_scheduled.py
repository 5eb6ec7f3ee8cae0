"""The nightly Celery beat job recomputes the validated schemes of periods in progress."""

import datetime

from django.conf import settings

from scoring import services
from scoring.choices import PeriodKind, RunStatus
from scoring.models import AgencyScore, ScoreRun
from scoring.tasks import scheduled_runs
from tests.factories import ensure_defaults


def _scheme(tenant, actor, **data):
    ensure_defaults(tenant)
    scheme = services.scheme_create(tenant=tenant, data=data, actor=actor)
    assert services.scheme_validate(scheme=scheme, actor=actor) == []
    return scheme


def test_the_job_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["scoring-scheduled-runs"]
    assert entry["task"] == "scoring.scheduled_runs"


def test_runs_current_schemes_once_and_reruns_instead_of_duplicating(
    world, django_capture_on_commit_callbacks
):
    today = datetime.date.today()
    current = _scheme(
        world.county_a, world.office_admin_a, period_kind=PeriodKind.YEAR, year=today.year
    )
    old = _scheme(
        world.county_a, world.office_admin_a, period_kind=PeriodKind.YEAR, year=today.year - 2
    )
    draft = _scheme(
        world.county_b, world.office_admin_b, period_kind=PeriodKind.YEAR, year=today.year
    )
    services.indicator_save(
        scheme=draft,
        data={"name": "改名"},
        actor=None,
        indicator=draft.indicators.get(code="campaign"),
    )  # any change makes the scheme a draft again: the job leaves it alone

    with django_capture_on_commit_callbacks(execute=True):
        assert scheduled_runs.delay().get() == 1
    run = ScoreRun.objects.get(scheme=current)
    assert run.status == RunStatus.SUCCEEDED and run.started_by is None
    assert not ScoreRun.objects.filter(scheme__in=[old, draft]).exists()
    scores = AgencyScore.objects.filter(run=run).count()
    assert scores == 2  # a1 and a2

    with django_capture_on_commit_callbacks(execute=True):
        assert scheduled_runs.delay().get() == 1
    assert ScoreRun.objects.filter(scheme=current).count() == 1  # rerun, not a new run
    run.refresh_from_db()
    assert run.computed_count == 2
    assert AgencyScore.objects.filter(run=run).count() == scores

    services.run_publish(run=run, notice="", actor=world.office_admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduled_runs.delay().get() == 0  # a published period is frozen
