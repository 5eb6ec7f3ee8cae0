"""Webhooks: the office's endpoints and their delivery log (HTML pages and the read-only API).
Office roles only: agency clerks are refused by the permission matrix (403) on county A's own
objects; city viewers have no webhook permission at all, so there is no other-city case. The
builders are used by tests/webhooks/ too."""

from . import ObjectURL

PUBLIC_URL = "https://93.184.215.14/hooks/integrity"


def make_endpoint(tenant, *, actor=None, **data):
    """An active endpoint subscribed to every event, at a public address literal (validated
    without a DNS lookup; nothing is delivered unless a test runs the on-commit callbacks)."""
    from webhooks import services
    from webhooks.choices import EventType

    data.setdefault("name", "市信用平台接收端")
    data.setdefault("url", PUBLIC_URL)
    data.setdefault("event_types", list(EventType.values))
    endpoint, _secret = services.endpoint_create(tenant=tenant, data=data, actor=actor)
    return endpoint


def make_delivery(tenant):
    from webhooks import services
    from webhooks.models import WebhookDelivery

    endpoint = make_endpoint(tenant)
    services.emit(tenant=tenant, event="ranking.published", payload={"publication": 1})
    return WebhookDelivery.objects.get(endpoint=endpoint)


def _office_rows(build, actor="office_admin_a"):
    return ObjectURL(
        lambda w: build(w.county_b),
        other_agency=lambda w: build(w.county_a),
        actor=actor,
        own=lambda w: build(w.county_a),
    )


OBJECT_URLS = {
    "webhooks:endpoint-detail": _office_rows(make_endpoint, "office_staff_a"),
    "webhooks:endpoint-edit": _office_rows(make_endpoint),
    "webhooks:endpoint-rotate": _office_rows(make_endpoint),
    "webhooks:endpoint-disable": _office_rows(make_endpoint),
    "webhooks:endpoint-enable": _office_rows(make_endpoint),
    "webhooks:endpoint-test": _office_rows(make_endpoint),
    "webhooks:delivery-detail": _office_rows(make_delivery, "office_staff_a"),
    "webhooks:delivery-redeliver": _office_rows(make_delivery),
    "v1:webhook-endpoint-detail": _office_rows(make_endpoint, "office_staff_a"),
    "v1:webhook-delivery-detail": _office_rows(make_delivery, "office_staff_a"),
}

NON_OBJECT_URLS = {
    "webhooks:endpoint-list",
    "webhooks:endpoint-create",
    "v1:webhook-endpoint-list",
    "v1:webhook-delivery-list",
}
