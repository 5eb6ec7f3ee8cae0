"""The webhook pages and API: office admins manage endpoints, office staff read them, agencies
and city viewers do not see them; the secret is shown once and never again (not on the pages,
not in the API); other counties' endpoints and deliveries are 404."""

import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from tests.conftest import login
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

from ..isolation_specs.webhooks import PUBLIC_URL, make_delivery, make_endpoint

LIST = reverse("webhooks:endpoint-list")
CREATE = reverse("webhooks:endpoint-create")


def _form(**data):
    return {
        "name": "市信用平台",
        "url": PUBLIC_URL,
        "event_types": ["ranking.published", "record.published"],
        "active": "on",
        **data,
    }


def _secret(response) -> str:
    match = re.search(r'data-testid="secret"', response.content.decode())
    assert match, "the secret is not on the page"
    return re.search(r'value="(whsec_[^"]+)"', response.content.decode()).group(1)


def test_office_admin_creates_an_endpoint_and_sees_the_secret_once(client, world):
    login(client, world.office_admin_a)
    assert 'data-testid="new-endpoint"' in client.get(LIST).content.decode()
    response = client.post(CREATE, _form())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = _secret(response)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret and endpoint.tenant == world.county_a
    assert endpoint.created_by == world.office_admin_a
    assert endpoint.event_types == ["ranking.published", "record.published"]
    # Never shown again: not on the detail, edit or list pages, nor in the API.
    for url in (
        LIST,
        reverse("webhooks:endpoint-detail", args=[endpoint.pk]),
        reverse("webhooks:endpoint-edit", args=[endpoint.pk]),
        reverse("v1:webhook-endpoint-list"),
        reverse("v1:webhook-endpoint-detail", args=[endpoint.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    # Nor in the audit trail.
    from pghistory.models import Events

    for event in Events.objects.tracks(endpoint):
        assert secret not in str(event.pgh_data)


def test_rotating_replaces_the_secret_and_shows_the_new_one_once(client, world):
    endpoint = make_endpoint(world.county_a)
    old = endpoint.secret
    login(client, world.office_admin_a)
    assert client.get(reverse("webhooks:endpoint-rotate", args=[endpoint.pk])).status_code == 405
    response = client.post(reverse("webhooks:endpoint-rotate", args=[endpoint.pk]))
    new = _secret(response)
    endpoint.refresh_from_db()
    assert new != old and endpoint.secret == new and endpoint.secret_rotated_at is not None


def test_edit_disable_and_enable(client, world):
    endpoint = make_endpoint(world.county_a)
    login(client, world.office_admin_a)
    response = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.pk]),
        _form(name="改名后的接收端", event_types=["record.unpublished"]),
    )
    assert response["Location"] == reverse("webhooks:endpoint-detail", args=[endpoint.pk])
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.event_types) == ("改名后的接收端", ["record.unpublished"])
    response = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.pk]), _form(event_types=[])
    )
    assert response.status_code == 200 and "event_types" in response.context["form"].errors
    assert 'class="invalid-feedback d-block"' in response.content.decode()

    client.post(reverse("webhooks:endpoint-disable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.active
    page = client.get(reverse("webhooks:endpoint-detail", args=[endpoint.pk])).content.decode()
    assert 'data-testid="enable"' in page and 'data-testid="send-test"' not in page
    assert gettext("Disabled") in page
    # A disabled endpoint gets no test event.
    client.post(reverse("webhooks:endpoint-test", args=[endpoint.pk]))
    assert not WebhookDelivery.objects.exists()
    client.post(reverse("webhooks:endpoint-enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active


def test_platform_admin_chooses_the_jurisdiction(client, world):
    login(client, world.platform_admin)
    response = client.post(CREATE, _form(tenant=world.city.pk, include_subtenants="on"))
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.tenant == world.city and endpoint.include_subtenants


def test_office_staff_read_but_do_not_manage(client, world):
    endpoint = make_endpoint(world.county_a)
    delivery = make_delivery(world.county_a)
    login(client, world.office_staff_a)
    list_page = client.get(LIST).content.decode()
    assert endpoint.name in list_page and 'data-testid="new-endpoint"' not in list_page
    detail = client.get(reverse("webhooks:endpoint-detail", args=[endpoint.pk])).content.decode()
    assert 'data-testid="rotate"' not in detail and 'data-testid="disable"' not in detail
    page = client.get(reverse("webhooks:delivery-detail", args=[delivery.pk])).content.decode()
    assert 'data-testid="redeliver"' not in page
    assert client.get(CREATE).status_code == 403
    for name, obj in (
        ("webhooks:endpoint-edit", endpoint),
        ("webhooks:endpoint-rotate", endpoint),
        ("webhooks:endpoint-disable", endpoint),
        ("webhooks:endpoint-test", endpoint),
        ("webhooks:delivery-redeliver", delivery),
    ):
        assert client.post(reverse(name, args=[obj.pk])).status_code == 403, name
    endpoint.refresh_from_db()
    assert endpoint.active


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "evaluator_a", "city_viewer"])
def test_other_roles_see_no_webhooks(client, world, role):
    endpoint = make_endpoint(world.county_a)
    login(client, getattr(world, role))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("webhooks:endpoint-detail", args=[endpoint.pk])).status_code == 403
    assert client.get(reverse("v1:webhook-endpoint-list")).status_code == 403
    home = client.get(reverse("home")).content.decode()
    assert LIST not in home


def test_menu_entry_for_office_roles(client, world):
    login(client, world.office_staff_a)
    assert f'href="{LIST}"' in client.get(reverse("home")).content.decode()


def test_other_countys_endpoint_and_deliveries_are_404(client, world):
    theirs = make_endpoint(world.county_b)
    their_delivery = make_delivery(world.county_b)
    mine = make_endpoint(world.county_a, name="本县接收端")
    login(client, world.office_admin_a)
    assert theirs.name not in client.get(LIST).content.decode().replace(mine.name, "")
    for name, obj in (
        ("webhooks:endpoint-detail", theirs),
        ("webhooks:endpoint-edit", theirs),
        ("webhooks:delivery-detail", their_delivery),
        ("v1:webhook-endpoint-detail", theirs),
        ("v1:webhook-delivery-detail", their_delivery),
    ):
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404, name
    for name, obj in (
        ("webhooks:endpoint-rotate", theirs),
        ("webhooks:endpoint-disable", theirs),
        ("webhooks:delivery-redeliver", their_delivery),
    ):
        assert client.post(reverse(name, args=[obj.pk])).status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.active
    api = client.get(reverse("v1:webhook-endpoint-list")).json()
    assert [row["id"] for row in api["results"]] == [mine.pk]
    deliveries = client.get(reverse("v1:webhook-delivery-list")).json()
    assert deliveries["results"] == []


def test_city_office_reads_the_counties_below_but_manages_only_its_own(client, world):
    county = make_endpoint(world.county_a)
    city_admin = type(world.office_admin_a).objects.create(
        username="oa-city", role="office_admin", tenant=world.city
    )
    login(client, city_admin)
    assert county.name in client.get(LIST).content.decode()
    detail = client.get(reverse("webhooks:endpoint-detail", args=[county.pk]))
    assert detail.status_code == 200 and 'data-testid="rotate"' not in detail.content.decode()
    assert client.post(reverse("webhooks:endpoint-rotate", args=[county.pk])).status_code == 404


def test_delivery_log_filters_and_paginates(client, world):
    endpoint = make_endpoint(world.county_a)
    for number in range(55):
        services.emit(
            tenant=world.county_a,
            event="record.published" if number % 2 else "ranking.published",
            payload={"n": number},
        )
    WebhookDelivery.objects.filter(payload__n__lt=5).update(status="failed")
    login(client, world.office_staff_a)
    url = reverse("webhooks:endpoint-detail", args=[endpoint.pk])
    first = client.get(url)
    assert first.context["paginator"].count == 55 and len(first.context["object_list"]) == 50
    failed = client.get(url, {"status": "failed"})
    assert failed.context["paginator"].count == 5
    ranking = client.get(url, {"event_type": "ranking.published", "status": "pending"})
    assert ranking.context["paginator"].count == 25
    assert client.get(url, {"status": "nonsense"}).status_code == 200


def test_api_lists_deliveries_with_attempts_and_never_the_secret(client, world, capture, receiver):
    endpoint = make_endpoint(
        world.county_a, actor=world.platform_admin, url=receiver.url, allow_private=True
    )
    receiver.answer(500)
    with capture(execute=True):
        services.emit(tenant=world.county_a, event="record.published", payload={"record": 1})
    login(client, world.office_staff_a)
    body = client.get(reverse("v1:webhook-endpoint-detail", args=[endpoint.pk])).json()
    assert "secret" not in body and body["event_types"] and body["allow_private"] is True
    deliveries = client.get(reverse("v1:webhook-delivery-list"), {"status": "pending"}).json()
    (row,) = deliveries["results"]
    assert row["endpoint"] == endpoint.pk and row["attempts"] == 1
    assert row["attempt_log"][0]["status_code"] == 500
    assert row["attempt_log"][0]["outcome"] == "retry"
    # Read-only.
    assert client.post(reverse("v1:webhook-endpoint-list"), {}).status_code in (403, 405)
