"""seed_demo's early warning: every demo jurisdiction has its rules, 丰宁 has debt figures and
open warnings of several kinds after the first evaluation, and a second run adds nothing."""

import pytest
from django.core.management import call_command

from accounts.models import Notification, Tenant
from monitoring.choices import RuleKind
from monitoring.models import DebtFigure, Warning, WarningRule


@pytest.fixture
def seeded(db):
    call_command("seed_demo", verbosity=0)
    return Tenant.objects.get(division_code="130826")


def test_demo_shows_warnings_and_a_second_run_adds_nothing(seeded):
    fengning = seeded
    for tenant in Tenant.objects.filter(division_code__in=["130800", "130826", "130825"]):
        kinds = set(WarningRule.objects.filter(tenant=tenant).values_list("kind", flat=True))
        assert kinds == set(RuleKind.values), tenant
    assert DebtFigure.objects.filter(tenant=fengning).count() == 4
    warnings = Warning.objects.filter(tenant=fengning)
    kinds = set(warnings.values_list("kind", flat=True))
    # The county's debt ratio (97.2 %) passed 95 % of its line; the zone's debt its line.
    assert {RuleKind.DEBT_LINE, RuleKind.SERIOUS_RECORD, RuleKind.DEBTOR_LISTING} <= kinds
    assert warnings.filter(kind=RuleKind.DEBT_LINE).count() == 2
    assert warnings.filter(agency__isnull=False).exists()
    assert Notification.objects.filter(user__username="fn-office", url__contains="/warnings/")
    before = (Warning.objects.count(), DebtFigure.objects.count(), Notification.objects.count())
    call_command("seed_demo", verbosity=0)
    after = (Warning.objects.count(), DebtFigure.objects.count(), Notification.objects.count())
    assert after == before
