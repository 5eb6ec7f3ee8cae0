from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LAUNCHED = "launched", _("Launched")
    CLOSED = "closed", _("Closed")


class IssueSource(models.TextChoices):
    SELF_INSPECTION = "self_inspection", _("Self-inspection")
    COMPLAINT = "complaint", _("Complaint")
    INSPECTION = "inspection", _("Supervision inspection")
    AUDIT = "audit", _("Audit")


class IssueStatus(models.TextChoices):
    PENDING = "pending", _("To be rectified")
    IN_PROGRESS = "in_progress", _("Being rectified")
    RECTIFIED = "rectified", _("Rectified")
    CLOSED = "closed", _("Closed (销号)")


OPEN_ISSUE_STATUSES = (IssueStatus.PENDING, IssueStatus.IN_PROGRESS)
# What an agency may set itself; closing (销号) is the office's verification.
AGENCY_ISSUE_STATUSES = (IssueStatus.PENDING, IssueStatus.IN_PROGRESS, IssueStatus.RECTIFIED)


class FilingKind(models.TextChoices):
    SELF_INSPECTION_REPORT = "self_inspection_report", _("Self-inspection report")
    RECTIFICATION_PLAN = "rectification_plan", _("Rectification plan")
    RECTIFICATION_REPORT = "rectification_report", _("Rectification report")


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting the leader's sign-off")
    SUBMITTED = "submitted", _("Submitted to the office")
    RETURNED = "returned", _("Returned for revision")
    ACCEPTED = "accepted", _("Accepted")


EDITABLE_FILING_STATUSES = (FilingStatus.DRAFT, FilingStatus.RETURNED)


class VersionOutcome(models.TextChoices):
    PENDING = "pending", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class FilingState(models.TextChoices):
    """How an agency stands with a deliverable of the campaign (the office's grid)."""

    ON_TIME = "on_time", _("Filed on time")
    LATE = "late", _("Filed late")
    MISSING = "missing", _("Not filed")
    NOT_DUE = "not_due", _("Not due yet")


class MilestoneStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking the file")
    VALID = "valid", _("Ready to import")
    INVALID = "invalid", _("Errors found")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


class ProjectStatus(models.TextChoices):
    SIGNED = "signed", _("Signed")
    STARTED = "started", _("Construction started")
    IN_OPERATION = "in_operation", _("In operation")
    CANCELLED = "cancelled", _("Cancelled")


class DuplicateReason(models.TextChoices):
    SAME_INVESTOR = "same_investor", _("Same investor credit code")
    SIMILAR_NAME = "similar_name", _("Near-identical project name")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("To be checked")
    CONFIRMED = "confirmed", _("Confirmed duplicate signing")
    DISMISSED = "dismissed", _("Not a duplicate")


# The structured sections of each kind of filing: (key, label, guidance). The problems found by
# domain (self-inspection) and the issue figures (rectification report) are drawn from the
# ledger, not typed.
FILING_SECTIONS = {
    FilingKind.SELF_INSPECTION_REPORT: [
        (
            "overview",
            _("Overview"),
            _("How the self-inspection was organised and what it covered."),
        ),
        ("causes", _("Causes"), _("Why the problems arose.")),
        ("measures", _("Measures"), _("What has been and will be done about them.")),
        ("next_steps", _("Next steps"), _("Long-term mechanisms and the work that follows.")),
    ],
    FilingKind.RECTIFICATION_PLAN: [
        ("goals", _("Goals"), _("What the rectification must achieve and by when.")),
        ("work_plan", _("Work plan"), _("Who does what, step by step.")),
        ("measures", _("Measures"), _("The concrete rectification measures per problem.")),
        ("safeguards", _("Safeguards"), _("Organisation, responsibility and supervision.")),
    ],
    FilingKind.RECTIFICATION_REPORT: [
        ("overview", _("Overview"), _("How the rectification went.")),
        ("results", _("Results"), _("What was rectified, with evidence.")),
        ("outstanding", _("Outstanding problems"), _("What is not done yet, and why.")),
        ("next_steps", _("Next steps"), _("How the results will be kept.")),
    ],
}
