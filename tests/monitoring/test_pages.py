"""The rules page (the office admin edits; staff and the city read), the debt figures pages,
the rules a new jurisdiction starts with, and the query count of an evaluation."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from accounts import services as account_services
from monitoring import services
from monitoring.choices import RuleKind
from monitoring.models import DebtFigure, WarningRule
from tests.conftest import login
from tests.factories import AgencyFactory, TenantFactory, TrustRecordFactory
from tests.isolation_specs.rectification_investment import make_project
from tests.supervision.item_helpers import listing

from .helpers import (
    arrears_issue,
    campaign,
    complaint,
    days_ago,
    make_debt_figure,
    make_rule,
    milestone,
    today,
    warnings_of,
)

# Rules ----------------------------------------------------------------------------------------


def test_office_admin_edits_a_rule(client, world):
    w = world
    rule = make_rule(w.county_a, RuleKind.COMPLAINTS)
    login(client, w.office_admin_a)
    page = client.get(reverse("monitoring:rule-list")).content.decode()
    assert str(rule.spec.description) in page
    url = reverse("monitoring:rule-edit", args=[rule.pk])
    form = client.get(url).content.decode()
    assert 'name="count"' in form and 'name="window_days"' in form
    assert 'name="amount"' not in form  # the kind takes no amount
    response = client.post(
        url, {"enabled": "on", "severity": "high", "count": "5", "window_days": "60"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.enabled, rule.severity, rule.count, rule.window_days) == (True, "high", 5, 60)
    assert rule.updated_by == w.office_admin_a


def test_a_required_threshold_cannot_be_emptied(client, world):
    w = world
    rule = make_rule(w.county_a, RuleKind.COMPLAINTS)
    login(client, w.office_admin_a)
    url = reverse("monitoring:rule-edit", args=[rule.pk])
    response = client.post(url, {"enabled": "on", "severity": "medium", "window_days": "30"})
    assert response.status_code == 400
    assert gettext("This field is required.") in response.content.decode()
    rule.refresh_from_db()
    assert rule.count == 3


def test_arrears_rule_needs_one_of_its_two_thresholds(client, world):
    w = world
    rule = make_rule(w.county_a, RuleKind.ARREARS)
    login(client, w.office_admin_a)
    url = reverse("monitoring:rule-edit", args=[rule.pk])
    response = client.post(url, {"enabled": "on", "severity": "high", "amount": "", "days": ""})
    assert response.status_code == 400
    assert gettext("Set at least one of the thresholds.") in response.content.decode()
    response = client.post(url, {"enabled": "on", "severity": "high", "amount": "", "days": "60"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.amount, rule.days) == (None, 60)


def test_staff_and_city_read_the_rules_but_do_not_edit_them(client, world):
    w = world
    rule = make_rule(w.county_a, RuleKind.COMPLAINTS)
    for user in (w.office_staff_a, w.city_viewer):
        login(client, user)
        page = client.get(reverse("monitoring:rule-list"))
        assert page.status_code == 200
        assert reverse("monitoring:rule-edit", args=[rule.pk]) not in page.content.decode()
        response = client.post(reverse("monitoring:rule-edit", args=[rule.pk]), {"count": "9"})
        assert response.status_code == 403
    login(client, w.clerk_a1)
    assert client.get(reverse("monitoring:rule-list")).status_code == 403
    rule.refresh_from_db()
    assert rule.count == 3


def test_a_new_jurisdiction_starts_with_the_seven_rules(world):
    tenant = account_services.tenant_create(
        data={"name": "滦平县", "division_code": "130824", "level": "county", "parent": world.city},
        actor=world.platform_admin,
    )
    kinds = set(WarningRule.objects.filter(tenant=tenant).values_list("kind", flat=True))
    assert kinds == set(RuleKind.values)


# Debt figures ---------------------------------------------------------------------------------


def test_office_enters_and_edits_debt_figures(client, world):
    w = world
    login(client, w.office_staff_a)
    form = client.get(reverse("monitoring:debt-create"))
    assert form.status_code == 200 and 'name="warning_ratio"' in form.content.decode()
    response = client.post(
        reverse("monitoring:debt-create"),
        {
            "agency": "",
            "as_of": "2026-06-30",
            "balance": "1200000000.00",
            "financial_capacity": "1000000000.00",
            "warning_line": "",
            "warning_ratio": "100",
            "source": "2026年6月政府债务月报",
        },
    )
    assert response.status_code == 302
    figure = DebtFigure.objects.get(tenant=w.county_a)
    assert figure.agency is None and figure.ratio == Decimal("120.00")
    assert figure.created_by == w.office_staff_a
    page = client.get(reverse("monitoring:debt-list")).content.decode()
    assert "120.00 %" in page

    # Neither a line nor a ratio: refused.
    response = client.post(
        reverse("monitoring:debt-edit", args=[figure.pk]),
        {"as_of": "2026-06-30", "balance": "1", "warning_line": "", "warning_ratio": ""},
    )
    assert response.status_code == 400
    assert gettext("Enter a warning line, a warning ratio or both.") in response.content.decode()
    # One figure per date for the same subject.
    response = client.post(
        reverse("monitoring:debt-create"),
        {"as_of": "2026-06-30", "balance": "1", "warning_line": "2"},
    )
    assert response.status_code == 400
    assert DebtFigure.objects.count() == 1


def test_debt_figure_of_another_countys_agency_is_refused(client, world):
    login(client, world.office_staff_a)
    response = client.post(
        reverse("monitoring:debt-create"),
        {"agency": world.b1.pk, "as_of": "2026-06-30", "balance": "1", "warning_line": "2"},
    )
    assert response.status_code == 400
    assert not DebtFigure.objects.exists()


def test_debt_pages_permissions(client, world):
    w = world
    figure = make_debt_figure(w.county_a, w.a1)
    make_debt_figure(w.county_a, None)
    login(client, w.city_viewer)
    page = client.get(reverse("monitoring:debt-list"))
    assert page.status_code == 200
    assert reverse("monitoring:debt-edit", args=[figure.pk]) not in page.content.decode()
    assert client.get(reverse("monitoring:debt-create")).status_code == 403
    login(client, w.clerk_a1)
    page = client.get(reverse("monitoring:debt-list")).content.decode()
    # Only its own agency's figure, not the county's as a whole.
    assert page.count('data-testid="debt-row"') == 1
    assert w.a1.name in page and gettext("The county as a whole") not in page.split("<tbody>")[1]
    assert client.post(reverse("monitoring:debt-delete", args=[figure.pk])).status_code == 403
    login(client, w.office_staff_a)
    assert client.post(reverse("monitoring:debt-delete", args=[figure.pk])).status_code == 302
    assert not DebtFigure.objects.filter(pk=figure.pk).exists()


# Query count ----------------------------------------------------------------------------------


def _county_with(n_agencies, world, code):
    """A county whose every agency trips every rule."""
    tenant = TenantFactory(parent=world.city, division_code=code)
    agencies = [AgencyFactory(tenant=tenant) for _ in range(n_agencies)]
    for rule in services.tenant_rules_ensure(tenant=tenant):
        services.rule_update(
            rule=rule,
            data={"amount": Decimal("1"), "days": 1, "count": 1, "window_days": 30},
            actor=None,
        )
    running = campaign(tenant, agencies)
    for index, agency in enumerate(agencies):
        arrears_issue(running, agency, owed="1000.00", repaid="10.00", discovered=20, paid_on=10)
        arrears_issue(running, agency, owed="500.00", discovered=15)
        milestone(running, agency, days_ago(5))
        milestone(running, agency, days_ago(6))
        complaint(agency, today())
        complaint(agency, days_ago(1))
        TrustRecordFactory(agency=agency, severity="serious")
        listing(agency, listed_on=days_ago(2))
        make_debt_figure(tenant, agency, balance=Decimal("2"), warning_line=Decimal("1"))
        make_project(agency, name=f"第{index}号光伏电站", investor_credit_code="")
        if index:
            make_project(agency, name=f"第{index - 1}号光伏电站", investor_credit_code="")
    make_debt_figure(tenant, None, balance=Decimal("2"), warning_line=Decimal("1"))
    return tenant


@pytest.mark.django_db
def test_evaluate_takes_a_fixed_number_of_queries(world):
    small = _county_with(2, world, "130827")
    large = _county_with(20, world, "130828")
    counts = {}
    for tenant in (small, large):
        with CaptureQueriesContext(connection) as queries:
            result = services.evaluate(tenant)
        counts[tenant.pk] = len(queries)
        # Every rule fired: the evaluation really did the work it is measured on.
        assert {w.kind for w in result.created} == set(RuleKind.values)
    assert counts[small.pk] == counts[large.pk], counts
    assert len(warnings_of(large)) > len(warnings_of(small))
