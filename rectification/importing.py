"""The ledger import job (M2): an agency uploads its ledger as .xlsx; a Celery job checks the
file and every row (with progress), the clerk reads the preview or the errors, and a second job
writes every row in one transaction, or nothing.

`job_start` and `job_request_commit` run in the request; `job_check` and `job_commit` run in
the tasks (`rectification.import_check`, `rectification.import_commit`), which load the job by
id and call them. The check streams the file in batches, so memory stays bounded for 100,000
rows: parsed rows are dropped once their batch is counted and staged, and only the first errors
are kept. The commit reads the staged rows (`rectification.staged`), checks again what can have
changed since (the issues that rows name, the campaign still running, the numbering), and
writes them set-based; it checks the workbook again only when the rows were not staged or the
campaign's configuration changed since.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Agency, User
from accounts.services import notify
from integrity.attachments import safe_name
from integrity.bulk import foreign_keys_checked_at_once
from integrity.faults import fault_point
from integrity.xlsx import XlsxError, read_rows

from . import excel, staged
from .choices import CampaignStatus, ImportStatus
from .excel import LedgerSchema, ParsedRow, RowParser
from .models import Campaign, ImportJob, LedgerIssue, Participation, Repayment

BATCH_SIZE = 1000
PROGRESS_EVERY = 1000
PREVIEW_ROWS = 20
MAX_STORED_ERRORS = 1000
PROGRESS_TIMEOUT = 6 * 3600
logger = logging.getLogger(__name__)
# What a bulk update of an existing issue writes (the fields an import may change).
UPDATE_FIELDS = [
    *(name.removesuffix("_id") for name in excel.IMPORT_FIELDS),
    "rectified_on",
    "amount_repaid",
    "import_job",
    "updated_at",
]


def progress_key(job_id: int) -> str:
    return f"rectification:import:{job_id}"


def progress(job: ImportJob) -> dict:
    """{"done": rows read, "total": estimated rows or None} of a running job."""
    return cache.get(progress_key(job.pk)) or {"done": 0, "total": None}


def _require_running(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.LAUNCHED:
        raise ValidationError(_("The campaign is not running: nothing can be filed."))


# In the request -------------------------------------------------------------------------------


@transaction.atomic
def job_start(
    *, campaign: Campaign, agency: Agency, uploaded, actor: User, language: str
) -> ImportJob:
    """Store the upload (under a random name) as a queued job and queue its check."""
    from .tasks import import_check

    _require_running(campaign)
    if not Participation.objects.filter(campaign=campaign, agency=agency).exists():
        raise ValidationError(_("The agency does not take part in this campaign."))
    _check_structure(campaign, uploaded)
    job = ImportJob(
        tenant_id=campaign.tenant_id,
        campaign=campaign,
        agency=agency,
        original_name=safe_name(uploaded.name)[:150],
        size=uploaded.size,
        created_by=actor,
    )
    job.file.save(f"{uuid.uuid4().hex}.xlsx", uploaded, save=False)
    job.save()
    cache.set(progress_key(job.pk), {"done": 0, "total": None}, PROGRESS_TIMEOUT)
    transaction.on_commit(lambda: import_check.delay(job.pk, language))
    return job


def _check_structure(campaign: Campaign, uploaded) -> None:
    """Refuse at once, before anything is stored, a file that is no workbook, is damaged, too
    large unpacked, linked to other files, or has other headers: only the rows are left to the
    job's check."""
    schema = LedgerSchema.for_campaign(campaign)
    try:
        next(read_rows(uploaded, schema.headers, max_rows=excel.LEDGER_IMPORT_MAX_ROWS), None)
    except XlsxError as exc:
        raise ValidationError(str(exc)) from None
    finally:
        uploaded.seek(0)


