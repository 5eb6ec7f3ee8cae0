"""Reads of monitoring: scoped warnings, rules and debt figures, and the pieces the home pages
show (a role's open warnings, the office's counts by severity)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from .choices import OPEN_WARNING_STATUSES, SEVERITY_ORDER, WarningStatus
from .models import DebtFigure, Warning, WarningRule


def warnings_for_user(user) -> QuerySet:
    """Warnings the user may read: the office's tenant, the counties below a city, an agency's
    own warnings for agency roles."""
    return Warning.objects.for_user(user)


def open_warnings(user, limit: int | None = 10) -> list[Warning]:
    """The user's open warnings (new or acknowledged), newest first, for the home pages."""
    qs = (
        warnings_for_user(user)
        .filter(status__in=OPEN_WARNING_STATUSES)
        .select_related("agency", "tenant")
        .order_by("-raised_at", "-id")
    )
    return list(qs[:limit] if limit else qs)


def warning_counts(user) -> dict:
    """Open warnings the user may read, by severity (most severe first), with the total and
    how many are still new: {"high": 2, "medium": 0, "low": 1, "total": 3, "new": 2}."""
    rows = (
        warnings_for_user(user)
        .filter(status__in=OPEN_WARNING_STATUSES)
        .order_by()
        .values("severity", "status")
        .annotate(n=Count("id"))
    )
    counts = {severity.value: 0 for severity in SEVERITY_ORDER}
    total = new = 0
    for row in rows:
        counts[row["severity"]] = counts.get(row["severity"], 0) + row["n"]
        total += row["n"]
        if row["status"] == WarningStatus.NEW:
            new += row["n"]
    counts.update(total=total, new=new)
    return counts


def rules_for_user(user) -> QuerySet:
    return WarningRule.objects.for_user(user).select_related("tenant", "updated_by")


def debt_figures_for_user(user) -> QuerySet:
    return DebtFigure.objects.for_user(user).select_related("tenant", "agency")


def warning_history(warning: Warning) -> list[dict]:
    """The steps of a warning, oldest first: raised, acknowledged, resolved (who, when, note)."""
    steps = [
        {
            "step": _("Warning raised"),
            "at": warning.raised_at,
            "by": warning.raised_by,
            "note": warning.evidence,
        }
    ]
    if warning.acknowledged_at:
        steps.append(
            {
                "step": _("Acknowledged"),
                "at": warning.acknowledged_at,
                "by": warning.acknowledged_by,
                "note": warning.acknowledge_note,
            }
        )
    if warning.resolved_at:
        steps.append(
            {
                "step": _("Resolved"),
                "at": warning.resolved_at,
                "by": warning.resolved_by,
                "note": warning.resolve_note,
            }
        )
    return steps


def earlier_warnings(warning: Warning, user) -> QuerySet:
    """Earlier warnings about the same condition (resolved before this one was raised)."""
    return (
        warnings_for_user(user)
        .filter(tenant_id=warning.tenant_id, dedupe_key=warning.dedupe_key)
        .exclude(pk=warning.pk)
        .order_by("-raised_at", "-id")
    )
