"""Writes of monitoring: the tenant's rules (created with their defaults, edited by the office
admin), the evaluation that raises warnings, the lifecycle of a warning (acknowledge, resolve)
and the debt figures. Each service is atomic, validates with full_clean() and runs inside the
caller's audit context (request middleware, command or task)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant
from accounts.selectors import office_users
from accounts.services import notify
from integrity.services import apply_changes, save_changes

from .choices import OPEN_WARNING_STATUSES, RuleKind, WarningStatus
from .detectors import DETECTORS
from .models import DebtFigure, Warning, WarningRule
from .rules import PARAMETERS, SPECS

logger = logging.getLogger(__name__)

RULE_FIELDS = ("enabled", "severity", *PARAMETERS)
DEBT_FIGURE_FIELDS = (
    "agency",
    "as_of",
    "balance",
    "financial_capacity",
    "warning_line",
    "warning_ratio",
    "source",
)


# Rules ----------------------------------------------------------------------------------------


def _default_rule(tenant, kind) -> WarningRule:
    spec = SPECS[kind]
    return WarningRule(tenant=tenant, kind=kind, severity=spec.severity, **spec.defaults)


@transaction.atomic
def tenant_rules_ensure(*, tenant: Tenant) -> list[WarningRule]:
    """Create the rules of the tenant that are missing (one of each kind, with the defaults);
    return all of them in the order of the kinds. Two queries when nothing is missing."""
    rules = {rule.kind: rule for rule in WarningRule.objects.filter(tenant=tenant)}
    missing = [_default_rule(tenant, kind) for kind in RuleKind.values if kind not in rules]
    if missing:
        WarningRule.objects.bulk_create(missing, ignore_conflicts=True)
        rules = {rule.kind: rule for rule in WarningRule.objects.filter(tenant=tenant)}
    return [rules[kind] for kind in RuleKind.values]


@transaction.atomic
def rule_update(*, rule: WarningRule, data: dict, actor) -> WarningRule:
    """Change a rule's switch, severity and thresholds. Thresholds the kind does not take are
    cleared, so the row says only what the rule uses."""
    allowed = set(rule.spec.parameter_names)
    data = {
        key: (value if key in allowed or key in ("enabled", "severity") else None)
        for key, value in data.items()
        if key in RULE_FIELDS
    }
    changed = apply_changes(rule, data, RULE_FIELDS)
    if changed:
        rule.updated_by = actor
        save_changes(rule, [*changed, "updated_by"], created=False)
    return rule


# Evaluation -----------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """What one evaluation of a tenant did."""

    tenant: Tenant
    created: list[Warning] = field(default_factory=list)
    rules_run: int = 0

    @property
    def count(self) -> int:
        return len(self.created)


@transaction.atomic
def evaluate(tenant: Tenant, actor=None, *, today: dt.date | None = None) -> Evaluation:
    """Run every enabled rule of the tenant and raise the warnings that are not raised yet.

    The same condition (the warning's `dedupe_key`) raises no second warning while one is open;
    the kinds that warn about events (a new record, listing or flag) warn once per subject.
    Evaluations of one tenant are serialised by a lock on its rules, and the partial unique
    constraint on open warnings stays the last word. One notification to the office per run
    that raised something. A fixed number of queries whatever the number of agencies and rows.
    """
    today = today or timezone.localdate()
    tenant_rules_ensure(tenant=tenant)
    rules = list(WarningRule.objects.select_for_update().filter(tenant=tenant).order_by("id"))
    result = Evaluation(tenant=tenant)
    candidates = []  # (rule, candidate)
    for rule in rules:
        if not rule.enabled:
            continue
        result.rules_run += 1
        candidates += [(rule, c) for c in DETECTORS[rule.kind](rule, tenant, today)]
    if not candidates:
        return result
    once_kinds = [kind for kind, spec in SPECS.items() if spec.once_per_subject]
    taken = set(
        Warning.objects.filter(tenant=tenant, dedupe_key__in={c.dedupe_key for _r, c in candidates})
        .filter(Q(status__in=OPEN_WARNING_STATUSES) | Q(kind__in=once_kinds))
        .values_list("dedupe_key", flat=True)
    )
    new = []
    for rule, candidate in candidates:
        if candidate.dedupe_key in taken:
            continue
        taken.add(candidate.dedupe_key)
        new.append(
            Warning(
                tenant=tenant,
                rule=rule,
                kind=rule.kind,
                agency_id=candidate.agency_id,
                severity=rule.severity,
                title=candidate.title[:300],
                figure=candidate.figure,
                threshold=candidate.threshold,
                unit=candidate.unit,
                evidence=candidate.evidence[:300],
                evidence_url=candidate.evidence_url[:500],
                dedupe_key=candidate.dedupe_key,
                raised_by=actor,
            )
        )
    result.created = Warning.objects.bulk_create(new)
    if result.created:
        _notify_office(tenant, result.created)
    return result


def _notify_office(tenant: Tenant, warnings: list[Warning]) -> None:
    by_kind: dict[str, int] = {}
    for warning in warnings:
        by_kind[warning.kind] = by_kind.get(warning.kind, 0) + 1
    lines = [f"{RuleKind(kind).label}: {n}" for kind, n in sorted(by_kind.items())]
    notify(
        office_users(tenant.pk),
        title=_("%(n)d new warnings") % {"n": len(warnings)},
        body="\n".join(lines),
        url=reverse("monitoring:warning-list") + "?status=new",
    )


def evaluate_all(*, today: dt.date | None = None) -> dict[str, int]:
    """Evaluate every active tenant, each in its own transaction: a tenant whose evaluation
    fails is logged and skipped, the others are still evaluated."""
    counts = {"tenants": 0, "warnings": 0, "failed": 0}
    for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
        try:
            counts["warnings"] += evaluate(tenant, today=today).count
        except Exception:
            logger.exception("Evaluating the warning rules of tenant %s failed", tenant.pk)
            counts["failed"] += 1
        else:
            counts["tenants"] += 1
    return counts


# Lifecycle ------------------------------------------------------------------------------------


def _locked(warning: Warning) -> Warning:
    return Warning.objects.select_for_update().get(pk=warning.pk)


@transaction.atomic
def warning_acknowledge(*, warning: Warning, actor, note: str = "") -> Warning:
    """The office has seen the warning and is dealing with it (new → acknowledged)."""
    warning = _locked(warning)
    if warning.status != WarningStatus.NEW:
        raise ValidationError(_("Only a new warning can be acknowledged."))
    warning.status = WarningStatus.ACKNOWLEDGED
    warning.acknowledged_at = timezone.now()
    warning.acknowledged_by = actor
    warning.acknowledge_note = (note or "").strip()
    warning.full_clean()
    warning.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledge_note"])
    return warning


@transaction.atomic
def warning_resolve(*, warning: Warning, actor, note: str) -> Warning:
    """The matter is dealt with (new or acknowledged → resolved), with a note saying how. The
    same condition may raise a new warning at the next evaluation if it persists."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how the warning was resolved.")})
    warning = _locked(warning)
    if warning.status == WarningStatus.RESOLVED:
        raise ValidationError(_("The warning is already resolved."))
    warning.status = WarningStatus.RESOLVED
    warning.resolved_at = timezone.now()
    warning.resolved_by = actor
    warning.resolve_note = note
    warning.full_clean()
    warning.save(update_fields=["status", "resolved_at", "resolved_by", "resolve_note"])
    return warning


