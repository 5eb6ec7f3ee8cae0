"""Writes of outbound push: `emit` (called by the domains that publish), the endpoints'
configuration, and the delivery attempts (run by the Celery tasks in `tasks.py`).

Delivery: `emit` stores one delivery per subscribed endpoint and queues it after the commit.
An attempt first claims the delivery (a conditional update, so two workers never send the same
attempt), checks the target again, sends the signed body, and logs the attempt. 2xx: delivered.
Connection errors, timeouts, 408, 429 and 5xx: tried again after 1, 2, 4 … minutes (with up to
10 % jitter) until `WEBHOOK_MAX_ATTEMPTS` attempts; the job `webhooks.deliver_due` (every minute)
sends the deliveries whose next attempt is due. Any other status (4xx, redirects, which are never
followed) fails at once, without a retry. A manual redelivery is one more attempt of the same
event (same event id, same body).
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Tenant
from integrity import rls

from . import signing, transport
from .choices import TEST_EVENT, AttemptOutcome, AttemptTrigger, DeliveryStatus, EventType
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
RETRY_STATUSES = frozenset({408, 429})
ENDPOINT_FIELDS = ("name", "url", "event_types", "active", "include_subtenants", "allow_private")


def _queue(delivery_ids: list[int], *, manual: bool = False) -> None:
    from .tasks import deliver

    def send():
        for pk in delivery_ids:
            deliver.delay(pk, manual=manual)

    transaction.on_commit(send)


def _json_safe(payload: dict) -> dict:
    """The payload as it will be stored and sent (Decimals, dates and UUIDs as strings)."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


@transaction.atomic
@rls.system()  # a county's event also reaches its city's endpoints (another tenant's rows)
def emit(*, tenant, event: str, payload: dict) -> None:
    """Record the event for every active endpoint subscribed to it: the tenant's own endpoints
    and those of its city that cover the counties below; deliver each after the commit (a
    rolled-back publication sends nothing)."""
    if event not in EventType.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    scope = Q(tenant_id=tenant.pk)
    if tenant.parent_id:
        scope |= Q(tenant_id=tenant.parent_id, include_subtenants=True)
    endpoints = list(
        WebhookEndpoint.objects.filter(scope, active=True, event_types__contains=[event]).only(
            "id", "tenant_id"
        )
    )
    if not endpoints:
        return
    now = timezone.now()
    event_id = uuid.uuid4()
    data = _json_safe(payload)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                tenant_id=endpoint.tenant_id,
                endpoint=endpoint,
                event_id=event_id,
                event_type=event,
                event_tenant_id=tenant.pk,
                event_created_at=now,
                payload=data,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    )
    _queue([delivery.pk for delivery in deliveries])


# Endpoints ------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check_target(endpoint: WebhookEndpoint, *, allow_private: bool) -> None:
    try:
        transport.resolve_target(endpoint.url, allow_private=allow_private)
    except transport.TargetError as exc:
        raise ValidationError({"url": exc.message}) from None


def _prepare(endpoint: WebhookEndpoint, data: dict, actor) -> list[str]:
    data = dict(data)
    if (
        "allow_private" in data
        and bool(data["allow_private"]) != endpoint.allow_private
        and getattr(actor, "role", None) != Role.PLATFORM_ADMIN
    ):
        raise ValidationError(
            {"allow_private": _("Only a platform administrator may allow intranet addresses.")}
        )
    if "event_types" in data:
        data["event_types"] = sorted(set(data["event_types"] or []))
    changed = [
        name for name in ENDPOINT_FIELDS if name in data and getattr(endpoint, name) != data[name]
    ]
    for name in changed:
        setattr(endpoint, name, data[name])
    endpoint.name = (endpoint.name or "").strip()
    if (
        not isinstance(endpoint.event_types, list)
        or not endpoint.event_types
        or not set(endpoint.event_types) <= set(EventType.values)
    ):
        raise ValidationError({"event_types": _("Choose at least one event.")})
    tenant = Tenant.objects.get(pk=endpoint.tenant_id)
    if endpoint.include_subtenants and tenant.parent_id is not None:
        raise ValidationError(
            {"include_subtenants": _("Only a city's endpoint can cover the counties below it.")}
        )
    endpoint.full_clean()
    if not endpoint.pk or {"url", "allow_private"} & set(changed):
        # Only a platform admin points an endpoint at an intranet address: anyone else moving an
        # intranet endpoint must give a public address.
        platform_admin = getattr(actor, "role", None) == Role.PLATFORM_ADMIN
        _check_target(endpoint, allow_private=endpoint.allow_private and platform_admin)
    return changed


@transaction.atomic
def endpoint_create(*, tenant, data: dict, actor) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the tenant; returns it with its secret, which is shown only now."""
    secret = new_secret()
    endpoint = WebhookEndpoint(tenant=tenant, secret=secret, created_by=actor)
    _prepare(endpoint, data, actor)
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, data: dict, actor) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    changed = _prepare(endpoint, data, actor)
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> str:
    """A new signing secret at once (the old one stops working); shown only now."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return secret


