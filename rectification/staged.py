"""The checked rows of a ledger import, kept from the check job to the commit job.

The commit used to read, parse and check the whole workbook again (two thirds of its time in
benchmark B4). Now the check job writes the rows of a file without errors beside the upload
(`<upload>.rows`): a header line (JSON: the counts, the fingerprint of the campaign's
configuration the rows were checked against, and an HMAC under SECRET_KEY of the job, all of
that and the rows) followed by the rows as CSV in PostgreSQL's COPY format, deflated.

The commit job loads them with one COPY into a temporary table, writes the new issues from there
set-based (`INSERT … SELECT`, every row through the audit and change-feed triggers as before) and
gets the rows that name an existing issue back as ParsedRows, to check them again against the
issue, locked. Staged rows that are missing, altered, or checked against another configuration
are not used: the commit then checks the workbook again.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import IO

from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.utils.crypto import salted_hmac

from .choices import IssueStatus
from .excel import IMPORT_FIELDS, ParsedRow, RowParser
from .models import ImportJob, LedgerIssue, Repayment

VERSION = 1
TABLE = "rectification_import_staged"
# position: the row in the sheet; ordinal: 1 for the first new issue (a row without a number).
COLUMNS = ("position", "ordinal", "number", *IMPORT_FIELDS, "status_given", "repaid", "repaid_on")
EXTRA = IMPORT_FIELDS.index("extra")
CHUNK = 1 << 16
logger = logging.getLogger(__name__)


def fingerprint(parser: RowParser) -> str:
    """What the check of a row depends on besides the row: the campaign's key domains and their
    extra fields, the active problem types, the campaign's completion deadline (the default
    deadline). Staged rows checked against another configuration are checked again."""
    fields = [
        [getattr(field, f.attname) for f in field._meta.concrete_fields]
        for domain in parser.schema.domains
        for field in parser.schema.fields_by_domain[domain.pk]
    ]
    state = [
        [[domain.pk, domain.name] for domain in parser.schema.domains],
        [[kind.pk, name] for name, kind in parser.problem_types.items()],
        fields,
        parser.campaign.completion_deadline,
    ]
    text = json.dumps(state, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _mac(job: ImportJob, fingerprint: str):
    """The HMAC of staged rows, bound to the job and the configuration they were checked
    against; the rows and then the counts are added to it."""
    message = f"{VERSION}:{job.pk}:{job.file.name}:{fingerprint}\n"
    return salted_hmac("rectification.staged", message, algorithm="sha256")


def _counts(rows: int, new: int) -> bytes:
    return f"\n{rows}:{new}".encode()


@dataclass
class Staged:
    """Staged rows: their counts, their HMAC, and the deflated CSV (a file at its start)."""

    rows: int
    new: int
    fingerprint: str
    mac: str
    body: IO[bytes]

    def close(self) -> None:
        self.body.close()


class Writer:
    """Stages the rows of a file as the check reads them (memory stays bounded: the deflated
    CSV goes to a temporary file); `finish()` gives them back as Staged."""

    def __init__(self, job: ImportJob, fingerprint: str):
        self.fingerprint = fingerprint
        self.rows = self.new = 0
        self.mac = _mac(job, fingerprint)
        self.body = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Staged.close/discard
        self.deflate = zlib.compressobj(1)
        self.text = io.StringIO()
        # QUOTE_NOTNULL: None is written bare (COPY reads it as NULL), every value quoted, so
        # an empty text stays an empty text.
        self.csv = csv.writer(self.text, quoting=csv.QUOTE_NOTNULL, lineterminator="\n")

    def add(self, rows: list[ParsedRow]) -> None:
        write = self.csv.writerow
        for row in rows:
            ordinal = None
            if row.number is None:
                self.new += 1
                ordinal = self.new
            values = [row.data[key] for key in IMPORT_FIELDS]
            extra = values[EXTRA]
            values[EXTRA] = json.dumps(extra, ensure_ascii=False) if extra else "{}"
            write(
                [row.row, ordinal, row.number, *values, row.status_given, row.repaid, row.repaid_on]
            )
        self.rows += len(rows)
        chunk = self.text.getvalue().encode()
        self.text.seek(0)
        self.text.truncate()
        self.mac.update(chunk)
        self.body.write(self.deflate.compress(chunk))

    def finish(self) -> Staged:
        self.body.write(self.deflate.flush())
        self.body.seek(0)
        self.mac.update(_counts(self.rows, self.new))
        return Staged(self.rows, self.new, self.fingerprint, self.mac.hexdigest(), self.body)

    def discard(self) -> None:
        self.body.close()


# Kept beside the upload ------------------------------------------------------------------------


def _name(job: ImportJob) -> str:
    return f"{job.file.name}.rows"


def save(job: ImportJob, staged: Staged) -> None:
    storage, name = job.file.storage, _name(job)
    storage.delete(name)  # a check delivered twice
    header = {
        "version": VERSION,
        "rows": staged.rows,
        "new": staged.new,
        "fingerprint": staged.fingerprint,
        "mac": staged.mac,
    }
    with tempfile.TemporaryFile() as content:
        content.write(json.dumps(header).encode() + b"\n")
        while chunk := staged.body.read(CHUNK):
            content.write(chunk)
        content.seek(0)
        stored = storage.save(name, File(content, name=name))
    if stored != name:  # the storage chose another name: the commit would not find it
        storage.delete(stored)


def saved(job: ImportJob, fingerprint: str) -> Staged | None:
    """The job's staged rows if they were checked against this configuration."""
    storage, name = job.file.storage, _name(job)
    try:
        if not job.file.name or not storage.exists(name):
            return None
        stream = storage.open(name, "rb")
    except OSError:
        logger.warning("The staged rows of import job %s could not be opened", job.pk)
        return None
    try:
        header = json.loads(stream.readline())
        if header["version"] == VERSION and header["fingerprint"] == fingerprint:
            return Staged(header["rows"], header["new"], fingerprint, header["mac"], stream)
    except (ValueError, KeyError, TypeError):
        logger.warning("The staged rows of import job %s are unreadable", job.pk)
    stream.close()
    return None


