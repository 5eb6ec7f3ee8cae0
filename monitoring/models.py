"""Monitoring and early warning (监测预警): the tenant's warning rules with their thresholds, the
warnings their evaluation raises with the evidence behind each one and its lifecycle
(new → acknowledged → resolved), and the government debt figures the debt rule reads."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity.audit import audited
from integrity.fields import money, user_fk
from integrity.sync import Synced
from integrity.tenancy import TenantScopedQuerySet

from .choices import FigureUnit, RuleKind, WarningSeverity, WarningStatus
from .rules import SPECS

TENANT = "accounts.Tenant"
AGENCY = "accounts.Agency"
USER = settings.AUTH_USER_MODEL


def _tenant_fk():
    return models.ForeignKey(
        TENANT, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )


def _agency_fk(verbose_name=None, **kwargs):
    return models.ForeignKey(
        AGENCY,
        verbose_name=verbose_name or _("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        **kwargs,
    )


@audited()
class WarningRule(Synced):
    """One early-warning rule of a tenant: every tenant has one rule of each kind, enabled or
    not, with its severity and the thresholds its kind takes (`rules.SPECS`)."""

    tenant = _tenant_fk()
    kind = models.CharField(_("kind"), max_length=30, choices=RuleKind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(
        _("warning level"),
        max_length=10,
        choices=WarningSeverity.choices,
        default=WarningSeverity.MEDIUM,
    )
    amount = money(_("amount (yuan)"), max_digits=17, null=True, blank=True)
    days = models.PositiveIntegerField(
        _("days"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    count = models.PositiveIntegerField(
        _("count"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    window_days = models.PositiveIntegerField(
        _("window (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
    )
    percent = models.DecimalField(
        _("percentage"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("1000"))],
    )
    updated_by = user_fk(_("changed by"))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None  # the office's configuration

    class Meta:
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        ordering = ["tenant_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="warningrule_unique_kind")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def spec(self):
        return SPECS[self.kind]

    def clean(self) -> None:
        spec = SPECS.get(self.kind)
        if spec is None:
            return
        errors = {}
        for parameter in spec.parameters:
            if parameter.required and getattr(self, parameter.name) is None:
                errors[parameter.name] = _("This threshold is required for this kind of rule.")
        if spec.one_of and all(getattr(self, name) is None for name in spec.one_of):
            errors[spec.one_of[0]] = _("Set at least one of the thresholds.")
        if errors:
            raise ValidationError(errors)

    def thresholds(self) -> list[tuple]:
        """(label, value) of the thresholds this kind takes, for lists and the API."""
        return [(p.label, getattr(self, p.name)) for p in self.spec.parameters]


@audited()
class Warning(Synced):
    """A warning raised by a rule about one subject (an agency, a milestone, a record…), with
    the figure that tripped it and a link to the evidence. The same condition (`dedupe_key`:
    the kind and the subject) raises no second warning while one is open."""

    tenant = _tenant_fk()
    rule = models.ForeignKey(
        WarningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="warnings"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=RuleKind.choices)
    agency = _agency_fk()
    severity = models.CharField(_("warning level"), max_length=10, choices=WarningSeverity.choices)
    title = models.CharField(_("title"), max_length=300)
    figure = models.DecimalField(
        _("figure"), max_digits=17, decimal_places=2, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=17, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=10, choices=FigureUnit.choices, blank=True)
    evidence = models.CharField(_("grounds"), max_length=300, blank=True)
    evidence_url = models.CharField(_("evidence link"), max_length=500, blank=True)
    dedupe_key = models.CharField(_("condition"), max_length=100)
    status = models.CharField(
        _("status"), max_length=15, choices=WarningStatus.choices, default=WarningStatus.NEW
    )
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    raised_by = user_fk(_("evaluation started by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = user_fk(_("acknowledged by"))
    acknowledge_note = models.TextField(_("note on acknowledging"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = user_fk(_("resolved by"))
    resolve_note = models.TextField(_("resolution"), blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=~Q(status=WarningStatus.RESOLVED),
                name="warning_one_open_per_condition",
            ),
            models.CheckConstraint(
                condition=Q(status=WarningStatus.NEW)
                | Q(status=WarningStatus.ACKNOWLEDGED, acknowledged_at__isnull=False)
                | Q(status=WarningStatus.RESOLVED, resolved_at__isnull=False),
                name="warning_step_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "severity"]),
            models.Index(fields=["tenant", "agency", "status"]),
            models.Index(fields=["tenant", "dedupe_key"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != WarningStatus.RESOLVED


@audited()
class DebtFigure(Synced):
    """A government debt figure (政府债务) of the county or of one agency at a date, with the
    warning line it is held against: an amount, or a debt ratio (balance ÷ financial capacity,
    in percent), or both."""

    tenant = _tenant_fk()
    agency = _agency_fk(help_text=_("Empty for the county's debt as a whole."))
    as_of = models.DateField(_("as of"))
    balance = money(_("debt balance (yuan)"), max_digits=17)
    financial_capacity = money(
        _("financial capacity (yuan)"),
        max_digits=17,
        null=True,
        blank=True,
        help_text=_("Comprehensive financial capacity (综合财力), for the debt ratio."),
    )
    warning_line = money(_("warning line (yuan)"), max_digits=17, null=True, blank=True)
    warning_ratio = models.DecimalField(
        _("warning debt ratio (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
        help_text=_("E.g. 100 for a debt ratio of 100 %."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    created_by = user_fk(_("entered by"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("debt figure")
        verbose_name_plural = _("debt figures")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agency", "as_of"],
                nulls_distinct=False,
                name="debtfigure_unique_date",
            ),
            models.CheckConstraint(
                condition=Q(warning_line__isnull=False) | Q(warning_ratio__isnull=False),
                name="debtfigure_has_line",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "agency", "-as_of"])]

    def __str__(self) -> str:
        return f"{self.agency or self.tenant} {self.as_of}"

    def clean(self) -> None:
        errors = {}
        if self.agency_id and self.tenant_id and self.agency.tenant_id != self.tenant_id:
            errors["agency"] = _("The agency belongs to another jurisdiction.")
        if self.warning_line is None and self.warning_ratio is None:
            errors["warning_line"] = _("Enter a warning line, a warning ratio or both.")
        if self.warning_ratio is not None and not self.financial_capacity:
            errors["financial_capacity"] = _(
                "Enter the financial capacity to compare the debt ratio with its warning ratio."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def ratio(self) -> Decimal | None:
        """The debt ratio in percent (None without the financial capacity)."""
        if not self.financial_capacity:
            return None
        return (self.balance * 100 / self.financial_capacity).quantize(Decimal("0.01"))
