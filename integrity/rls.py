"""Row-level security: the database's own wall between tenants, behind `integrity.tenancy`.

Every table that holds a tenant's rows has a PostgreSQL policy (`tenant_isolation`, row security
enabled and forced) that shows a row only when its tenant is in the transaction-local setting
`app.tenant_ids` ('{1,2}'), or when the setting is '*' (the platform). With no setting, a query
sees nothing, whatever its WHERE clause says. The application's database role is neither
superuser nor BYPASSRLS, so the policies bind it; migrations run as the owner role
(`DATABASE_OWNER_URL`, see the `migrate` command in integrity/management/commands).

Who sets the scope (one contextvar, `_scope`):
- a request: `TenantScopeMiddleware`, from the signed-in user or API client (the tenants it may
  read, `tenancy.visible_tenant_ids`) or, on the public pages, from the county in the URL;
- a Celery task: the scope of the code that queued it travels in the message headers; a task
  queued outside any scope (beat) runs for the platform;
- a management command and a Python shell: the platform (`manage.py`);
- code that must act for the platform inside a request (authentication, fan-out to city webhook
  endpoints): `with rls.system():`.

The scope reaches PostgreSQL through a database execute-wrapper that puts
`SELECT set_config('app.tenant_ids', …, true);` before every statement, so the setting lives in
the statement's own transaction (or the surrounding atomic block) and never outlives it: a
pooled connection carries nothing from one request to the next.

`apply_policies()` (run after every `migrate`) creates the policies for every table with a
`tenant_id` column and, for link tables without one, through the parent row they point to.
"""

from __future__ import annotations

import contextlib
import re
from contextvars import ContextVar

from django.db import connections
from django.db.backends.signals import connection_created
from django.http import FileResponse

SETTING = "app.tenant_ids"
ALL = "*"
NOTHING = ""
POLICY = "tenant_isolation"


class _Fixed:
    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def resolve(self) -> str:
        return self.value


_scope: ContextVar[object | None] = ContextVar("integrity_tenant_scope", default=None)


def encode(tenant_ids) -> str:
    """The setting's text for a list of tenant ids; None means every tenant."""
    if tenant_ids is None:
        return ALL
    ids = sorted({int(i) for i in tenant_ids})
    return "{" + ",".join(str(i) for i in ids) + "}" if ids else NOTHING


def current() -> str | None:
    """The setting the next statement will carry; None when no scope was ever set."""
    scope = _scope.get()
    return None if scope is None else scope.resolve()


@contextlib.contextmanager
def _using(scope):
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def system():
    """Act for the platform: every tenant's rows (jobs, commands, authentication)."""
    return _using(_Fixed(ALL))


def tenant(tenant_or_id):
    """Act for one tenant (and only it)."""
    pk = getattr(tenant_or_id, "pk", tenant_or_id)
    return _using(_Fixed(encode([pk])))


def acting_as(user):
    """Act for a user: the tenants the user may read."""
    from .tenancy import visible_tenant_ids

    return _using(_Fixed(encode(visible_tenant_ids(user))))


def nothing():
    """No tenant at all: tenant tables look empty."""
    return _using(_Fixed(NOTHING))


# Requests ------------------------------------------------------------------------------------


class _RequestScope:
    """The scope of a request, worked out from whoever the request is at the moment the statement
    runs: authentication may happen late (the API authenticates inside the view) and a login
    changes the user halfway through. A public page acts for the county in its URL, looked up
    by the first statement that needs it (a page answered from the cache makes no query)."""

    __slots__ = ("request", "_user", "_value", "_public", "_resolving")

    def __init__(self, request):
        self.request = request
        self._user = self._value = self._public = None
        self._resolving = False

    def resolve(self) -> str:
        if self._resolving:  # the queries that find out who is asking (sessions, tenants)
            return NOTHING
        code = getattr(self.request, "public_division_code", None)
        if code is not None:
            known = getattr(self.request, "public_tenant_id", None)  # the view found the county
            if known is not None:
                return encode([known])
            if self._public is None:
                self._public = self._lookup(lambda: encode([_county_id(code)]))
            return self._public
        user = getattr(self.request, "user", None)
        if user is None:
            return NOTHING
        if user is not self._user:
            from .tenancy import visible_tenant_ids

            self._value = self._lookup(lambda: encode(visible_tenant_ids(user)))
            self._user = user
        return self._value

    def _lookup(self, compute) -> str:
        self._resolving = True
        try:
            return compute()
        finally:
            self._resolving = False


