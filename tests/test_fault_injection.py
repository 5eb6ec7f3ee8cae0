"""Fault injection (issue 9). A real Celery worker, started as a separate OS process, is
SIGKILLed inside the write transaction of a score run and of a ledger import (at the points of
integrity/faults.py, armed by the worker's environment only); a database connection is cut in
the middle of a request. Nothing half-written is ever visible, and the killed task runs again by
itself with the result of an undisturbed run:

- the whole worker killed (its process group): tasks acknowledge late, so the message stays
  unacknowledged in Redis and a new worker takes it back once the visibility timeout has passed
  (10 s for these workers; production keeps Redis's default of one hour);
- the pool process killed under a live worker (as the OOM killer does): the worker rejects the
  message back to the queue (task_reject_on_worker_lost) and a new pool process runs it at once.

The workers run the prefork pool with one process, as production does: with the solo pool the
worker's event loop, which sends acknowledgements, is blocked while the task runs, so an early
acknowledgement would go unnoticed by these tests."""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Notification
from domains.models import KeyDomain, TrustRecord
from integrity.celery import app
from rectification import importing
from rectification.choices import ImportStatus
from rectification.models import (
    Campaign,
    CampaignDomain,
    ImportJob,
    LedgerIssue,
    Participation,
    Repayment,
)
from scoring import services as scoring
from scoring.choices import RunStatus
from scoring.models import AgencyScore, IndicatorScore, ScoreRun
from tests.conftest import CI, login
from tests.factories import TrustRecordFactory, ensure_defaults
from tests.rectification.ledger_helpers import (
    campaign_for,
    headers_for,
    issue_for,
    row_for,
    today,
    upload_file,
    workbook_bytes,
)
from tests.scoring.helpers import indicator, stored_rows
from tests.scoring.test_engine import county  # noqa: F401 (the fixture: a county scored by hand)

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Longer than any task of these tests (or a task still running would be delivered a second
# time), short enough for a test; checked for every second.
VISIBILITY_TIMEOUT = 10
TRANSPORT_OPTIONS = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
WAIT = 120  # seconds: an upper bound on a worker's start plus a job on a busy machine


# Workers as separate processes ----------------------------------------------------------------


def _redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def _test_database_url() -> str:
    """The database pytest created, as the role the tests connect with (RLS applies)."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"], safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    marker: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """SIGKILL the worker's process group (the worker and its pool process): no shutdown,
        no acknowledgement, no commit."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait_for_fault(self) -> tuple[int, float]:
        """(process id, seconds) once the armed point is reached: the marker names the pool
        process that reached it."""
        start = time.monotonic()
        while not (self.marker.exists() and self.marker.read_text()):
            if not self.alive:
                pytest.fail(f"The worker ended before the fault point:\n{self.output()}")
            if time.monotonic() - start > WAIT:
                pytest.fail(f"The worker never reached the fault point:\n{self.output()}")
            time.sleep(0.05)
        return int(self.marker.read_text()), time.monotonic() - start


class Workers:
    """Starts workers on a queue of this test only; every process is killed at teardown."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.queue = f"faults-{uuid.uuid4().hex[:12]}"
        self.started: list[Worker] = []
        self.previous = {
            key: app.conf[key]
            for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
        }

    def send_here(self) -> None:
        """From now on, tasks queued by this process go to the broker, on this test's queue."""
        app.conf.update(
            broker_url=REDIS_URL,
            result_backend=REDIS_URL,
            task_always_eager=False,
            task_default_queue=self.queue,
        )

    def start(self, fault: str = "", action: str = "hang") -> Worker:
        name = f"w{len(self.started)}"
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("INTEGRITY_FAULT")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="integrity.settings",
            DATABASE_URL=_test_database_url(),
            REDIS_URL=REDIS_URL,
            CELERY_TASK_ALWAYS_EAGER="0",
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            PYTHONUNBUFFERED="1",
        )
        marker = self.directory / f"{name}.reached"
        if fault:
            env.update(
                INTEGRITY_FAULT=fault,
                INTEGRITY_FAULT_ACTION=action,
                INTEGRITY_FAULT_MARKER=str(marker),
            )
        log = self.directory / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "integrity",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            self.queue,
            "-n",
            f"{self.queue}-{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "--",
            f"broker.transport_options=(json){json.dumps(TRANSPORT_OPTIONS)}",
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        worker = Worker(process, log, marker)
        self.started.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.started:
            if worker.alive:
                os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=30)
        app.conf.update(self.previous)
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(
            self.queue,
            f"_kombu.binding.{self.queue}",
            f"_kombu.binding_permanent.{self.queue}",
        )


