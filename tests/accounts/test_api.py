"""The session-authenticated REST API for tenants, agencies and users (/api/v1/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import AgencyKind, RankingGroup, Role
from accounts.models import Agency, User
from tests.conftest import login
from tests.factories import AgencyFactory, TenantFactory, UserFactory, credit_code

AGENCIES = "/api/v1/agencies/"
USERS = "/api/v1/users/"
TENANTS = "/api/v1/tenants/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


# Scoping ------------------------------------------------------------------------------------


def test_office_admin_lists_own_county_agencies(client, world):
    login(client, world.office_admin_a)
    assert ids(client.get(AGENCIES)) == {world.a1.pk, world.a2.pk}


def test_city_viewer_lists_both_counties_not_the_other_city(client, world):
    login(client, world.city_viewer)
    assert ids(client.get(AGENCIES)) == {world.a1.pk, world.a2.pk, world.b1.pk}
    assert ids(client.get(TENANTS)) == {world.city.pk, world.county_a.pk, world.county_b.pk}
    assert client.get(f"{AGENCIES}{world.b1.pk}/").status_code == 200
    assert_error(client.get(f"{AGENCIES}{world.c1.pk}/"), 404, "not_found")


def test_clerk_sees_only_own_agency(client, world):
    login(client, world.clerk_a1)
    assert ids(client.get(AGENCIES)) == {world.a1.pk}
    assert_error(client.get(f"{AGENCIES}{world.a2.pk}/"), 404, "not_found")
    assert_error(client.get(USERS), 403, "permission_denied")


def test_platform_admin_lists_everything(client, world):
    login(client, world.platform_admin)
    assert ids(client.get(AGENCIES)) == set(Agency.objects.values_list("pk", flat=True))


def test_filters_apply_within_scope(client, world):
    login(client, world.city_viewer)
    assert ids(client.get(f"{AGENCIES}?kind=township")) == {world.a2.pk}
    assert ids(client.get(f"{AGENCIES}?tenant={world.county_b.pk}")) == {world.b1.pk}
    assert ids(client.get(f"{AGENCIES}?credit_code={world.c1.credit_code}")) == set()


def test_users_are_scoped(client, world):
    login(client, world.office_admin_a)
    listed = ids(client.get(USERS))
    assert listed == set(User.objects.filter(tenant=world.county_a).values_list("pk", flat=True))
    assert world.office_admin_b.pk not in listed and world.platform_admin.pk not in listed
    assert_error(client.get(f"{USERS}{world.office_admin_b.pk}/"), 404, "not_found")
    body = client.get(f"{USERS}{world.clerk_a1.pk}/").json()
    assert "password" not in body
    assert body["agency"] == world.a1.pk


def test_other_county_object_is_404_with_error_body(client, world):
    login(client, world.office_admin_a)
    error = assert_error(client.get(f"{AGENCIES}{world.b1.pk}/"), 404, "not_found")
    # Same answer as for an id that does not exist at all.
    missing = assert_error(client.get(f"{AGENCIES}999999/"), 404, "not_found")
    assert error == missing
    assert_error(client.get(f"{TENANTS}{world.county_b.pk}/"), 404, "not_found")


@pytest.mark.parametrize("url", [AGENCIES, USERS, TENANTS])
def test_anonymous_is_refused_with_error_body(client, world, url):
    response = client.get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert_error(post(client, url, {"name": "x"}), 401)


def test_anonymous_cannot_create(client, world):
    before = Agency.objects.count()
    assert_error(post(client, AGENCIES, {"name": "匿名单位", "kind": "department"}), 401)
    assert Agency.objects.count() == before


# Writes -------------------------------------------------------------------------------------


def test_office_admin_creates_agency(client, world):
    login(client, world.office_admin_a)
    response = post(
        client,
        AGENCIES,
        {
            "name": "县市场监督管理局",
            "kind": "department",
            "credit_code": credit_code(8001),
            "leader_name": "陈局长",
            "tenant": world.county_b.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    agency = Agency.objects.get(pk=body["id"])
    assert agency.tenant == world.county_a  # tenant is read-only: always the user's own
    assert body["tenant"] == world.county_a.pk
    assert (agency.credit_code, agency.leader_name, agency.ranking_group) == (
        credit_code(8001),
        "陈局长",
        RankingGroup.DEPARTMENT,
    )


@pytest.mark.parametrize("group", [None, ""])
def test_api_ranking_group_defaults_from_kind(client, world, group):
    login(client, world.office_admin_a)
    data = {"name": "石人沟乡", "kind": AgencyKind.TOWNSHIP}
    if group is not None:
        data["ranking_group"] = group
    response = post(client, AGENCIES, data)
    assert response.status_code == 201, response.content
    assert response.json()["ranking_group"] == RankingGroup.TOWNSHIP


def test_api_credit_code_is_normalised(client, world):
    login(client, world.office_admin_a)
    response = post(
        client,
        AGENCIES,
        {"name": "县林业局", "kind": "department", "credit_code": credit_code(8002).lower()},
    )
    assert response.status_code == 201, response.content
    assert response.json()["credit_code"] == credit_code(8002)


def test_bad_credit_code_is_400_with_fields(client, world):
    login(client, world.office_admin_a)
    before = Agency.objects.count()
    good = credit_code(8003)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = post(
        client, AGENCIES, {"name": "县水务局", "kind": "department", "credit_code": bad}
    )
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["credit_code"]
    assert error["fields"]["credit_code"]
    assert Agency.objects.count() == before


def test_taken_credit_code_and_name_are_400(client, world):
    login(client, world.office_admin_a)
    before = Agency.objects.count()
    error = assert_error(
        post(
            client,
            AGENCIES,
            {"name": "新单位", "kind": "department", "credit_code": world.b1.credit_code},
        ),
        400,
    )
    assert "credit_code" in error["fields"]
    assert world.b1.name not in str(error)
    assert_error(post(client, AGENCIES, {"name": world.a1.name, "kind": "department"}), 400)
    assert Agency.objects.count() == before


def test_invalid_kind_is_400(client, world):
    login(client, world.office_admin_a)
    error = assert_error(post(client, AGENCIES, {"name": "x", "kind": "ministry"}), 400)
    assert "kind" in error["fields"]


@pytest.mark.parametrize(
    "who", ["office_staff_a", "clerk_a1", "leader_a1", "evaluator_a", "city_viewer"]
)
def test_other_roles_cannot_write(client, world, who):
    login(client, getattr(world, who))
    before = Agency.objects.count()
    assert_error(
        post(client, AGENCIES, {"name": "新单位", "kind": "department"}), 403, "permission_denied"
    )
    assert_error(
        patch(client, f"{AGENCIES}{world.a1.pk}/", {"leader_name": "改"}), 403, "permission_denied"
    )
    assert Agency.objects.count() == before
    world.a1.refresh_from_db()
    assert world.a1.leader_name != "改"


def test_office_admin_patches_own_agency(client, world):
    login(client, world.office_admin_a)
    response = patch(client, f"{AGENCIES}{world.a1.pk}/", {"leader_name": "新局长"})
    assert response.status_code == 200, response.content
    assert response.json()["leader_name"] == "新局长"
    world.a1.refresh_from_db()
    assert world.a1.leader_name == "新局长"
    assert world.a1.ranking_group == RankingGroup.DEPARTMENT


def test_patch_of_another_countys_agency_is_404(client, world):
    login(client, world.office_admin_a)
    before = (world.b1.name, world.b1.leader_name)
    assert_error(
        patch(client, f"{AGENCIES}{world.b1.pk}/", {"leader_name": "改"}), 404, "not_found"
    )
    assert_error(
        client.put(
            f"{AGENCIES}{world.b1.pk}/",
            {"name": "改", "kind": "department"},
            content_type="application/json",
        ),
        404,
        "not_found",
    )
    world.b1.refresh_from_db()
    assert (world.b1.name, world.b1.leader_name) == before


def test_patch_bad_credit_code_is_400(client, world):
    login(client, world.office_admin_a)
    old = world.a1.credit_code
    error = assert_error(
        patch(client, f"{AGENCIES}{world.a1.pk}/", {"credit_code": "123456789012345670"}),
        400,
        "invalid",
    )
    assert "credit_code" in error["fields"]
    world.a1.refresh_from_db()
    assert world.a1.credit_code == old


def test_patch_inactive_deactivates_agency_users(client, world):
    login(client, world.office_admin_a)
    response = patch(client, f"{AGENCIES}{world.a1.pk}/", {"is_active": False})
    assert response.status_code == 200
    assert not User.objects.get(pk=world.clerk_a1.pk).is_active
    assert not User.objects.get(pk=world.leader_a1.pk).is_active
    assert User.objects.get(pk=world.clerk_a2.pk).is_active


def test_no_delete(client, world):
    login(client, world.office_admin_a)
    response = client.delete(f"{AGENCIES}{world.a1.pk}/")
    assert_error(response, 405)
    assert Agency.objects.filter(pk=world.a1.pk).exists()


def test_users_and_tenants_are_read_only(client, world):
    login(client, world.office_admin_a)
    assert post(client, USERS, {"username": "x"}).status_code in (403, 405)
    assert patch(
        client, f"{USERS}{world.clerk_a1.pk}/", {"role": Role.OFFICE_ADMIN}
    ).status_code in (403, 405)
    assert User.objects.get(pk=world.clerk_a1.pk).role == Role.AGENCY_CLERK


# Query counts -------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [AGENCIES, USERS, TENANTS])
def test_list_query_count_does_not_grow(client, db, url):
    county = TenantFactory()
    admin = UserFactory(role=Role.OFFICE_ADMIN, tenant=county)
    agencies = AgencyFactory.create_batch(5, tenant=county)
    for agency in agencies:
        UserFactory(role=Role.AGENCY_CLERK, tenant=county, agency=agency)
    login(client, admin)
    few = _count_queries(client, url)
    more = AgencyFactory.create_batch(45, tenant=county)
    for agency in more:
        UserFactory(role=Role.AGENCY_CLERK, tenant=county, agency=agency)
    many = _count_queries(client, url)
    assert many == few
    if url == AGENCIES:
        assert len(client.get(url).json()["results"]) == 50


def test_agency_list_query_count_for_city_viewer(client, world, django_assert_max_num_queries):
    AgencyFactory.create_batch(50, tenant=world.county_b)
    login(client, world.city_viewer)
    client.get(AGENCIES)  # warm-up: session, user
    with django_assert_max_num_queries(8):
        response = client.get(AGENCIES)
    assert len(response.json()["results"]) == 53