@transaction.atomic
def job_request_commit(*, job: ImportJob, actor: User, language: str) -> ImportJob:
    """A checked file without errors goes to the commit job."""
    from .tasks import import_commit

    job = ImportJob.objects.select_for_update().select_related("campaign").get(pk=job.pk)
    if job.status != ImportStatus.VALID:
        raise ValidationError(_("Only a checked file without errors can be imported."))
    _require_running(job.campaign)
    job.status = ImportStatus.COMMITTING
    job.message = ""
    job.save(update_fields=["status", "message"])
    cache.set(progress_key(job.pk), {"done": 0, "total": job.total_rows}, PROGRESS_TIMEOUT)
    transaction.on_commit(lambda: import_commit.delay(job.pk, language))
    return job


# Reading and validating -----------------------------------------------------------------------


def _read(job: ImportJob) -> bytes:
    with job.file.open("rb") as stream:
        return stream.read()


def _parser(job: ImportJob) -> RowParser:
    schema = LedgerSchema.for_campaign(job.campaign)
    return RowParser(schema, job.campaign, today=timezone.localdate())


def _batches(
    job: ImportJob,
    data: bytes,
    parser: RowParser,
    *,
    on_progress: Callable[[int], None],
) -> Iterator[list[ParsedRow]]:
    """The file's rows, parsed and resolved against the existing issues, in batches."""
    rows = read_rows(data, parser.schema.headers, max_rows=excel.LEDGER_IMPORT_MAX_ROWS)
    batch: list[ParsedRow] = []
    done = 0
    for number, raw in rows:
        batch.append(parser.parse(number, raw, cells=done < PREVIEW_ROWS))
        done += 1
        if done % PROGRESS_EVERY == 0:
            on_progress(done)
        if len(batch) >= BATCH_SIZE:
            parser.resolve(batch, job.agency_id)
            yield batch
            batch = []
    if batch:
        parser.resolve(batch, job.agency_id)
        yield batch
    on_progress(done)


def _stage(
    job: ImportJob, parser: RowParser, data: bytes, on_progress: Callable[[int], None]
) -> tuple[Summary, staged.Staged | None]:
    """Check every row of the file; the rows of a file without errors come back staged."""
    summary = Summary()
    writer = staged.Writer(job, staged.fingerprint(parser))
    try:
        for batch in _batches(job, data, parser, on_progress=on_progress):
            summary.add(batch)
            if not summary.error_count:
                writer.add(batch)
    except BaseException:
        writer.discard()
        raise
    if summary.error_count:
        writer.discard()
        return summary, None
    return summary, writer.finish()


@dataclass
class Summary:
    total: int = 0
    new: int = 0
    updated: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)

    def add(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            self.total += 1
            if row.errors:
                self.error_count += len(row.errors)
                room = MAX_STORED_ERRORS - len(self.errors)
                self.errors += [
                    {"row": e.row, "column": e.column, "message": e.message}
                    for e in row.errors[: max(room, 0)]
                ]
            elif row.action == "new":
                self.new += 1
            elif row.action == "update":
                self.updated += 1
            if len(self.preview) < PREVIEW_ROWS:
                self.preview.append(
                    {
                        "row": row.row,
                        "action": "error" if row.errors else row.action,
                        "cells": row.cells,
                    }
                )


def _progress_writer(job: ImportJob, total: int | None) -> Callable[[int], None]:
    def write(done: int) -> None:
        estimate = None if total is None else max(total, done)
        cache.set(progress_key(job.pk), {"done": done, "total": estimate}, PROGRESS_TIMEOUT)

    return write


def job_check(job_id: int) -> ImportJob:
    """Check the file and every row; keep the first errors, the counts and a preview."""
    job = ImportJob.objects.select_related("campaign").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING):
        return job  # already checked (a task delivered twice)
    job.status = ImportStatus.VALIDATING
    job.save(update_fields=["status"])
    summary = Summary()
    message = ""
    try:
        _require_running(job.campaign)
        data = _read(job)
        on_progress = _progress_writer(job, excel.estimate_rows(data))
        summary, rows = _stage(job, _parser(job), data, on_progress)
        if rows is not None:
            try:
                staged.save(job, rows)
            finally:
                rows.close()
    except XlsxError as exc:
        message = str(exc)
    except ValidationError as exc:
        message = " ".join(exc.messages)
    except Exception:  # a bug must not leave the job "checking" for ever
        logger.exception("Import job %s could not be checked", job.pk)
        message = _("The file could not be checked. Try again or ask the credit office.")
    cache.delete(progress_key(job.pk))
    if not message and not summary.total:
        message = _("The file has no data rows.")
    job.status = ImportStatus.INVALID if message or summary.error_count else ImportStatus.VALID
    if job.status == ImportStatus.INVALID:
        staged.discard(job)
    if summary.error_count and not message:
        message = ngettext(
            "%(n)d error found. Correct the file and upload it again.",
            "%(n)d errors found. Correct the file and upload it again.",
            summary.error_count,
        ) % {"n": summary.error_count}
    job.message = message
    job.total_rows = summary.total
    job.new_rows = summary.new
    job.updated_rows = summary.updated
    job.error_count = summary.error_count
    job.errors = summary.errors
    job.preview = summary.preview
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "total_rows",
            "new_rows",
            "updated_rows",
            "error_count",
            "errors",
            "preview",
            "finished_at",
        ]
    )
    return job