@pytest.fixture
def workers(transactional_db, settings, tmp_path):
    if not _redis_reachable():
        if CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable; CI needs a live broker.")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: fault-injection tests skipped.")
    settings.MEDIA_ROOT = tmp_path / "media"
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.close()


def wait_until(
    condition: Callable[[], bool],
    worker: Worker,
    what: str,
    invariant: Callable[[], None] = lambda: None,
) -> float:
    """Poll until `condition`; `invariant` is asserted at every poll on the way."""
    start = time.monotonic()
    while True:
        invariant()
        if condition():
            return time.monotonic() - start
        if not worker.alive:
            pytest.fail(f"The worker ended while waiting for {what}:\n{worker.output()}")
        if time.monotonic() - start > WAIT:
            pytest.fail(f"Timed out waiting for {what}:\n{worker.output()}")
        time.sleep(0.05)


def report(record_property, **timings: float) -> None:
    for key, seconds in timings.items():
        record_property(key, round(seconds, 2))
    print(" ".join(f"{key}={seconds:.2f}s" for key, seconds in timings.items()))  # noqa: T201


def one_snapshot(sql: str, params: list) -> tuple:
    """A row read by one statement: one snapshot, whatever commits meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# A score run killed half way ------------------------------------------------------------------


def _run(run_id: int) -> ScoreRun:
    return ScoreRun.objects.get(pk=run_id)


def _finished(run_id: int, times: int = 1) -> Callable[[], bool]:
    def check() -> bool:
        run = _run(run_id)
        return run.status == RunStatus.SUCCEEDED and run.computed_count >= times

    return check


def _whole_or_nothing(run_id: int, agencies: int) -> Callable[[], None]:
    """A first run shows no rows, or all of them with its status finished: never indicator
    scores without the totals."""
    sql = (
        f"SELECT (SELECT count(*) FROM {IndicatorScore._meta.db_table} WHERE run_id = %s),"
        f" (SELECT count(*) FROM {AgencyScore._meta.db_table} WHERE run_id = %s),"
        f" (SELECT status FROM {ScoreRun._meta.db_table} WHERE id = %s)"
    )

    def check() -> None:
        indicators, totals, status = one_snapshot(sql, [run_id] * 3)
        if status == RunStatus.SUCCEEDED:
            assert indicators > 0 and totals == agencies
        else:
            assert (indicators, totals) == (0, 0), (indicators, totals, status)

    return check


@pytest.mark.broker
def test_a_rerun_killed_after_deleting_its_results_keeps_them_until_redelivered(
    county,  # noqa: F811
    workers,
    record_property,
):
    """The worker is killed from outside while the rerun's transaction has deleted the run's
    results; a new worker takes the message back after the visibility timeout."""
    scheme, staff = county.scheme, county.staff
    run = scoring.run_create(scheme=scheme, actor=staff)
    scoring.run_execute(run.pk)
    previous = stored_rows(run)
    assert previous[0] and previous[1]
    # An entered score changes, so the rerun's results differ from the previous ones.
    scoring.manual_entry_save(
        indicator=indicator(scheme, "no_breach"),
        agency=county.d3,
        points="5",
        reason="复核后确认无违约失信",
        actor=staff,
    )
    workers.send_here()
    started = time.monotonic()
    scoring.run_rerun(run=run, actor=staff)
    doomed = workers.start(fault="score_run:after_delete", action="hang")
    pid, reached = doomed.wait_for_fault()
    assert os.getpgid(pid) == doomed.process.pid  # a pool process of the worker killed below

    def nothing_half_done() -> None:
        current = _run(run.pk)
        assert (current.status, current.computed_count) == (RunStatus.RUNNING, 1)
        assert stored_rows(run) == previous  # the deletion is not visible

    nothing_half_done()  # while the transaction is open
    killed_at = time.monotonic()
    doomed.kill()
    assert doomed.process.returncode == -signal.SIGKILL
    nothing_half_done()  # after the kill: rolled back

    rescuer = workers.start()
    wait_until(_finished(run.pk, 2), rescuer, "the redelivered run")
    recovered = time.monotonic() - killed_at
    reference = scoring.run_start(scheme=scheme, actor=staff)  # undisturbed, same worker
    wait_until(_finished(reference.pk), rescuer, "the undisturbed run")
    assert stored_rows(run) == stored_rows(reference)
    assert stored_rows(run) != previous
    assert _run(run.pk).error == ""
    report(
        record_property,
        to_fault_point=reached,
        kill_to_recovered=recovered,
        total=time.monotonic() - started,
    )


@pytest.mark.broker
def test_a_first_run_whose_pool_process_dies_half_written_is_run_again_at_once(
    county,  # noqa: F811
    workers,
    record_property,
):
    """The pool process kills itself once the indicator scores are written, before the totals;
    the worker survives, rejects the message back to the queue and a new pool process runs it
    (the point fires once). At no moment are the indicator scores visible without the totals."""
    scheme, staff = county.scheme, county.staff
    workers.send_here()
    started = time.monotonic()
    run = scoring.run_start(scheme=scheme, actor=staff)
    worker = workers.start(fault="score_run:after_indicator_scores", action="kill")
    whole_or_nothing = _whole_or_nothing(run.pk, agencies=6)
    pid, reached = worker.wait_for_fault()
    assert pid != worker.process.pid
    killed_at = time.monotonic()
    wait_until(_finished(run.pk), worker, "the run delivered again", invariant=whole_or_nothing)
    recovered = time.monotonic() - killed_at
    assert worker.alive
    assert re.search(r"WorkerLostError|exited with 'signal 9", worker.output())
    reference = scoring.run_start(scheme=scheme, actor=staff)
    wait_until(_finished(reference.pk), worker, "the undisturbed run", invariant=whole_or_nothing)
    indicators, totals = stored_rows(run)
    assert (indicators, totals) == stored_rows(reference)
    assert len(totals) == _run(run.pk).agencies == 6
    assert _run(run.pk).error == ""
    report(
        record_property,
        to_fault_point=reached,
        kill_to_recovered=recovered,
        total=time.monotonic() - started,
    )


# A ledger import killed half way ----------------------------------------------------------------

# Left out of the comparison: ids, where the rows went (campaign, job) and every moment of
# writing (created_at, updated_at: when, not what) or feed position.
LEFT_OUT = {"id", "campaign", "import_job", "sync_txid"}


def ledger(campaign) -> tuple[list[dict], list[tuple]]:
    """Every stored value of the campaign's issues and repayments, ids left out."""
    fields = [
        f
        for f in LedgerIssue._meta.concrete_fields
        if f.name not in LEFT_OUT and f.get_internal_type() != "DateTimeField"
    ]
    issues = [
        {f.attname: getattr(issue, f.attname) for f in fields}
        for issue in LedgerIssue.objects.filter(campaign=campaign).order_by("number")
    ]
    repayments = sorted(
        Repayment.objects.filter(issue__campaign=campaign).values_list(
            "issue__number", "paid_on", "amount", "note", "created_by_id", "tenant_id"
        )
    )
    return issues, repayments


