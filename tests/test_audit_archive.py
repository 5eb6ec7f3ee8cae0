"""Audit retention: `manage.py archive_audit` moves events older than six months into a file.

Events are aged by rewriting pgh_created_at under pgtrigger.ignore (the event tables are
append-only); everything else goes through the command.
"""

import datetime as dt
import gzip
import hashlib
import io
import json
import resource
import signal

import pgtrigger
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from pghistory.models import Context

from integrity.audit import audit_context
from integrity.audit_archive import months_before
from tests.factories import AgencyFactory, CityFactory, TenantFactory, UserFactory

AgencyEvent = apps.get_model("accounts", "AgencyEvent")
UserEvent = apps.get_model("accounts", "UserEvent")
TenantEvent = apps.get_model("accounts", "TenantEvent")


def _age(events, when):
    """Move events (and their audit contexts) back in time."""
    by_model = {}
    for event in events:
        by_model.setdefault(type(event), []).append(event.pgh_id)
    for model, ids in by_model.items():
        with pgtrigger.ignore(f"{model._meta.label}:append_only"):
            model.objects.filter(pgh_id__in=ids).update(pgh_created_at=when)
    contexts = {event.pgh_context_id for event in events if event.pgh_context_id}
    Context.objects.filter(pk__in=contexts).update(created_at=when)


def _seven_months_ago():
    day = months_before(timezone.localdate(), 7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30, 15, 123456)))


@pytest.fixture
def history(db):
    """Old events (seven months ago, in three event tables, one audit context) and young ones."""
    city = CityFactory()  # outside: its young event would keep the old context alive
    with audit_context(source="archive-test-old", ticket="A-1"):
        tenant = TenantFactory(name="旧县", parent=city)
        agency = AgencyFactory(tenant=tenant, name="旧单位")
        agency.name = "旧单位（改名）"
        agency.save(update_fields=["name"])
        user = UserFactory(tenant=tenant, username="old-clerk")
    old = [
        *AgencyEvent.objects.filter(pgh_obj_id=agency.pk),
        *UserEvent.objects.filter(pgh_obj_id=user.pk),
        *TenantEvent.objects.filter(pgh_obj_id=tenant.pk),
    ]
    _age(old, _seven_months_ago())
    with audit_context(source="archive-test-young"):
        young_agency = AgencyFactory(tenant=tenant, name="新单位")
        agency.name = "旧单位（再改名）"  # a young event of an old object
        agency.save(update_fields=["name"])
    young = [
        *AgencyEvent.objects.filter(pgh_obj_id=young_agency.pk),
        AgencyEvent.objects.filter(pgh_obj_id=agency.pk).order_by("pgh_id").last(),
    ]
    return {"old": old, "young": young, "agency": agency}


def _lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as archive:
        return [json.loads(line) for line in archive]


def _exists(event):
    return type(event).objects.filter(pgh_id=event.pgh_id).exists()


def test_old_events_are_archived_to_a_file_and_removed_young_ones_stay(history, tmp_path):
    old, young = history["old"], history["young"]
    old_context = old[0].pgh_context_id
    young_context = young[0].pgh_context_id
    others_before = {
        label: apps.get_model(label).objects.count()
        for label in ("accounts.AgencyEvent", "accounts.UserEvent", "accounts.TenantEvent")
    }
    out = io.StringIO()

    call_command("archive_audit", "--output-dir", str(tmp_path), stdout=out)

    (archive,) = tmp_path.glob("audit-before-*.jsonl.gz")
    assert archive.name.startswith(f"audit-before-{months_before(timezone.localdate(), 6)}-")
    lines = _lines(archive)
    assert sorted((line["model"], line["pgh_id"]) for line in lines) == sorted(
        (event._meta.label, event.pgh_id) for event in old
    )
    # Each line is the event as it was: its pgh fields, the row snapshot and the context.
    renamed = next(
        line
        for line in lines
        if line["model"] == "accounts.AgencyEvent" and line["pgh_label"] == "update"
    )
    assert renamed["data"]["name"] == "旧单位（改名）"
    assert renamed["data"]["tenant_id"] == history["agency"].tenant_id
    assert renamed["pgh_obj_id"] == history["agency"].pk
    assert dt.datetime.fromisoformat(renamed["pgh_created_at"]) == _seven_months_ago()
    assert renamed["context"] == {"source": "archive-test-old", "ticket": "A-1"}
    assert renamed["pgh_context_id"] == str(old_context)
    user_line = next(line for line in lines if line["model"] == "accounts.UserEvent")
    assert user_line["data"]["username"] == "old-clerk"
    # The checksum file matches the archive.
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert archive.with_name(archive.name + ".sha256").read_text() == f"{digest}  {archive.name}\n"
    assert archive.stat().st_mode & 0o077 == 0

    assert not any(_exists(event) for event in old)
    assert all(_exists(event) for event in young)
    removed = {}
    for event in old:
        removed[event._meta.label] = removed.get(event._meta.label, 0) + 1
    for label, before in others_before.items():
        assert apps.get_model(label).objects.count() == before - removed[label]
    # The old context went with its events; the young one stays.
    assert not Context.objects.filter(pk=old_context).exists()
    assert Context.objects.filter(pk=young_context).exists()
    assert f"Archived and deleted {len(old)} events" in out.getvalue()
    assert digest in out.getvalue()


