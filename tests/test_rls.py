"""Row-level security: the database's wall between tenants (integrity.rls), proved with raw SQL
and unscoped ORM queries, and its posture checked table by table."""

import os
import subprocess
import sys

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import RequestFactory

from domains.models import TrustRecord
from integrity import rls
from tests.factories import TrustRecordFactory


@pytest.fixture
def records(world):
    TrustRecordFactory.create_batch(3, tenant=world.county_a, agency=world.a1)
    TrustRecordFactory.create_batch(2, tenant=world.county_b, agency=world.b1)
    TrustRecordFactory.create(tenant=world.county_c, agency=world.c1)
    return world


def raw_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our constant)
        return cursor.fetchone()[0]


# Posture ---------------------------------------------------------------------------------------


def test_every_table_has_row_security_enabled_and_forced_unless_listed(db):
    """Every table of the schema is covered, whether it has a tenant column or points at rows
    that do, except Django's own tables and the audit contexts (named in integrity.rls)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r'
            """
        )
        rows = cursor.fetchall()
    covered = {name for name, enabled, forced, policies in rows if enabled and forced and policies}
    unlisted = {
        name
        for name, *_ in rows
        if name not in covered
        and name not in rls.UNSCOPED_TABLES
        and not name.startswith(rls.UNSCOPED_PREFIXES)
    }
    assert unlisted == set()
    assert {
        "domains_trustrecord",
        "accounts_user",
        "accounts_totpdevice",
        "accounts_recoverycode",  # two links away from a tenant: code → device → user
        "domains_domainleadunit",
        "accounts_tenant",
    } <= covered
    assert len(covered) > 130  # the models and their history tables


def test_no_scope_sees_no_row_of_any_covered_table(records):
    from accounts.models import TotpDevice, User

    TotpDevice.objects.create(user=records.platform_admin, name="phone", key="00" * 20)
    TotpDevice.objects.create(user=records.office_admin_a, name="phone", key="00" * 20)
    with connection.cursor() as cursor:
        plan = rls.planned_policies(cursor)
    with rls.nothing():
        visible = {table: raw_count(table) for table in plan if table not in rls.REGISTRY_TABLES}
    assert {table: n for table, n in visible.items() if n} == {}
    with rls.tenant(records.county_a):
        # a platform administrator's account reads as an author, its device not at all
        assert raw_count("accounts_totpdevice") == 1
        assert records.platform_admin.pk in set(User.objects.values_list("pk", flat=True))


def test_platform_administrators_rows_cannot_be_changed_from_a_county(records):
    from accounts.models import User

    admin = records.platform_admin
    with rls.tenant(records.county_a):
        assert User.objects.filter(pk=admin.pk).update(display_name="x") == 0
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_user WHERE id = %s", [admin.pk])
            assert cursor.rowcount == 0
        with (
            pytest.raises(ProgrammingError, match="row-level security"),
            transaction.atomic(),
        ):
            User.objects.filter(pk=records.clerk_a1.pk).update(tenant=None)
    admin.refresh_from_db()
    assert admin.display_name != "x"


def test_a_link_row_must_point_at_the_scope_on_every_side(records):
    from domains.models import KeyDomain

    domain = KeyDomain.objects.create(tenant=records.county_a, code="a-link", name="A")
    with (
        rls.tenant(records.county_a),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
    ):
        domain.lead_units.add(records.b1)  # county A's domain, county B's agency


def test_the_application_role_may_only_add_to_the_audit_trail(db):
    """The production grants (a probe role given exactly what grant_app_role gives)."""
    from tests.conftest import OWNER

    probe = "integrity_grant_probe"
    owner = psycopg2.connect(
        dbname=OWNER["NAME"],
        user=OWNER["USER"],
        host=OWNER["HOST"] or None,
        port=OWNER["PORT"] or None,
        password=OWNER["PASSWORD"] or None,
    )
    owner.autocommit = True
    try:
        with owner.cursor() as cursor:
            cursor.execute(
                f"DO $$ BEGIN CREATE ROLE {probe} NOLOGIN; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        from django.db.backends.postgresql.base import DatabaseWrapper

        as_owner = DatabaseWrapper({**connection.settings_dict, **OWNER}, alias="owner-probe")
        try:
            assert rls.grant_app_role(probe, connection=as_owner)
        finally:
            as_owner.close()
        with owner.cursor() as cursor:

            def may(table, privilege):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [probe, table, privilege])
                return cursor.fetchone()[0]

            for table in ("domains_trustrecordevent", "accounts_securityevent"):
                assert may(table, "INSERT") and may(table, "SELECT")
                assert not may(table, "UPDATE") and not may(table, "DELETE")
            assert may("pghistory_context", "UPDATE") and not may("pghistory_context", "DELETE")
            assert may("domains_trustrecord", "DELETE")
            assert not may("domains_trustrecord", "TRUNCATE")
            cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [probe])
            assert cursor.fetchone()[0] is False or owner.server_version < 150000
    finally:
        with owner.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {probe}; DROP ROLE IF EXISTS {probe}")
        owner.close()


