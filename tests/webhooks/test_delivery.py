"""Delivery to a real receiver on 127.0.0.1 (the endpoint allows intranet addresses, set by the
platform admin): the signature checked by an independent implementation, retries with backoff on
5xx and timeouts, no retry on other 4xx, manual redelivery of the same event, the test event."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.tasks import deliver_due

from ..isolation_specs.webhooks import make_endpoint

MINUTE = 60


def verify(secret: str, headers: dict, body: bytes) -> dict:
    """What a receiver does, written from the documented format only: the signature is hex
    HMAC-SHA256 of "<timestamp>.<body>" with the secret, the timestamp recent."""
    timestamp = headers["X-Integrity-Timestamp"]
    scheme, _, received = headers["X-Integrity-Signature"].partition("=")
    assert scheme == "sha256"
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(timestamp.encode("ascii"))
    mac.update(b".")
    mac.update(body)
    assert hmac.compare_digest(mac.hexdigest(), received), "bad signature"
    assert abs(time.time() - int(timestamp)) < 300
    return json.loads(body)


@pytest.fixture
def hook(world, receiver):
    """County A's endpoint at the local receiver, allowed by the platform admin."""
    endpoint, secret = services.endpoint_create(
        tenant=world.county_a,
        data={
            "name": "本地接收端",
            "url": receiver.url,
            "event_types": ["ranking.published", "record.published"],
            "allow_private": True,
        },
        actor=world.platform_admin,
    )
    endpoint.plain_secret = secret
    return endpoint


def emit(world, django_capture_on_commit_callbacks, **payload):
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(
            tenant=world.county_a,
            event="record.published",
            payload=payload or {"record": 7, "title": "拖欠账款"},
        )
    return WebhookDelivery.objects.get()


