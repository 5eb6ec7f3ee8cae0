from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """The events an endpoint may subscribe to."""

    RANKING_PUBLISHED = "ranking.published", _("Ranking published")
    RANKING_WITHDRAWN = "ranking.withdrawn", _("Ranking withdrawn")
    RECORD_PUBLISHED = "record.published", _("Record made public")
    RECORD_UNPUBLISHED = "record.unpublished", _("Record no longer public")


# Sent by the "send test event" button only; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class AttemptTrigger(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic")
    MANUAL = "manual", _("Manual redelivery")


class AttemptOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", _("Delivered")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed, no retry")
