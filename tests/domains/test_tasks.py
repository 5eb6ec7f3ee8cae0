"""The nightly expiry job and the public query that does not depend on it."""

from datetime import date, timedelta

from django.utils import timezone

from domains.choices import RecordStatus
from domains.models import TrustRecord
from domains.selectors import public_records
from domains.tasks import expire_records
from tests.factories import TrustRecordFactory


def test_record_leaves_publicity_at_its_maximum_without_the_job(world):
    today = timezone.localdate()
    # General severity: published for at most 12 months from the decision date.
    record = TrustRecordFactory(
        agency=world.a1, severity="general", decision_date=date(2026, 4, 10)
    )
    assert record.publicity_max_end == date(2027, 4, 10)
    assert public_records(today=date(2027, 4, 9)).filter(pk=record.pk).exists()
    assert not public_records(today=date(2027, 4, 10)).filter(pk=record.pk).exists()
    assert record.status == RecordStatus.ACTIVE  # the job has not run: the dates decide
    assert public_records(today=today).filter(pk=record.pk).exists()


def test_nightly_job_marks_expired_records_and_is_idempotent(world):
    old = TrustRecordFactory(
        agency=world.a1, severity="light", decision_date=timezone.localdate() - timedelta(days=200)
    )
    punished = TrustRecordFactory(
        agency=world.a2,
        severity="light",
        decision_date=timezone.localdate() - timedelta(days=200),
        punishment_end=timezone.localdate() + timedelta(days=10),
    )
    current = TrustRecordFactory(agency=world.a1, severity="serious")
    assert expire_records.delay().get() == 1
    assert expire_records.delay().get() == 0
    statuses = dict(TrustRecord.objects.values_list("pk", "status"))
    assert statuses[old.pk] == RecordStatus.EXPIRED
    # Publicity is over but the punishment period is not: still on record.
    assert statuses[punished.pk] == RecordStatus.ACTIVE
    assert statuses[current.pk] == RecordStatus.ACTIVE
    from pghistory.models import Events

    change = Events.objects.tracks(old).filter(pgh_label="update").get()
    assert change.pgh_diff["status"] == ["active", "expired"]
    assert change.pgh_context["source"] == "task:domains.expire_records"


def test_beat_schedules_the_expiry_job(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "domains.expire_records" in tasks