# Writing --------------------------------------------------------------------------------------


class CommitRefused(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None, count: int = 0):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.count = count


def _refused(summary: Summary) -> CommitRefused:
    return CommitRefused(
        ngettext(
            "The ledger changed since the file was checked: %(n)d error found. Nothing "
            "was imported; upload the file again.",
            "The ledger changed since the file was checked: %(n)d errors found. Nothing "
            "was imported; upload the file again.",
            summary.error_count,
        )
        % {"n": summary.error_count},
        summary.errors,
        summary.error_count,
    )


def _write(job: ImportJob) -> Summary:
    """Every row, in the caller's transaction: the rows that name an issue checked again against
    it (locked) and the issues updated in bulk, then the new issues numbered under the
    participation's lock and created set-based from the staged rows, with their repayments."""
    _require_running(job.campaign)
    participation = (
        Participation.objects.select_for_update()
        .filter(campaign_id=job.campaign_id, agency_id=job.agency_id)
        .first()
    )
    if participation is None:
        raise ValidationError(_("The agency does not take part in this campaign."))
    parser = _parser(job)
    note = _("Imported from Excel")
    on_progress = _progress_writer(job, job.total_rows or None)
    summary = Summary()
    with connection.cursor() as cursor, staged.table(cursor):
        new = _load_staged(job, parser, cursor, on_progress)
        for batch in staged.numbered_rows(cursor, BATCH_SIZE):
            parser.resolve(batch, job.agency_id, lock=True)
            summary.add(batch)
            if summary.error_count:
                raise _refused(summary)
            _update(job, batch, note)
            on_progress(summary.total)
            fault_point("import_commit:after_batch")
        done = summary.total
        for after in range(0, new, BATCH_SIZE):
            upto = min(after + BATCH_SIZE, new)
            staged.insert_new(
                cursor,
                job,
                first_number=participation.last_issue_number + 1,
                after=after,
                upto=upto,
                today=parser.today,
                note=note,
            )
            on_progress(done + upto)
            fault_point("import_commit:after_batch")
    participation.last_issue_number += new
    participation.save(update_fields=["last_issue_number"])
    summary.total += new
    summary.new += new
    return summary


def _load_staged(
    job: ImportJob, parser: RowParser, cursor, on_progress: Callable[[int], None]
) -> int:
    """Load the job's staged rows into the transaction's table; returns how many are new. Rows
    that were not staged (a job checked before rows were), or were checked against another
    configuration of the campaign, are checked again from the workbook."""
    rows = staged.saved(job, staged.fingerprint(parser))
    if rows is not None:
        try:
            if staged.load(cursor, job, rows):
                return rows.new
        finally:
            rows.close()
    summary, rows = _stage(job, parser, _read(job), on_progress)
    if summary.error_count:
        raise _refused(summary)
    try:
        if not staged.load(cursor, job, rows):
            raise RuntimeError("Rows staged in this transaction did not load.")
        return rows.new
    finally:
        rows.close()