def test_link_tables_without_a_tenant_column_follow_the_row_they_point_at(records):
    from domains.models import KeyDomain

    domain = KeyDomain.objects.filter(tenant=records.county_b).first() or KeyDomain.objects.create(
        tenant=records.county_b, code="b-test", name="B"
    )
    domain.lead_units.add(records.b1)
    with rls.tenant(records.county_b):
        assert raw_count("domains_domainleadunit") >= 1
    with rls.tenant(records.county_a), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM domains_domainleadunit WHERE domain_id = %s", [domain.pk]
        )
        assert cursor.fetchone()[0] == 0


def test_the_application_role_is_bound_by_the_policies(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                      (SELECT tableowner FROM pg_tables WHERE tablename = 'domains_trustrecord')
               FROM pg_roles r WHERE r.rolname = current_user"""
        )
        role, superuser, bypass, owner = cursor.fetchone()
    assert role == settings.DATABASE_APP_ROLE
    assert not superuser and not bypass
    assert owner != role  # migrations ran as the owner


def test_the_application_role_starts_with_no_trigger_ignored(db):
    """grant_app_role sets pgtrigger.ignore to the empty list for the role's sessions: every
    trigger runs, and none pays for an error reading an unset setting on each row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore', true)")
        assert cursor.fetchone()[0] == "{}"


# Scoping ---------------------------------------------------------------------------------------


def test_no_tenant_set_sees_no_rows(records):
    assert TrustRecord.objects.count() == 6  # the platform sees all
    with rls.nothing():
        assert TrustRecord.objects.count() == 0
        assert raw_count("domains_trustrecord") == 0
        assert raw_count("accounts_agency") == 0
    # and a statement that carries no setting at all (a cursor outside the wrapper)
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM domains_trustrecord")
        assert cursor.fetchone()[0] == 0


def test_an_unscoped_query_under_a_county_sees_only_that_county(records):
    with rls.tenant(records.county_a):
        assert set(TrustRecord.objects.values_list("tenant_id", flat=True)) == {records.county_a.pk}
        assert raw_count("domains_trustrecord") == 3
        # a forgotten filter on another county finds nothing rather than its rows
        assert TrustRecord.objects.filter(tenant=records.county_b).count() == 0
        assert raw_count("domains_trustrecordevent") == 3  # the audit trail too


def test_a_city_scope_reads_its_counties_and_not_another_city(records):
    with rls.acting_as(records.city_viewer):
        assert sorted(TrustRecord.objects.values_list("tenant_id", flat=True)) == sorted(
            [records.county_a.pk] * 3 + [records.county_b.pk] * 2
        )


def test_writes_into_another_county_are_refused_by_the_database(records):
    other = TrustRecord.objects.filter(tenant=records.county_b).first()
    with rls.tenant(records.county_a):
        assert TrustRecord.objects.filter(pk=other.pk).update(subject_name="x") == 0
        assert TrustRecord.objects.filter(pk=other.pk).delete()[0] == 0
        with (
            pytest.raises(ProgrammingError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE domains_trustrecord SET tenant_id = %s WHERE tenant_id = %s",
                [records.county_b.pk, records.county_a.pk],
            )
    other.refresh_from_db()
    assert other.subject_name != "x"
    assert TrustRecord.objects.filter(tenant=records.county_a).count() == 3


@pytest.mark.django_db(transaction=True)
def test_committed_rows_and_a_reused_connection(world):
    """With committed rows: visible inside the transaction that set the scope, invisible in the
    next one on the same connection."""
    TrustRecordFactory.create_batch(2, tenant=world.county_a, agency=world.a1)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # the raw connection, no wrapper
        cursor.execute("BEGIN")
        cursor.execute(
            "SELECT set_config('app.tenant_ids', %s, true)", [rls.encode([world.county_a.pk])]
        )
        cursor.execute("SELECT count(*) FROM domains_trustrecord")
        assert cursor.fetchone()[0] == 2
        cursor.execute("COMMIT")
        cursor.execute(
            "SELECT count(*), current_setting('app.tenant_ids', true) FROM domains_trustrecord"
        )
        count, setting = cursor.fetchone()
        assert (count, setting) in ((0, ""), (0, None))
    # the ORM's statements carry their scope and leave nothing behind on the connection
    with rls.tenant(world.county_a):
        assert TrustRecord.objects.count() == 2
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), current_setting('app.tenant_ids', true) FROM domains_trustrecord"
        )
        count, setting = cursor.fetchone()
    assert count == 0 and setting in ("", None)


