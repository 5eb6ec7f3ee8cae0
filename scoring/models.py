"""Supervision scoring (督导评分, M8): schemes of indicators per assessment period, score runs
with the points and the figures behind them per agency and indicator, rankings, and immutable
publications that the public credit page shows."""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrity.audit import audited
from integrity.fields import user_fk
from integrity.sync import Synced, touch_parent
from integrity.tenancy import TenantScopedQuerySet

from .choices import (
    CategoryKind,
    Method,
    ObjectionStatus,
    PeriodKind,
    PublicationStatus,
    RunStatus,
    SchemeStatus,
)

TENANT = "accounts.Tenant"
AGENCY = "accounts.Agency"
USER = settings.AUTH_USER_MODEL


def _tenant_fk():
    return models.ForeignKey(
        TENANT, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )


def _points(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=7, decimal_places=2, **kwargs)


class OfficeOwned(Synced):
    """The office's working rows: agencies do not read them (they read publications)."""

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        abstract = True


@audited()
class Scheme(OfficeOwned):
    """A scoring scheme (督导评分体系) for one assessment period of a county."""

    tenant = _tenant_fk()
    name = models.CharField(_("name"), max_length=200)
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    period_number = models.PositiveSmallIntegerField(
        _("half-year or quarter"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    start = models.DateField(_("period starts"), editable=False)
    end = models.DateField(_("period ends"), editable=False)
    grades = models.JSONField(
        _("grades"),
        default=list,
        help_text=_("From the highest: a label and the minimum total points, e.g. 优秀 ≥ 90."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["-year", "-period_number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "period_kind", "year", "period_number"],
                name="scheme_unique_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        limit = {PeriodKind.YEAR: 1, PeriodKind.HALF: 2, PeriodKind.QUARTER: 4}.get(
            self.period_kind, 1
        )
        if self.period_number and self.period_number > limit:
            raise ValidationError(
                {"period_number": _("The period number is out of range for this kind of period.")}
            )


@audited()
@pgtrigger.register(touch_parent("scoring_scheme", "scheme_id"))
class Indicator(OfficeOwned):
    """A node of a scheme: a category (parent empty; scored, bonus or deduction, with its
    maximum or cap) or an item under it, computed by a calculator or entered by hand."""

    tenant = _tenant_fk()
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="indicators"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category_kind = models.CharField(
        _("kind of category"), max_length=10, choices=CategoryKind.choices, blank=True
    )
    max_points = _points(_("maximum points or cap"), validators=[MinValueValidator(Decimal("0"))])
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, blank=True)
    calculator = models.CharField(_("calculator"), max_length=40, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme_id", "parent_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_unique_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_category(self) -> bool:
        return self.parent_id is None


@audited()
class ManualEntry(OfficeOwned):
    """Points of a manual item for one agency, entered by office staff with a reason."""

    tenant = _tenant_fk()
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="entries"
    )
    agency = models.ForeignKey(
        AGENCY, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    points = _points(_("points"))
    reason = models.TextField(_("reason"))
    entered_by = user_fk(_("entered by"))

    class Meta:
        verbose_name = _("manual score")
        verbose_name_plural = _("manual scores")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "agency"], name="manualentry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}:{self.agency_id}={self.points}"


@audited()
class ScoreRun(OfficeOwned):
    """A computation of a scheme for every agency of the county (a Celery job). Its results are
    written in one transaction, so a failed run leaves none; rerunning replaces them."""

    tenant = _tenant_fk()
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    agencies = models.PositiveIntegerField(_("agencies"), default=0)
    started_by = user_fk(_("started by"))
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    computed_count = models.PositiveIntegerField(_("times computed"), default=0)

    class Meta:
        verbose_name = _("score run")
        verbose_name_plural = _("score runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.scheme} #{self.pk}"


@audited()
class AgencyScore(OfficeOwned):
    """An agency's total, rank within its ranking group, and grade in a run."""

    tenant = _tenant_fk()
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="scores")
    agency = models.ForeignKey(AGENCY, on_delete=models.PROTECT, related_name="+")
    ranking_group = models.CharField(_("ranking group"), max_length=20)
    total = _points(_("total"))
    rank = models.PositiveIntegerField(_("rank"))
    grade = models.CharField(_("grade"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("agency score")
        verbose_name_plural = _("agency scores")
        ordering = ["run_id", "ranking_group", "rank", "agency_id"]
        constraints = [models.UniqueConstraint(fields=["run", "agency"], name="agencyscore_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.total}"


@audited()
class IndicatorScore(OfficeOwned):
    """The points of one indicator (or category subtotal) for one agency in a run, with the
    figures they were computed from."""

    tenant = _tenant_fk()
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="indicator_scores")
    agency = models.ForeignKey(AGENCY, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    points = _points(_("points"))
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "agency", "indicator"], name="indicatorscore_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.indicator_id}: {self.points}"


@audited()
@pgtrigger.register(touch_parent("scoring_scorerun", "run_id"))
class Publication(Synced):
    """A published run: an immutable snapshot of the rankings the public reads. It can be
    withdrawn with a public reason; the snapshot itself never changes (database trigger)."""

    tenant = _tenant_fk()
    run = models.OneToOneField(
        ScoreRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="publication"
    )
    title = models.CharField(_("title"), max_length=200)
    period_label = models.CharField(_("period"), max_length=60)
    period_end = models.DateField(_("period ends"))
    snapshot = models.JSONField(_("snapshot"))
    notice = models.TextField(_("ranking notice"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.PUBLISHED,
    )
    published_by = user_fk(_("published by"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None
    agency_roles_read_tenant = True  # agencies read what is public anyway

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-period_end", "-published_at"]
        triggers = [
            pgtrigger.Protect(
                name="publication_snapshot_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "snapshot", "run", "tenant", "title", "period_label", "period_end", "notice"
                ),
            ),
            pgtrigger.Protect(name="publication_no_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.title


@audited()
class ScoreObjection(models.Model):
    """An agency's objection (评分异议) to its score in a publication: to the whole score or to
    one item, with the reason. The office upholds or rejects it with an answer; an upheld
    objection is corrected by the office's normal path (manual entry, new run, republishing)."""

    tenant = _tenant_fk()
    publication = models.ForeignKey(
        Publication,
        verbose_name=_("publication"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    agency = models.ForeignKey(
        AGENCY, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the objection is to the whole score."),
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    answer = models.TextField(_("office's answer"), blank=True)
    decided_by = user_fk(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_by = user_fk(_("raised by"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("score objection")
        verbose_name_plural = _("score objections")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "agency"],
                condition=models.Q(status=ObjectionStatus.PENDING),
                name="scoreobjection_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}:{self.agency_id} ({self.status})"
