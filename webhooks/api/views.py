"""Read-only API of outbound push, scoped like the pages: office roles of the jurisdiction
(and the platform admin) read the endpoints (never their secrets) and the delivery log."""

from django.db.models import Prefetch

from integrity.api import ScopedReadOnlyViewSet

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from . import serializers as s


class WebhookEndpointViewSet(ScopedReadOnlyViewSet):
    """推送（Webhook）接收端：地址、订阅的事件、是否启用、是否含下辖县；签名密钥从不返回。 /
    Webhook endpoints: URL, subscribed events, active, whether a city's endpoint covers the
    counties below; the signing secret is never returned."""

    queryset = WebhookEndpoint.objects.order_by("id")
    serializer_class = s.WebhookEndpointSerializer
    permission_read = "webhook.view"
    filterset_fields = ["tenant", "active"]


class WebhookDeliveryViewSet(ScopedReadOnlyViewSet):
    """推送投递记录：每个事件对每个接收端一条，含状态、重试时间与每次尝试的结果。 /
    Webhook deliveries: one per event and endpoint, with the status, the next retry and the
    result of every attempt."""

    queryset = WebhookDelivery.objects.prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
    ).order_by("id")
    serializer_class = s.WebhookDeliverySerializer
    permission_read = "webhook.view"
    filterset_fields = ["tenant", "endpoint", "status", "event_type"]