# Debt figures ---------------------------------------------------------------------------------


def _debt_figure_save(figure: DebtFigure, data: dict, actor, *, created: bool) -> DebtFigure:
    data = dict(data)
    if "source" in data:
        data["source"] = (data["source"] or "").strip()
    changed = apply_changes(figure, data, DEBT_FIGURE_FIELDS)
    if figure.agency_id and figure.agency.tenant_id != figure.tenant_id:
        raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})
    duplicate = (
        DebtFigure.objects.filter(
            tenant_id=figure.tenant_id, agency_id=figure.agency_id, as_of=figure.as_of
        )
        .exclude(pk=figure.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError({"as_of": _("A figure for this date has already been entered.")})
    save_changes(figure, changed, created=created)
    return figure


@transaction.atomic
def debt_figure_create(*, tenant: Tenant, data: dict, actor) -> DebtFigure:
    figure = DebtFigure(tenant=tenant, created_by=actor)
    return _debt_figure_save(figure, data, actor, created=True)


@transaction.atomic
def debt_figure_update(*, figure: DebtFigure, data: dict, actor) -> DebtFigure:
    return _debt_figure_save(figure, data, actor, created=False)


@transaction.atomic
def debt_figure_delete(*, figure: DebtFigure, actor) -> None:
    figure.delete()
