"""Campaign work (专项治理, M1–M4, M7): campaigns, the agencies' issue ledgers with arrears, the
filings that go through sign-off and review (self-inspection report, rectification plan,
rectification report) with every submitted version kept, milestones with progress, Excel import
jobs, and the county's integrated ledger of signed investment projects with its duplicate flags.
"""

import uuid
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_credit_code
from integrity.attachments import AttachmentBase
from integrity.audit import audited
from integrity.fields import money, user_fk
from integrity.sync import Synced, touch_parent
from integrity.tenancy import TenantScopedQuerySet

from .choices import (
    CampaignStatus,
    DuplicateReason,
    FilingKind,
    FilingStatus,
    FlagStatus,
    ImportStatus,
    IssueSource,
    IssueStatus,
    MilestoneStatus,
    ProjectStatus,
    VersionOutcome,
)
from .rules import DEFAULT_DAILY_INTEREST_RATE, DEFAULT_PAYMENT_TERM_DAYS, MAX_PAYMENT_TERM_DAYS

TENANT = "accounts.Tenant"
AGENCY = "accounts.Agency"
USER = settings.AUTH_USER_MODEL
MAX_YUAN = Decimal("999999999999.99")


def _tenant_fk():
    return models.ForeignKey(
        TENANT, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )


def _agency_fk(related_name="+"):
    return models.ForeignKey(
        AGENCY, verbose_name=_("agency"), on_delete=models.PROTECT, related_name=related_name
    )


class AgencyOwned(Synced):
    """A row of one agency in one tenant: agency roles see their own agency's rows only."""

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.agency_id and self.tenant_id and self.agency.tenant_id != self.tenant_id:
            raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})


