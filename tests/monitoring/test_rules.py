"""Each of the seven rules fires at its threshold and not just below it (thresholds are
inclusive; windows of N days are today and the N − 1 days before)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from domains.choices import Severity
from monitoring.choices import RuleKind
from rectification import services as rs
from rectification.models import DuplicateFlag
from tests.factories import TrustRecordFactory
from tests.isolation_specs.rectification_investment import make_flag, make_project
from tests.supervision.item_helpers import listing

from .helpers import (
    arrears_issue,
    campaign,
    complaint,
    days_ago,
    evaluate,
    make_debt_figure,
    milestone,
    only,
    set_rule,
    today,
    warnings_of,
)


def keys(tenant, kind):
    return [w.dedupe_key for w in warnings_of(tenant, kind)]


# 1. Arrears -----------------------------------------------------------------------------------


def test_arrears_amount_fires_at_the_amount_and_not_a_cent_below(world):
    w = world
    only(w.county_a, RuleKind.ARREARS)
    running = campaign(w.county_a, [w.a1, w.a2])
    arrears_issue(running, w.a1, owed="60000.00", repaid="1000.00")
    arrears_issue(running, w.a1, owed="40000.00")  # a1 owes 99,000.00 in all
    arrears_issue(running, w.a2, owed="5000.00")
    set_rule(w.county_a, RuleKind.ARREARS, amount=Decimal("99000.01"), days=None)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []

    set_rule(w.county_a, RuleKind.ARREARS, amount=Decimal("99000.00"), days=None)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"arrears:amount:agency:{w.a1.pk}"
    assert warning.agency == w.a1
    assert warning.figure == Decimal("99000.00")
    assert warning.threshold == Decimal("99000.00")
    assert warning.unit == "yuan"
    assert warning.evidence_url == f"/ledger/?agency={w.a1.pk}&outstanding=true"
    assert warning.severity == "high"


def test_arrears_repaid_in_full_do_not_count(world):
    w = world
    only(w.county_a, RuleKind.ARREARS)
    set_rule(w.county_a, RuleKind.ARREARS, amount=Decimal("1.00"), days=None)
    running = campaign(w.county_a, [w.a1])
    arrears_issue(running, w.a1, owed="1000.00", repaid="1000.00")
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []


def test_arrears_not_reduced_for_n_days_counts_from_the_latest_repayment(world):
    w = world
    only(w.county_a, RuleKind.ARREARS)
    running = campaign(w.county_a, [w.a1])
    # Discovered 50 days ago, last repaid 20 days ago: not reduced for 20 days.
    arrears_issue(running, w.a1, owed="1000.00", repaid="100.00", discovered=50, paid_on=20)
    set_rule(w.county_a, RuleKind.ARREARS, amount=None, days=21)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []

    set_rule(w.county_a, RuleKind.ARREARS, amount=None, days=20)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"arrears:stalled:agency:{w.a1.pk}"
    assert (warning.figure, warning.threshold, warning.unit) == (Decimal(20), Decimal(20), "days")
    assert days_ago(20).isoformat() in warning.evidence


def test_arrears_never_repaid_count_from_the_discovery(world):
    w = world
    only(w.county_a, RuleKind.ARREARS)
    running = campaign(w.county_a, [w.a1, w.a2])
    arrears_issue(running, w.a1, owed="1000.00", discovered=30)
    # a2 repaid something long ago, but its unpaid arrears were discovered later: those count.
    arrears_issue(running, w.a2, owed="1000.00", repaid="1000.00", discovered=90, paid_on=80)
    arrears_issue(running, w.a2, owed="500.00", discovered=29)
    set_rule(w.county_a, RuleKind.ARREARS, amount=None, days=30)
    evaluate(w.county_a)
    assert keys(w.county_a, RuleKind.ARREARS) == [f"arrears:stalled:agency:{w.a1.pk}"]


# 2. Milestones --------------------------------------------------------------------------------


def test_milestone_overdue_fires_at_n_days(world):
    w = world
    only(w.county_a, RuleKind.MILESTONE_OVERDUE)
    running = campaign(w.county_a, [w.a1, w.a2])
    late = milestone(running, w.a1, days_ago(15), title="清偿欠款")
    milestone(running, w.a2, days_ago(14))
    done = milestone(running, w.a2, days_ago(40))
    rs.milestone_report(milestone=done, note="已完成", progress=100, actor=None)
    set_rule(w.county_a, RuleKind.MILESTONE_OVERDUE, days=16)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []

    set_rule(w.county_a, RuleKind.MILESTONE_OVERDUE, days=15)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"milestone:{late.pk}"
    assert warning.agency == w.a1
    assert "清偿欠款" in warning.title
    assert warning.figure == Decimal(15)
    assert warning.evidence_url == f"/milestones/{late.pk}/"


def test_milestones_of_a_closed_campaign_do_not_count(world):
    w = world
    only(w.county_a, RuleKind.MILESTONE_OVERDUE)
    set_rule(w.county_a, RuleKind.MILESTONE_OVERDUE, days=1)
    running = campaign(w.county_a, [w.a1])
    milestone(running, w.a1, days_ago(30))
    rs.campaign_close(campaign=running, actor=None)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []


# 3. Complaints --------------------------------------------------------------------------------


def test_complaints_fire_at_n_within_the_window(world):
    w = world
    only(w.county_a, RuleKind.COMPLAINTS)
    for received in (today(), days_ago(10), days_ago(30)):
        complaint(w.a1, received)
    complaint(w.a2, today())
    complaint(w.b1, today())
    # The window of 30 days starts 29 days ago: two complaints of a1 are in it.
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=3, window_days=30)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []

    set_rule(w.county_a, RuleKind.COMPLAINTS, count=3, window_days=31)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"complaints:agency:{w.a1.pk}"
    assert (warning.figure, warning.threshold, warning.unit) == (Decimal(3), Decimal(3), "count")
    assert f"received_from={days_ago(30).isoformat()}" in warning.evidence_url


def test_complaints_below_the_count_do_not_fire(world):
    w = world
    only(w.county_a, RuleKind.COMPLAINTS)
    complaint(w.a1, today())
    complaint(w.a1, days_ago(1))
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=3, window_days=30)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=2, window_days=30)
    evaluate(w.county_a)
    assert keys(w.county_a, RuleKind.COMPLAINTS) == [f"complaints:agency:{w.a1.pk}"]


# 4. Serious failure-of-trust records ---------------------------------------------------------


def _entered(record, days):
    """Pretend the record was entered `days` days ago (at the start of that day)."""
    moment = timezone.make_aware(datetime.datetime.combine(days_ago(days), datetime.time.min))
    type(record).objects.filter(pk=record.pk).update(created_at=moment)


def test_serious_record_entered_within_the_window_fires(world):
    w = world
    only(w.county_a, RuleKind.SERIOUS_RECORD)
    set_rule(w.county_a, RuleKind.SERIOUS_RECORD, window_days=30)
    serious = TrustRecordFactory(agency=w.a1, subject_name="县财政局", severity=Severity.SERIOUS)
    TrustRecordFactory(agency=w.a2, severity=Severity.GENERAL)  # just below serious
    old = TrustRecordFactory(agency=w.a2, severity=Severity.SERIOUS)
    _entered(serious, 29)
    _entered(old, 30)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"record:{serious.pk}"
    assert warning.agency == w.a1
    assert "县财政局" in warning.title
    assert warning.evidence_url == f"/records/{serious.pk}/"


def test_serious_record_of_a_civil_servant_names_the_person_masked(world):
    """Warnings are read by agency roles, city viewers and API clients, who see natural persons'
    names masked only."""
    from tests.domains.test_records import PERSON, civil_servant_record

    w = world
    only(w.county_a, RuleKind.SERIOUS_RECORD)
    record = civil_servant_record(w.a1, severity=Severity.SERIOUS)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"record:{record.pk}"
    assert PERSON not in warning.title and PERSON[0] + "*" in warning.title
    assert PERSON not in warning.evidence


def test_revoked_serious_record_does_not_fire(world):
    from domains.services import record_revoke

    w = world
    only(w.county_a, RuleKind.SERIOUS_RECORD)
    record = TrustRecordFactory(agency=w.a1, severity=Severity.SERIOUS)
    record_revoke(record=record, reason="认定错误", actor=w.office_admin_a)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []


# 5. Duplicate signings -----------------------------------------------------------------------


def test_open_duplicate_flag_fires_and_a_dismissed_one_does_not(world):
    w = world
    only(w.county_a, RuleKind.DUPLICATE_SIGNING)
    dismissed = make_flag(w.county_a)
    rs.flag_decide(flag=dismissed, status="dismissed", note="不同项目", actor=w.office_staff_a)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []

    first = make_project(w.a1, name="城北光伏发电站")
    make_project(w.a2, name="滦河文旅康养小镇", investor_credit_code=first.investor_credit_code)
    flag = DuplicateFlag.objects.get(tenant=w.county_a, status="open")
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"duplicate:{flag.pk}"
    # The office's business: no agency reads it (it names another agency's project).
    assert warning.agency is None
    assert warning.evidence_url == "/investment/duplicates/?status=open"


# 6. Dishonest judgment debtor listings -------------------------------------------------------


def test_debtor_listing_within_the_window_fires(world):
    w = world
    only(w.county_a, RuleKind.DEBTOR_LISTING)
    set_rule(w.county_a, RuleKind.DEBTOR_LISTING, window_days=30)
    new = listing(w.a1, listed_on=days_ago(29))
    listing(w.a2, listed_on=days_ago(30))
    listing(w.a2, listed_on=days_ago(3), removed_on=days_ago(1))
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"listing:{new.pk}"
    assert warning.agency == w.a1
    assert warning.figure == Decimal("120000.00")
    assert warning.evidence_url == f"/supervision/debtor-listings/?agency={w.a1.pk}&active=true"


# 7. Government debt --------------------------------------------------------------------------


def test_debt_balance_fires_at_the_warning_line(world):
    w = world
    only(w.county_a, RuleKind.DEBT_LINE)
    line = Decimal("900000000.00")
    make_debt_figure(
        w.county_a, None, balance=line - Decimal("0.01"), warning_line=line, warning_ratio=None
    )
    make_debt_figure(w.county_a, w.a1, balance=line, warning_line=line, warning_ratio=None)
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == f"debt:agency:{w.a1.pk}"
    assert (warning.figure, warning.threshold, warning.unit) == (
        Decimal("100.00"),
        Decimal("100.00"),
        "percent",
    )
    assert warning.evidence_url == f"/debt-figures/?agency={w.a1.pk}"


def test_debt_ratio_and_percentage_of_the_line(world):
    w = world
    only(w.county_a, RuleKind.DEBT_LINE)
    # Debt ratio 90 % against a warning ratio of 100 %: 90 % of the line.
    make_debt_figure(
        w.county_a,
        None,
        balance=Decimal("900.00"),
        financial_capacity=Decimal("1000.00"),
        warning_line=None,
        warning_ratio=Decimal("100.00"),
    )
    set_rule(w.county_a, RuleKind.DEBT_LINE, percent=Decimal("90.01"))
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []
    set_rule(w.county_a, RuleKind.DEBT_LINE, percent=Decimal("90.00"))
    evaluate(w.county_a)
    (warning,) = warnings_of(w.county_a)
    assert warning.dedupe_key == "debt:county"
    assert warning.agency is None
    assert warning.figure == Decimal("90.00")


def test_only_the_latest_debt_figure_counts(world):
    w = world
    only(w.county_a, RuleKind.DEBT_LINE)
    make_debt_figure(
        w.county_a, w.a1, as_of=days_ago(60), balance=Decimal("2000"), warning_line=Decimal("1000")
    )
    make_debt_figure(
        w.county_a, w.a1, as_of=days_ago(30), balance=Decimal("900"), warning_line=Decimal("1000")
    )
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []


# Disabled rules and other counties -----------------------------------------------------------


def test_disabled_rules_and_other_counties_raise_nothing(world):
    w = world
    complaint(w.a1, today())
    complaint(w.b1, today())
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=1, enabled=False)
    set_rule(w.county_b, RuleKind.COMPLAINTS, count=1)
    evaluate(w.county_a)
    assert warnings_of(w.county_a) == []
    evaluate(w.county_b)
    assert keys(w.county_b, RuleKind.COMPLAINTS) == [f"complaints:agency:{w.b1.pk}"]


@pytest.mark.parametrize("kind", RuleKind.values)
def test_every_tenant_has_every_rule_with_a_name_and_description(world, kind):
    from monitoring.rules import SPECS
    from monitoring.services import tenant_rules_ensure

    rules = {rule.kind: rule for rule in tenant_rules_ensure(tenant=world.county_a)}
    assert set(rules) == set(RuleKind.values)
    rule = rules[kind]
    rule.full_clean()  # the defaults satisfy the kind's required thresholds
    assert str(SPECS[kind].description)
    assert str(rule)
