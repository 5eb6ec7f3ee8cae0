"""Backup and restore: the real scripts/backup and scripts/restore against real databases.

A scratch database gets the schema of the (migrated, empty) test database and is filled by the
real `manage.py seed_demo`; it is dumped with scripts/backup, restored with scripts/restore into a
database created empty, and the two compared: every table's row count, an md5 of every audit
event table and of pghistory_context (the audit trail), sequences, policies and triggers. The
scratch databases are dropped at the end.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import psycopg2
import pytest
from django.conf import settings
from django.db import connections
from psycopg2 import sql

from integrity.audit_archive import event_models

ROOT = Path(__file__).resolve().parent.parent
BACKUP = ROOT / "scripts" / "backup"
RESTORE = ROOT / "scripts" / "restore"


class Cluster:
    """The PostgreSQL server of the test database, reached as the tables' owner."""

    def __init__(self, template: str):
        owner = dj_database_url.parse(settings.DATABASE_OWNER_URL or settings.DATABASE_URL)
        self.params = {
            "user": owner["USER"],
            "password": owner.get("PASSWORD") or None,
            "host": owner.get("HOST") or None,
            "port": owner.get("PORT") or None,
        }
        self.template = template
        self.created: list[str] = []

    def connect(self, dbname: str):
        return psycopg2.connect(dbname=dbname, **{k: v for k, v in self.params.items() if v})

    def admin(self, statement: sql.Composable) -> None:
        connection = self.connect("postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def create(self, name: str, template: str = "template0") -> str:
        self.drop(name)
        self.admin(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        self.admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def copy(self, template: str, name: str) -> str:
        """A new database with the contents of `template`, copied while others use it (the live
        server of the browser tests keeps sessions open: CREATE DATABASE … TEMPLATE would fail)."""
        self.create(name)
        env = self.env(name)
        with tempfile.TemporaryDirectory() as directory:
            dump = Path(directory) / "template.dump"
            for command in (
                ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={self.url(template)}"],
                ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={self.url(name)}", dump],
            ):
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
                assert done.returncode == 0, done.stderr
        return name

    def url(self, dbname: str) -> str:
        user = quote(self.params["user"] or "", safe="")
        password = self.params["password"]
        auth = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
        host = self.params["host"] or ""
        port = f":{self.params['port']}" if self.params["port"] else ""
        return f"postgres://{auth}{host}{port}/{dbname}"

    def env(self, dbname: str, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "FORCE", "BACKUP_DIR"}
        }
        return {**env, "DATABASE_URL": self.url(dbname), **extra}

    def fingerprint(self, dbname: str) -> dict:
        """What a restore must reproduce exactly."""
        audit_tables = {model._meta.db_table: "pgh_id" for model in event_models()}
        audit_tables["pghistory_context"] = "id"
        connection = self.connect(dbname)
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
                )
                tables = [row[0] for row in cursor.fetchall()]
                counts = {}
                for table in tables:
                    cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                    counts[table] = cursor.fetchone()[0]
                digests = {}
                for table, key in sorted(audit_tables.items()):
                    cursor.execute(
                        sql.SQL(
                            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.{}), ''))"
                            " FROM {} AS t"
                        ).format(sql.Identifier(key), sql.Identifier(table))
                    )
                    digests[table] = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT sequencename, last_value FROM pg_sequences"
                    " WHERE schemaname = 'public' ORDER BY 1"
                )
                sequences = cursor.fetchall()
                cursor.execute(
                    "SELECT tablename, policyname, qual FROM pg_policies"
                    " WHERE schemaname = 'public' ORDER BY 1, 2"
                )
                policies = cursor.fetchall()
                cursor.execute(
                    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
                    " WHERE NOT tgisinternal ORDER BY 1, 2"
                )
                triggers = cursor.fetchall()
        finally:
            connection.close()
        return {
            "counts": counts,
            "audit_md5": digests,
            "sequences": sequences,
            "policies": policies,
            "triggers": triggers,
        }