@transaction.atomic
def endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool, actor) -> WebhookEndpoint:
    """Disable (no new deliveries; pending ones fail at their next attempt) or enable again."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.active != active:
        endpoint.active = active
        endpoint.save(update_fields=["active", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, delivered like any other."""
    if not endpoint.active:
        raise ValidationError(_("The endpoint is disabled: enable it first."))
    now = timezone.now()
    tenant = Tenant.objects.get(pk=endpoint.tenant_id)
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id,
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type=TEST_EVENT,
        event_tenant=tenant,
        event_created_at=now,
        payload={
            "message": "This is a test event from the government integrity platform.",
            "endpoint": endpoint.name,
            "sent_by": actor.get_username() if actor is not None else None,
        },
        next_attempt_at=now,
    )
    _queue([delivery.pk], manual=True)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send the same event again now (same event id and body), whatever its status."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not delivery.endpoint.active:
        raise ValidationError(_("The endpoint is disabled: enable it first."))
    now = timezone.now()
    in_flight = (
        delivery.status == DeliveryStatus.PENDING
        and delivery.next_attempt_at is not None
        and delivery.next_attempt_at > now
        and delivery.attempt_log.count() < delivery.attempts
    )
    if in_flight:
        raise ValidationError(_("An attempt of this delivery is under way: wait for its result."))
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    _queue([delivery.pk], manual=True)
    return delivery


# Attempts -------------------------------------------------------------------------------------


def backoff(attempt: int) -> timedelta:
    """Wait after the given failed attempt (1-based): 1, 2, 4, 8 … minutes plus 0–10 % jitter."""
    base = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=base + random.uniform(0, base / 10))


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt if it is pending and due: the attempt number is counted
    and the next attempt moved past the request's timeout, so another worker (or the next
    `deliver_due`) leaves it alone unless this one dies."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3 + 60)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = lease
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    return WebhookDelivery.objects.select_related("endpoint", "event_tenant").get(pk=delivery.pk)


def delivery_attempt(delivery_id: int, *, manual: bool = False) -> WebhookAttempt | None:
    """One attempt of a delivery if it is pending and due (otherwise nothing: already sent,
    being sent, or not due yet). Returns the logged attempt."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    number = delivery.attempts
    started = timezone.now()
    clock = time.monotonic()
    status_code = None
    error = ""
    excerpt = ""
    retry = False
    if not endpoint.active:
        error = _("The endpoint is disabled.")
    else:
        try:
            target = transport.resolve_target(endpoint.url, allow_private=endpoint.allow_private)
        except transport.TargetError as exc:
            error, retry = exc.message, exc.temporary
        else:
            payload = signing.body(delivery)
            headers = signing.headers(
                delivery, secret=endpoint.secret, timestamp=int(time.time()), payload=payload
            )
            try:
                response = transport.post(
                    target, body=payload, headers=headers, timeout=settings.WEBHOOK_TIMEOUT
                )
            except TimeoutError:
                error, retry = (
                    _("No answer within %(seconds)s seconds.")
                    % {"seconds": settings.WEBHOOK_TIMEOUT},
                    True,
                )
            except OSError as exc:
                error = _("Connection failed: %(error)s") % {"error": exc or type(exc).__name__}
                retry = True
            except Exception as exc:
                # Never leave a claimed delivery without its logged attempt.
                logger.exception("Webhook delivery %s failed unexpectedly", delivery.delivery_id)
                error, retry = f"{type(exc).__name__}: {exc}", True
            else:
                status_code, excerpt = response.status, response.excerpt
                if 200 <= status_code < 300:
                    pass
                elif status_code >= 500 or status_code in RETRY_STATUSES:
                    error, retry = (
                        _("The receiver answered %(status)s.") % {"status": status_code},
                        True,
                    )
                elif 300 <= status_code < 400:
                    error = _(
                        "The receiver answered %(status)s (a redirect): redirects are not "
                        "followed, correct the endpoint's address."
                    ) % {"status": status_code}
                else:
                    error = _("The receiver refused the event with %(status)s.") % {
                        "status": status_code
                    }
    duration = int((time.monotonic() - clock) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    now = timezone.now()
    next_attempt = None
    if succeeded:
        outcome = AttemptOutcome.SUCCEEDED
    elif retry and number < settings.WEBHOOK_MAX_ATTEMPTS:
        outcome = AttemptOutcome.RETRY
        next_attempt = now + backoff(number)
    else:
        outcome = AttemptOutcome.FAILED
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            tenant_id=delivery.tenant_id,
            delivery=delivery,
            number=number,
            trigger=AttemptTrigger.MANUAL if manual else AttemptTrigger.AUTOMATIC,
            started_at=started,
            duration_ms=duration,
            url=endpoint.url,
            status_code=status_code,
            error=str(error)[:2000],
            response_excerpt=excerpt,
            outcome=outcome,
            next_attempt_at=next_attempt,
        )
        changes = {
            "last_status_code": status_code,
            "last_error": str(error)[:2000],
            "response_excerpt": excerpt,
            "next_attempt_at": next_attempt,
            "status": {
                AttemptOutcome.SUCCEEDED: DeliveryStatus.SUCCEEDED,
                AttemptOutcome.RETRY: DeliveryStatus.PENDING,
                AttemptOutcome.FAILED: DeliveryStatus.FAILED,
            }[outcome],
            "updated_at": now,
        }
        if succeeded:
            changes["delivered_at"] = now
        # Only the attempt that holds the claim writes its result.
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=number).update(**changes)
    if outcome != AttemptOutcome.SUCCEEDED:
        logger.info(
            "Webhook delivery %s attempt %s: %s", delivery.delivery_id, number, error or outcome
        )
    return attempt


def due_deliveries(*, limit: int = 500) -> list[int]:
    """Ids of the pending deliveries whose next attempt is due, oldest first."""
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