def _county_id(code: str) -> int:
    from accounts.choices import TenantLevel
    from accounts.models import Tenant

    counties = Tenant.objects.filter(level=TenantLevel.COUNTY, division_code=code)
    return counties.values_list("pk", flat=True).first() or 0


# URL namespaces of the public side, whose county comes from the URL, not from a user.
PUBLIC_NAMESPACES = ("public", "public-complaints", "public-scoring")


class TenantScopeMiddleware:
    """Sets the request's tenant scope (after AuthenticationMiddleware). The user is looked up
    with the platform's scope: who is asking is known only after the lookup."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            from .tenancy import visible_tenant_ids

            with system():
                visible_tenant_ids(user)  # evaluates the lazy user; the ids stay on it
        with _using(_RequestScope(request)):
            response = self.get_response(request)
            if getattr(response, "streaming", False) and not isinstance(response, FileResponse):
                response.streaming_content = _in_scope(response.streaming_content, request)
            return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        code = view_kwargs.get("division_code")
        if code is not None and match is not None and _public(match):
            request.public_division_code = str(code)[:12]
        return None


def _public(match) -> bool:
    namespaces = match.namespaces
    if not namespaces:
        return False
    if namespaces[0] == "v1":
        return match.route.startswith("api/v1/public/")
    return namespaces[0] in PUBLIC_NAMESPACES


def _in_scope(chunks, request):
    """A streamed response (a large export) reads after the view has returned: keep the scope."""
    with _using(_RequestScope(request)):
        yield from chunks


# The database side ---------------------------------------------------------------------------

# Statements that may carry the setting: those that read or write rows. Everything else
# (transaction control, savepoints, DDL, VACUUM, COPY) runs untouched.
_SCOPED_STATEMENT = re.compile(
    r"^(?:\s|/\*.*?\*/|--[^\n]*\n)*\(?\s*"
    r"(select|insert|update|delete|with|values|table|explain|merge)\b",
    re.I | re.S,
)


def _execute_in_scope(execute, sql, params, many, context):
    value = current()
    if value is None:
        value = NOTHING
    cursor = context["cursor"]
    text = sql.decode() if isinstance(sql, bytes) else sql
    if not isinstance(text, str) or not _SCOPED_STATEMENT.match(text):
        return execute(sql, params, many, context)
    raw = cursor.cursor
    if getattr(raw, "name", None):
        # A server-side cursor (QuerySet.iterator()) is DECLAREd: nothing can precede it in the
        # same statement. Set the scope for the transaction first; outside a transaction the
        # cursor is WITH HOLD and its rows are materialised when DECLARE commits, after which the
        # session-level setting is cleared again.
        connection = context["connection"]
        local = not connection.get_autocommit()
        with connection.connection.cursor() as plain:
            plain.execute("SELECT set_config(%s, %s, %s)", [SETTING, value, local])
        try:
            return execute(sql, params, many, context)
        finally:
            if not local:
                with connection.connection.cursor() as plain:
                    plain.execute("SELECT set_config(%s, '', false)", [SETTING])
    if _transaction_failed(raw):
        return execute(sql, params, many, context)
    # The value is our own ('*', '' or '{1,2}'): digits, braces and commas only. The leading
    # comment keeps django-pghistory's wrapper (which skips statements starting with SELECT)
    # attaching the audit context to the write that follows, whichever wrapper runs first.
    prefix = f"/* tenant scope */ SELECT set_config('{SETTING}', '{value}', true); "
    return execute(prefix + text, params, many, context)


def _transaction_failed(raw_cursor) -> bool:
    import psycopg2.extensions

    status = raw_cursor.connection.get_transaction_status()
    return status == psycopg2.extensions.TRANSACTION_STATUS_INERROR


def _install(sender, connection, **kwargs):
    if connection.vendor == "postgresql" and _execute_in_scope not in connection.execute_wrappers:
        # First, so that the context managers that push and pop wrappers at the end of the list
        # (django-pghistory, pgtrigger) pop their own.
        connection.execute_wrappers.insert(0, _execute_in_scope)


def install() -> None:
    connection_created.connect(_install, dispatch_uid="integrity.rls.install")
    for connection in connections.all(initialized_only=True):
        _install(None, connection)
    _check_uniqueness_across_tenants()


def _check_uniqueness_across_tenants() -> None:
    """A username or a credit code is unique across every tenant (the database's constraints say
    so): model validation looks for a clash with the platform's scope, or it would miss another
    county's row and end in an IntegrityError. It says only "already exists"."""
    from django.db.models import Model

    for name in ("validate_unique", "validate_constraints"):
        method = getattr(Model, name)
        if getattr(method, "_platform_scope", False):
            continue

        def checked(self, *args, _method=method, **kwargs):
            with system():
                return _method(self, *args, **kwargs)

        checked._platform_scope = True
        checked.__doc__ = method.__doc__
        setattr(Model, name, checked)