def ledger_file(campaign, existing: LedgerIssue) -> bytes:
    """Two batches of rows: the existing issue changed with a higher repaid total (a repayment
    added), then new issues, every tenth owing an enterprise and partly repaid."""
    paid = today() - datetime.timedelta(days=1)
    rows = [
        row_for(
            campaign,
            number=existing.number,
            subject_name="县财政局（改）",
            creditor_name=existing.creditor_name,
            accepted_on=existing.accepted_on,
            amount_owed=100000,
            amount_repaid=1500,
            last_repaid_on=paid,
            discovered_on=existing.discovered_on,
        )
    ]
    for n in range(1, 2 * importing.BATCH_SIZE):
        values = {"subject_name": f"失信主体{n:04d}", "description": f"问题{n}"}
        if n % 10 == 0:
            values.update(
                creditor_name=f"承德市第{n}建筑有限公司",
                accepted_on=(today() - datetime.timedelta(days=90)).isoformat(),
                amount_owed=1000 + n,
                amount_repaid=n,
                last_repaid_on=paid.isoformat(),
            )
        rows.append(row_for(campaign, **values))
    return workbook_bytes(headers_for(campaign), rows)


def _job(job_id: int) -> ImportJob:
    return ImportJob.objects.get(pk=job_id)


def _status(job_id: int, status: str) -> Callable[[], bool]:
    return lambda: _job(job_id).status == status


