"""Machine clients of the API: keys issued once and kept hashed, rotation, revocation, scopes,
per-client throttles, city-over-county reads and county-over-county refusal."""

import hashlib
import time

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import api_client_cache, services
from accounts.choices import Outcome, Role, SecurityEventKind, TenantLevel
from accounts.models import ApiClient, SecurityEvent, User
from tests.conftest import login
from tests.factories import AgencyFactory, TrustRecordFactory

RECORDS = "/api/v1/records/"


def issue(tenant, actor, scopes=("*",), rate="600/min", name="城市信用平台"):
    return services.api_client_create(
        tenant=tenant, data={"name": name, "scopes": list(scopes), "rate": rate}, actor=actor
    )


def get(client, url, key, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=f"Api-Key {key}")


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_office_admin_issues_a_key_that_is_shown_once_and_kept_hashed(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        "/api-clients/new/",
        {"name": "市信用平台", "scopes": ["record", "ledger-issue"], "rate": "120/min"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key.startswith("igp_") and key in response.content.decode()
    stored = ApiClient.objects.get(name="市信用平台")
    assert stored.tenant == world.county_a and stored.scopes == ["record", "ledger-issue"]
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    secret = key.split("_", 2)[2]  # the secret itself may contain "_"
    row = ApiClient.objects.filter(pk=stored.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    issued = SecurityEvent.objects.get(kind=SecurityEventKind.API_KEY_ISSUED)
    assert secret not in str(issued.detail) and issued.user == world.office_admin_a
    # The list shows the prefix only, never the key.
    listing = client.get("/api-clients/").content.decode()
    assert stored.key_prefix in listing and secret not in listing
    # The identity is not a person: not listed, not editable as a user.
    assert stored.user.role == Role.API_CLIENT and not stored.user.has_usable_password()
    assert stored.user.username not in client.get("/users/").content.decode()
    assert client.get(f"/users/{stored.user.pk}/edit/").status_code == 404


def test_bad_client_input_is_refused_and_nothing_is_written(client, world):
    login(client, world.office_admin_a)
    before = (ApiClient.objects.count(), User.objects.count())
    response = client.post("/api-clients/new/", {"name": "x", "scopes": ["*"], "rate": "lots"})
    assert response.status_code == 200 and "key" not in response.context
    assert response.context["form"].errors["rate"]
    response = client.post("/api-clients/new/", {"name": "x", "rate": "10/min"})
    assert response.context["form"].errors["scopes"]
    with pytest.raises(ValidationError) as refused:
        issue(world.county_a, world.office_admin_a, scopes=["no-such-thing"])
    assert "no-such-thing" in str(refused.value.message_dict["scopes"])
    assert (ApiClient.objects.count(), User.objects.count()) == before


def test_only_admins_manage_clients(client, world):
    for user in (world.office_staff_a, world.clerk_a1, world.city_viewer):
        login(client, user)
        assert client.get("/api-clients/").status_code == 403
        assert client.post("/api-clients/new/", {"name": "x"}).status_code == 403


def test_key_reads_own_county_only(client, world):
    mine = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    other = TrustRecordFactory(tenant=world.county_b, agency=world.b1)
    _client, key = issue(world.county_a, world.office_admin_a)
    assert ids(get(client, RECORDS, key)) == {mine.pk}
    assert get(client, f"{RECORDS}{other.pk}/", key).status_code == 404
    assert get(client, f"{RECORDS}{mine.pk}/", key).status_code == 200
    # County over county is refused even when asked for by division code.
    assert ids(get(client, RECORDS, key, county=world.county_b.division_code)) == set()


def test_city_client_reads_the_counties_below_it(client, world):
    a = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    b = TrustRecordFactory(tenant=world.county_b, agency=world.b1)
    c = TrustRecordFactory(tenant=world.county_c, agency=world.c1)
    _client, key = issue(world.city, world.platform_admin)
    assert ids(get(client, RECORDS, key)) == {a.pk, b.pk}
    assert ids(get(client, RECORDS, key, county=world.county_b.division_code)) == {b.pk}
    assert get(client, f"{RECORDS}{c.pk}/", key).status_code == 404
    bad = get(client, RECORDS, key, county="13x")
    assert bad.status_code == 400 and "county" in bad.json()["error"]["fields"]


def test_scopes_limit_the_resources_and_clients_never_write(client, world):
    record = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    _client, key = issue(world.county_a, world.office_admin_a, scopes=["record"])
    assert get(client, RECORDS, key).status_code == 200
    refused = get(client, "/api/v1/complaints/", key)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    before = record.facts
    response = client.patch(
        f"{RECORDS}{record.pk}/",
        {"facts": "改"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.facts == before
    # A client with every scope still cannot write: its role has no write action.
    _client, all_key = issue(world.county_a, world.office_admin_a, name="全部", scopes=["*"])
    response = client.post(
        RECORDS, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {all_key}"
    )
    assert response.status_code == 403


def test_rotation_and_revocation_stop_the_old_key_at_once(client, world):
    cache.clear()
    TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    api_client, key = issue(world.county_a, world.office_admin_a)
    assert get(client, RECORDS, key).status_code == 200
    login(client, world.office_admin_a)
    response = client.post(f"/api-clients/{api_client.pk}/rotate/")
    new_key = response.context["key"]
    assert new_key != key and response["Cache-Control"] == "no-store"
    client.logout()
    refused = get(client, RECORDS, key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"
    assert get(client, RECORDS, new_key).status_code == 200
    login(client, world.office_admin_a)
    assert client.post(f"/api-clients/{api_client.pk}/revoke/").status_code == 302
    client.logout()
    cache.clear()  # refusals from one address are logged once a minute
    assert get(client, RECORDS, new_key).status_code == 401
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None and not api_client.user.is_active
    failures = SecurityEvent.objects.filter(
        kind=SecurityEventKind.API_KEY_USED, outcome=Outcome.FAILURE
    )
    assert failures.count() == 2
    assert set(failures.values_list("detail__reason", flat=True)) == {"invalid", "revoked"}
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.API_KEY_REVOKED).count() == 1


@pytest.mark.parametrize(
    "header",
    ["Api-Key", "Api-Key a b", "Api-Key igp_x", "Api-Key igp_000000000000_wrong", "Api-Key 密钥"],
)
def test_malformed_keys_get_401_not_500(client, world, header):
    response = client.get(RECORDS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["message"]


def test_a_flood_of_bad_keys_is_one_security_event_and_then_waits(client, world):
    cache.clear()
    _client, key = issue(world.county_a, world.office_admin_a)
    for n in range(services.API_KEY_FAILURE_LIMIT):
        assert get(client, RECORDS, f"igp_{n:012x}_nothing").status_code == 401
    refused = SecurityEvent.objects.filter(
        kind=SecurityEventKind.API_KEY_USED, outcome=Outcome.FAILURE
    )
    assert refused.count() == 1
    # The address now waits, whatever key it sends, even a good one.
    for attempt in ("igp_000000000000_more", key):
        response = get(client, RECORDS, attempt)
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        assert response.json()["error"]["code"] == "throttled"
    cache.clear()
    assert get(client, RECORDS, key).status_code == 200


def test_last_use_is_recorded(client, world):
    api_client, key = issue(world.county_a, world.office_admin_a)
    assert api_client.last_used_at is None
    get(client, RECORDS, key)
    api_client.refresh_from_db()
    assert api_client.last_used_at is not None and api_client.last_used_ip == "127.0.0.1"
    login(client, world.office_admin_a)
    page = client.get("/api-clients/").content.decode()
    shown = timezone.localtime(api_client.last_used_at).strftime("%Y-%m-%d %H:%M")
    assert shown in page and "127.0.0.1" in page


def test_each_client_has_its_own_throttle(client, world):
    cache.clear()
    _slow, slow_key = issue(world.county_a, world.office_admin_a, name="慢", rate="3/min")
    _fast, fast_key = issue(world.county_a, world.office_admin_a, name="快", rate="100/min")
    statuses = [get(client, RECORDS, slow_key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = get(client, RECORDS, slow_key)
    assert refused.json()["error"]["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert get(client, RECORDS, fast_key).status_code == 200
    # Sessions of people are not throttled by the client limits.
    login(client, world.office_admin_a)
    assert all(client.get(RECORDS).status_code == 200 for _ in range(5))


def test_client_identities_are_not_counted_as_users(client, world):
    login(client, world.office_admin_a)
    before = client.get("/").context["users_active"]
    issue(world.county_a, world.office_admin_a)
    assert client.get("/").context["users_active"] == before
    login(client, world.platform_admin)
    counts = {t.pk: t.user_count for t in client.get("/").context["tenants"]}
    issue(world.county_a, world.office_admin_a, name="另一个")
    after = {t.pk: t.user_count for t in client.get("/").context["tenants"]}
    assert after == counts


# Each worker keeps the clients it accepted (accounts.api_client_cache) ------------------------


def test_a_key_accepted_and_kept_by_the_worker_is_refused_at_once_when_rotated_or_revoked(
    client, world
):
    api_client, key = issue(world.county_a, world.office_admin_a)
    assert get(client, RECORDS, key).status_code == 200
    assert get(client, RECORDS, key).status_code == 200  # now from the worker's copy
    new_key = services.api_client_rotate(client=api_client, actor=world.office_admin_a)
    assert get(client, RECORDS, key).status_code == 401
    assert get(client, RECORDS, new_key).status_code == 200
    assert get(client, RECORDS, new_key).status_code == 200
    api_client.refresh_from_db()
    services.api_client_revoke(client=api_client, actor=world.office_admin_a)
    assert get(client, RECORDS, new_key).status_code == 401


def test_a_kept_client_follows_its_scopes_and_its_user_at_once(client, world):
    api_client, key = issue(world.county_a, world.office_admin_a)
    assert get(client, "/api/v1/complaints/", key).status_code == 200
    services.api_client_update(
        client=api_client, data={"scopes": ["record"]}, actor=world.office_admin_a
    )
    assert get(client, "/api/v1/complaints/", key).status_code == 403
    assert get(client, RECORDS, key).status_code == 200
    services.user_set_active(user=api_client.user, active=False, actor=world.office_admin_a)
    assert get(client, RECORDS, key).status_code == 401


def test_a_county_added_under_the_city_is_read_by_the_kept_city_client_at_once(client, world):
    a = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    _client, key = issue(world.city, world.platform_admin)
    assert ids(get(client, RECORDS, key)) == {a.pk}
    assert ids(get(client, RECORDS, key)) == {a.pk}
    county = services.tenant_create(
        data={
            "name": "滦平县",
            "division_code": "130824",
            "level": TenantLevel.COUNTY,
            "parent": world.city,
        },
        actor=world.platform_admin,
    )
    new = TrustRecordFactory(tenant=county, agency=AgencyFactory(tenant=county))
    assert ids(get(client, RECORDS, key)) == {a.pk, new.pk}


def test_an_accepted_key_costs_no_query_once_the_worker_keeps_its_client(client, world):
    TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    _client, key = issue(world.city, world.platform_admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert get(client, RECORDS, key).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    queries()  # accepted, last use recorded, kept
    kept = queries()
    assert not [sql for sql in kept if "accounts_" in sql]
    api_client_cache.forget()  # a worker that has not seen the key yet
    fresh = queries()
    assert len(fresh) == len(kept) + 2  # the client (with user and tenant), the city's counties
    assert sum('FROM "accounts_apiclient"' in sql for sql in fresh) == 1
    assert sum('FROM "accounts_tenant"' in sql for sql in fresh) == 1


def test_the_client_throttle_refuses_until_the_window_ends_then_lets_through(client, world):
    cache.clear()
    _client, key = issue(world.county_a, world.office_admin_a, rate="2/sec")
    for _attempt in range(5):  # three requests within one second (the machine may be slow)
        time.sleep(1 - time.time() % 1 + 0.01)
        second = int(time.time())
        responses = [get(client, RECORDS, key) for _ in range(3)]
        if int(time.time()) == second:
            break
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2]["Retry-After"] == "1"
    assert responses[2].json()["error"]["code"] == "throttled"
    time.sleep(1 - time.time() % 1 + 0.01)
    assert get(client, RECORDS, key).status_code == 200
