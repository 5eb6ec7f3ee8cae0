"""The measurements, each run in a child process of bench/run.py (`python -m bench.cases NAME`)
so that its peak memory is its own. Each prints one line `RESULT {json}`.

Every measured path is the platform's own: the score run is the Celery task's body run
in-process (eager), the HTTP figures come from gunicorn with production settings, the Excel
import and export go through the views as the signed-in clerk and office, and all of it runs
under the tenant scope of PostgreSQL row-level security that the same request or task would
have."""

from __future__ import annotations

import http.client
import io
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE = Path(__file__).resolve().parent.parent
# BENCH_DIR: where the province manifest, files and results go (default var/bench).
VAR = Path(os.environ.get("BENCH_DIR") or BASE / "var" / "bench")


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def manifest() -> dict:
    return json.loads((VAR / "province.json").read_text())


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrity.settings")
    import django

    django.setup()


# B1: the score run of every county --------------------------------------------------------


INPUT_TABLES = [
    "accounts_agency",
    "supervision_complaint",
    "supervision_proposal",
    "supervision_litigationcase",
    "supervision_judgment",
    "supervision_judicialsuggestion",
    "supervision_debtorlisting",
    "supervision_evaluationscore",
    "supervision_evaluationassignment",
    "domains_trustrecord",
    "domains_commitment",
    "rectification_participation",
    "rectification_filing",
    "rectification_ledgerissue",
    "rectification_repayment",
    "rectification_milestone",
    "rectification_campaign",
    "scoring_manualentry",
    "scoring_indicator",
]


def b1_scoring() -> dict:
    """Create this year's run of every county (as the office would start it), then time the
    Celery task's body for each, in-process, under the county's tenant scope (the scope a task
    inherits from the office that queued it). Then the floor: count(*) over every input table
    once and COPY of as many rows as the runs stored into a scratch table."""
    setup_django()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from integrity import rls
    from scoring import services, tasks
    from scoring.choices import SchemeStatus
    from scoring.models import AgencyScore, IndicatorScore, Scheme

    info = manifest()
    year = int(info["today"][:4])
    with rls.system():
        schemes = list(
            Scheme.objects.filter(
                tenant_id__in=info["counties"], year=year, status=SchemeStatus.READY
            ).order_by("tenant_id")
        )
        runs = []
        for scheme in schemes:
            with transaction.atomic():
                runs.append((scheme.tenant_id, services.run_create(scheme=scheme, actor=None)))
    started = time.perf_counter()
    for tenant_id, run in runs:
        with rls.tenant(tenant_id):
            tasks.compute_run.apply(args=[run.pk], throw=True)
    figure = time.perf_counter() - started
    # The query count of one county's run, computed again (a rerun replaces its results).
    tenant_id, run = runs[0]
    with rls.tenant(tenant_id), CaptureQueriesContext(connection) as queries:
        tasks.compute_run.apply(args=[run.pk], throw=True)
    per_run_queries = len(queries)
    with rls.system():
        stored = (
            IndicatorScore.objects.filter(run_id__in=[r.pk for _t, r in runs]).count()
            + AgencyScore.objects.filter(run_id__in=[r.pk for _t, r in runs]).count()
        )
        agencies = AgencyScore.objects.filter(run_id__in=[r.pk for _t, r in runs]).count()
    peak = peak_mb()
    floor = b1_floor(stored)
    return {
        "figure": figure,
        "floor": floor,
        "runs": len(runs),
        "agencies": agencies,
        "rows_stored": stored,
        "queries_per_run": per_run_queries,
        "peak_mb": peak,
    }


