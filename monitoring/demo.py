"""Demo early warning for seed_demo: the rules of every demo jurisdiction, 丰宁's thresholds set
the way a county office would, its government debt figures, and a first evaluation so that the
warnings page and the home pages show warnings. Idempotent: a second run adds nothing (an open
warning is never raised twice, a debt figure of a date exists once)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Agency, Tenant

from . import services
from .choices import RuleKind, WarningSeverity
from .models import DebtFigure

# kind → thresholds 丰宁's office chose (the other demo counties keep the defaults).
FENGNING_RULES = {
    RuleKind.ARREARS: {"amount": Decimal("200000.00"), "days": 60},
    RuleKind.MILESTONE_OVERDUE: {"days": 7},
    RuleKind.COMPLAINTS: {"count": 2, "window_days": 90},
    RuleKind.DEBTOR_LISTING: {"window_days": 365, "severity": WarningSeverity.HIGH},
    RuleKind.DEBT_LINE: {"percent": Decimal("95.00")},
}


def _quarter_ends(today: datetime.date, n: int) -> list[datetime.date]:
    """The last days of the `n` quarters before today's, oldest first."""
    ends = []
    year, quarter = today.year, (today.month - 1) // 3  # the quarter before the current one
    for _ in range(n):
        if quarter == 0:
            year, quarter = year - 1, 4
        end_month = quarter * 3
        next_month = datetime.date(year + end_month // 12, end_month % 12 + 1, 1)
        ends.append(next_month - datetime.timedelta(days=1))
        quarter -= 1
    return list(reversed(ends))


def _debt_figures(fengning, office, today) -> None:
    zone = Agency.objects.get(tenant=fengning, name="经济开发区管委会")
    ends = _quarter_ends(today, 2)
    rows = [
        # (agency, as_of, balance, financial capacity, warning line, warning ratio, source)
        (None, ends[0], "4620000000.00", "5000000000.00", None, "100.00", "政府债务季报"),
        (None, ends[1], "4860000000.00", "5000000000.00", None, "100.00", "政府债务季报"),
        (zone, ends[0], "280000000.00", None, "300000000.00", None, "管委会融资平台债务台账"),
        (zone, ends[1], "312000000.00", None, "300000000.00", None, "管委会融资平台债务台账"),
    ]
    for agency, as_of, balance, capacity, line, ratio, source in rows:
        if DebtFigure.objects.filter(tenant=fengning, agency=agency, as_of=as_of).exists():
            continue
        services.debt_figure_create(
            tenant=fengning,
            data={
                "agency": agency,
                "as_of": as_of,
                "balance": Decimal(balance),
                "financial_capacity": Decimal(capacity) if capacity else None,
                "warning_line": Decimal(line) if line else None,
                "warning_ratio": Decimal(ratio) if ratio else None,
                "source": f"{as_of.year}年第{(as_of.month - 1) // 3 + 1}季度{source}",
            },
            actor=office,
        )


def seed(fengning, longhua) -> None:
    from accounts.models import User

    office = User.objects.get(username="fn-office")
    for tenant in Tenant.objects.filter(pk__in=[fengning.pk, longhua.pk, fengning.parent_id]):
        services.tenant_rules_ensure(tenant=tenant)
    rules = {rule.kind: rule for rule in services.tenant_rules_ensure(tenant=fengning)}
    for kind, changes in FENGNING_RULES.items():
        rule = rules[kind]
        data = {
            "enabled": True,
            "severity": rule.severity,
            **{name: getattr(rule, name) for name in rule.spec.parameter_names},
            **changes,
        }
        services.rule_update(rule=rule, data=data, actor=office)
    _debt_figures(fengning, office, timezone.localdate())
    services.evaluate(fengning, actor=None)
    services.evaluate(longhua, actor=None)