def _update(job: ImportJob, batch: list[ParsedRow], note: str) -> None:
    """The issues that rows of the batch change, and the repayments they add."""
    now = timezone.now()
    updated, repayments = [], []
    for row in batch:
        if row.action != "update":
            continue
        issue = row.issue
        for key in row.changed:
            setattr(issue, key, row.data[key])
        issue.amount_repaid += row.repayment
        issue.import_job = job
        issue.updated_at = now
        updated.append(issue)
        if row.repayment:
            repayments.append((issue, row))
    if updated:
        LedgerIssue.objects.bulk_update(updated, UPDATE_FIELDS)
    if repayments:
        Repayment.objects.bulk_create(
            [
                Repayment(
                    tenant_id=job.tenant_id,
                    issue_id=issue.pk,
                    paid_on=row.repaid_on,
                    amount=row.repayment,
                    note=note,
                    created_by_id=job.created_by_id,
                )
                for issue, row in repayments
            ]
        )


def _notify_done(job: ImportJob) -> None:
    if not job.created_by_id:
        return
    title = (
        _("Ledger import finished: %(name)s")
        if job.status == ImportStatus.COMMITTED
        else _("Ledger import failed: %(name)s")
    ) % {"name": job.original_name}
    notify(
        [job.created_by],
        title=title,
        body=job.message or job.campaign.title,
        url=reverse("rectification:import-detail", args=[job.pk]),
    )


def job_commit(job_id: int) -> ImportJob:
    """Write every row of a checked file, or nothing (the job then says why).

    Idempotent: the job is locked, and marked committed (with its notification), in the
    transaction that writes the rows. A delivery of the task that finds the job no longer
    committing writes nothing, so a worker killed at any point can have the task delivered
    again: before the commit nothing was written, after it the job is done."""
    job = ImportJob.objects.select_related("campaign", "created_by").get(pk=job_id)
    if job.status != ImportStatus.COMMITTING:
        return job
    errors, error_count = [], 0
    fields = ["status", "message", "finished_at", "total_rows", "new_rows", "updated_rows"]
    try:
        with transaction.atomic(), foreign_keys_checked_at_once(LedgerIssue, Repayment):
            locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
            if locked is None or locked.status != ImportStatus.COMMITTING:
                return locked or job  # another delivery of the task got here first
            summary = _write(job)
            job.status, job.message, job.finished_at = (
                ImportStatus.COMMITTED,
                "",
                timezone.now(),
            )
            job.total_rows, job.new_rows, job.updated_rows = (
                summary.total,
                summary.new,
                summary.updated,
            )
            job.save(update_fields=fields)
            _notify_done(job)
    except CommitRefused as exc:
        status, message, errors, error_count = (
            ImportStatus.FAILED,
            exc.message,
            exc.errors,
            exc.count,
        )
    except XlsxError as exc:
        status, message = ImportStatus.FAILED, str(exc)
    except ValidationError as exc:
        status, message = ImportStatus.FAILED, " ".join(exc.messages)
    except DatabaseError:
        logger.exception("Import job %s could not be written", job.pk)
        status = ImportStatus.FAILED
        message = _(
            "The ledger changed while the file was imported. Nothing was imported; upload the "
            "file again."
        )
    except Exception:
        logger.exception("Import job %s could not be written", job.pk)
        status = ImportStatus.FAILED
        message = _("The import failed. Nothing was imported; try again or ask the office.")
    else:
        staged.discard(job)
        cache.delete(progress_key(job.pk))
        return job
    staged.discard(job)  # the job is done: it cannot be committed again
    with transaction.atomic():
        job.status = status
        job.message = message
        job.finished_at = timezone.now()
        if errors:
            job.errors, job.error_count = errors, error_count
            fields += ["errors", "error_count"]
        job.save(update_fields=fields)
        _notify_done(job)
    cache.delete(progress_key(job.pk))
    return job