def b1_floor(rows: int) -> float:
    from django.db import connection, transaction

    from integrity import rls

    started = time.perf_counter()
    with rls.system(), transaction.atomic(), connection.cursor() as cursor:
        for table in INPUT_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            cursor.fetchone()
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_scratch (tenant_id bigint, run_id bigint, "
            "agency_id bigint, indicator_id bigint, points numeric(7,2), figures jsonb) "
            "ON COMMIT DROP"
        )
        buffer = io.StringIO()
        line = '1\t1\t{agency}\t{indicator}\t12.50\t{{"issues_due": 12, "issues_closed": 9}}\n'
        for n in range(rows):
            buffer.write(line.format(agency=n // 40, indicator=n % 40))
        buffer.seek(0)
        cursor.cursor.copy_expert("COPY bench_scratch FROM STDIN", buffer)
    return time.perf_counter() - started


# HTTP: B2, B3, B6 against the gunicorn of bench/run.py ---------------------------------------


def _get(base: str, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _median_latency(
    base: str, path: str, headers: dict | None = None, n: int = 40, *, vary: bool = False
) -> float:
    """Median latency of `path`; with `vary`, each request adds a parameter of its own that the
    view ignores, so that no worker answers it from a page it kept."""
    for _ in range(3):  # warm: the worker processes' first requests load code and caches
        status, _body = _get(base, path, headers)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    times = []
    for i in range(n):
        url = f"{path}&unkept={i}" if vary else path
        started = time.perf_counter()
        status, _body = _get(base, url, headers)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    return statistics.median(times)


def b3_api(base: str) -> dict:
    """Median latency of a 100-record page of the records API for the city's API client (it
    reads every county of the province): the first page, and the page after 90 % of the
    collection, reached by following the cursor; against the trivial view."""
    info = manifest()
    key = {"Authorization": f"Api-Key {info['keys']['city']}"}
    trivial = _median_latency(base, "/bench/constant/")
    first = _median_latency(base, "/api/v1/records/?page_size=100", key)
    # The same page read every time (as after any committed write): reported, not the target.
    unkept = _median_latency(base, "/api/v1/records/?page_size=100", key, vary=True)
    total = info["scale"]["counties"] * info["scale"]["agencies_per_county"] * 10
    depth = total * 9 // 10
    path, skipped = "/api/v1/records/?page_size=1000", 0
    while skipped < depth:
        status, body = _get(base, path, key)
        if status != 200:
            raise RuntimeError(f"walking the cursor: HTTP {status}")
        page = json.loads(body)
        skipped += len(page["results"])
        path = urlsplit(page["next"])._replace(scheme="", netloc="").geturl()
    deep_path = path.replace("page_size=1000", "page_size=100")
    deep = _median_latency(base, deep_path, key)
    return {"trivial": trivial, "first": first, "unkept": unkept, "deep": deep, "depth": skipped}


def b6_sync(base: str) -> dict:
    """A full sync of the county's ledger through the API (county client, pages of 1000,
    following `next`), rows per second, against COPY (SELECT …) TO STDOUT of the same rows."""
    setup_django()
    from django.db import connection, transaction

    from integrity import rls

    info = manifest()
    key = {"Authorization": f"Api-Key {info['keys']['county']}"}
    path, rows, pages = "/api/v1/ledger-issues/?page_size=1000", 0, 0
    started = time.perf_counter()
    while path:
        status, body = _get(base, path, key)
        if status != 200:
            raise RuntimeError(f"ledger sync: HTTP {status}")
        page = json.loads(body)
        rows += len(page["results"])
        pages += 1
        path = (
            urlsplit(page["next"])._replace(scheme="", netloc="").geturl() if page["next"] else None
        )
    api = time.perf_counter() - started
    county = info["county"]["id"]
    started = time.perf_counter()
    with rls.tenant(county), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # carries the tenant scope into the transaction
        sink = io.BytesIO()
        cursor.cursor.copy_expert(
            "COPY (SELECT * FROM rectification_ledgerissue ORDER BY sync_txid, id) TO STDOUT",
            sink,
        )
    copy = time.perf_counter() - started
    copied = sink.getvalue().count(b"\n")
    if copied != rows:
        raise RuntimeError(f"the API served {rows} rows, COPY {copied}")
    return {"rows": rows, "pages": pages, "api_seconds": api, "copy_seconds": copy}


# B4 and B5: the Excel round trip of 100,000 ledger rows -----------------------------------------


def _login(client, username: str) -> None:
    from accounts.models import User

    client.force_login(User.objects.get(username=username))


def b4_file() -> dict:
    """The ledger file a clerk would upload: the campaign's template columns, new issues."""
    setup_django()
    from datetime import date, timedelta

    from openpyxl import Workbook

    from integrity import rls
    from rectification.excel import LedgerSchema
    from rectification.models import Campaign

    info = manifest()
    rows = info["scale"]["import_rows"]
    with rls.system():
        campaign = Campaign.objects.get(pk=info["county"]["campaign_id"])
        schema = LedgerSchema.for_campaign(campaign)
        domains = [d.name for d in schema.domains]
        types = [p.name for p in schema.problem_types()]
    today = date.fromisoformat(info["today"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(schema.headers)
    from bench.generate import enterprise_code

    width = len(schema.headers)
    keys = [c.key for c in schema.columns]
    for n in range(rows):
        discovered = today - timedelta(days=n % 300)
        values = {
            "domain": domains[n % len(domains)],
            "problem_type": types[n % len(types)],
            "subject_name": f"导入问题主体{n}",
            "description": "自查发现：合同约定款项未按期支付。",
            "responsible_person": "王强",
            "cause": "资金安排不到位。",
            "handling_opinion": "限期支付。",
            "source": "自查自纠",
            "discovered_on": discovered,
            "deadline": discovered + timedelta(days=90),
            "status": "待整改",
        }
        if n % 5 < 2:  # arrears, some partly repaid
            values.update(
                creditor_name=f"导入债权企业{n}有限公司",
                creditor_credit_code=enterprise_code("990101", 5_000_000 + n),
                creditor_is_sme="是",
                contract=f"HT-IMPORT-{n:06d}",
                accepted_on=discovered - timedelta(days=40),
                payment_term_days=30,
                amount_owed=f"{10_000 + n}.50",
            )
            if n % 5 == 1:
                values.update(amount_repaid="5000.00", last_repaid_on=discovered)
        row = [values.get(key) for key in keys]
        sheet.append(row + [None] * (width - len(row)))
    path = VAR / "ledger-import.xlsx"
    workbook.save(path)
    return {"rows": rows, "bytes": path.stat().st_size}


def b4_floor() -> dict:
    """openpyxl in read-only mode merely iterating the same file."""
    from openpyxl import load_workbook

    path = VAR / "ledger-import.xlsx"
    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=False)
    count = 0
    for _row in workbook.worksheets[0].iter_rows(values_only=True):
        count += 1
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": count - 1, "peak_mb": peak_mb()}


def b4_import() -> dict:
    """The clerk uploads the file (the check job runs), then asks for the import (the commit
    job writes every row): both jobs run in-process (eager Celery), as the worker would."""
    setup_django()
    from django.test import Client
    from django.urls import reverse

    from integrity import rls
    from rectification.models import ImportJob

    info = manifest()
    campaign = info["county"]["campaign_id"]
    client = Client()
    with rls.system():
        _login(client, info["users"]["clerk"])
    data = (VAR / "ledger-import.xlsx").read_bytes()
    upload = io.BytesIO(data)
    upload.name = "ledger-import.xlsx"
    # Resolved before the clock starts: the first reverse() imports the URLconf and with it
    # every view (0.4 s, once per process, as when a web worker starts), not import work.
    url = f"{reverse('rectification:import-upload')}?campaign={campaign}"
    started = time.perf_counter()
    response = client.post(url, {"file": upload})
    if response.status_code != 302:
        raise RuntimeError(f"upload: HTTP {response.status_code}")
    with rls.system():
        job = ImportJob.objects.order_by("-id").first()
    checked = time.perf_counter()
    response = client.post(reverse("rectification:import-commit", args=[job.pk]))
    if response.status_code != 302:
        raise RuntimeError(f"commit: HTTP {response.status_code}")
    finished = time.perf_counter()
    with rls.system():
        job.refresh_from_db()
    if job.status != "committed":
        raise RuntimeError(f"import job {job.pk}: {job.status} {job.message} {job.errors[:3]}")
    return {
        "seconds": finished - started,
        "check_seconds": checked - started,
        "commit_seconds": finished - checked,
        "rows": job.new_rows,
        "peak_mb": peak_mb(),
    }


def b5_export() -> dict:
    """The office exports the clerk's agency's ledger in the campaign (the imported rows and
    the generated ones) through the export view."""
    setup_django()
    from django.test import Client
    from django.urls import reverse

    from integrity import rls

    info = manifest()
    client = Client()
    with rls.system():
        _login(client, info["users"]["office"])
    url = (
        f"{reverse('rectification:issue-export')}?campaign={info['county']['campaign_id']}"
        f"&agency={info['clerk_agency_id']}"
    )
    started = time.perf_counter()
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"export: HTTP {response.status_code}")
    path = VAR / "ledger-export.xlsx"
    path.write_bytes(content)
    return {"seconds": seconds, "bytes": len(content), "peak_mb": peak_mb()}


def b5_floor() -> dict:
    """openpyxl write-only writing the same values (read back from the export) from memory."""
    from openpyxl import Workbook, load_workbook

    workbook = load_workbook(VAR / "ledger-export.xlsx", read_only=True)
    sheets = [
        (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
        for sheet in workbook.worksheets
    ]
    workbook.close()
    rows = len(sheets[0][1]) - 1
    started = time.perf_counter()
    out = Workbook(write_only=True)
    for title, values in sheets:
        sheet = out.create_sheet(title)
        for row in values:
            sheet.append(row)
    buffer = io.BytesIO()
    out.save(buffer)
    return {"seconds": time.perf_counter() - started, "rows": rows}


CASES = {
    "b1": lambda args: b1_scoring(),
    "b3": lambda args: b3_api(args[0]),
    "b6": lambda args: b6_sync(args[0]),
    "b4_file": lambda args: b4_file(),
    "b4_floor": lambda args: b4_floor(),
    "b4_import": lambda args: b4_import(),
    "b5_export": lambda args: b5_export(),
    "b5_floor": lambda args: b5_floor(),
}


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(BASE))
    result = CASES[argv[0]](argv[1:])
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
