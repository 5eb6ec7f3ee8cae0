"""The signed body of a delivery and its headers.

Body: the canonical JSON (keys sorted, no spaces, UTF-8) of
`{"id", "type", "created", "tenant", "data"}`; it is rebuilt from the stored delivery at every
attempt, so the same event always has the same bytes. Signature: hex HMAC-SHA256 with the
endpoint's secret over `f"{timestamp}.{body}"`, where the timestamp (unix seconds) is that of the
attempt and is sent in `X-Integrity-Timestamp`, so a receiver can refuse replays of old requests.
README.md ("API access" → "Webhooks") has a verification snippet for receivers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC

EVENT_HEADER = "X-Integrity-Event"
DELIVERY_HEADER = "X-Integrity-Delivery"
TIMESTAMP_HEADER = "X-Integrity-Timestamp"
SIGNATURE_HEADER = "X-Integrity-Signature"
USER_AGENT = "IntegrityPlatform-Webhooks/1"


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def envelope(delivery) -> dict:
    """What the receiver gets: the event id, type, time (UTC, ISO 8601), the division code of
    the jurisdiction it concerns, and the event's data."""
    created = delivery.event_created_at.astimezone(UTC).isoformat(timespec="seconds")
    return {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created": created.replace("+00:00", "Z"),
        "tenant": delivery.event_tenant.division_code,
        "data": delivery.payload,
    }


def body(delivery) -> bytes:
    return canonical_json(envelope(delivery))


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + payload
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def headers(delivery, *, secret: str, timestamp: int, payload: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, payload),
    }
