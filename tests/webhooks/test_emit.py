"""Events: publishing and withdrawing a ranking (through scoring's pages) push to the county's
endpoints and to its city's endpoints that cover the counties below; nothing for endpoints not
subscribed, disabled, of another county, or when the publication is rolled back."""

import json

import pytest
from django.db import transaction
from django.urls import reverse

from scoring.models import Publication
from tests.conftest import login
from webhooks import services
from webhooks.models import WebhookDelivery

from ..isolation_specs.scoring_office import make_run
from ..isolation_specs.webhooks import make_endpoint


@pytest.fixture
def local_hook(world, receiver):
    def build(tenant, **data):
        data.setdefault("url", receiver.url)
        return make_endpoint(tenant, actor=world.platform_admin, allow_private=True, **data)

    return build


def test_publishing_a_ranking_pushes_the_ranking(world, receiver, local_hook, capture, client):
    endpoint = local_hook(world.county_a, event_types=["ranking.published"])
    run = make_run(world.county_a)
    login(client, world.office_admin_a)
    with capture(execute=True):
        response = client.post(
            reverse("scoring:run-publish", args=[run.pk]), {"notice": "现将评分结果通报如下。"}
        )
    assert response.status_code == 302
    publication = Publication.objects.get()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_type, delivery.status) == (
        endpoint,
        "ranking.published",
        "succeeded",
    )
    (request,) = receiver.requests
    event = json.loads(request.body)
    assert event["type"] == "ranking.published" and event["tenant"] == "130826"
    data = event["data"]
    assert data["publication"] == publication.pk
    assert data["title"] == publication.title and data["notice"] == "现将评分结果通报如下。"
    assert data["status"] == "published"
    assert data["url"].endswith(f"/public/130826/rankings/{publication.pk}/")
    agencies = {row["agency_id"] for g in data["snapshot"]["groups"] for row in g["rows"]}
    assert agencies == {world.a1.pk, world.a2.pk}
    assert data["snapshot"] == json.loads(json.dumps(publication.snapshot))


def test_withdrawing_a_ranking_pushes_the_withdrawal(world, receiver, local_hook, capture, client):
    local_hook(world.county_a, event_types=["ranking.withdrawn"])
    run = make_run(world.county_a)
    login(client, world.office_admin_a)
    with capture(execute=True):
        client.post(reverse("scoring:run-publish", args=[run.pk]), {"notice": ""})
    assert receiver.requests == []  # not subscribed to ranking.published
    publication = Publication.objects.get()
    with capture(execute=True):
        client.post(
            reverse("scoring:publication-withdraw", args=[publication.pk]),
            {"reason": "评分数据有误，更正后重新发布。"},
        )
    (request,) = receiver.requests
    event = json.loads(request.body)
    assert event["type"] == "ranking.withdrawn"
    assert event["data"]["publication"] == publication.pk
    assert event["data"]["withdrawal_reason"] == "评分数据有误，更正后重新发布。"
    assert event["data"]["status"] == "withdrawn" and "snapshot" not in event["data"]


def test_city_endpoint_covering_counties_receives_county_events(world, local_hook, capture):
    city_all = local_hook(world.city, name="市平台（含下辖县）", include_subtenants=True)
    city_own = local_hook(world.city, name="市平台（仅本级）")
    county_b = local_hook(world.county_b, name="隆化县接收端")
    other_city = local_hook(world.other_city, name="张家口市平台", include_subtenants=True)
    disabled = local_hook(world.county_a, name="停用的接收端")
    services.endpoint_set_active(endpoint=disabled, active=False, actor=world.office_admin_a)
    own = local_hook(world.county_a, name="本县接收端")
    with capture(execute=True):
        services.emit(tenant=world.county_a, event="record.unpublished", payload={"record": 3})
    deliveries = WebhookDelivery.objects.select_related("event_tenant")
    assert {d.endpoint for d in deliveries} == {city_all, own}
    assert all(d.event_tenant == world.county_a for d in deliveries)
    assert {d.tenant_id for d in deliveries} == {world.city.pk, world.county_a.pk}
    for endpoint in (city_own, county_b, other_city, disabled):
        assert not endpoint.deliveries.exists()


def test_only_a_city_endpoint_covers_counties(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        make_endpoint(world.county_a, include_subtenants=True)
    assert "include_subtenants" in caught.value.message_dict


def test_rolled_back_publication_sends_nothing(world, receiver, local_hook, capture):
    from scoring import services as scoring_services

    local_hook(world.county_a)
    run = make_run(world.county_a)
    with capture(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        scoring_services.run_publish(run=run, notice="", actor=world.office_admin_a)
        raise RuntimeError("rolled back")
    assert not Publication.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_unknown_event_is_a_programming_error(world):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        services.emit(tenant=world.county_a, event="record.deleted", payload={})


def test_payload_values_are_stored_as_json(world):
    import datetime
    from decimal import Decimal

    endpoint = make_endpoint(world.county_a)
    services.emit(
        tenant=world.county_a,
        event="record.published",
        payload={"amount": Decimal("12.50"), "decided": datetime.date(2026, 4, 1)},
    )
    delivery = endpoint.deliveries.get()
    assert delivery.payload == {"amount": "12.50", "decided": "2026-04-01"}
    assert (delivery.status, delivery.attempts) == ("pending", 0)
