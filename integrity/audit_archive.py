"""Audit retention: move audit events older than a cut-off into an archive file.

The audit trail (django-pghistory event tables, see integrity/audit.py) is append-only. Events
at least RETENTION_MONTHS (6) old may be archived: `manage.py archive_audit --before DATE`
writes every event of every event model created before DATE (00:00 Beijing time) to a gzip
JSON-lines file, one object per event, flushes it to disk, reads it back and counts it, and only
then deletes those events — in one transaction, so a failure at any step leaves every event in
place (and no archive file behind). The delete is the one legitimate way past the append-only
triggers: `pgtrigger.ignore` of exactly those tables' `append_only` trigger, for those statements
only. Audit contexts (who, from where) no remaining event refers to go too; each archived event
carries its context's metadata.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pgtrigger
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from pghistory.models import Context, Event

from . import rls

logger = logging.getLogger(__name__)

RETENTION_MONTHS = 6
APPEND_ONLY_TRIGGER = "append_only"  # the name pghistory gives its protection trigger
# One archival at a time: two runs would archive the same events twice.
_LOCK_KEY = 0x696E7467_61726368  # "intgarch"


class ArchiveError(Exception):
    """The archive could not be made or checked; nothing was deleted."""


@dataclass
class ArchiveResult:
    cutoff: dt.datetime
    counts: dict[str, int]
    path: Path | None = None
    sha256: str = ""
    contexts_deleted: int = 0
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def event_models() -> list[type[Event]]:
    """Every concrete pghistory event model, found from the app registry (new ones included)."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, Event) and model._meta.managed and not model._meta.proxy
    ]
    return sorted(found, key=lambda model: model._meta.label)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, clamped to the month's last day (31 August → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_cutoff(today: dt.date | None = None) -> dt.date:
    """The latest cut-off allowed: events younger than six months are never archived."""
    return months_before(today or timezone.localdate(), RETENTION_MONTHS)


