"""`make bench`: generate the synthetic province, measure B1–B6 as ratios against floors measured
in the same run, print the table and write var/bench/results.json.

    python -m bench.run [--scale default|small] [--reuse] [--only B1,B3]

Environment: DATABASE_URL / DATABASE_OWNER_URL / REDIS_URL when set; otherwise the machine's
PostgreSQL on 127.0.0.1:5432 (database integrity_bench, owned by `postgres`, the application
connecting as integrity_app under row-level security) and Redis on 127.0.0.1:6379/0.
BENCH_SCALE=small is a tenth of the province (10 counties) for development.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import db

BASE = Path(__file__).resolve().parent.parent
# BENCH_DIR: where the province manifest, files and results go (default var/bench).
VAR = Path(os.environ.get("BENCH_DIR") or BASE / "var" / "bench")
PYTHON = sys.executable
GUNICORN_WORKERS = 3  # as docker/entrypoint.sh runs the web service
CONNECTIONS = 32
LOAD_SECONDS = 10

TARGETS = {
    "B1": ("≤", 3.0),
    "B2": ("≥", 0.7),
    "B3": ("≤", 5.0),
    "B3d": ("≤", 1.2),
    "B4": ("≤", 2.0),
    "B5": ("≤", 2.0),
    "B6": ("≤", 20.0),
}


def log(line: str) -> None:
    print(line, flush=True)


def environment(scale: str) -> dict:
    app, owner = db.urls()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app,
        DATABASE_OWNER_URL=owner,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        DJANGO_SETTINGS_MODULE="integrity.settings",
        CELERY_TASK_ALWAYS_EAGER="1",
        DEBUG="0",
        BENCH_SCALE=scale,
        PYTHONPATH=str(BASE),
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE, env=env, check=True)  # noqa: S603


def child(env: dict, name: str, *args: str) -> dict:
    """Run one measurement in its own process; its last line is RESULT {json}."""
    process = subprocess.run(  # noqa: S603 - our own interpreter and module
        [PYTHON, "-m", "bench.cases", name, *args],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
    )
    for line in reversed(process.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    sys.stderr.write(process.stdout[-4000:] + process.stderr[-8000:])
    raise SystemExit(f"benchmark step {name} failed")


# The HTTP server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn as docker/entrypoint.sh runs it, with production settings on loopback."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self.env.update(
            DJANGO_ENV="production",
            DJANGO_SETTINGS_MODULE="bench.settings",
            SECRET_KEY="bench-only-" + "x" * 40,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(VAR / "static"),
            CELERY_TASK_ALWAYS_EAGER="0",
        )
        self.process = None

    def __enter__(self):
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE,
            env=self.env,
            check=True,
        )
        self.log = open(VAR / "gunicorn.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "gunicorn",
                "bench.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
            cwd=BASE,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        from bench.cases import _get

        for _ in range(300):
            try:
                if _get(self.base, "/bench/constant/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start: see {VAR / 'gunicorn.log'}")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def load(url: str, seconds: int = LOAD_SECONDS) -> dict:
    """Requests per second and errors under CONNECTIONS concurrent connections (wrk)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it as root)")
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    output = subprocess.run(  # noqa: S603 - Debian's wrk on PATH (S607)
        command,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rps": rps, "errors": errors, "requests": requests}


# The rows of the table -------------------------------------------------------------------------


def row(id_: str, what: str, figure: float, floor: float, ratio: float, unit: str, **details):
    op, target = TARGETS[id_]
    meets = ratio <= target if op == "≤" else ratio >= target
    extra_ok = details.pop("_also", True)
    return {
        "id": id_,
        "what": what,
        "figure": round(figure, 4),
        "floor": round(floor, 4),
        "unit": unit,
        "ratio": round(ratio, 3),
        "target": f"{op} {target:g}",
        "meets": bool(meets and extra_ok),
        **details,
    }


def b1(env) -> list[dict]:
    r = child(env, "b1")
    memory_ok = r["peak_mb"] <= 512
    return [
        row(
            "B1",
            f"score run of all {r['agencies']:,} agencies ({r['runs']} county runs, "
            f"{r['rows_stored']:,} rows stored) vs count(*) of every input table + COPY of as "
            "many rows",
            r["figure"],
            r["floor"],
            r["figure"] / r["floor"],
            "s",
            queries_per_run=r["queries_per_run"],
            peak_mb=r["peak_mb"],
            peak_target_mb=512,
            _also=memory_ok,
        )
    ]


def http_rows(env, server: Server, info: dict, only: set[str]) -> list[dict]:
    rows = []
    code = info["county"]["division_code"]
    if "B2" in only:
        ranking_url = f"{server.base}/public/{code}/rankings/"
        trivial_url = f"{server.base}/bench/constant/"
        from bench.cases import _get

        status, body = _get(server.base, f"/public/{code}/rankings/")
        if status != 200 or b'data-testid="ranking-table"' not in body:
            raise SystemExit(f"the ranking page is not served (HTTP {status})")
        load(ranking_url, 2)  # warm every worker
        load(trivial_url, 2)
        ranking = load(ranking_url)
        trivial = load(trivial_url)
        rows.append(
            row(
                "B2",
                f"public ranking page, requests/s under {CONNECTIONS} connections (gunicorn, "
                f"{GUNICORN_WORKERS} workers) vs the trivial view",
                ranking["rps"],
                trivial["rps"],
                ranking["rps"] / trivial["rps"],
                "req/s",
                errors=ranking["errors"] + trivial["errors"],
                page_bytes=len(body),
                _also=ranking["errors"] + trivial["errors"] == 0,
            )
        )
    if "B3" in only:
        r = child(env, "b3", server.base)
        rows.append(
            row(
                "B3",
                "records API, 100-row page (city client), median latency of the first page "
                f"vs the trivial view (the page read anew, as after any write: "
                f"{r['unkept'] * 1000:.1f} ms, {r['unkept'] / r['trivial']:.1f}×)",
                r["first"],
                r["trivial"],
                r["first"] / r["trivial"],
                "s",
                # The page a worker keeps answers repeats until any write commits; read anew:
                unkept_seconds=round(r["unkept"], 4),
                unkept_ratio=round(r["unkept"] / r["trivial"], 2),
            )
        )
        rows.append(
            row(
                "B3d",
                f"records API, the page {r['depth']:,} records deep (through the cursor) vs the "
                "first page",
                r["deep"],
                r["first"],
                r["deep"] / r["first"],
                "s",
            )
        )
    if "B6" in only:
        r = child(env, "b6", server.base)
        api_rate = r["rows"] / r["api_seconds"]
        copy_rate = r["rows"] / r["copy_seconds"]
        rows.append(
            row(
                "B6",
                f"full API sync of one county's ledger ({r['rows']:,} rows, {r['pages']} pages "
                "of 1000), rows/s, vs COPY (SELECT …) TO STDOUT of the same rows",
                api_rate,
                copy_rate,
                copy_rate / api_rate,
                "rows/s",
            )
        )
    return rows


def excel_rows(env, only: set[str]) -> list[dict]:
    rows = []
    if "B4" in only:
        made = child(env, "b4_file")
        floor = child(env, "b4_floor")
        imported = child(env, "b4_import")
        rows.append(
            row(
                "B4",
                f"Excel import of {made['rows']:,} ledger rows ({made['bytes'] / 1e6:.1f} MB; "
                "upload, check job, commit job) vs openpyxl read-only iterating the file",
                imported["seconds"],
                floor["seconds"],
                imported["seconds"] / floor["seconds"],
                "s",
                check_seconds=round(imported["check_seconds"], 2),
                commit_seconds=round(imported["commit_seconds"], 2),
                peak_mb=imported["peak_mb"],
                peak_target_mb=400,
                _also=imported["peak_mb"] <= 400,
            )
        )
    if "B5" in only:
        exported = child(env, "b5_export")
        floor = child(env, "b5_floor")
        rows.append(
            row(
                "B5",
                f"Excel export of {floor['rows']:,} ledger rows (the export view) vs openpyxl "
                "write-only writing the same values from memory",
                exported["seconds"],
                floor["seconds"],
                exported["seconds"] / floor["seconds"],
                "s",
                peak_mb=exported["peak_mb"],
                peak_target_mb=400,
                _also=exported["peak_mb"] <= 400,
            )
        )
    return rows


def machine(env) -> dict:
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    from bench.db import owner_cursor

    cursor = owner_cursor(env["DATABASE_OWNER_URL"])
    cursor.execute("SHOW server_version")
    (version,) = cursor.fetchone()
    cursor.connection.close()
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(int(memory) / 1024 / 1024, 1),
        "postgresql": version,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| id | what | figure | floor | ratio | target | meets |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['id']} | {r['what']} | {r['figure']:,.4g} {r['unit']} | "
            f"{r['floor']:,.4g} {r['unit']} | {r['ratio']:.2f} | {r['target']} | "
            f"{'yes' if r['meets'] else '**no**'} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "default") or "default")
    parser.add_argument("--reuse", action="store_true", help="keep the generated province")
    parser.add_argument("--only", default="B1,B2,B3,B4,B5,B6")
    options = parser.parse_args(argv)
    only = set(options.only.upper().split(","))
    VAR.mkdir(parents=True, exist_ok=True)
    env = environment(options.scale)
    started = time.monotonic()
    db.ensure_database(env["DATABASE_OWNER_URL"])
    manage(env, "migrate", "--noinput", "-v0")
    phases = {}
    if not options.reuse:
        db.empty_or_reset(env["DATABASE_OWNER_URL"])
        log(f"Generating the province (scale {options.scale}) …")
        manage(env, "bench_generate", "--scale", options.scale)
    phases["generate_seconds"] = round(time.monotonic() - started, 1)
    info = json.loads((VAR / "province.json").read_text())
    results = []
    if "B1" in only:
        log("B1 score run …")
        results += b1(env)
    if only & {"B2", "B3", "B6"}:
        log("B2, B3, B6 over HTTP …")
        with Server(env) as server:
            results += http_rows(env, server, info, only)
    if only & {"B4", "B5"}:
        log("B4, B5 Excel …")
        results += excel_rows(env, only)
    order = ["B1", "B2", "B3", "B3d", "B4", "B5", "B6"]
    results.sort(key=lambda r: order.index(r["id"]))
    phases["total_seconds"] = round(time.monotonic() - started, 1)
    report = {
        "scale": options.scale,
        "province": info["scale"],
        "rows_generated": sum(info["rows"].values()),
        "machine": machine(env),
        **phases,
        "results": results,
    }
    (VAR / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    (VAR / "run.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    m = report["machine"]
    log("")
    log(
        f"Machine: {m['nproc']} CPUs, {m['ram_gb']} GB RAM, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, load {m['load_average'][0]:.1f}; scale {options.scale}; "
        f"{phases['total_seconds']:.0f} s in all (generation {phases['generate_seconds']:.0f} s)"
    )
    log(table(results))
    log(f"\nResults: {VAR / 'results.json'} (details in {VAR / 'run.json'})")
    return 0 if all(r["meets"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