def discard(job: ImportJob) -> None:
    if job.file.name:
        job.file.storage.delete(_name(job))


# In the commit's transaction ------------------------------------------------------------------


class _Inflated:
    """The CSV of staged rows, inflated as COPY reads it, added to their HMAC."""

    def __init__(self, staged: Staged, mac):
        self.source, self.mac = staged.body, mac
        self.inflate = zlib.decompressobj()

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.inflate.eof or not (packed := self.source.read(CHUNK)):
                chunk = self.inflate.flush()
            else:
                chunk = self.inflate.decompress(packed)
                if not chunk:
                    continue
            self.mac.update(chunk)
            return chunk


def _fields() -> dict[str, object]:
    return {field.attname: field for field in LedgerIssue._meta.concrete_fields}


@contextmanager
def table(cursor) -> Iterator[None]:
    """The transaction's table of staged rows, dropped when done (and at the commit: a
    transaction that holds two imports, as a test's does, gets two tables in turn)."""
    fields = _fields()
    types = {
        "position": "integer PRIMARY KEY",
        "ordinal": "integer UNIQUE",
        "number": "integer",
        "status_given": "boolean",
        "repaid": fields["amount_repaid"].db_type(connection),
        "repaid_on": "date",
    }
    columns = ", ".join(
        f"{_quote(name)} {types.get(name) or fields[name].db_type(connection)}" for name in COLUMNS
    )
    cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} ({columns}) ON COMMIT DROP")
    yield
    cursor.execute(f"DROP TABLE {TABLE}")


class _Spoiled(Exception):
    """Staged rows that are not what the check wrote."""


def load(cursor, job: ImportJob, staged: Staged) -> bool:
    """Copy staged rows into the transaction's table; False (and the table left empty) when
    they are not what the check wrote: damaged, altered, or from another job."""
    mac = _mac(job, staged.fingerprint)
    columns = ", ".join(_quote(name) for name in COLUMNS)
    try:
        with transaction.atomic():  # a savepoint: a COPY that fails leaves the commit usable
            cursor.copy_expert(
                f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT csv)",
                _Inflated(staged, mac),
                CHUNK,  # (positional: Django's debug cursor passes only those on)
            )
            mac.update(_counts(staged.rows, staged.new))
            cursor.execute(f"SELECT count(*), count(ordinal) FROM {TABLE}")  # noqa: S608
            counts = cursor.fetchone()
            if not hmac.compare_digest(mac.hexdigest(), staged.mac):
                raise _Spoiled("signature")
            if counts != (staged.rows, staged.new):
                raise _Spoiled("counts")
    except (_Spoiled, zlib.error, DatabaseError, connection.Database.Error):
        # (the driver's own error: a COPY goes to the driver's cursor, unwrapped by Django)
        logger.warning("The staged rows of import job %s are spoiled", job.pk, exc_info=True)
        return False
    return True


