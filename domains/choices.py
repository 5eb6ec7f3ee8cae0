from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Amount (yuan)")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    CREDIT_CODE = "credit_code", _("Unified social credit code")


class SubjectType(models.TextChoices):
    AGENCY = "agency", _("Agency")
    GOVERNMENT = "government", _("County government")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")


class RecordSource(models.TextChoices):
    JUDGMENT = "judgment", _("Court judgment")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("Administrative penalty")
    DISCIPLINE = "discipline", _("Disciplinary sanction")
    ACCOUNTABILITY = "accountability", _("Accountability decision")
    COMPLAINT = "complaint", _("Verified complaint")
    INSPECTION = "inspection", _("Supervision finding")
    JUDGMENT_DEBTOR = "judgment_debtor", _("Dishonest judgment debtor")


class Severity(models.TextChoices):
    LIGHT = "light", _("Light")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("On record")
    REPAIRED = "repaired", _("Repaired")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class MeasureType(models.TextChoices):
    WRITTEN_WARNING = "written_warning", _("Written warning")
    ADMONITION = "admonition", _("Admonition")
    CRITICISM = "criticism", _("Public notice of criticism")
    HONOUR_REMOVAL = "honour_removal", _("Removal from honour selection")
    BANK_NOTICE = "bank_notice", _("Notice to banks for prudent lending")
    TREASURY_DEDUCTION = (
        "treasury_deduction",
        _("Deduction of treasury deposits or transfer payments"),
    )
    APPRAISAL_RESTRICTION = "appraisal_restriction", _("Restriction in appraisal and promotion")
    OTHER = "other", _("Other measure")


class RequestKind(models.TextChoices):
    OBJECTION = "objection", _("Objection")
    REPAIR = "repair", _("Credit repair")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DECIDED = "decided", _("Decided")


class RequestOutcome(models.TextChoices):
    CORRECTED = "corrected", _("Record corrected")
    REVOKED = "revoked", _("Record revoked")
    REPAIRED = "repaired", _("Repair granted")
    REJECTED = "rejected", _("Rejected")


OBJECTION_OUTCOMES = (RequestOutcome.CORRECTED, RequestOutcome.REVOKED, RequestOutcome.REJECTED)
REPAIR_OUTCOMES = (RequestOutcome.REPAIRED, RequestOutcome.REJECTED)


class CommitmentCategory(models.TextChoices):
    ADMINISTRATIVE_MATTER = "administrative_matter", _("Administrative matter")
    SERVICE_QUALITY = "service_quality", _("Service quality")
    DEADLINE = "deadline", _("Deadline")
    GUARANTEE = "guarantee", _("Guarantee")
    INVESTMENT_POLICY = "investment_policy", _("Investment-attraction policy")
    TOWNSHIP_SERVICE = "township_service", _("Township public service")


class CommitmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    FULFILLED = "fulfilled", _("Fulfilled")
    UNFULFILLED = "unfulfilled", _("Unfulfilled")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MeasureDirection(models.TextChoices):
    REWARD = "reward", _("Reward for keeping faith")
    PUNISHMENT = "punishment", _("Punishment for breaking faith")


class FourListKind(models.TextChoices):
    TYPICAL_CASES = "typical_cases", _("Typical integrity cases")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Serious dishonesty behaviours and subjects")
    INCENTIVES = "incentives", _("Incentive measures")
    PUNISHMENTS = "punishments", _("Punishment measures")