def make_due(delivery):
    """Let the scheduled retry time arrive (the job then sends it)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_delivery_is_signed_and_verified_independently(world, hook, receiver, capture):
    delivery = emit(world, capture, record=7, amount="1200.50", title="拖欠账款")
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/integrity?source=test"
    event = verify(hook.plain_secret, request.headers, request.body)
    assert event == {
        "id": str(delivery.event_id),
        "type": "record.published",
        "created": event["created"],
        "tenant": "130826",
        "data": {"record": 7, "amount": "1200.50", "title": "拖欠账款"},
    }
    assert event["created"].endswith("Z")
    # Canonical JSON: sorted keys, no spaces, UTF-8 (not \u escapes).
    assert request.body == json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert request.headers["X-Integrity-Event"] == "record.published"
    assert request.headers["X-Integrity-Delivery"] == str(delivery.delivery_id)
    assert request.headers["Content-Type"].startswith("application/json")
    # A wrong secret or a changed body does not verify.
    with pytest.raises(AssertionError, match="bad signature"):
        verify("whsec_wrong", request.headers, request.body)
    with pytest.raises(AssertionError, match="bad signature"):
        verify(hook.plain_secret, request.headers, request.body.replace(b"7", b"8"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.outcome, attempt.status_code) == (1, "succeeded", 200)
    assert attempt.response_excerpt == '{"ok": true}'


def _check_schedule(delivery, attempts):
    for attempt in attempts[:-1]:
        base = MINUTE * 2 ** (attempt.number - 1)
        wait = (attempt.next_attempt_at - attempt.started_at).total_seconds()
        # 1, 2, 4 … minutes after the attempt, plus at most 10 % jitter (and the request time).
        assert base <= wait <= base * 1.1 + 2, (attempt.number, wait)
        assert attempt.outcome == "retry"


def test_5xx_is_retried_with_exponential_backoff_until_the_last_attempt(
    world, hook, receiver, capture, settings
):
    receiver.default = (500, 0, b"upstream down")
    delivery = emit(world, capture)
    for number in range(2, settings.WEBHOOK_MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", number - 1)
        # Not due yet: the job leaves it alone.
        assert deliver_due.delay().get() == 0
        assert len(receiver.requests) == number - 1
        make_due(delivery)
        assert deliver_due.delay().get() == 1
        assert len(receiver.requests) == number
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert delivery.next_attempt_at is None and delivery.last_status_code == 500
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in attempts] == list(range(1, 9))
    _check_schedule(delivery, attempts)
    assert attempts[-1].outcome == "failed" and attempts[-1].next_attempt_at is None
    assert attempts[0].response_excerpt == "upstream down"
    # Every attempt sends the same event: same id, same body bytes.
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["X-Integrity-Delivery"] for r in receiver.requests}) == 1
    # A failed delivery is never picked up again by the job.
    make_due(delivery)
    assert deliver_due.delay().get() == 0


def test_timeout_is_retried(world, hook, receiver, capture, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.answer((200, 1.5), (200, 1.5))
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "0.3" in delivery.last_error
    make_due(delivery)
    deliver_due.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    attempts = list(delivery.attempt_log.order_by("number"))
    assert all(a.duration_ms < 1400 for a in attempts)
    _check_schedule(delivery, [*attempts, None])
    # The receiver is back: the third attempt succeeds.
    make_due(delivery)
    deliver_due.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("status", [400, 404, 410, 422])
def test_4xx_fails_after_exactly_one_attempt(world, hook, receiver, capture, status):
    receiver.default = (status, 0, b'{"error": "nope"}')
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "failed",
        1,
        status,
    )
    assert delivery.next_attempt_at is None
    make_due(delivery)
    assert deliver_due.delay().get() == 0
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.get().outcome == "failed"


@pytest.mark.parametrize("status", [408, 429, 503])
def test_408_429_and_5xx_are_retried(world, hook, receiver, capture, status):
    receiver.answer(status)
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("pending", status)
    make_due(delivery)
    deliver_due.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "succeeded",
        2,
        200,
    )
    assert [a.outcome for a in delivery.attempt_log.order_by("number")] == ["retry", "succeeded"]


def test_redirect_is_not_followed(world, hook, receiver, capture):
    receiver.default = (302, 0, b"")
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 302)
    assert len(receiver.requests) == 1


def test_connection_refused_is_retried(world, capture):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_endpoint(
        world.county_a,
        actor=world.platform_admin,
        url=f"http://127.0.0.1:{port}/hook",
        allow_private=True,
    )
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error


def test_manual_redelivery_sends_the_same_event_again(world, hook, receiver, capture, client):
    from django.urls import reverse

    from tests.conftest import login

    receiver.answer(400)
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    login(client, world.office_admin_a)
    with capture(execute=True):
        response = client.post(reverse("webhooks:delivery-redeliver", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["X-Integrity-Delivery"] == second.headers["X-Integrity-Delivery"]
    assert json.loads(second.body)["id"] == str(delivery.event_id)
    verify(hook.plain_secret, second.headers, second.body)
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [(a.trigger, a.outcome) for a in attempts] == [
        ("automatic", "failed"),
        ("manual", "succeeded"),
    ]
    # The page shows both attempts.
    page = client.get(reverse("webhooks:delivery-detail", args=[delivery.pk])).content.decode()
    assert page.count("<tr>") >= 3 and str(delivery.event_id) in page


def test_send_test_event(world, hook, receiver, capture, client):
    from django.urls import reverse

    from tests.conftest import login

    login(client, world.office_admin_a)
    with capture(execute=True):
        response = client.post(reverse("webhooks:endpoint-test", args=[hook.pk]))
    delivery = WebhookDelivery.objects.get()
    assert response["Location"] == reverse("webhooks:delivery-detail", args=[delivery.pk])
    event = verify(hook.plain_secret, receiver.requests[0].headers, receiver.requests[0].body)
    assert event["type"] == "webhook.test" and event["tenant"] == "130826"
    assert receiver.requests[0].headers["X-Integrity-Event"] == "webhook.test"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_rotated_secret_signs_the_next_delivery(world, hook, receiver, capture):
    new = services.endpoint_rotate_secret(endpoint=hook, actor=world.office_admin_a)
    assert new != hook.plain_secret
    emit(world, capture)
    request = receiver.requests[0]
    verify(new, request.headers, request.body)
    with pytest.raises(AssertionError, match="bad signature"):
        verify(hook.plain_secret, request.headers, request.body)


def test_disabled_endpoint_receives_nothing_and_pending_retries_stop(
    world, hook, receiver, capture
):
    receiver.answer(500)
    delivery = emit(world, capture)
    services.endpoint_set_active(endpoint=hook, active=False, actor=world.office_admin_a)
    make_due(delivery)
    deliver_due.delay()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and len(receiver.requests) == 1
    with capture(execute=True):
        services.emit(tenant=world.county_a, event="record.published", payload={})
    assert WebhookDelivery.objects.count() == 1


def test_a_claimed_attempt_is_not_sent_twice(world, hook, receiver, capture):
    """Two workers picking the same due delivery: only one sends it."""
    receiver.answer(500)
    delivery = emit(world, capture)
    make_due(delivery)
    assert services.delivery_attempt(delivery.pk) is not None
    assert services.delivery_attempt(delivery.pk) is None
    assert len(receiver.requests) == 2


def test_event_id_is_shared_by_the_endpoints_of_one_event(world, hook, receiver, capture):
    make_endpoint(
        world.county_a,
        actor=world.platform_admin,
        name="第二个接收端",
        url=receiver.url,
        allow_private=True,
    )
    with capture(execute=True):
        services.emit(tenant=world.county_a, event="record.published", payload={"record": 1})
    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == 2 and len(receiver.requests) == 2
    assert len({d.event_id for d in deliveries}) == 1
    assert len({d.delivery_id for d in deliveries}) == 2
    assert isinstance(deliveries[0].event_id, uuid.UUID)


def test_backoff_grows_exponentially_with_jitter():
    for attempt in range(1, 8):
        base = timedelta(minutes=2 ** (attempt - 1))
        for _ in range(20):
            assert base <= services.backoff(attempt) <= base * 1.1


def _readme_verifier():
    """The verification snippet of README.md ("API access" → "Webhooks"), as documented."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Webhooks", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    return namespace["verify_webhook"]


