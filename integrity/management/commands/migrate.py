"""`migrate` as the tables' owner.

The application's own role may read and write rows but owns nothing (row-level security binds
it, see integrity.rls). When DATABASE_OWNER_URL is set, migrations connect with it instead; the
application's role (DATABASE_APP_ROLE) is created if it is missing and DATABASE_APP_PASSWORD is
given, and kept without superuser or BYPASSRLS; afterwards (post_migrate) the policies are
refreshed and the role gets its row privileges on any new table.
"""

import os

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections

from integrity import rls


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if rls.connect_as_owner(connection):
            self._app_role(connection)
        return super().handle(*args, **options)

    def _app_role(self, connection) -> None:
        role = settings.DATABASE_APP_ROLE
        if not role:
            return
        password = os.environ.get("DATABASE_APP_PASSWORD", "")
        quoted = connection.ops.quote_name(role)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            exists = cursor.fetchone() is not None
            if not exists and not password:
                return
            if not exists:
                cursor.execute(f"CREATE ROLE {quoted} LOGIN")
            cursor.execute(
                f"ALTER ROLE {quoted} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE LOGIN"
            )
            if password:
                cursor.execute(f"ALTER ROLE {quoted} PASSWORD %s", [password])
