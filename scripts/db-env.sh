# Sourced by scripts/backup and scripts/restore (bash). Picks the connection of the tables' owner:
# DATABASE_OWNER_URL when set (the application's own role in DATABASE_URL is bound by row-level
# security, see integrity/rls.py), else DATABASE_URL, and sets
#   DB_URL     a libpq connection URI without the password (so it never shows in `ps`)
#   PGPASSWORD the password, when the URL has one (libpq reads it from the environment)
#   PG_BIN     the directory of pg_dump / pg_restore / psql to use ("" = the ones on PATH)
# With neither set it uses the embedded development PostgreSQL of integrity/devdb.py (started if
# stopped) as its superuser, with that server's own client programs: pg_dump refuses a server
# newer than itself. PG_BIN may name other client programs (at least the server's version).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OWNER_URL=${DATABASE_OWNER_URL:-${DATABASE_URL:-}}

if [ -z "$OWNER_URL" ]; then
    PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
    if [ ! -x "$PYTHON" ]; then
        echo "DATABASE_URL is unset and $PYTHON is missing: run 'make venv'." >&2
        exit 1
    fi
    embedded=$(cd "$ROOT" && "$PYTHON" -c '
import shlex
from pathlib import Path

from integrity.devdb import embedded_database_url, ensure_database

_app, owner, server = embedded_database_url(Path.cwd())
ensure_database(server)
print(f"OWNER_URL={shlex.quote(owner)}; EMBEDDED_PG_BIN={shlex.quote(str(server.bin_path))}")
') || { echo "Could not start the embedded PostgreSQL (integrity/devdb.py)." >&2; exit 1; }
    eval "$embedded"
    PG_BIN=${PG_BIN:-$EMBEDDED_PG_BIN}
fi
PG_BIN=${PG_BIN:-}

# libpq knows postgres:// and postgresql://; dj-database-url also accepts pgsql://.
DB_URL=$(printf '%s' "$OWNER_URL" | sed -E 's#^(postgres|postgresql|pgsql)://#postgresql://#')
case "$DB_URL" in
postgresql://*) ;;
*) echo "DATABASE_OWNER_URL / DATABASE_URL must be a postgres:// URL." >&2; exit 1 ;;
esac
# Move a password out of the URL into PGPASSWORD (percent-decoded, as libpq would).
if [[ "$DB_URL" =~ ^postgresql://([^:@/?]*):([^@/?]*)@(.*)$ ]]; then
    password=${BASH_REMATCH[2]}
    export PGPASSWORD
    PGPASSWORD=$(printf '%b' "${password//%/\\x}")
    DB_URL="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
fi

pg() {  # pg <program> <args…>: a PostgreSQL client program from PG_BIN or PATH
    local program=$1
    shift
    "${PG_BIN:+$PG_BIN/}$program" "$@"
}

db_name() {  # the database the URL names, for messages
    pg psql "$DB_URL" -XAtqc 'SELECT current_database()'
}