def test_readme_snippet_verifies_a_delivery_and_refuses_old_or_forged_ones(
    world, hook, receiver, capture
):
    verify_webhook = _readme_verifier()
    emit(world, capture)
    request = receiver.requests[0]
    assert verify_webhook(hook.plain_secret, request.headers, request.body)
    assert not verify_webhook("whsec_other", request.headers, request.body)
    assert not verify_webhook(hook.plain_secret, request.headers, request.body + b" ")
    # A replay six minutes later: the timestamp is too old (re-signed, so only age fails).
    old = str(int(time.time()) - 360)
    mac = hmac.new(hook.plain_secret.encode(), old.encode() + b"." + request.body, hashlib.sha256)
    replay = {
        **request.headers,
        "X-Integrity-Timestamp": old,
        "X-Integrity-Signature": "sha256=" + mac.hexdigest(),
    }
    assert not verify_webhook(hook.plain_secret, replay, request.body)
    assert verify_webhook(hook.plain_secret, replay, request.body, tolerance=400)


def test_non_ascii_path_is_percent_encoded(world, receiver, capture):
    base = receiver.url.split("/hooks/")[0]
    make_endpoint(
        world.county_a,
        actor=world.platform_admin,
        url=f"{base}/接收/?来源=市平台",
        allow_private=True,
    )
    delivery = emit(world, capture)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert (
        receiver.requests[0].path
        == "/%E6%8E%A5%E6%94%B6/?%E6%9D%A5%E6%BA%90=%E5%B8%82%E5%B9%B3%E5%8F%B0"
    )