def _run(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def cluster(django_db_setup):
    cluster = Cluster(connections["default"].settings_dict["NAME"])
    try:
        yield cluster
    finally:
        for name in cluster.created:
            cluster.drop(name)


@pytest.fixture(scope="module")
def source(cluster):
    """A migrated copy of the test database filled by the real seed_demo command."""
    name = cluster.copy(cluster.template, f"{cluster.template}_bk_src")
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=cluster.env(name),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    return name


@pytest.fixture(scope="module")
def dump(cluster, source, tmp_path_factory):
    directory = tmp_path_factory.mktemp("backups")
    result = _run(BACKUP, env=cluster.env(source, BACKUP_DIR=str(directory)))
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_backup_writes_a_custom_format_dump_with_its_checksum(dump):
    assert dump.name.startswith("integrity-") and dump.name.endswith(".dump")
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    sidecar = dump.with_name(dump.name + ".sha256")
    digest = hashlib.sha256(dump.read_bytes()).hexdigest()
    assert sidecar.read_text() == f"{digest}  {dump.name}\n"
    assert dump.stat().st_mode & 0o077 == 0  # personal data: owner only
    assert not list(dump.parent.glob("*.partial"))


def test_restore_into_a_fresh_database_reproduces_every_table_and_the_audit_trail(
    cluster, source, dump
):
    target = cluster.create(f"{cluster.template}_bk_dst")
    result = _run(RESTORE, str(dump), env=cluster.env(target))
    assert result.returncode == 0, result.stderr

    original, restored = cluster.fingerprint(source), cluster.fingerprint(target)
    # The comparison means something: seed_demo filled the database and its audit trail.
    assert sum(original["counts"].values()) > 1000
    assert original["counts"]["pghistory_context"] > 0
    assert original["counts"]["accounts_agencyevent"] > 20
    assert original["triggers"]
    assert restored["counts"] == original["counts"]
    assert restored["audit_md5"] == original["audit_md5"]
    assert restored["sequences"] == original["sequences"]
    assert restored["policies"] == original["policies"]
    assert restored["triggers"] == original["triggers"]


def test_restore_refuses_a_database_that_is_not_empty(cluster, source, dump):
    before = cluster.fingerprint(source)
    result = _run(RESTORE, str(dump), env=cluster.env(source))
    assert result.returncode != 0
    assert "is not empty" in result.stderr and "FORCE=1" in result.stderr
    assert cluster.fingerprint(source) == before


def test_a_corrupted_dump_is_refused_and_force_replaces_a_used_database(
    cluster, source, dump, tmp_path
):
    target = cluster.create(f"{cluster.template}_bk_used", template=source)  # ours: no sessions
    connection = cluster.connect(target)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE stray (note text)")
        cursor.execute("DELETE FROM accounts_notification")
    connection.close()
    used = cluster.fingerprint(target)

    # One byte changed in the middle of the dump; the checksum file is the original one.
    corrupted = tmp_path / dump.name
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    (tmp_path / (dump.name + ".sha256")).write_text(
        dump.with_name(dump.name + ".sha256").read_text()
    )
    result = _run(RESTORE, str(corrupted), env=cluster.env(target, FORCE="1"))
    assert result.returncode != 0
    assert "does not match its checksum" in result.stderr
    assert cluster.fingerprint(target) == used

    # A dump without its checksum file is refused too.
    (tmp_path / (dump.name + ".sha256")).unlink()
    result = _run(RESTORE, str(corrupted), env=cluster.env(target, FORCE="1"))
    assert result.returncode != 0 and "is missing" in result.stderr
    assert cluster.fingerprint(target) == used

    # The genuine dump with FORCE=1 replaces everything, the stray table included.
    result = _run(RESTORE, str(dump), env=cluster.env(target, FORCE="1"))
    assert result.returncode == 0, result.stderr
    assert cluster.fingerprint(target) == cluster.fingerprint(source)


def test_backup_removes_its_own_dumps_older_than_the_kept_days(cluster, source, tmp_path):
    day = 24 * 3600
    old_stamp = time.time() - 20 * day
    recent_stamp = time.time() - 3 * day
    files = {
        "integrity-20200101T013000.dump": old_stamp,
        "integrity-20200101T013000.dump.sha256": old_stamp,
        "integrity-20200120T013000.dump": recent_stamp,
        "integrity-20200120T013000.dump.sha256": recent_stamp,
        "notes.txt": old_stamp,  # not a backup: never touched
    }
    for name, stamp in files.items():
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (stamp, stamp))

    result = _run(BACKUP, env=cluster.env(source, BACKUP_DIR=str(tmp_path), BACKUP_KEEP_DAYS="14"))
    assert result.returncode == 0, result.stderr
    new = Path(result.stdout.strip().splitlines()[-1])
    left = {path.name for path in tmp_path.iterdir()}
    assert left == {
        "integrity-20200120T013000.dump",
        "integrity-20200120T013000.dump.sha256",
        "notes.txt",
        new.name,
        new.name + ".sha256",
    }
    assert "removed old backup" in result.stderr