def numbered_rows(cursor, size: int) -> Iterator[list[ParsedRow]]:
    """The rows that name an existing issue, in batches, as the check parsed them."""
    names = ", ".join(_quote(name) for name in COLUMNS if name != "ordinal")
    after = 0
    while True:
        cursor.execute(
            f"SELECT {names} FROM {TABLE} WHERE number IS NOT NULL AND position > %s "  # noqa: S608
            "ORDER BY position LIMIT %s",
            [after, size],
        )
        batch = [_parsed(values) for values in cursor.fetchall()]
        if not batch:
            return
        after = batch[-1].row
        yield batch


def _parsed(values: tuple) -> ParsedRow:
    position, number, *data, status_given, repaid, repaid_on = values
    data = dict(zip(IMPORT_FIELDS, data, strict=True))
    if isinstance(data["extra"], str):  # Django reads jsonb as text (JSONField decodes it)
        data["extra"] = json.loads(data["extra"])
    return ParsedRow(
        row=position,
        number=number,
        data=data,
        repaid=repaid,
        repaid_on=repaid_on,
        status_given=status_given,
    )


def insert_new(
    cursor, job: ImportJob, *, first_number: int, after: int, upto: int, today: date, note: str
) -> int:
    """Create the new issues `after` < ordinal ≤ `upto`, numbered from `first_number` in the
    order of the file, with the repayment their row records, in one statement; returns how
    many issues it created."""
    issue = LedgerIssue(
        tenant_id=job.tenant_id,
        campaign_id=job.campaign_id,
        agency_id=job.agency_id,
        import_job_id=job.pk,
        created_by_id=job.created_by_id,
    )
    computed = {
        "number": (f"%s - 1 + s.{_quote('ordinal')}", [first_number]),
        "amount_repaid": ("s.repaid", []),
        "rectified_on": (
            "CASE WHEN s.status = %s THEN %s::date END",
            [IssueStatus.RECTIFIED.value, today],
        ),
    }
    issue_columns, issue_values, params = _values(issue, computed, staged=IMPORT_FIELDS)
    repayment = Repayment(tenant_id=job.tenant_id, note=note, created_by_id=job.created_by_id)
    computed = {
        "issue_id": ("i.id", []),
        "paid_on": ("s.repaid_on", []),
        "amount": ("s.repaid", []),
    }
    repayment_columns, repayment_values, repayment_params = _values(repayment, computed)
    cursor.execute(
        # Our own table and column names; the values are parameters.
        f"WITH issues AS (INSERT INTO {_quote(LedgerIssue._meta.db_table)} ({issue_columns}) "  # noqa: S608
        f"SELECT {issue_values} FROM {TABLE} s WHERE s.ordinal > %s AND s.ordinal <= %s "
        "ORDER BY s.ordinal RETURNING id, number), "
        f"repayments AS (INSERT INTO {_quote(Repayment._meta.db_table)} ({repayment_columns}) "
        f"SELECT {repayment_values} FROM issues i JOIN {TABLE} s "
        "ON s.ordinal = i.number - %s + 1 WHERE s.repaid > 0 ORDER BY s.ordinal) "
        "SELECT count(*) FROM issues",
        [*params, after, upto, *repayment_params, first_number],
    )
    return cursor.fetchone()[0]


def _values(instance, computed: dict, staged=()) -> tuple[str, str, list]:
    """The columns of an INSERT … SELECT of the instance's model and the values selected: the
    staged column, a computed expression, or else the instance's own value (its defaults)."""
    columns, values, params = [], [], []
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(_quote(field.column))
        if field.attname in staged:
            values.append(f"s.{_quote(field.attname)}")
        elif field.attname in computed:
            expression, extra = computed[field.attname]
            values.append(expression)
            params += extra
        else:
            value = field.pre_save(instance, add=True)
            values.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    return ", ".join(columns), ", ".join(values), params
