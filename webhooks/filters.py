import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import TEST_EVENT, DeliveryStatus, EventType
from .models import WebhookDelivery


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(
        label=_("Event"), choices=[*EventType.choices, (TEST_EVENT, _("Test event"))]
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]