# Policies ------------------------------------------------------------------------------------

SCOPE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION integrity_scope_ids() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN coalesce(current_setting('{SETTING}', true), '') IN ('', '{ALL}') THEN '{{}}'::bigint[]
        ELSE current_setting('{SETTING}', true)::bigint[]
    END
$$;
CREATE OR REPLACE FUNCTION integrity_scope_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('{SETTING}', true), '') = '{ALL}'
$$;
CREATE OR REPLACE FUNCTION integrity_scope_set() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('{SETTING}', true), '') <> ''
$$;
"""


def tenant_condition(column: str = "tenant_id") -> str:
    # Scalar subqueries: PostgreSQL evaluates each once per statement (an InitPlan) instead of
    # reading and casting the setting for every row, and `= ANY ($n)` stays an index condition.
    ids = "(SELECT integrity_scope_ids())::bigint[]"
    return f"((SELECT integrity_scope_all()) OR {column} = ANY ({ids}))"


# Tables without a tenant that the application reads freely and only the platform changes:
# the tenant registry (a county's own row excepted: its office edits its settings).
REGISTRY_TABLES = {"accounts_tenant": tenant_condition("id")}
# Tables no policy is needed for: Django's own (sessions, content types, auth groups and
# permissions, migrations) and pghistory's audit contexts (who and where, never a tenant's
# data; the application may insert and update them, never delete: see grant_app_role).
UNSCOPED_PREFIXES = ("django_", "auth_")
UNSCOPED_TABLES = frozenset({"pghistory_context", "accounts_tenantevent"})


def planned_policies(cursor) -> dict[str, tuple[str, str]]:
    """{table: (read condition, write condition)} for every table of the schema that holds a
    tenant's rows, directly (a tenant_id column) or through the rows it points at."""
    cursor.execute(
        """
        SELECT c.relname, bool_or(a.attname = 'tenant_id')
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p')
        GROUP BY c.relname
        """
    )
    tables = dict(cursor.fetchall())
    plan: dict[str, tuple[str, str]] = {}
    for table, has_tenant in tables.items():
        if not has_tenant or table in UNSCOPED_TABLES:
            continue
        condition = tenant_condition()
        read = condition
        if table == "accounts_user":
            # Platform administrators (no tenant) are named as authors in every county: any
            # scope may read them, none but the platform's may change them.
            read = f"{condition} OR (tenant_id IS NULL AND (SELECT integrity_scope_set()))"
        plan[table] = (read, condition)
    for table, condition in REGISTRY_TABLES.items():
        if table in tables:
            plan[table] = ("true", condition)
    plan.update(_link_policies({t for t, has in tables.items() if has}, set(tables), plan))
    return plan


