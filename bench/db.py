"""The benchmark database, handled as its owner: created when missing, emptied before a new
province is generated (TRUNCATE is the owner's; the application's role only has row
privileges)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg2

DEFAULT_OWNER_URL = "postgres://postgres@127.0.0.1:5432/integrity_bench"
APP_ROLE = "integrity_app"
KEEP = ("django_migrations", "django_content_type", "auth_permission")
# The city every generated province hangs from (bench.generate.CITY_CODE).
BENCH_CITY = "990000"


def urls() -> tuple[str, str]:
    """(application URL, owner URL). DATABASE_URL / DATABASE_OWNER_URL when set; otherwise the
    machine's PostgreSQL on 127.0.0.1:5432, database integrity_bench, the superuser `postgres`
    owning the tables and the application connecting as integrity_app (bound by row-level
    security)."""
    app = os.environ.get("DATABASE_URL")
    owner = os.environ.get("DATABASE_OWNER_URL")
    if app:
        return app, owner or app
    owner = owner or DEFAULT_OWNER_URL
    parts = urlsplit(owner)
    host = parts.netloc.split("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}")), owner


def _connect(url: str, dbname: str | None = None):
    parts = urlsplit(url)
    if dbname is not None:
        parts = parts._replace(path=f"/{dbname}")
    connection = psycopg2.connect(urlunsplit(parts).replace("postgres://", "postgresql://", 1))
    connection.autocommit = True
    return connection


def ensure_database(owner_url: str) -> None:
    """Create the database and the application role when missing (a fresh machine)."""
    name = urlsplit(owner_url).path.lstrip("/")
    server = _connect(owner_url, "postgres")
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
            if cursor.fetchone() is None:
                cursor.execute(
                    f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                )
    finally:
        server.close()


def empty_or_reset(owner_url: str) -> None:
    """Leave an empty database alone; empty one that holds an earlier benchmark province; refuse
    anything else (the benchmark never deletes real data)."""
    connection = _connect(owner_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('accounts_tenant') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return
            cursor.execute("SELECT division_code FROM accounts_tenant")
            codes = {code for (code,) in cursor.fetchall()}
            if not codes:
                return
            if BENCH_CITY not in codes:
                raise SystemExit(
                    "The database holds jurisdictions that are not a benchmark province: point "
                    "DATABASE_URL at an empty database (or unset it to use integrity_bench)."
                )
            cursor.execute(
                "SELECT string_agg(format('%%I', tablename), ', ') FROM pg_tables "
                "WHERE schemaname = current_schema() AND NOT (tablename = ANY (%s))",
                [list(KEEP)],
            )
            (tables,) = cursor.fetchone()
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            # The default warning rules of migration monitoring.0002 are per tenant: none left.
    finally:
        connection.close()


def owner_cursor(owner_url: str):
    return _connect(owner_url).cursor()