def _import(worker: Worker, campaign, content: bytes, clerk) -> ImportJob:
    """Upload and check through the worker; returns the checked job, its commit not yet asked."""
    job = importing.job_start(
        campaign=campaign,
        agency=campaign.agencies.get(),
        uploaded=upload_file(content),
        actor=clerk,
        language="zh-hans",
    )
    wait_until(_status(job.pk, ImportStatus.VALID), worker, "the checked file")
    return _job(job.pk)


def _all_or_nothing(job: ImportJob, campaign) -> Callable[[], None]:
    """The campaign holds the issue it had, the job committing; or every row, the job done."""
    sql = (
        f"SELECT (SELECT count(*) FROM {LedgerIssue._meta.db_table} WHERE campaign_id = %s),"
        f" (SELECT status FROM {ImportJob._meta.db_table} WHERE id = %s)"
    )

    def check() -> None:
        state = one_snapshot(sql, [campaign.pk, job.pk])
        assert state in ((1, ImportStatus.COMMITTING), (2000, ImportStatus.COMMITTED)), state

    return check


def _finished_notices(job: ImportJob) -> int:
    url = reverse("rectification:import-detail", args=[job.pk])
    return Notification.objects.filter(url=url, title__contains=job.original_name).count()


@pytest.mark.broker
def test_an_import_killed_after_half_the_rows_writes_nothing_until_redelivered(
    world, workers, record_property
):
    clerk = world.clerk_a1
    campaign, reference_campaign = campaign_for(world.a1), campaign_for(world.a1)
    existing = issue_for(world.a1, campaign=campaign, arrears=True)
    issue_for(world.a1, campaign=reference_campaign, arrears=True)
    content = ledger_file(campaign, existing)
    before = ledger(campaign)
    assert len(before[0]) == 1 and len(before[1]) == 1  # the issue and its 1,000 yuan repaid

    workers.send_here()
    doomed = workers.start(fault="import_commit:after_batch", action="hang")
    job = _import(doomed, campaign, content, clerk)
    assert (job.total_rows, job.new_rows, job.updated_rows) == (2000, 1999, 1)
    started = time.monotonic()
    importing.job_request_commit(job=job, actor=clerk, language="zh-hans")
    pid, reached = doomed.wait_for_fault()  # the first 1,000 rows written, not committed
    assert os.getpgid(pid) == doomed.process.pid

    def nothing_half_done() -> None:
        assert _job(job.pk).status == ImportStatus.COMMITTING
        assert ledger(campaign) == before
        assert not LedgerIssue.objects.filter(import_job=job).exists()
        assert _finished_notices(job) == 0

    nothing_half_done()  # while the transaction is open
    killed_at = time.monotonic()
    doomed.kill()
    assert doomed.process.returncode == -signal.SIGKILL
    nothing_half_done()  # after the kill: rolled back

    rescuer = workers.start()
    wait_until(
        _status(job.pk, ImportStatus.COMMITTED),
        rescuer,
        "the redelivered import",
        invariant=_all_or_nothing(job, campaign),
    )
    recovered = time.monotonic() - killed_at
    reference = _import(rescuer, reference_campaign, content, clerk)
    importing.job_request_commit(job=reference, actor=clerk, language="zh-hans")
    wait_until(_status(reference.pk, ImportStatus.COMMITTED), rescuer, "the undisturbed import")

    issues, repayments = ledger(campaign)
    assert (issues, repayments) == ledger(reference_campaign)
    assert len(issues) == 2000 and len(repayments) == 1 + 1 + 199  # one 500 yuan added once
    assert LedgerIssue.objects.get(pk=existing.pk).amount_repaid == Decimal("1500.00")
    assert Participation.objects.get(campaign=campaign).last_issue_number == 2000
    committed = _job(job.pk)
    assert (committed.total_rows, committed.new_rows, committed.updated_rows) == (2000, 1999, 1)
    assert _finished_notices(job) == 1  # the killed attempt's notification was rolled back
    report(
        record_property,
        to_fault_point=reached,
        kill_to_recovered=recovered,
        total=time.monotonic() - started,
    )