def _link_policies(with_tenant: set[str], tables: set[str], plan: dict) -> dict:
    """Tables of our models without a tenant column (many-to-many links, second-factor devices,
    their history): a row is visible when every tenant row it points at belongs to the scope,
    checked on the tenant column itself (a platform administrator's row is no one's), or, one
    link further, when the row it points at is visible. Repeated until nothing is added."""
    from django.apps import apps

    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table in tables
        and m._meta.db_table not in with_tenant
        and m._meta.db_table not in UNSCOPED_TABLES
        and not m._meta.db_table.startswith(UNSCOPED_PREFIXES)
    ]
    links: dict[str, tuple[str, str]] = {}
    changed = True
    while changed:
        changed = False
        for model in models:
            table = model._meta.db_table
            if table in links:
                continue
            checks = []
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.name in ("pgh_obj", "pgh_context"):
                    continue
                target = field.related_model._meta.db_table
                # table and column names of our own models, never input
                if target in with_tenant and target not in UNSCOPED_TABLES:
                    check = (
                        f"EXISTS (SELECT 1 FROM {target} AS parent "  # noqa: S608
                        f"WHERE parent.id = {table}.{field.column} "
                        f"AND {tenant_condition('parent.tenant_id')})"
                    )
                elif target in links:
                    check = (
                        f"EXISTS (SELECT 1 FROM {target} AS parent "  # noqa: S608
                        f"WHERE parent.id = {table}.{field.column})"
                    )
                else:
                    continue
                checks.append(
                    f"({table}.{field.column} IS NULL OR {check})" if field.null else check
                )
            if checks:
                condition = " AND ".join(checks)
                links[table] = (condition, condition)
                changed = True
    return links


def apply_policies(using: str = "default") -> list[str]:
    """Create or replace the policies (idempotent); returns the tables covered."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(SCOPE_FUNCTION)
        plan = planned_policies(cursor)
        for table, (read, write) in sorted(plan.items()):
            cursor.execute(
                f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY;'
                f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY;'
                f'DROP POLICY IF EXISTS {POLICY} ON "{table}";'
                f'DROP POLICY IF EXISTS {POLICY}_read ON "{table}";'
                f'DROP POLICY IF EXISTS {POLICY}_insert ON "{table}";'
                f'DROP POLICY IF EXISTS {POLICY}_update ON "{table}";'
                f'DROP POLICY IF EXISTS {POLICY}_delete ON "{table}";'
                f'CREATE POLICY {POLICY}_read ON "{table}" FOR SELECT USING ({read});'
                f'CREATE POLICY {POLICY}_insert ON "{table}" FOR INSERT WITH CHECK ({write});'
                f'CREATE POLICY {POLICY}_update ON "{table}" FOR UPDATE '
                f"USING ({write}) WITH CHECK ({write});"
                f'CREATE POLICY {POLICY}_delete ON "{table}" FOR DELETE USING ({write});'
            )
    return sorted(plan)


def append_only_tables() -> list[str]:
    """The audit trail: every pghistory event table and the security log. The application may
    add to them and read them, never change or remove a row (archiving runs as the owner)."""
    from django.apps import apps
    from pghistory.models import Event

    tables = [
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, Event) and m._meta.managed and not m._meta.proxy
    ]
    return sorted({*tables, "accounts_securityevent"})


def grant_app_role(role: str, using: str = "default", connection=None) -> bool:
    """Give the application's role its privileges (run by the owner after migrations): rows of
    every table, except that the audit trail is insert-only and audit contexts cannot be
    removed. False when the role does not exist or is the connected one."""
    connection = connection or connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = %s AND rolname <> current_user", [role]
        )
        if cursor.fetchone() is None:
            return False
        quoted = connection.ops.quote_name(role)
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        existing = {row[0] for row in cursor.fetchall()}
        statements = [
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {quoted}",
            f"REVOKE DELETE ON pghistory_context FROM {quoted}",
            # Every pgtrigger trigger (the audit trail's among them) first reads this setting;
            # unset, the read raises an error the trigger catches, a subtransaction per row
            # written (7x the rest of the audit trigger). The empty list ignores no trigger;
            # pgtrigger.ignore() still sets its own for a transaction.
            f"ALTER ROLE {quoted} SET \"pgtrigger.ignore\" = '{{}}'",
        ]
        statements += [
            f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM {quoted}'
            for table in append_only_tables()
            if table in existing
        ]
        cursor.execute(";".join(statements))
    return True


def connect_as_owner(connection) -> bool:
    """Point `connection` at DATABASE_OWNER_URL (migrations, archiving the audit trail); False
    when no owner URL is configured."""
    import dj_database_url
    from django.conf import settings

    owner_url = getattr(settings, "DATABASE_OWNER_URL", "")
    if not owner_url:
        return False
    owner = dj_database_url.parse(owner_url)
    connection.close()
    for key in ("USER", "PASSWORD", "HOST", "PORT", "NAME", "OPTIONS"):
        if key in owner:
            connection.settings_dict[key] = owner[key]
    return True


def after_migrate(sender, using="default", **kwargs):
    """post_migrate (connected for the integrity app; sent once every migration has run):
    policies on every tenant table, then the application role's privileges."""
    from django.conf import settings

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            return  # the application's role (a test's flush sends post_migrate too)
    apply_policies(using)
    if role:
        grant_app_role(role, using)


