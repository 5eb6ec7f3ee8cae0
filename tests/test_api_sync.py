"""Incremental sync through the API: `updated_since`, cursor pagination in (transaction, id)
order, tombstones for deletions, and a reference client that mirrors a county while other
transactions write, update and delete between its pages."""

import time

import psycopg2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from domains.models import TrustRecord
from tests.conftest import login
from tests.factories import AgencyFactory, TenantFactory, TrustRecordFactory, UserFactory

RECORDS = "/api/v1/records/"


def key_for(tenant, actor=None, scopes=("*",)):
    _client, key = services.api_client_create(
        tenant=tenant,
        data={"name": f"sync {tenant.division_code}", "scopes": list(scopes), "rate": "100000/min"},
        actor=actor,
    )
    return key


class SyncClient:
    """What a city platform would write: keep the cursor of each feed, apply rows and
    tombstones, poll again later."""

    def __init__(self, http, url, key, page_size=7):
        self.http, self.url, self.page_size = http, url, page_size
        self.headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
        self.mirror: dict[int, dict] = {}
        self.cursors = {"rows": None, "tombstones": None}
        self.deliveries: list[int] = []

    def _feed(self, which, url, apply, between_pages=None):
        while True:
            params = {"page_size": self.page_size}
            if self.cursors[which]:
                params["cursor"] = self.cursors[which]
            response = self.http.get(url, params, **self.headers)
            assert response.status_code == 200, response.content
            page = response.json()
            for row in page["results"]:
                apply(row)
            # Only the cursor is kept between requests: a client that crashes resumes from it.
            self.cursors[which] = page["cursor"] or self.cursors[which]
            if between_pages:
                between_pages()
            if not page["next"]:
                return

    def poll(self, between_pages=None):
        def upsert(row):
            self.mirror[row["id"]] = row
            self.deliveries.append(row["id"])

        self._feed("rows", self.url, upsert, between_pages)
        self._feed(
            "tombstones", f"{self.url}tombstones/", lambda row: self.mirror.pop(row["id"], None)
        )


def database_view(http, tenant, ids=None):
    """The rows as the API shows them to the office, read in one go (the ground truth)."""
    office = UserFactory(role="office_admin", tenant=tenant)
    login(http, office)
    rows = {}
    for record in TrustRecord.objects.for_tenant(tenant).order_by("id"):
        rows[record.pk] = http.get(f"{RECORDS}{record.pk}/").json()
    http.logout()
    return rows


def comparable(row):
    # The office sees full ID numbers; the client sees them masked: compare the rest.
    return {k: v for k, v in row.items() if k != "person_id_number"}


@pytest.mark.django_db(transaction=True)
def test_reference_client_mirrors_a_county_while_others_write(client):
    county = TenantFactory()
    other = TenantFactory(parent=county.parent)
    agencies = AgencyFactory.create_batch(3, tenant=county)
    records = [TrustRecordFactory(tenant=county, agency=agencies[i % 3]) for i in range(30)]
    TrustRecordFactory(tenant=other, agency=AgencyFactory(tenant=other))
    sync = SyncClient(client, RECORDS, key_for(county))

    # A transaction that began before the client starts and commits after it has passed:
    # its write carries an older transaction id than everything written meanwhile.
    settings = connection.settings_dict
    slow = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
    slow_cursor = slow.cursor()
    # A raw connection carries no tenant scope of its own (row-level security): act for the
    # county for this transaction.
    slow_cursor.execute("SELECT set_config('app.tenant_ids', %s, true)", [f"{{{county.pk}}}"])
    slow_cursor.execute(
        "UPDATE domains_trustrecord SET facts = 'changed by a slow transaction' WHERE id = %s",
        [records[0].pk],
    )
    step = iter(range(100))

    def meanwhile():
        n = next(step)
        if n == 0:
            TrustRecordFactory(tenant=county, agency=agencies[0], facts="new between pages")
        elif n == 1:
            TrustRecord.objects.filter(pk=records[2].pk).update(facts="updated after being read")
        elif n == 2:
            records[5].delete()
        elif n == 3:
            TrustRecordFactory(tenant=county, agency=agencies[1], facts="another new one")
            TrustRecord.objects.filter(pk=records[29].pk).update(facts="updated before read")

    try:
        sync.poll(between_pages=meanwhile)
        # The slow transaction holds the horizon: what others committed after it began is
        # served only once it ends, so nothing slips behind the cursor.
        assert records[0].pk in sync.mirror
        assert sync.mirror[records[0].pk]["facts"] != "changed by a slow transaction"
    finally:
        slow.commit()
        slow.close()
    records[7].delete()
    TrustRecord.objects.filter(pk=records[8].pk).update(facts="updated after the first sync")

    expected = database_view(client, county)
    deadline = time.monotonic() + 30
    while True:  # a poller: other transactions on the server may hold the horizon a moment
        sync.poll()
        if sync.mirror.keys() == expected.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sync.mirror.keys() == expected.keys()
    for pk, row in expected.items():
        assert comparable(sync.mirror[pk]) == comparable(row), pk
    assert sync.mirror[records[0].pk]["facts"] == "changed by a slow transaction"
    # Every row was delivered once, plus once more for each later change (no duplicates).
    changed_later = {records[0].pk, records[2].pk, records[8].pk}
    for pk in expected:
        assert sync.deliveries.count(pk) <= (2 if pk in changed_later else 1), pk
    # Polling again with nothing new returns nothing and keeps the place.
    cursor = sync.cursors["rows"]
    sync.deliveries.clear()
    sync.poll()
    assert sync.deliveries == [] and sync.cursors["rows"] == cursor


