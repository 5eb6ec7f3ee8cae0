"""Target validation: on save and again before every delivery. Loopback, private, link-local and
other non-public addresses are refused (literals and names resolving to them) unless a platform
admin allows intranet addresses on the endpoint; a public address literal is accepted."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import login
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

from ..isolation_specs.webhooks import PUBLIC_URL, make_endpoint

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "https://10.1.2.3/hook",
    "http://172.16.0.5/hook",
    "http://192.168.1.20/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://localhost/hook",
    "http://localhost:8000/hook",
]


def _create(world, url, actor=None, **data):
    return services.endpoint_create(
        tenant=world.county_a,
        data={"name": "接收端", "url": url, "event_types": ["ranking.published"], **data},
        actor=actor or world.office_admin_a,
    )


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused(world, url):
    with pytest.raises(ValidationError) as caught:
        _create(world, url)
    assert "url" in caught.value.message_dict
    # The message names the host that was refused.
    assert urlsplit(url).hostname in caught.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_refusal_message_names_the_address(world):
    with pytest.raises(ValidationError) as caught:
        _create(world, "http://localhost/hook")
    message = caught.value.message_dict["url"][0]
    assert "localhost" in message
    assert "127.0.0.1" in message or "::1" in message


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.215.14/hook",
        "file:///etc/passwd",
        "gopher://93.184.215.14/",
        "https://user:pw@93.184.215.14/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_other_schemes_credentials_and_unknown_hosts_are_refused(world, url):
    with pytest.raises(ValidationError) as caught:
        _create(world, url)
    assert "url" in caught.value.message_dict


def test_public_address_literal_is_accepted_without_delivering(world):
    endpoint, secret = _create(world, PUBLIC_URL)
    assert endpoint.url == PUBLIC_URL and secret.startswith("whsec_") and len(secret) > 40
    assert not WebhookDelivery.objects.exists() and not WebhookAttempt.objects.exists()


def test_only_the_platform_admin_allows_intranet_addresses(world):
    with pytest.raises(ValidationError) as caught:
        _create(world, "http://10.1.2.3/hook", allow_private=True)
    assert "allow_private" in caught.value.message_dict
    endpoint, _secret = _create(
        world, "http://10.1.2.3/hook", actor=world.platform_admin, allow_private=True
    )
    assert endpoint.allow_private
    # The office admin keeps editing the endpoint, but cannot take the permission back or give
    # it elsewhere.
    services.endpoint_update(
        endpoint=endpoint, data={"name": "内网接收端"}, actor=world.office_admin_a
    )
    with pytest.raises(ValidationError):
        services.endpoint_update(
            endpoint=endpoint, data={"allow_private": False}, actor=world.office_admin_a
        )
    other = make_endpoint(world.county_a)
    with pytest.raises(ValidationError):
        services.endpoint_update(
            endpoint=other,
            data={"allow_private": True, "url": "http://10.9.9.9/"},
            actor=world.office_admin_a,
        )
    # Moving the intranet endpoint to another intranet address is the platform admin's call.
    with pytest.raises(ValidationError) as caught:
        services.endpoint_update(
            endpoint=endpoint, data={"url": "http://10.1.2.4/hook"}, actor=world.office_admin_a
        )
    assert "url" in caught.value.message_dict
    services.endpoint_update(
        endpoint=endpoint, data={"url": "http://10.1.2.4/hook"}, actor=world.platform_admin
    )
    services.endpoint_update(
        endpoint=endpoint, data={"url": PUBLIC_URL}, actor=world.office_admin_a
    )
    services.endpoint_update(
        endpoint=endpoint, data={"url": "http://10.1.2.3/hook"}, actor=world.platform_admin
    )
    # Without the permission, the intranet address is refused again.
    with pytest.raises(ValidationError) as caught:
        services.endpoint_update(
            endpoint=endpoint, data={"allow_private": False}, actor=world.platform_admin
        )
    assert "url" in caught.value.message_dict


def test_form_shows_the_refusal_and_hides_allow_private_from_the_office(client, world):
    login(client, world.office_admin_a)
    page = client.get(reverse("webhooks:endpoint-create")).content.decode()
    assert 'name="allow_private"' not in page
    response = client.post(
        reverse("webhooks:endpoint-create"),
        {
            "name": "接收端",
            "url": "http://169.254.169.254/",
            "event_types": ["ranking.published"],
            "active": "on",
            "allow_private": "on",  # not on the office admin's form: ignored
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "169.254.169.254" in html and "is-invalid" in html
    assert not WebhookEndpoint.objects.exists()
    login(client, world.platform_admin)
    page = client.get(reverse("webhooks:endpoint-create")).content.decode()
    assert 'name="allow_private"' in page and 'name="tenant"' in page


def test_target_is_checked_again_before_each_delivery(world, capture, receiver):
    """An endpoint whose name later resolves to a refused address (here: the intranet
    permission withdrawn from a loopback receiver) is not contacted."""
    endpoint = make_endpoint(
        world.county_a, actor=world.platform_admin, url=receiver.url, allow_private=True
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(allow_private=False)
    with capture(execute=True):
        services.emit(tenant=world.county_a, event="ranking.published", payload={"x": 1})
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert "127.0.0.1" in delivery.last_error
    assert WebhookAttempt.objects.get().outcome == "failed"