# Celery --------------------------------------------------------------------------------------

TASK_HEADER = "tenant_scope"
_task_tokens: dict[str, object] = {}


def _before_publish(headers=None, **kwargs):
    """The queuing code's scope travels with the task. Without one, the task sees nothing: beat
    (the nightly jobs) acts for the platform because it sets that scope when it starts."""
    value = current()
    if value is not None and headers is not None:
        headers[TASK_HEADER] = value


def _task_prerun(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    if request is None or request.is_eager:  # eager: runs inside the caller's scope already
        return
    value = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
    if value is None or (value != ALL and not re.fullmatch(r"\{\d+(,\d+)*\}", value)):
        value = NOTHING  # a message from outside any scope sees no tenant's rows
    _task_tokens[task_id] = _scope.set(_Fixed(value))


def _task_postrun(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _scope.reset(token)


def connect_celery() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, dispatch_uid="integrity.rls.publish")
    signals.task_prerun.connect(_task_prerun, dispatch_uid="integrity.rls.prerun")
    signals.task_postrun.connect(_task_postrun, dispatch_uid="integrity.rls.postrun")
    signals.beat_init.connect(_beat_init, dispatch_uid="integrity.rls.beat")


def _beat_init(**kwargs):
    """celery beat queues the platform's periodic jobs: they run for the platform."""
    _scope.set(_Fixed(ALL))


# The connected role ----------------------------------------------------------------------------


def role_errors(connection) -> list[str]:
    """Why the connected role is not bound by the policies (empty when it is): a superuser or a
    BYPASSRLS role ignores them (`manage.py check --database default` reports it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        name, superuser, bypass = cursor.fetchone()
    problems = []
    if superuser:
        problems.append(f"{name} is a superuser")
    if bypass:
        problems.append(f"{name} has BYPASSRLS")
    return problems


def check_connected_role(app_configs=None, databases=None, **kwargs):
    from django.conf import settings
    from django.core.checks import Error, Warning

    if not databases or "default" not in databases:
        return []
    problems = role_errors(connections["default"])
    if not problems:
        return []
    level = Error if settings.PRODUCTION else Warning
    return [
        level(
            "The database role ignores row-level security: " + "; ".join(problems) + ".",
            hint="Connect as the application's role (DATABASE_APP_ROLE) and migrate with "
            "DATABASE_OWNER_URL; see README.md, Security.",
            id="integrity.E001" if level is Error else "integrity.W001",
        )
    ]
