"""Builders of the conditions the warning rules look for, made through the services of the
apps they read (and the builders of tests/isolation_specs/monitoring.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from monitoring import services
from monitoring.models import Warning
from supervision.choices import Channel
from tests.factories import make_campaign, make_issue
from tests.isolation_specs.monitoring import make_debt_figure, make_rule, make_warning

__all__ = [
    "arrears_issue",
    "complaint",
    "days_ago",
    "evaluate",
    "make_debt_figure",
    "make_rule",
    "make_warning",
    "milestone",
    "set_rule",
    "today",
    "warnings_of",
]


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def set_rule(tenant, kind, **data):
    """Change a rule through the service (thresholds the kind does not take are cleared)."""
    rule = make_rule(tenant, kind)
    full = {
        "enabled": rule.enabled,
        "severity": rule.severity,
        **{name: getattr(rule, name) for name in rule.spec.parameter_names},
        **data,
    }
    return services.rule_update(rule=rule, data=full, actor=None)


def only(tenant, kind):
    """Disable every rule of the tenant but `kind` (so a test sees one rule at work)."""
    for rule in services.tenant_rules_ensure(tenant=tenant):
        set_rule(tenant, rule.kind, enabled=rule.kind == kind)


def evaluate(tenant, **kwargs):
    return services.evaluate(tenant, **kwargs)


def warnings_of(tenant, kind=None):
    qs = Warning.objects.filter(tenant=tenant).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


def arrears_issue(campaign, agency, *, owed="100000.00", repaid=None, discovered=5, paid_on=2):
    """A ledger issue with arrears: `owed` yuan, discovered `discovered` days ago; with a
    repayment of `repaid` yuan `paid_on` days ago when given."""
    from rectification import services as rs

    issue = make_issue(
        campaign,
        agency,
        discovered_on=days_ago(discovered),
        creditor_name="承德市建工集团有限公司",
        amount_owed=Decimal(owed),
        accepted_on=days_ago(discovered + 40),
    )
    if repaid is not None:
        rs.repayment_add(
            issue=issue,
            data={"paid_on": days_ago(paid_on), "amount": Decimal(repaid)},
            actor=None,
        )
    issue.refresh_from_db()
    return issue


def milestone(campaign, agency, due_on, *, title="完成欠款清偿"):
    from rectification import services as rs

    return rs.milestone_save(
        campaign=campaign,
        agency=agency,
        data={"title": title, "due_on": due_on, "owner": "王建国"},
        actor=None,
    )


def complaint(agency, received_on):
    from supervision import services as ss

    return ss.complaint_log(
        tenant=agency.tenant,
        data={
            "channel": Channel.HOTLINE_12345,
            "source_reference": "",
            "agency": agency,
            "title": "拖欠工程款两年未付",
            "content": "工程款至今未付，多次催要无果。",
            "complainant_name": "张秀兰",
            "complainant_phone": "13833334444",
            "received_on": received_on,
        },
        actor=None,
    )


def campaign(tenant, agencies):
    return make_campaign(tenant, agencies)
