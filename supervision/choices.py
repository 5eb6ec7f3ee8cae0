from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEBSITE = "website", _("Website")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    HOTLINE_961890 = "hotline_961890", _("961890 hotline")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned to the agency")
    REPLIED = "replied", _("Agency replied")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")


class Verification(models.TextChoices):
    FOUNDED = "founded", _("Founded")
    PARTLY_FOUNDED = "partly_founded", _("Partly founded")
    UNFOUNDED = "unfounded", _("Unfounded")


FOUNDED = (Verification.FOUNDED, Verification.PARTLY_FOUNDED)


class ProposalKind(models.TextChoices):
    NPC_SUGGESTION = "npc_suggestion", _("NPC deputies' suggestion")
    CPPCC_PROPOSAL = "cppcc_proposal", _("CPPCC proposal")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class JudgmentKind(models.TextChoices):
    JUDGMENT = "judgment", _("Court judgment")
    ARBITRAL_AWARD = "arbitral_award", _("Arbitral award")


class EvaluationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
