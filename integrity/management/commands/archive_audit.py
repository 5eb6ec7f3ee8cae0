"""`archive_audit`: move audit events older than a cut-off (at least six months) into a file.

    python manage.py archive_audit --dry-run                 # what the default cut-off would take
    python manage.py archive_audit --before 2026-01-01       # archive, then delete
    python manage.py archive_audit --output-dir /srv/audit   # default AUDIT_ARCHIVE_DIR

See integrity/audit_archive.py for what is written and how the delete stays safe.
"""

import argparse
import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from integrity import audit_archive, rls


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a date YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Write every audit event created before the cut-off (default and latest allowed: six "
        "months ago) to a gzip JSON-lines file, check it, then delete those events."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--before",
            type=_date,
            help="cut-off date YYYY-MM-DD (events before its 00:00 Beijing time); at least "
            "six months ago; default: six months ago",
        )
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=None,
            help="directory of the archive file (default: the AUDIT_ARCHIVE_DIR setting)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the counts; write and delete nothing"
        )

    def handle(self, *args, before=None, output_dir=None, dry_run=False, **options):
        before = before or audit_archive.latest_cutoff()
        try:
            audit_archive.check_cutoff(before)
        except audit_archive.ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        if dry_run:
            counts = audit_archive.count_events(before)
            self._counts(counts)
            self.stdout.write(f"{sum(counts.values())} events before {before} (dry run).")
            return
        directory = output_dir or Path(settings.AUDIT_ARCHIVE_DIR)
        # The application's role may only add to the audit trail: removing archived events
        # takes the tables' owner (DATABASE_OWNER_URL), as migrations do.
        rls.connect_as_owner(connection)
        try:
            result = audit_archive.archive_events(before=before, output_dir=directory)
        except (audit_archive.ArchiveError, OSError) as exc:
            raise CommandError(f"Nothing was deleted: {exc}") from exc
        if not result.total:
            self.stdout.write(f"No audit events before {before}: nothing to archive.")
            return
        self._counts(result.counts)
        self.stdout.write(
            f"Archived and deleted {result.total} events before {before} "
            f"({result.contexts_deleted} audit contexts no longer referred to).\n"
            f"File: {result.path}\nSHA-256: {result.sha256}"
        )

    def _counts(self, counts: dict[str, int]) -> None:
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{count:>10}  {label}")
