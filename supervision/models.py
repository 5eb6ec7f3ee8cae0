import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrity.attachments import AttachmentBase
from integrity.audit import audited
from integrity.sync import Synced
from integrity.tenancy import TenantScopedQuerySet

from .choices import (
    Channel,
    ComplaintStatus,
    EvaluationStatus,
    JudgmentKind,
    ProposalKind,
    Satisfaction,
    Verification,
)

TENANT = "accounts.Tenant"
AGENCY = "accounts.Agency"


def _tenant_fk():
    return models.ForeignKey(
        TENANT, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )


def _agency_fk(related_name):
    return models.ForeignKey(
        AGENCY, verbose_name=_("agency"), on_delete=models.PROTECT, related_name=related_name
    )


class AgencyItem(Synced):
    """A supervision item that belongs to one agency of the tenant."""

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.agency_id and self.agency.tenant_id != self.tenant_id:
            raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})


@audited()
class Complaint(AgencyItem):
    """A complaint about government dishonesty (投诉举报, M10), from the public form, a hotline,
    a letter or a visit. The complainant's identity is never shown to the agency."""

    tenant = _tenant_fk()
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt_code = models.CharField(_("receipt code"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    source_reference = models.CharField(
        _("hotline ticket number"),
        max_length=60,
        blank=True,
        help_text=_("The number the hotline gave the call, used to recognise re-imports."),
    )
    agency = _agency_fk("complaints")
    domain = models.ForeignKey(
        "domains.KeyDomain",
        verbose_name=_("key domain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("what happened"))
    amount = models.DecimalField(
        _("amount involved (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    occurred_on = models.DateField(_("date of the events"), null=True, blank=True)
    complainant_name = models.CharField(_("complainant"), max_length=60, blank=True)
    complainant_phone = models.CharField(_("complainant's phone"), max_length=30, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    received_on = models.DateField(_("received on"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    reply_deadline = models.DateField(_("reply due by"), null=True, blank=True)
    agency_reply = models.TextField(_("agency's reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    verification = models.CharField(
        _("verification"), max_length=20, choices=Verification.choices, blank=True
    )
    verification_note = models.TextField(_("verification findings"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    public_reply = models.TextField(_("reply to the complainant"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    trust_record = models.OneToOneField(
        "domains.TrustRecord",
        verbose_name=_("failure-of-trust record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_complaint",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "reply_deadline"]),
            models.Index(fields=["tenant", "agency", "received_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "source_reference"],
                condition=~models.Q(source_reference=""),
                name="complaint_unique_hotline_ticket",
            )
        ]

    def __str__(self) -> str:
        return self.title


@audited()
class ComplaintAttachment(AttachmentBase):
    """Evidence from the complainant or the agency's reply."""

    tenant = _tenant_fk()
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    from_agency = models.BooleanField(_("from the agency"), default=False)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "complaint__agency"

    class Meta:
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")
        ordering = ["uploaded_at", "id"]


@audited()
class Proposal(AgencyItem):
    """An NPC deputies' suggestion or a CPPCC proposal (人大代表建议、政协提案) that an agency
    handles."""

    tenant = _tenant_fk()
    agency = _agency_fk("proposals")
    kind = models.CharField(_("kind"), max_length=20, choices=ProposalKind.choices)
    number = models.CharField(_("number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    assigned_on = models.DateField(_("assigned on"))
    reply_deadline = models.DateField(_("reply due by"))
    replied_on = models.DateField(_("replied on"), null=True, blank=True)
    satisfaction = models.CharField(
        _("deputy's satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("suggestion or proposal")
        verbose_name_plural = _("suggestions and proposals")
        ordering = ["-assigned_on", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "number"], name="proposal_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        super().clean()
        if self.assigned_on and self.reply_deadline and self.reply_deadline < self.assigned_on:
            raise ValidationError({"reply_deadline": _("The deadline precedes the assignment.")})
        if self.replied_on and self.assigned_on and self.replied_on < self.assigned_on:
            raise ValidationError({"replied_on": _("The reply precedes the assignment.")})
        if self.satisfaction and not self.replied_on:
            raise ValidationError({"satisfaction": _("Satisfaction follows a reply.")})


@audited()
class LitigationCase(AgencyItem):
    """An administrative litigation case of an agency, with whether its head appeared in court
    (负责人出庭应诉)."""

    tenant = _tenant_fk()
    agency = _agency_fk("litigation_cases")
    case_number = models.CharField(_("case number"), max_length=60)
    court = models.CharField(_("court"), max_length=100)
    cause = models.CharField(_("cause of action"), max_length=200)
    hearing_date = models.DateField(_("hearing date"))
    head_appearance_required = models.BooleanField(
        _("the head's appearance is required"), default=True
    )
    head_appeared = models.BooleanField(_("the head appeared in court"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("administrative litigation case")
        verbose_name_plural = _("administrative litigation cases")
        ordering = ["-hearing_date", "case_number"]

    def __str__(self) -> str:
        return self.case_number


@audited()
class Judgment(AgencyItem):
    """A court judgment or arbitral award the agency must perform, and when it did."""

    tenant = _tenant_fk()
    agency = _agency_fk("judgments")
    kind = models.CharField(_("kind"), max_length=20, choices=JudgmentKind.choices)
    case_number = models.CharField(_("case number"), max_length=60)
    authority = models.CharField(_("court or arbitration body"), max_length=100)
    effective_on = models.DateField(_("effective on"))
    due_on = models.DateField(_("to be performed by"))
    executed_on = models.DateField(_("performed on"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("judgment or arbitral award")
        verbose_name_plural = _("judgments and arbitral awards")
        ordering = ["-effective_on", "case_number"]

    def __str__(self) -> str:
        return self.case_number

    def clean(self) -> None:
        super().clean()
        if self.effective_on and self.due_on and self.due_on < self.effective_on:
            raise ValidationError({"due_on": _("The due date precedes the effective date.")})


@audited()
class JudicialSuggestion(AgencyItem):
    """A judicial suggestion (司法建议) to the agency and whether it was answered in time."""

    tenant = _tenant_fk()
    agency = _agency_fk("judicial_suggestions")
    number = models.CharField(_("number"), max_length=60)
    court = models.CharField(_("court"), max_length=100)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("answer due by"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    content = models.TextField(_("content"), blank=True)

    class Meta:
        verbose_name = _("judicial suggestion")
        verbose_name_plural = _("judicial suggestions")
        ordering = ["-received_on", "number"]

    def __str__(self) -> str:
        return self.number


@audited()
class DebtorListing(AgencyItem):
    """A listing of the agency as a dishonest judgment debtor (失信被执行人)."""

    tenant = _tenant_fk()
    agency = _agency_fk("debtor_listings")
    case_number = models.CharField(_("case number"), max_length=60)
    court = models.CharField(_("court"), max_length=100)
    listed_on = models.DateField(_("listed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("dishonest judgment debtor listing")
        verbose_name_plural = _("dishonest judgment debtor listings")
        ordering = ["-listed_on", "case_number"]

    def __str__(self) -> str:
        return self.case_number

    def clean(self) -> None:
        super().clean()
        if self.removed_on and self.listed_on and self.removed_on < self.listed_on:
            raise ValidationError({"removed_on": _("Removal precedes the listing.")})


@audited()
class EvaluationAssignment(Synced):
    """What the office asks a third-party evaluator to score: agencies over a period."""

    tenant = _tenant_fk()
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="evaluation_assignments",
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    agencies = models.ManyToManyField(
        AGENCY, verbose_name=_("agencies"), through="AssignedAgency", related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None
    scope_evaluator = "evaluator"

    class Meta:
        verbose_name = _("evaluation assignment")
        verbose_name_plural = _("evaluation assignments")
        ordering = ["-period_end", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period ends before it starts.")})


@audited()
class AssignedAgency(models.Model):
    assignment = models.ForeignKey(EvaluationAssignment, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(AGENCY, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "agency"], name="assignedagency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.agency_id}"


@audited()
class EvaluationScore(Synced):
    """A third-party evaluator's score (0-100) of one agency for an assignment."""

    tenant = _tenant_fk()
    assignment = models.ForeignKey(
        EvaluationAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    agency = _agency_fk("evaluation_scores")
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    comments = models.TextField(_("comments"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.SUBMITTED,
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"
    scope_evaluator = "assignment__evaluator"

    class Meta:
        verbose_name = _("third-party evaluation score")
        verbose_name_plural = _("third-party evaluation scores")
        ordering = ["assignment_id", "agency_id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "agency"], name="evaluationscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.score}"


@audited()
class EvaluationReport(AttachmentBase):
    """The evaluator's report file for a score."""

    tenant = _tenant_fk()
    score = models.ForeignKey(
        EvaluationScore,
        verbose_name=_("score"),
        on_delete=models.CASCADE,
        related_name="reports",
    )

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "score__agency"
    scope_evaluator = "score__assignment__evaluator"

    class Meta:
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
        ordering = ["uploaded_at", "id"]
