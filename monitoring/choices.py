from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    ARREARS = "arrears", _("Arrears outstanding")
    MILESTONE_OVERDUE = "milestone_overdue", _("Milestone overdue")
    COMPLAINTS = "complaints", _("Repeated complaints")
    SERIOUS_RECORD = "serious_record", _("New serious failure-of-trust record")
    DUPLICATE_SIGNING = "duplicate_signing", _("Likely duplicate investment signing")
    DEBTOR_LISTING = "debtor_listing", _("Newly listed dishonest judgment debtor")
    DEBT_LINE = "debt_line", _("Government debt above the warning line")


class WarningSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# From the most to the least severe (lists, counts, the home page).
SEVERITY_ORDER = (WarningSeverity.HIGH, WarningSeverity.MEDIUM, WarningSeverity.LOW)


class WarningStatus(models.TextChoices):
    NEW = "new", _("Unhandled")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_WARNING_STATUSES = (WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)


class FigureUnit(models.TextChoices):
    """What the figure and threshold of a warning count."""

    YUAN = "yuan", _("yuan")
    DAYS = "days", _("days")
    COUNT = "count", _("count")
    PERCENT = "percent", _("percent")