def test_updated_since_and_cursor(client, world):
    old = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    TrustRecord.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timezone.timedelta(days=3)
    )
    fresh = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    login(client, world.office_admin_a)
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()
    page = client.get(RECORDS, {"updated_since": since}).json()
    assert [row["id"] for row in page["results"]] == [fresh.pk]
    assert client.get(RECORDS, {"updated_since": "2026-01-01"}).status_code == 200
    first = client.get(RECORDS, {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = client.get(first["next"]).json()
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {old.pk, fresh.pk}
    assert second["next"] is None and second["cursor"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "MTIz"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-13-45"},
        {"page_size": "0"},
        {"page_size": "100000"},
        {"page_size": "ten"},
        {"county": "abc"},
    ],
)
def test_malformed_feed_parameters_answer_400(client, world, params):
    login(client, world.office_admin_a)
    response = client.get(RECORDS, params)
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) <= {
        "cursor",
        "updated_since",
        "page_size",
        "county",
    }


def test_tombstones_are_scoped_like_their_collection(client, world):
    mine = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    theirs = TrustRecordFactory(tenant=world.county_b, agency=world.b1)
    mine_id, theirs_id = mine.pk, theirs.pk
    mine.delete()
    theirs.delete()
    login(client, world.office_admin_a)
    page = client.get(f"{RECORDS}tombstones/").json()
    assert [row["id"] for row in page["results"]] == [mine_id]
    assert page["results"][0]["deleted_at"]
    login(client, world.city_viewer)
    seen = {row["id"] for row in client.get(f"{RECORDS}tombstones/").json()["results"]}
    assert seen == {mine_id, theirs_id}
    seen = client.get(f"{RECORDS}tombstones/", {"county": world.county_b.division_code}).json()
    assert [row["id"] for row in seen["results"]] == [theirs_id]
    login(client, world.office_admin_c)
    assert client.get(f"{RECORDS}tombstones/").json()["results"] == []
    # A clerk sees the deletions of its own agency's rows only.
    gone = TrustRecordFactory(tenant=world.county_a, agency=world.a2)
    gone_id = gone.pk
    gone.delete()
    login(client, world.clerk_a1)
    seen = {row["id"] for row in client.get(f"{RECORDS}tombstones/").json()["results"]}
    assert gone_id not in seen and mine_id in seen


def test_every_write_path_moves_a_row_in_the_feed(world):
    record = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    record.refresh_from_db()
    first = (record.sync_txid, record.updated_at)
    assert record.sync_txid > 0
    TrustRecord.objects.filter(pk=record.pk).update(facts="queryset update")
    record.refresh_from_db()
    # Same transaction (the test's), so the same transaction id, but a new time.
    assert record.sync_txid == first[0] and record.updated_at > first[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE domains_trustrecord SET facts = 'raw' WHERE id = %s", [record.pk])
    later = TrustRecord.objects.get(pk=record.pk).updated_at
    assert later > record.updated_at


@pytest.mark.parametrize("url", [RECORDS, "/api/v1/agencies/", "/api/v1/ledger-issues/"])
def test_list_query_count_is_fixed_whatever_the_page_size(client, world, url):
    for _ in range(12):
        TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    AgencyFactory.create_batch(12, tenant=world.county_a)
    login(client, world.office_admin_a)
    client.get(url)

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"page_size": size}).status_code == 200
        return len(queries)

    assert count(2) == count(12)


@pytest.mark.django_db(transaction=True)
def test_children_served_inside_a_row_move_it_in_the_feed(client):
    """A record's measures and objection flag, a campaign's agencies: a write to the child is a
    change of the row the API serves, on every write path."""
    from domains.models import PunishmentMeasure

    county = TenantFactory()
    agency = AgencyFactory(tenant=county)
    record = TrustRecordFactory(tenant=county, agency=agency)
    sync = SyncClient(client, RECORDS, key_for(county))
    sync.poll()
    assert sync.mirror[record.pk]["measures"] == []
    sync.deliveries.clear()
    PunishmentMeasure.objects.create(
        tenant=county,
        record=record,
        measure_type=PunishmentMeasure._meta.get_field("measure_type").choices[0][0],
        date=record.decision_date,
        issuing_body="县发改局",
    )
    deadline = time.monotonic() + 30
    while not sync.deliveries and time.monotonic() < deadline:
        sync.poll()
        time.sleep(0.1)
    assert sync.deliveries == [record.pk]
    assert [m["issuing_body"] for m in sync.mirror[record.pk]["measures"]] == ["县发改局"]
    PunishmentMeasure.objects.filter(record=record).delete()
    sync.deliveries.clear()
    deadline = time.monotonic() + 30
    while not sync.deliveries and time.monotonic() < deadline:
        sync.poll()
        time.sleep(0.1)
    assert sync.mirror[record.pk]["measures"] == []
