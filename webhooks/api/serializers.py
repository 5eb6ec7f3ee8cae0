"""Read-only serializers of outbound push. The endpoint's secret is never serialised."""

from rest_framework import serializers

from ..choices import EventType
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        read_only=True,
        help_text="订阅的事件 / The events the endpoint receives.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "tenant",
            "name",
            "url",
            "event_types",
            "active",
            "include_subtenants",
            "allow_private",
            "created_at",
            "updated_at",
            "secret_rotated_at",
        ]
        read_only_fields = fields


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "trigger",
            "started_at",
            "duration_ms",
            "url",
            "status_code",
            "error",
            "response_excerpt",
            "outcome",
            "next_attempt_at",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "tenant",
            "endpoint",
            "delivery_id",
            "event_id",
            "event_type",
            "event_tenant",
            "event_created_at",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "response_excerpt",
            "delivered_at",
            "created_at",
            "updated_at",
            "attempt_log",
        ]
        read_only_fields = fields