def test_the_event_tables_stay_append_only_after_an_archive(history, tmp_path):
    call_command("archive_audit", "--output-dir", str(tmp_path), stdout=io.StringIO())
    young = history["young"][0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AgencyEvent.objects.filter(pgh_id=young.pgh_id).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AgencyEvent.objects.filter(pgh_id=young.pgh_id).update(pgh_label="tampered")
    assert _exists(young)


def test_dry_run_prints_counts_and_changes_nothing(history, tmp_path):
    out = io.StringIO()
    call_command("archive_audit", "--dry-run", "--output-dir", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "2  accounts.AgencyEvent" in text
    assert "1  accounts.UserEvent" in text
    assert "1  accounts.TenantEvent" in text
    assert f"{len(history['old'])} events before" in text
    assert all(_exists(event) for event in history["old"])
    assert list(tmp_path.iterdir()) == []


def test_a_cut_off_younger_than_six_months_is_refused(history, tmp_path):
    latest = months_before(timezone.localdate(), 6)
    too_recent = latest + dt.timedelta(days=1)
    with pytest.raises(CommandError, match="less than 6 months ago"):
        call_command(
            "archive_audit", "--before", too_recent.isoformat(), "--output-dir", str(tmp_path)
        )
    assert all(_exists(event) for event in history["old"] + history["young"])
    assert list(tmp_path.iterdir()) == []

    # Exactly six months ago is allowed; an explicit older cut-off takes only what precedes it.
    call_command(
        "archive_audit",
        "--before",
        latest.isoformat(),
        "--output-dir",
        str(tmp_path),
        stdout=io.StringIO(),
    )
    assert not any(_exists(event) for event in history["old"])


def test_an_explicit_earlier_cut_off_keeps_events_after_it(history, tmp_path):
    eight_months = months_before(timezone.localdate(), 8)
    out = io.StringIO()
    call_command(
        "archive_audit",
        "--before",
        eight_months.isoformat(),
        "--output-dir",
        str(tmp_path),
        stdout=out,
    )
    assert "nothing to archive" in out.getvalue()
    assert all(_exists(event) for event in history["old"])
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_every_event_in_place(history, tmp_path):
    """The file system refuses the archive half-way (the process may write no file larger than
    200 bytes): the command fails, deletes nothing and leaves no partial file."""
    with audit_context(source="archive-test-bulk"):
        bulk = [AgencyFactory(tenant=history["agency"].tenant) for _ in range(30)]
    _age(list(AgencyEvent.objects.filter(pgh_obj_id__in=[a.pk for a in bulk])), _seven_months_ago())
    old = list(
        AgencyEvent.objects.filter(pgh_created_at__lt=timezone.now() - dt.timedelta(days=180))
    )
    assert len(old) == 32

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, hard))
    try:
        with pytest.raises(CommandError, match="Nothing was deleted: .*File too large"):
            call_command(
                "archive_audit",
                "--output-dir",
                str(tmp_path),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)

    assert all(_exists(event) for event in old + history["old"])
    assert list(tmp_path.iterdir()) == []


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2028, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert months_before(dt.date(2026, 1, 1), 7) == dt.date(2025, 6, 1)
