"""Monitoring and early warning: warnings (read by the county's office, the agency concerned and
the city above; handled by the office), the office's rules and debt figures, and their API.
The builders are shared with tests/monitoring/."""

import datetime
from decimal import Decimal

from . import ObjectURL


def make_warning(tenant, agency=None, *, key=None, status="new", kind="complaints"):
    """A warning as an evaluation raises it (built directly: its condition does not matter to
    scoping)."""
    from monitoring.models import Warning
    from monitoring.services import tenant_rules_ensure

    rule = next(r for r in tenant_rules_ensure(tenant=tenant) if r.kind == kind)
    warning = Warning.objects.create(
        tenant=tenant,
        rule=rule,
        kind=kind,
        agency=agency,
        severity=rule.severity,
        title=f"{agency.name if agency else tenant.name}: 3 complaints in 30 days",
        figure=Decimal("3"),
        threshold=Decimal("3"),
        unit="count",
        evidence="3 complaints",
        evidence_url="/complaints/",
        dedupe_key=key or f"{kind}:agency:{agency.pk if agency else 0}:{Warning.objects.count()}",
    )
    if status != "new":
        from django.utils import timezone

        Warning.objects.filter(pk=warning.pk).update(
            status=status,
            acknowledged_at=timezone.now(),
            resolved_at=timezone.now() if status == "resolved" else None,
        )
        warning.refresh_from_db()
    return warning


def make_rule(tenant, kind="complaints"):
    from monitoring.services import tenant_rules_ensure

    return next(r for r in tenant_rules_ensure(tenant=tenant) if r.kind == kind)


def make_debt_figure(tenant, agency=None, **overrides):
    from monitoring import services

    data = {
        "agency": agency,
        "as_of": datetime.date(2026, 6, 30),
        "balance": Decimal("800000000.00"),
        "financial_capacity": Decimal("1000000000.00"),
        "warning_line": Decimal("900000000.00"),
        "warning_ratio": Decimal("100.00"),
        "source": "2026年6月政府债务月报",
    }
    data.update(overrides)
    return services.debt_figure_create(tenant=tenant, data=data, actor=None)


def _warning(agency_attr):
    def build(w):
        agency = getattr(w, agency_attr)
        return make_warning(agency.tenant, agency)

    return build


def _figure(agency_attr):
    def build(w):
        agency = getattr(w, agency_attr)
        return make_debt_figure(agency.tenant, agency)

    return build


def _warning_spec(actor="office_staff_a", other_city=False):
    return ObjectURL(
        _warning("b1"),
        other_agency=_warning("a2"),
        other_city=_warning("c1") if other_city else None,
        actor=actor,
        own=_warning("a1"),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "monitoring:warning-detail": _warning_spec(other_city=True),
    "monitoring:warning-acknowledge": _warning_spec(),
    "monitoring:warning-resolve": _warning_spec(),
    "monitoring:rule-edit": ObjectURL(
        lambda w: make_rule(w.county_b),
        # Clerks have no access to rules at all (403).
        other_agency=lambda w: make_rule(w.county_a),
        own=lambda w: make_rule(w.county_a),
    ),
    "monitoring:debt-edit": ObjectURL(
        _figure("b1"),
        other_agency=_figure("a2"),
        actor="office_staff_a",
        own=_figure("a1"),
    ),
    "monitoring:debt-delete": ObjectURL(
        _figure("b1"),
        other_agency=_figure("a2"),
        actor="office_staff_a",
        own=_figure("a1"),
    ),
    "v1:warning-detail": _warning_spec(actor="office_admin_a", other_city=True),
    "v1:warning-rule-detail": ObjectURL(
        lambda w: make_rule(w.county_b),
        other_agency=lambda w: make_rule(w.county_a),
        other_city=lambda w: make_rule(w.county_c),
        own=lambda w: make_rule(w.county_a),
    ),
    "v1:debt-figure-detail": ObjectURL(
        _figure("b1"),
        other_agency=_figure("a2"),
        other_city=_figure("c1"),
        own=_figure("a1"),
    ),
}

NON_OBJECT_URLS = {
    "monitoring:warning-list",
    "monitoring:warning-export",
    "monitoring:warning-evaluate",
    "monitoring:rule-list",
    "monitoring:debt-list",
    "monitoring:debt-create",
    "v1:warning-list",
    "v1:warning-rule-list",
    "v1:debt-figure-list",
}