# A database connection lost in the middle of a request ----------------------------------------

INSERTED_OR_UPDATED = re.compile(r'(?:INSERT INTO|UPDATE) "(\w+)"', re.IGNORECASE)


@dataclass
class Cut:
    """What the request wrote before its session was terminated, and whether it was."""

    written: list[str]
    done: list[bool]


@contextmanager
def session_cut_before(statement: str):
    """Terminate the database session of the code inside (pg_terminate_backend, from a second
    connection) just before its first statement matching `statement` runs."""
    pattern = re.compile(statement, re.IGNORECASE)
    cut = Cut([], [])

    def wrapper(execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else str(sql)
        if not cut.done and pattern.search(text):
            with context["connection"].connection.cursor() as own:
                own.execute("SELECT pg_backend_pid()")
                pid = own.fetchone()[0]
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                    cut.done.append(cursor.fetchone()[0])
            finally:
                other.close()
        elif not cut.done:
            cut.written.extend(INSERTED_OR_UPDATED.findall(text))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield cut
    connection.close()  # the session cut was this thread's: the next query opens a new one


def assert_error_page(response, caplog) -> None:
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "政务诚信管理平台" in page  # the site's name, translated: our page, in Chinese
    with translation.override("zh-hans"):
        assert gettext("Server error") in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert any(r.name == "django.request" and r.levelname == "ERROR" for r in caplog.records)


def test_a_campaign_whose_connection_is_cut_mid_request_leaves_nothing(client, world, caplog):
    """Creating a campaign writes the campaign, its domains and its participations in one
    transaction; the session is cut just before the participations are written."""
    ensure_defaults(world.county_a)
    domains = list(KeyDomain.objects.filter(tenant=world.county_a, is_active=True)[:2])
    events = apps.get_model("rectification", "CampaignEvent")
    counts = (Campaign.objects.count(), events.objects.count(), Notification.objects.count())
    title = "2026年政务诚信专项治理（断线）"
    data = {
        "title": title,
        "document_number": "丰信用办〔2026〕9号",
        "year": "2026",
        "description": "",
        "report_deadline": (today() + datetime.timedelta(days=10)).isoformat(),
        "plan_deadline": (today() + datetime.timedelta(days=20)).isoformat(),
        "completion_deadline": (today() + datetime.timedelta(days=60)).isoformat(),
        "domains": [d.pk for d in domains],
        "agencies": [world.a1.pk, world.a2.pk],
    }
    login(client, world.office_staff_a)
    client.raise_request_exception = False
    with session_cut_before(r'INSERT INTO "rectification_participation"') as cut:
        response = client.post(reverse("rectification:campaign-create"), data)

    assert cut.done == [True]
    assert {"rectification_campaign", "rectification_campaigndomain"} <= set(cut.written)
    assert_error_page(response, caplog)
    assert not Campaign.objects.filter(title=title).exists()
    assert not CampaignDomain.objects.filter(campaign__title=title).exists()
    assert not Participation.objects.filter(campaign__title=title).exists()
    after = (Campaign.objects.count(), events.objects.count(), Notification.objects.count())
    assert after == counts  # not even an audit row of the campaign


def test_a_record_patch_whose_connection_is_cut_changes_neither_facts_nor_publicity(
    client, world, caplog
):
    """An API PATCH of a record's facts that also publishes it: one transaction (it used to be
    two, which could leave the facts changed and the record unpublished)."""
    record = TrustRecordFactory(tenant=world.county_a, agency=world.a1, is_public=False)
    before = TrustRecord.objects.values().get(pk=record.pk)
    login(client, world.office_admin_a)
    client.raise_request_exception = False
    with session_cut_before(r'UPDATE "domains_trustrecord" SET [^;]*"is_public" =') as cut:
        response = client.patch(
            f"/api/v1/records/{record.pk}/",
            {"facts": "拖欠民营企业工程款，已被法院强制执行。", "is_public": True},
            content_type="application/json",
        )

    assert cut.done == [True]
    assert "domains_trustrecord" in cut.written  # the facts were written before the cut
    assert_error_page(response, caplog)
    assert TrustRecord.objects.values().get(pk=record.pk) == before