def cutoff_moment(before: dt.date) -> dt.datetime:
    """Midnight at the start of `before`, local time (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(before, dt.time.min))


def check_cutoff(before: dt.date, today: dt.date | None = None) -> None:
    latest = latest_cutoff(today)
    if before > latest:
        raise ArchiveError(
            f"Cut-off {before.isoformat()} is less than {RETENTION_MONTHS} months ago: audit "
            f"events are kept at least {RETENTION_MONTHS} months (latest cut-off allowed today: "
            f"{latest.isoformat()})."
        )


def count_events(before: dt.date) -> dict[str, int]:
    """{model label: events created before the cut-off} for every event model (zeros left out)."""
    moment = cutoff_moment(before)
    with rls.system():
        counts = {
            model._meta.label: model.objects.filter(pgh_created_at__lt=moment).count()
            for model in event_models()
        }
    return {label: count for label, count in counts.items() if count}


def archive_events(*, before: dt.date, output_dir: Path, today: dt.date | None = None):
    """Archive and delete the events created before `before`; returns an ArchiveResult.

    Raises ArchiveError (nothing deleted, no file left) when the cut-off is too recent or the
    archive cannot be written or read back whole; OSError from the file system likewise. Runs
    for the platform (row-level security): every tenant's events, and a context is an orphan
    only when no event of any tenant refers to it."""
    check_cutoff(before, today)
    moment = cutoff_moment(before)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    final = output_dir / f"audit-before-{before.isoformat()}-{stamp}.jsonl.gz"
    partial = final.with_name(final.name + ".partial")
    sidecar = final.with_name(final.name + ".sha256")
    if final.exists():
        raise ArchiveError(f"{final} already exists.")
    written = False
    try:
        with rls.system(), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            counts, last_ids = _write_archive(partial, moment)
            if not counts:
                partial.unlink()
                return ArchiveResult(cutoff=moment, counts={})
            written = True
            _publish(partial, final)
            _verify(final, counts)
            digest = _sha256(final)
            sidecar.write_text(f"{digest}  {final.name}\n")
            deleted = _delete_events(moment, last_ids)
            if deleted != counts:
                raise ArchiveError(f"Deleted {deleted} but archived {counts}: rolled back.")
            contexts = _delete_orphan_contexts(moment)
    except BaseException:
        partial.unlink(missing_ok=True)
        if written:
            final.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
        raise
    result = ArchiveResult(
        cutoff=moment,
        counts=counts,
        path=final,
        sha256=digest,
        contexts_deleted=contexts,
        deleted=deleted,
    )
    logger.info(
        "archived %s audit events before %s to %s (sha256 %s)",
        result.total,
        before,
        final,
        digest,
    )
    return result


def _write_archive(path: Path, moment: dt.datetime) -> tuple[dict[str, int], dict[str, int]]:
    counts: dict[str, int] = {}
    last_ids: dict[str, int] = {}
    # Never over an existing file; readable by its owner only (events hold personal data).
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as archive:
            for model in event_models():
                label = model._meta.label
                events = model.objects.filter(pgh_created_at__lt=moment).order_by("pgh_id")
                if _context_key(model):
                    events = events.select_related("pgh_context")
                for event in events.iterator(chunk_size=2000):
                    archive.write(_line(label, event))
                    counts[label] = counts.get(label, 0) + 1
                    last_ids[label] = event.pgh_id
        raw.flush()
        os.fsync(raw.fileno())
    return counts, last_ids


def _line(label: str, event: Event) -> bytes:
    data = {
        f.attname: f.value_from_object(event)
        for f in event._meta.concrete_fields
        if not f.name.startswith("pgh_")
    }
    context = getattr(event, "pgh_context", None)
    if isinstance(context, Context):
        context = context.metadata
    record = {
        "model": label,
        "table": event._meta.db_table,
        "pgh_id": event.pgh_id,
        "pgh_created_at": event.pgh_created_at,
        "pgh_label": event.pgh_label,
        "pgh_obj_id": event.pgh_obj_id,
        "pgh_context_id": getattr(event, "pgh_context_id", None),
        "data": data,
        "context": context,
    }
    text = json.dumps(record, cls=_Encoder, ensure_ascii=False, sort_keys=True)
    return text.encode() + b"\n"


class _Encoder(DjangoJSONEncoder):
    """Django's encoder (dates, Decimal as text, UUID) without its cut of times to milliseconds:
    an archive keeps the exact time of each event."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _context_key(model) -> bool:
    """True when the model's pgh_context is a foreign key to pghistory's Context table."""
    try:
        return model._meta.get_field("pgh_context").is_relation
    except FieldDoesNotExist:  # an event model tracked without context
        return False


def _publish(partial: Path, final: Path) -> None:
    """Give the finished archive its name, durably (the directory entry is synced too)."""
    os.replace(partial, final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _verify(path: Path, expected: dict[str, int]) -> None:
    found: Counter[str] = Counter()
    with gzip.open(path, "rb") as archive:
        for line in archive:
            found[json.loads(line)["model"]] += 1
    if dict(found) != expected:
        raise ArchiveError(f"{path} reads back {dict(found)}, expected {expected}.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _delete_events(moment: dt.datetime, last_ids: dict[str, int]) -> dict[str, int]:
    """Delete exactly what was archived: created before the cut-off, up to the last id written."""
    deleted = {}
    for model in event_models():
        label = model._meta.label
        if label not in last_ids:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        with pgtrigger.ignore(f"{label}:{APPEND_ONLY_TRIGGER}"), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE pgh_created_at < %s AND pgh_id <= %s",  # noqa: S608
                [moment, last_ids[label]],
            )
            deleted[label] = cursor.rowcount
    return deleted


def _delete_orphan_contexts(moment: dt.datetime) -> int:
    """Contexts older than the cut-off that no event refers to any more (their metadata is in
    the archive with each event). Contexts are not append-only; the table has no policy."""
    quote = connection.ops.quote_name
    unreferenced = " ".join(
        f"AND NOT EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} e "  # noqa: S608
        f"WHERE e.pgh_context_id = c.id)"
        for model in event_models()
        if _context_key(model)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(Context._meta.db_table)} c "  # noqa: S608 - our table names
            f"WHERE c.created_at < %s {unreferenced}",
            [moment],
        )
        return cursor.rowcount
