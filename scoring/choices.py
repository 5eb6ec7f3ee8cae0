from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    HALF = "half", _("Half-year")
    QUARTER = "quarter", _("Quarter")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    READY = "ready", _("Validated")


class CategoryKind(models.TextChoices):
    REGULAR = "regular", _("Scored category")
    BONUS = "bonus", _("Bonus items (加分项)")
    DEDUCTION = "deduction", _("Deduction items (扣分项)")


class Method(models.TextChoices):
    COMPUTED = "computed", _("Computed from data")
    MANUAL = "manual", _("Entered by hand")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class PublicationStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")
