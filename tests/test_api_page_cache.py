"""The lean API pages each worker keeps (integrity.api_lean): a repeated request is answered
without reading the collection again, with the same body; every committed write shows at once
(the page is kept under the database snapshot it was read in); nothing is shared between
clients, and nothing is kept inside a transaction, whose own writes its snapshot does not name.
These tests commit, as production requests do."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from domains import services as record_services
from domains.models import TrustRecord
from integrity.masking import mask_id_number
from tests.factories import AgencyFactory, TenantFactory, TrustRecordFactory, resident_id
from tests.test_api_sync import key_for

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = "/api/v1/records/"


def get(client, key, url=RECORDS):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200, response.content
    read = [q["sql"] for q in queries.captured_queries if "domains_" in q["sql"]]
    return response.json(), read


def test_a_repeated_page_is_not_read_again_and_each_committed_change_shows_at_once(client):
    county = TenantFactory()
    agency = AgencyFactory(tenant=county)
    records = [TrustRecordFactory(tenant=county, agency=agency) for _ in range(3)]
    key = key_for(county)

    first, read = get(client, key)
    assert read, "the first request reads the records"
    again, read = get(client, key)
    assert again == first and read == []

    # A measure (a child row), an update, a new record and a delete: each shows at once.
    record_services.measure_add(
        record=records[0],
        data={
            "measure_type": "criticism",
            "date": records[0].decision_date + datetime.timedelta(days=1),
            "issuing_body": "县人民政府",
        },
        actor=None,
    )
    body, read = get(client, key)
    assert read
    shown = {row["id"]: row for row in body["results"]}
    assert [m["measure_type"] for m in shown[records[0].pk]["measures"]] == ["criticism"]

    TrustRecord.objects.filter(pk=records[1].pk).update(facts="更正后的失信事实")
    body, _read = get(client, key)
    assert {row["id"]: row for row in body["results"]}[records[1].pk]["facts"] == "更正后的失信事实"

    added = TrustRecordFactory(tenant=county, agency=agency)
    body, _read = get(client, key)
    assert added.pk in {row["id"] for row in body["results"]}

    TrustRecord.objects.filter(pk=records[2].pk).delete()
    body, _read = get(client, key)
    assert records[2].pk not in {row["id"] for row in body["results"]}
    assert get(client, key)[1] == []  # unchanged again: kept again


def test_a_page_is_never_another_clients_and_the_query_string_is_part_of_it(client):
    county = TenantFactory()
    neighbour = TenantFactory(parent=county.parent)
    TrustRecordFactory(tenant=county, agency=AgencyFactory(tenant=county))
    TrustRecordFactory(tenant=neighbour, agency=AgencyFactory(tenant=neighbour))
    county_key, city_key = key_for(county), key_for(county.parent)

    mine, _read = get(client, county_key)
    citys, read = get(client, city_key)
    assert read, "the city's client reads its own page"
    assert {r["tenant"] for r in mine["results"]} == {county.pk}
    assert {r["tenant"] for r in citys["results"]} == {county.pk, neighbour.pk}
    narrowed, read = get(client, city_key, f"{RECORDS}?county={neighbour.division_code}")
    assert read and {r["tenant"] for r in narrowed["results"]} == {neighbour.pk}


def test_nothing_is_kept_inside_a_transaction(client):
    county = TenantFactory()
    agency = AgencyFactory(tenant=county)
    TrustRecordFactory(tenant=county, agency=agency)
    key = key_for(county)
    with transaction.atomic():
        first, read = get(client, key)
        assert read
        added = TrustRecordFactory(tenant=county, agency=agency)  # not in the snapshot's name
        body, read = get(client, key)
        assert read and added.pk in {row["id"] for row in body["results"]}
        transaction.set_rollback(True)
    after, read = get(client, key)
    assert read and after == first


def test_each_user_gets_the_page_masked_for_them(world, client):
    """The same records, kept for the county's office (full ID numbers), are not what the
    city's viewer gets (masked), and the other way round."""
    w = world
    record = TrustRecordFactory(
        agency=w.a1,
        subject_type="civil_servant",
        subject_name="张三",
        person_id_number=resident_id(11),
        person_position="科长",
        severity="general",
    )
    shown = {}
    for user in (w.office_admin_a, w.city_viewer, w.office_admin_a, w.city_viewer):
        client.force_login(user)
        body = client.get(RECORDS).json()
        shown.setdefault(user.username, set()).add(
            next(r["person_id_number"] for r in body["results"] if r["id"] == record.pk)
        )
    assert shown[w.office_admin_a.username] == {record.person_id_number}
    assert shown[w.city_viewer.username] == {mask_id_number(record.person_id_number)}
