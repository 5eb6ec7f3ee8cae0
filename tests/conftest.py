import os
from dataclasses import dataclass

import pytest

from accounts.choices import Role
from tests.factories import AgencyFactory, CityFactory, TenantFactory, UserFactory

CI = os.environ.get("CI", "").lower() == "true"


APP_ROLE = "integrity_app"
OWNER: dict = {}  # the test database's owner connection settings (tests/test_rls.py)


def _connect_as(role: str) -> None:
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["USER"] = role  # the same dict as settings.DATABASES["default"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The owner (DATABASE_URL's role) creates and migrates the test database; the tests then
    connect as the application's role, which row-level security binds (integrity.rls)."""
    from django.db import connections

    from integrity import rls

    with django_db_blocker.unblock():
        owner = connections["default"].settings_dict["USER"]
        OWNER.update(connections["default"].settings_dict)
        with connections["default"].cursor() as cursor:
            cursor.execute(
                f"""DO $$ BEGIN
                    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"""
            )
        rls.grant_app_role(APP_ROLE)
        with connections["default"].cursor() as cursor:
            # What the suite needs beyond the application's privileges: transactional tests
            # empty the tables between tests (TRUNCATE), and the audit archive tests age and
            # delete events inside the test's transaction, where production's `archive_audit`
            # connects as the owner (tests/test_rls.py checks the production grants).
            cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
            cursor.execute(
                ";".join(
                    f'GRANT UPDATE, DELETE ON "{table}" TO {APP_ROLE}'
                    for table in [*rls.append_only_tables(), "pghistory_context"]
                )
            )
        _connect_as(APP_ROLE)
    yield
    with django_db_blocker.unblock():
        _connect_as(owner)


@pytest.fixture(autouse=True)
def _platform_scope():
    """Test code (factories, assertions) acts for the platform; requests made through the test
    client set their own scope, as in production."""
    from integrity import rls

    with rls.system():
        yield


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_worker_pages():
    """Each test starts like a fresh worker process: nothing an earlier test's rows made (same
    division code or ids, other rows) in scoring.page_cache, integrity.api_lean or
    accounts.api_client_cache."""
    from accounts import api_client_cache
    from integrity import api_lean
    from scoring import page_cache

    for forget in (page_cache.forget, api_lean.forget_pages, api_client_cache.forget):
        forget()
    yield
    for forget in (page_cache.forget, api_lean.forget_pages, api_client_cache.forget):
        forget()


@pytest.fixture(autouse=True, scope="session")
def _eager_celery():
    """Tasks run in-process in tests, as in `make run`; tests/test_celery.py starts a real
    worker on Redis for the broker path."""
    from integrity.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@dataclass
class World:
    """Two counties under one city, a third county under another city, and one user per role.

    County A has agencies a1 and a2; county B has b1. `users[(tenant_key, role)]`.
    """

    city: object
    county_a: object
    county_b: object
    other_city: object
    county_c: object
    a1: object
    a2: object
    b1: object
    c1: object
    platform_admin: object
    office_admin_a: object
    office_staff_a: object
    clerk_a1: object
    leader_a1: object
    clerk_a2: object
    evaluator_a: object
    office_admin_b: object
    city_viewer: object
    office_admin_c: object


@pytest.fixture
def world(db):
    city = CityFactory(name="承德市", division_code="130800")
    county_a = TenantFactory(name="丰宁满族自治县", division_code="130826", parent=city)
    county_b = TenantFactory(name="隆化县", division_code="130825", parent=city)
    other_city = CityFactory(name="张家口市", division_code="130700")
    county_c = TenantFactory(name="张北县", division_code="130722", parent=other_city)
    a1 = AgencyFactory(tenant=county_a, name="县财政局")
    a2 = AgencyFactory(tenant=county_a, name="大阁镇", kind="township", ranking_group="township")
    b1 = AgencyFactory(tenant=county_b, name="隆化县财政局")
    c1 = AgencyFactory(tenant=county_c, name="张北县财政局")
    return World(
        city=city,
        county_a=county_a,
        county_b=county_b,
        other_city=other_city,
        county_c=county_c,
        a1=a1,
        a2=a2,
        b1=b1,
        c1=c1,
        platform_admin=UserFactory(username="pa", role=Role.PLATFORM_ADMIN, tenant=None),
        office_admin_a=UserFactory(username="oa-a", role=Role.OFFICE_ADMIN, tenant=county_a),
        office_staff_a=UserFactory(username="os-a", role=Role.OFFICE_STAFF, tenant=county_a),
        clerk_a1=UserFactory(
            username="clerk-a1", role=Role.AGENCY_CLERK, tenant=county_a, agency=a1
        ),
        leader_a1=UserFactory(
            username="leader-a1", role=Role.AGENCY_LEADER, tenant=county_a, agency=a1
        ),
        clerk_a2=UserFactory(
            username="clerk-a2", role=Role.AGENCY_CLERK, tenant=county_a, agency=a2
        ),
        evaluator_a=UserFactory(username="ev-a", role=Role.EVALUATOR, tenant=county_a),
        office_admin_b=UserFactory(username="oa-b", role=Role.OFFICE_ADMIN, tenant=county_b),
        city_viewer=UserFactory(username="city", role=Role.CITY_VIEWER, tenant=city),
        office_admin_c=UserFactory(username="oa-c", role=Role.OFFICE_ADMIN, tenant=county_c),
    )


def login(client, user):
    client.force_login(user)
    return client
