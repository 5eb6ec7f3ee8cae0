import uuid

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_credit_code, validate_resident_id
from integrity.attachments import AttachmentBase
from integrity.audit import audited
from integrity.sync import Synced, touch_parent
from integrity.tenancy import TenantScopedQuerySet

from .choices import (
    CommitmentCategory,
    CommitmentStatus,
    FieldType,
    FourListKind,
    MeasureDirection,
    MeasureType,
    NoticeStatus,
    RecordSource,
    RecordStatus,
    RequestKind,
    RequestOutcome,
    RequestStatus,
    Severity,
    SubjectType,
)

TENANT = "accounts.Tenant"
AGENCY = "accounts.Agency"


def _tenant_fk():
    return models.ForeignKey(
        TENANT, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )


class TenantConfig(Synced):
    """Configuration rows of a tenant: every role of the tenant reads them."""

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None
    agency_roles_read_tenant = True

    class Meta:
        abstract = True


@audited()
class KeyDomain(TenantConfig):
    """A key domain (重点领域) of the county, with its lead and responsible units."""

    tenant = _tenant_fk()
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    description = models.TextField(_("description"), blank=True)
    lead_units = models.ManyToManyField(
        AGENCY,
        verbose_name=_("lead units"),
        blank=True,
        related_name="led_domains",
        through="DomainLeadUnit",
    )
    responsible_units = models.ManyToManyField(
        AGENCY,
        verbose_name=_("responsible units"),
        blank=True,
        related_name="responsible_domains",
        through="DomainResponsibleUnit",
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("key domain")
        verbose_name_plural = _("key domains")
        ordering = ["tenant_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="keydomain_unique_code"),
            models.UniqueConstraint(fields=["tenant", "name"], name="keydomain_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@audited()
@pgtrigger.register(touch_parent("domains_keydomain", "domain_id"))
class DomainLeadUnit(models.Model):
    """A lead unit (牵头单位) of a domain (explicit so that changes are audited)."""

    domain = models.ForeignKey(KeyDomain, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(AGENCY, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "agency"], name="domainleadunit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}:{self.agency_id}"


@audited()
@pgtrigger.register(touch_parent("domains_keydomain", "domain_id"))
class DomainResponsibleUnit(models.Model):
    """A responsible unit (责任单位) of a domain."""

    domain = models.ForeignKey(KeyDomain, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(AGENCY, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "agency"], name="domainresponsibleunit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}:{self.agency_id}"


@audited()
@pgtrigger.register(touch_parent("domains_keydomain", "domain_id"))
class DomainField(TenantConfig):
    """An extra ledger field of a domain (a small typed schema used by ledgers and templates)."""

    tenant = _tenant_fk()
    domain = models.ForeignKey(
        KeyDomain, verbose_name=_("key domain"), on_delete=models.CASCADE, related_name="fields"
    )
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=50)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(
        _("options"),
        default=list,
        blank=True,
        help_text=_("For a choice field: the allowed values."),
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("domain ledger field")
        verbose_name_plural = _("domain ledger fields")
        ordering = ["domain_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "key"], name="domainfield_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.domain_id and self.domain.tenant_id != self.tenant_id:
            raise ValidationError({"domain": _("The domain belongs to another jurisdiction.")})
        if self.field_type == FieldType.CHOICE:
            options = [str(o).strip() for o in (self.choices or []) if str(o).strip()]
            if len(options) < 2:
                raise ValidationError({"choices": _("A choice field needs at least two options.")})
            if len(set(options)) != len(options):
                raise ValidationError({"choices": _("The options must differ.")})
            self.choices = options
        elif self.choices:
            raise ValidationError({"choices": _("Only a choice field has options.")})


@audited()
class ProblemType(TenantConfig):
    """A problem type to screen for (M3), e.g. arrears owed to private enterprises."""

    tenant = _tenant_fk()
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")
        ordering = ["tenant_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="problemtype_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@audited()
class PublicityRule(TenantConfig):
    """How long a record of a severity is published, from an effective date (tenant-editable).

    Seeded with the national credit-repair rules in force since 2026-04-01 (NDRC Order 36).
    """

    tenant = _tenant_fk()
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    effective_from = models.DateField(_("effective from"))
    published_by_default = models.BooleanField(_("published by default"), default=True)
    min_months = models.PositiveSmallIntegerField(_("minimum publicity (months)"))
    max_months = models.PositiveSmallIntegerField(_("maximum publicity (months)"))
    basis = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("publicity rule")
        verbose_name_plural = _("publicity rules")
        ordering = ["tenant_id", "severity", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "severity", "effective_from"], name="publicityrule_unique"
            ),
            models.CheckConstraint(
                condition=Q(min_months__lte=models.F("max_months")), name="publicityrule_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.effective_from}"

    def clean(self) -> None:
        if self.min_months is not None and self.max_months is not None:
            if self.min_months > self.max_months:
                raise ValidationError({"min_months": _("The minimum cannot exceed the maximum.")})
            if self.max_months == 0:
                raise ValidationError({"max_months": _("The maximum must be at least 1 month.")})


@audited()
class CreditSettings(TenantConfig):
    """Per-tenant deadlines for objections and repair applications (in working days)."""

    tenant = models.OneToOneField(
        TENANT,
        verbose_name=_("jurisdiction"),
        on_delete=models.CASCADE,
        related_name="credit_settings",
    )
    objection_workdays = models.PositiveSmallIntegerField(
        _("objection deadline (working days)"), default=5
    )
    repair_workdays = models.PositiveSmallIntegerField(
        _("repair application deadline (working days)"), default=15
    )

    class Meta:
        verbose_name = _("credit settings")
        verbose_name_plural = _("credit settings")

    def __str__(self) -> str:
        return str(self.tenant)

    def clean(self) -> None:
        if not 1 <= (self.objection_workdays or 0) <= 30:
            raise ValidationError({"objection_workdays": _("Between 1 and 30 working days.")})
        if not 1 <= (self.repair_workdays or 0) <= 60:
            raise ValidationError({"repair_workdays": _("Between 1 and 60 working days.")})


@audited()
class TrustRecord(Synced):
    """A failure-of-trust record (政务失信记录) on an agency, the government, an SOE or a civil
    servant, with its punishment period and publicity window."""

    tenant = _tenant_fk()
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_type = models.CharField(_("subject type"), max_length=20, choices=SubjectType.choices)
    agency = models.ForeignKey(
        AGENCY,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trust_records",
    )
    subject_name = models.CharField(_("failing subject"), max_length=100)
    subject_credit_code = models.CharField(
        _("subject's credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    person_id_number = models.CharField(
        _("resident ID number"), max_length=18, blank=True, validators=[validate_resident_id]
    )
    person_position = models.CharField(_("position"), max_length=60, blank=True)
    domain = models.ForeignKey(
        KeyDomain,
        verbose_name=_("key domain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trust_records",
    )
    problem_type = models.ForeignKey(
        ProblemType,
        verbose_name=_("problem type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trust_records",
    )
    source = models.CharField(_("source"), max_length=30, choices=RecordSource.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    facts = models.TextField(_("facts"))
    decision_number = models.CharField(_("decision document number"), max_length=100)
    deciding_authority = models.CharField(_("deciding authority"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    punishment_end = models.DateField(_("punishment period ends"), null=True, blank=True)
    publicity_rule = models.ForeignKey(
        PublicityRule,
        verbose_name=_("publicity rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    publicity_min_end = models.DateField(_("minimum publicity ends"), null=True, blank=True)
    publicity_max_end = models.DateField(_("publicity ends at the latest"), null=True, blank=True)
    is_public = models.BooleanField(_("published"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    publicity_ended_on = models.DateField(_("publicity ended on"), null=True, blank=True)
    publicity_end_reason = models.CharField(_("why publicity ended"), max_length=200, blank=True)
    sharing_stopped_on = models.DateField(_("sharing stopped on"), null=True, blank=True)
    sharing_stop_reason = models.CharField(_("why sharing stopped"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("failure-of-trust record")
        verbose_name_plural = _("failure-of-trust records")
        ordering = ["-decision_date", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "-decision_date"]),
            models.Index(fields=["tenant", "agency"]),
            models.Index(fields=["tenant", "person_id_number"]),
            models.Index(fields=["is_public", "status", "publicity_max_end"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.decision_number}"

    @property
    def is_natural_person(self) -> bool:
        return self.subject_type == SubjectType.CIVIL_SERVANT

    def clean(self) -> None:
        errors = {}
        if self.subject_type in (SubjectType.AGENCY, SubjectType.CIVIL_SERVANT):
            if self.agency_id is None:
                errors["agency"] = _("Choose the agency.")
            elif self.agency.tenant_id != self.tenant_id:
                errors["agency"] = _("The agency belongs to another jurisdiction.")
        if self.subject_type == SubjectType.CIVIL_SERVANT and not self.person_id_number:
            errors["person_id_number"] = _("A civil servant's record needs the ID number.")
        if self.subject_type != SubjectType.CIVIL_SERVANT and (
            self.person_id_number or self.person_position
        ):
            errors["person_id_number"] = _("Only a civil servant's record has an ID number.")
        if self.subject_type == SubjectType.STATE_ENTERPRISE and not self.subject_credit_code:
            errors["subject_credit_code"] = _("A state-owned enterprise is recorded by its code.")
        for field in ("domain", "problem_type"):
            related = getattr(self, field) if getattr(self, f"{field}_id") else None
            if related is not None and related.tenant_id != self.tenant_id:
                errors[field] = _("It belongs to another jurisdiction.")
        if self.punishment_end and self.decision_date and self.punishment_end < self.decision_date:
            errors["punishment_end"] = _("The punishment period cannot end before the decision.")
        if errors:
            raise ValidationError(errors)


@audited()
class RecordAttachment(AttachmentBase):
    """A document behind a record (decision, judgment …)."""

    tenant = _tenant_fk()
    record = models.ForeignKey(
        TrustRecord, verbose_name=_("record"), on_delete=models.CASCADE, related_name="attachments"
    )

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "record__agency"

    class Meta:
        verbose_name = _("record attachment")
        verbose_name_plural = _("record attachments")
        ordering = ["uploaded_at", "id"]


@audited()
@pgtrigger.register(touch_parent("domains_trustrecord", "record_id"))
class PunishmentMeasure(Synced):
    """A punishment measure (惩戒措施, M12) taken on a record."""

    tenant = _tenant_fk()
    record = models.ForeignKey(
        TrustRecord, verbose_name=_("record"), on_delete=models.CASCADE, related_name="measures"
    )
    measure_type = models.CharField(_("measure"), max_length=30, choices=MeasureType.choices)
    date = models.DateField(_("date"))
    issuing_body = models.CharField(_("issuing body"), max_length=100)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "record__agency"

    class Meta:
        verbose_name = _("punishment measure")
        verbose_name_plural = _("punishment measures")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.get_measure_type_display()


@audited()
@pgtrigger.register(touch_parent("domains_trustrecord", "record_id"))
class CreditRequest(Synced):
    """An objection (异议) or a credit-repair application (信用修复) filed by anyone against a
    public record, tracked by its receipt code."""

    tenant = _tenant_fk()
    record = models.ForeignKey(
        TrustRecord, verbose_name=_("record"), on_delete=models.PROTECT, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    receipt_code = models.CharField(_("receipt code"), max_length=20, unique=True)
    applicant_name = models.CharField(_("applicant"), max_length=60)
    applicant_phone = models.CharField(_("applicant's phone"), max_length=30)
    applicant_is_subject = models.BooleanField(
        _("the applicant is the recorded subject"), default=False
    )
    reason = models.TextField(_("reasons"))
    # Repair conditions (DOMAIN.md): what the applicant declares, then what staff confirm.
    declares_corrected = models.BooleanField(
        _("the breach is corrected and obligations fulfilled"), default=False
    )
    declares_commitment = models.BooleanField(
        _("a signed credit commitment is attached"), default=False
    )
    declares_other = models.BooleanField(_("other statutory conditions are met"), default=False)
    confirmed_corrected = models.BooleanField(
        _("staff confirm: corrected and fulfilled"), default=False
    )
    confirmed_commitment = models.BooleanField(
        _("staff confirm: signed commitment received"), default=False
    )
    confirmed_other = models.BooleanField(_("staff confirm: other conditions met"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    deadline = models.DateField(_("decide by"))
    outcome = models.CharField(
        _("decision"), max_length=10, choices=RequestOutcome.choices, blank=True
    )
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        verbose_name = _("objection or repair application")
        verbose_name_plural = _("objections and repair applications")
        ordering = ["status", "deadline", "id"]
        indexes = [models.Index(fields=["tenant", "status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.receipt_code}"


@audited()
class Commitment(Synced):
    """A credit commitment (信用承诺) of an agency. It belongs to the agency, not to a person,
    so it survives a change of leader (seed 003)."""

    tenant = _tenant_fk()
    agency = models.ForeignKey(
        AGENCY, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="commitments"
    )
    category = models.CharField(_("category"), max_length=30, choices=CommitmentCategory.choices)
    title = models.CharField(_("commitment"), max_length=200)
    content = models.TextField(_("content"))
    promised_date = models.DateField(_("promised by"))
    status = models.CharField(
        _("status"),
        max_length=15,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.IN_PROGRESS,
    )
    fulfilment_evidence = models.TextField(_("fulfilment evidence"), blank=True)
    status_note = models.TextField(_("office's note"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    breach_record = models.OneToOneField(
        TrustRecord,
        verbose_name=_("failure-of-trust record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="broken_commitment",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("credit commitment")
        verbose_name_plural = _("credit commitments")
        ordering = ["status", "promised_date", "id"]
        indexes = [models.Index(fields=["tenant", "agency", "status"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.agency_id and self.agency.tenant_id != self.tenant_id:
            raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})


@audited()
class CommitmentAttachment(AttachmentBase):
    """Evidence of fulfilment."""

    tenant = _tenant_fk()
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "commitment__agency"

    class Meta:
        verbose_name = _("commitment attachment")
        verbose_name_plural = _("commitment attachments")
        ordering = ["uploaded_at", "id"]


@audited()
class CaseNotice(Synced):
    """A dishonesty case notice (失信案件通报, M5) composed from records and published."""

    tenant = _tenant_fk()
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    body = models.TextField(_("text"))
    records = models.ManyToManyField(
        TrustRecord, verbose_name=_("records"), related_name="notices", through="NoticeRecord"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("composed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        verbose_name = _("case notice")
        verbose_name_plural = _("case notices")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


@audited()
@pgtrigger.register(touch_parent("domains_casenotice", "notice_id"))
class NoticeRecord(models.Model):
    """A record cited by a case notice."""

    notice = models.ForeignKey(CaseNotice, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(TrustRecord, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "record"], name="noticerecord_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.record_id}"


@audited()
class JointMeasure(TenantConfig):
    """One line of the joint reward and punishment measure list (联合奖惩措施清单, M14)."""

    tenant = _tenant_fk()
    direction = models.CharField(_("kind"), max_length=10, choices=MeasureDirection.choices)
    measure = models.CharField(_("measure"), max_length=200)
    department = models.CharField(_("department"), max_length=100)
    administrative_matter = models.CharField(_("administrative matter"), max_length=200)
    business_section = models.CharField(_("business section"), max_length=100)
    responsible_person = models.CharField(_("responsible person"), max_length=50)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("joint reward and punishment measure")
        verbose_name_plural = _("joint reward and punishment measures")
        ordering = ["tenant_id", "direction", "position", "id"]

    def __str__(self) -> str:
        return self.measure


@audited()
class FourListEntry(TenantConfig):
    """An entry of one of the four lists (四张清单, M15)."""

    tenant = _tenant_fk()
    list_kind = models.CharField(_("list"), max_length=20, choices=FourListKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("four-lists entry")
        verbose_name_plural = _("four-lists entries")
        ordering = ["tenant_id", "list_kind", "position", "id"]

    def __str__(self) -> str:
        return self.title
