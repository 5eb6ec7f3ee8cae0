"""Reads of outbound push: endpoints with their delivery counts, an endpoint's delivery log."""

from django.db.models import Count, Max, Q

from .choices import DeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint


def endpoints_for(user):
    """The endpoints the user may read, with how many deliveries are pending or failed and when
    the last one was made."""
    return (
        WebhookEndpoint.objects.for_user(user)
        .select_related("tenant")
        .annotate(
            pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            last_event_at=Max("deliveries__created_at"),
        )
        .order_by("tenant__division_code", "name", "id")
    )


def deliveries_of(user, endpoint):
    return (
        WebhookDelivery.objects.for_user(user)
        .filter(endpoint=endpoint)
        .select_related("event_tenant")
        .order_by("-created_at", "-id")
    )