@audited()
class Campaign(Synced):
    """A special campaign (专项治理) the office launches for some agencies and domains."""

    tenant = _tenant_fk()
    title = models.CharField(_("title"), max_length=200)
    document_number = models.CharField(_("document number"), max_length=80, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    description = models.TextField(_("requirements"), blank=True)
    domains = models.ManyToManyField(
        "domains.KeyDomain",
        verbose_name=_("key domains in scope"),
        through="CampaignDomain",
        related_name="+",
    )
    agencies = models.ManyToManyField(
        AGENCY,
        verbose_name=_("participating agencies"),
        through="Participation",
        related_name="campaigns",
    )
    report_deadline = models.DateField(_("self-inspection report due by"))
    plan_deadline = models.DateField(_("rectification plan due by"))
    completion_deadline = models.DateField(_("rectification completed by"))
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    # Agency roles see the campaigns their agency takes part in (one participation per agency).
    scope_agency = "participations__agency"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        report, plan = self.report_deadline, self.plan_deadline
        if report and plan and plan < report:
            errors["plan_deadline"] = _("The plan cannot be due before the self-inspection report.")
        if (
            self.plan_deadline
            and self.completion_deadline
            and self.completion_deadline < self.plan_deadline
        ):
            errors["completion_deadline"] = _("Completion cannot be due before the plan.")
        if errors:
            raise ValidationError(errors)

    def deadline_for(self, kind: str):
        return {
            FilingKind.SELF_INSPECTION_REPORT: self.report_deadline,
            FilingKind.RECTIFICATION_PLAN: self.plan_deadline,
            FilingKind.RECTIFICATION_REPORT: self.completion_deadline,
        }[kind]


@audited()
@pgtrigger.register(touch_parent("rectification_campaign", "campaign_id"))
class CampaignDomain(models.Model):
    """A key domain in a campaign's scope (explicit so that changes are audited)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    domain = models.ForeignKey("domains.KeyDomain", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "domain"], name="campaigndomain_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.domain_id}"


@audited()
@pgtrigger.register(touch_parent("rectification_campaign", "campaign_id"))
class Participation(Synced):
    """An agency taking part in a campaign. Its row is also the lock that numbers the agency's
    ledger entries."""

    tenant = _tenant_fk()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participations")
    agency = _agency_fk("participations")
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    last_issue_number = models.PositiveIntegerField(default=0)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("participating agency")
        verbose_name_plural = _("participating agencies")
        ordering = ["campaign_id", "agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "agency"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.agency_id}"


@audited()
class LedgerIssue(AgencyOwned):
    """One problem in an agency's issue ledger (问题清单 / 工作台账, M2), with its arrears
    (欠款情况) when it is money owed to an enterprise."""

    tenant = _tenant_fk()
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="issues"
    )
    agency = _agency_fk("ledger_issues")
    number = models.PositiveIntegerField(_("ledger number"))
    domain = models.ForeignKey(
        "domains.KeyDomain",
        verbose_name=_("key domain"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    problem_type = models.ForeignKey(
        "domains.ProblemType",
        verbose_name=_("problem type"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_name = models.CharField(_("failing subject"), max_length=200)
    subject_credit_code = models.CharField(
        _("failing subject's credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    description = models.TextField(_("problem"), blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=60)
    cause = models.TextField(_("cause"), blank=True)
    handling_opinion = models.TextField(_("handling opinion"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=IssueSource.choices,
        default=IssueSource.SELF_INSPECTION,
    )
    discovered_on = models.DateField(_("discovered on"))
    deadline = models.DateField(_("rectification due by"))
    status = models.CharField(
        _("status"), max_length=12, choices=IssueStatus.choices, default=IssueStatus.PENDING
    )
    extra = models.JSONField(_("domain fields"), default=dict, blank=True)
    # Arrears (欠款情况): filled when the problem is money owed to an enterprise.
    creditor_name = models.CharField(_("creditor enterprise"), max_length=200, blank=True)
    creditor_credit_code = models.CharField(
        _("creditor's credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    creditor_is_sme = models.BooleanField(_("private or small/medium enterprise"), default=False)
    contract = models.CharField(_("contract"), max_length=200, blank=True)
    accepted_on = models.DateField(_("delivery or acceptance date"), null=True, blank=True)
    payment_term_days = models.PositiveSmallIntegerField(
        _("agreed payment term (days)"),
        default=DEFAULT_PAYMENT_TERM_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PAYMENT_TERM_DAYS)],
    )
    amount_owed = money(_("amount owed (yuan)"), null=True, blank=True)
    amount_repaid = money(_("amount repaid (yuan)"), default=Decimal("0"))
    daily_interest_rate = models.DecimalField(
        _("late interest per day"),
        max_digits=7,
        decimal_places=6,
        default=DEFAULT_DAILY_INTEREST_RATE,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.01"))],
    )
    # Rectification and the office's verification (销号).
    rectification_note = models.TextField(_("rectification done"), blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    verification_note = models.TextField(_("office's verification"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = user_fk(_("closed by"))
    overdue_notified_on = models.DateField(_("overdue notice sent on"), null=True, blank=True)
    source_complaint = models.OneToOneField(
        "supervision.Complaint",
        verbose_name=_("source complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ledger_issue",
    )
    import_job = models.ForeignKey(
        "ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger issue")
        verbose_name_plural = _("ledger issues")
        ordering = ["campaign_id", "agency_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "agency", "number"], name="ledgerissue_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(amount_owed__isnull=True, amount_repaid=0)
                | Q(amount_repaid__lte=models.F("amount_owed")),
                name="ledgerissue_repaid_within_owed",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "campaign", "status"]),
            models.Index(fields=["tenant", "status", "deadline"]),
            models.Index(fields=["tenant", "agency", "campaign"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject_name}"

    @property
    def has_arrears(self) -> bool:
        return self.amount_owed is not None

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.discovered_on and self.deadline and self.deadline < self.discovered_on:
            errors["deadline"] = _("The deadline precedes the discovery.")
        if self.amount_owed is None:
            if self.creditor_name or self.accepted_on:
                errors["amount_owed"] = _("Enter the amount owed for arrears.")
        elif not self.creditor_name:
            errors["creditor_name"] = _("Name the enterprise that is owed.")
        if self.amount_owed is not None and self.amount_repaid > self.amount_owed:
            errors["amount_owed"] = _("The amount owed is less than what was already repaid.")
        if errors:
            raise ValidationError(errors)


@audited()
class Repayment(Synced):
    """A dated repayment of arrears."""

    tenant = _tenant_fk()
    issue = models.ForeignKey(
        LedgerIssue,
        verbose_name=_("ledger issue"),
        on_delete=models.CASCADE,
        related_name="repayments",
    )
    paid_on = models.DateField(_("paid on"))
    amount = money(_("amount (yuan)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = user_fk(_("entered by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "issue__agency"

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["issue_id", "paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"


@audited()
class Filing(AgencyOwned):
    """A deliverable of an agency for a campaign: the self-inspection report (自查自纠报告), the
    rectification plan (整改方案) or the rectification report (整改报告). Clerk drafts → leader
    signs off → office accepts or returns; every version that reached the office is kept."""

    tenant = _tenant_fk()
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="filings"
    )
    agency = _agency_fk("filings")
    kind = models.CharField(_("kind"), max_length=30, choices=FilingKind.choices)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.DRAFT
    )
    signoff_comment = models.TextField(_("leader's comment"), blank=True)
    review_comment = models.TextField(_("office's comments"), blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_by = user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["campaign_id", "agency_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "agency", "kind"], name="filing_unique_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.agency}"

    @property
    def deadline(self):
        return self.campaign.deadline_for(self.kind)


@audited()
class FilingVersion(Synced):
    """A version of a filing as it reached the office, frozen: sections, the ledger figures of
    the day, the milestones of a plan, and what the office did with it."""

    tenant = _tenant_fk()
    filing = models.ForeignKey(
        Filing, verbose_name=_("filing"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    sections = models.JSONField(_("sections"), default=dict)
    figures = models.JSONField(_("figures"), default=dict)
    attachments = models.JSONField(_("attachments"), default=list)
    prepared_by = user_fk(_("prepared by"))
    signed_off_by = user_fk(_("signed off by"))
    submitted_at = models.DateTimeField(_("submitted at"))
    is_late = models.BooleanField(_("late"), default=False)
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=VersionOutcome.choices,
        default=VersionOutcome.PENDING,
    )
    review_comment = models.TextField(_("office's comments"), blank=True)
    reviewed_by = user_fk(_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "filing__agency"

    class Meta:
        verbose_name = _("filing version")
        verbose_name_plural = _("filing versions")
        ordering = ["filing_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="filingversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.filing_id} v{self.number}"


@audited()
class Milestone(AgencyOwned):
    """A time node (时间节点) of an agency's rectification plan, with a due date and an owner."""

    tenant = _tenant_fk()
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="milestones"
    )
    agency = _agency_fk("milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due by"))
    owner = models.CharField(_("owner"), max_length=60)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.OPEN,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    overdue_notified_on = models.DateField(_("overdue notice sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["campaign_id", "agency_id", "due_on", "id"]
        indexes = [models.Index(fields=["tenant", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title


@audited()
class MilestoneUpdate(Synced):
    """A progress update of a milestone, with evidence attached."""

    tenant = _tenant_fk()
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.CASCADE, related_name="updates"
    )
    note = models.TextField(_("progress"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MaxValueValidator(100)]
    )
    created_by = user_fk(_("reported by"))
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "milestone__agency"

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["milestone_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.progress}%"


@audited()
class Evidence(AttachmentBase):
    """A file attached to a filing, a ledger issue or a milestone's progress update."""

    tenant = _tenant_fk()
    agency = _agency_fk()
    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    issue = models.ForeignKey(
        LedgerIssue, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    update = models.ForeignKey(
        MilestoneUpdate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(filing__isnull=False, issue__isnull=True, update__isnull=True)
                    | Q(filing__isnull=True, issue__isnull=False, update__isnull=True)
                    | Q(filing__isnull=True, issue__isnull=True, update__isnull=False)
                ),
                name="evidence_one_parent",
            )
        ]


@audited()
class ImportJob(AgencyOwned):
    """An upload of an agency's ledger from Excel: checked by a Celery job (with progress), shown
    as a preview, then committed by a second job, all rows or none."""

    tenant = _tenant_fk()
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="+"
    )
    agency = _agency_fk()
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=150)
    size = models.PositiveIntegerField(_("size"))
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    message = models.TextField(_("message"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_rows = models.PositiveIntegerField(_("new rows"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    created_by = user_fk(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


@audited()
class InvestmentProject(AgencyOwned):
    """A signed investment-attraction project in the county's one integrated ledger
    (招商引资一体化台账, M7), used to catch the same project signed twice."""

    tenant = _tenant_fk()
    agency = _agency_fk("investment_projects")
    name = models.CharField(_("project name"), max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False, db_index=True)
    investor_name = models.CharField(_("investor"), max_length=200)
    investor_credit_code = models.CharField(
        _("investor's credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    signed_on = models.DateField(_("signed on"))
    amount = money(_("agreed investment (yuan)"), null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    commitments = models.TextField(_("policy commitments made"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.SIGNED
    )
    created_by = user_fk(_("entered by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["tenant", "investor_credit_code"])]

    def __str__(self) -> str:
        return self.name


@audited()
class DuplicateFlag(Synced):
    """A likely duplicate signing: two projects of different agencies with the same investor or
    a near-identical name. The office checks it and confirms or dismisses it."""

    tenant = _tenant_fk()
    project = models.ForeignKey(
        InvestmentProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="+"
    )
    other = models.ForeignKey(
        InvestmentProject,
        verbose_name=_("other project"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=DuplicateReason.choices)
    similarity = models.DecimalField(_("name similarity"), max_digits=4, decimal_places=3)
    status = models.CharField(
        _("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    note = models.TextField(_("office's note"), blank=True)
    decided_by = user_fk(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None  # the office's: agencies do not see other agencies' projects

    class Meta:
        verbose_name = _("duplicate signing flag")
        verbose_name_plural = _("duplicate signing flags")
        ordering = ["status", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "other"], name="duplicateflag_unique"),
            models.CheckConstraint(
                condition=Q(project__lt=models.F("other")), name="duplicateflag_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}↔{self.other_id}"