def test_requests_run_in_the_users_scope(records, client):
    """The middleware gives a request the signed-in user's tenants; a view that forgot its
    filter would still see only them."""
    seen = {}

    def view(request):
        seen["tenants"] = set(TrustRecord.objects.values_list("tenant_id", flat=True))
        seen["setting"] = rls.current()
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = rls.TenantScopeMiddleware(view)
    request = RequestFactory().get("/")
    request.user = records.office_admin_b
    middleware(request)
    assert seen["tenants"] == {records.county_b.pk}
    assert seen["setting"] == rls.encode([records.county_b.pk])
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    middleware(request)
    assert seen["tenants"] == set()


def test_public_pages_act_for_the_county_in_their_url(world, client):
    """Anonymous, and signed in as another county's office: the public pages show the county of
    the URL, and only it."""
    from django.core.cache import cache

    from tests.domains.public_helpers import public_record

    cache.clear()  # counties and pages cached by earlier tests with the same division codes
    record = public_record(world)
    public_record(world, tenant=world.county_b, agency=world.b1)
    code = world.county_a.division_code
    for user in (None, world.office_admin_b):
        if user is not None:
            client.force_login(user)
        rows = client.get(f"/api/v1/public/{code}/records/").json()["results"]
        assert [row["public_id"] for row in rows] == [str(record.public_id)]
        page = client.get(f"/public/{code}/records/{record.public_id}/")
        assert page.status_code == 200


def test_the_tenant_filter_still_uses_the_index(records):
    """The explicit tenant filter is kept beside the policy so the planner uses the index."""
    with rls.tenant(records.county_a), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row
            for row in TrustRecord.objects.filter(tenant=records.county_a).explain().splitlines()
        )
    assert any("Index Cond" in line and "tenant_id" in line for line in plan.splitlines()), plan


def test_celery_tasks_carry_the_queuing_scope(records):
    headers = {}
    with rls.tenant(records.county_a):
        rls._before_publish(headers=headers)
    assert headers == {rls.TASK_HEADER: rls.encode([records.county_a.pk])}
    headers = {}
    token = rls._scope.set(None)  # beat: nothing set
    try:
        rls._before_publish(headers=headers)
    finally:
        rls._scope.reset(token)
    assert headers == {}


@pytest.mark.django_db(transaction=True)
def test_management_commands_act_for_the_platform(world):
    """`manage.py` runs commands with the platform's scope, as the application's role."""
    TrustRecordFactory.create(tenant=world.county_a, agency=world.a1)
    TrustRecordFactory.create(tenant=world.county_b, agency=world.b1)
    params = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )
    code = (
        "from domains.models import TrustRecord; from django.db import connection; "
        "c = connection.cursor(); c.execute('SELECT current_user'); "
        "print(c.fetchone()[0], TrustRecord.objects.count())"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )
    assert out.stdout.splitlines()[-1].split() == [settings.DATABASE_APP_ROLE, "2"]


def test_a_role_that_ignores_the_policies_is_reported(db):
    from django.db.backends.postgresql.base import DatabaseWrapper

    from tests.conftest import OWNER

    assert rls.check_connected_role(databases=["default"]) == []  # integrity_app
    owner = DatabaseWrapper({**connection.settings_dict, **OWNER}, alias="owner-check")
    try:
        assert f"{OWNER['USER']} is a superuser" in rls.role_errors(owner)
    finally:
        owner.close()


def test_celery_processes_get_the_scope_handlers_before_django_is_set_up():
    """beat may publish before Django's apps are ready: importing the Celery app is enough."""
    code = (
        "import integrity.celery as c; from celery import signals; "
        "print(bool(signals.beat_init.receivers), bool(signals.before_task_publish.receivers), "
        "bool(signals.task_prerun.receivers))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert out.stdout.split() == ["True", "True", "True"]
    from integrity.rls import _beat_init

    token = rls._scope.set(None)
    try:
        _beat_init()
        assert rls.current() == rls.ALL
    finally:
        rls._scope.reset(token)
