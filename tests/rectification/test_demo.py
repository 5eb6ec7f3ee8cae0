"""seed_demo's campaign work for 丰宁: a running campaign with ledgers in every status, arrears,
filings in every state, overdue milestones, a closed campaign and an open duplicate flag; and
running it twice changes nothing."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Agency, Notification, Tenant, User
from rectification import selectors
from rectification.choices import (
    CampaignStatus,
    FilingKind,
    FilingState,
    FilingStatus,
    FlagStatus,
    IssueStatus,
    VersionOutcome,
)
from rectification.models import (
    Campaign,
    DuplicateFlag,
    Filing,
    FilingVersion,
    InvestmentProject,
    LedgerIssue,
    Milestone,
    MilestoneUpdate,
    Participation,
    Repayment,
)

MODELS = (
    Campaign,
    Participation,
    LedgerIssue,
    Repayment,
    Filing,
    FilingVersion,
    Milestone,
    MilestoneUpdate,
    InvestmentProject,
    DuplicateFlag,
    User,
    Notification,
)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", verbosity=0)
    return Tenant.objects.get(division_code="130826")


def running(fengning):
    return Campaign.objects.get(
        tenant=fengning, title=f"{timezone.localdate().year}年政务诚信专项治理"
    )


def test_seed_twice_creates_the_campaign_once_and_changes_no_count(seeded):
    before = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == before
    campaign = running(seeded)
    assert Campaign.objects.filter(title=campaign.title).count() == 1
    assert campaign.status == CampaignStatus.LAUNCHED
    assert campaign.document_number == f"丰信用办〔{campaign.year}〕3号"
    assert (timezone.localdate() - timezone.localdate(campaign.launched_at)).days == 40
    assert before["Campaign"] == 2
    assert 30 <= LedgerIssue.objects.filter(campaign=campaign).count() <= 60


def test_campaign_scope_and_participants(seeded):
    campaign = running(seeded)
    assert set(campaign.domains.values_list("code", flat=True)) == {
        "government_procurement",
        "ppp",
        "bidding",
        "investment_attraction",
        "government_investment",
        "government_debt",
    }
    participants = campaign.participations.count()
    assert participants > Agency.objects.filter(tenant=seeded).count() / 2
    closed = Campaign.objects.get(tenant=seeded, status=CampaignStatus.CLOSED)
    assert closed.year == campaign.year - 1
    assert not LedgerIssue.objects.filter(campaign=closed).exclude(status="closed").exists()


def test_issues_in_every_status_some_overdue_and_arrears(seeded):
    campaign = running(seeded)
    issues = LedgerIssue.objects.filter(campaign=campaign)
    assert set(issues.values_list("status", flat=True)) == set(IssueStatus.values)
    today = timezone.localdate()
    overdue = issues.filter(status__in=("pending", "in_progress"), deadline__lt=today)
    assert overdue.count() >= 3
    arrears = issues.filter(amount_owed__isnull=False)
    assert issues.count() / 4 <= arrears.count() <= issues.count() / 2
    assert arrears.filter(creditor_is_sme=True).exists()
    for issue in arrears:
        issue.full_clean()  # credit codes carry valid check characters
        assert issue.amount_repaid == sum((r.amount for r in issue.repayments.all()), Decimal("0"))
    # Partial and full repayments, so that interest and days overdue show.
    positions = [selectors.issue_position(issue) for issue in arrears]
    assert any(p.outstanding == 0 and p.interest_due > 0 for p in positions)
    assert any(p.outstanding > 0 and p.repaid > 0 and p.days_overdue > 0 for p in positions)
    assert any(p.repaid == 0 and p.days_overdue > 0 for p in positions)
    # A founded complaint of the supervision demo made it into the ledger.
    assert issues.filter(source_complaint__isnull=False, source="complaint").count() == 1


def test_filings_in_every_state(seeded):
    campaign = running(seeded)
    filings = Filing.objects.filter(campaign=campaign)
    assert set(filings.values_list("status", flat=True)) == set(FilingStatus.values)
    grid = selectors.campaign_grid(campaign)
    report_states = {
        row["agency"].name: row["deliverables"][0]["state"] for row in grid
    }  # the self-inspection report, due 20 days ago
    assert set(report_states.values()) == {
        FilingState.ON_TIME,
        FilingState.LATE,
        FilingState.MISSING,
    }
    plan_states = {row["deliverables"][1]["state"] for row in grid}  # due 5 days ago
    assert plan_states == {FilingState.ON_TIME, FilingState.LATE, FilingState.MISSING}
    report_due = {row["deliverables"][2]["state"] for row in grid}  # due in 55 days
    assert report_due == {FilingState.ON_TIME, FilingState.NOT_DUE}
    missing = [name for name, state in report_states.items() if state == FilingState.MISSING]
    # 黑山嘴镇 files nothing; 大阁镇's draft and the report awaiting sign-off are not in yet.
    assert "黑山嘴镇" in missing
    assert not filings.filter(agency__name="黑山嘴镇").exists()

    # Returned and resubmitted: two versions, the first returned with the office's comment.
    resubmitted = filings.get(agency__name="县商务局", kind=FilingKind.SELF_INSPECTION_REPORT)
    versions = list(resubmitted.versions.order_by("number"))
    assert [v.outcome for v in versions] == [VersionOutcome.RETURNED, VersionOutcome.PENDING]
    assert versions[0].review_comment
    assert resubmitted.status == FilingStatus.SUBMITTED and not resubmitted.is_late
    assert versions[1].is_late and not versions[0].is_late


def test_demo_clerk_has_work_on_login(seeded):
    clerk = User.objects.get(username="fn-clerk")
    campaign = running(seeded)
    report = Filing.objects.get(
        campaign=campaign, agency=clerk.agency, kind=FilingKind.SELF_INSPECTION_REPORT
    )
    assert report.status == FilingStatus.RETURNED and report.review_comment
    plan = Filing.objects.get(
        campaign=campaign, agency=clerk.agency, kind=FilingKind.RECTIFICATION_PLAN
    )
    assert plan.status == FilingStatus.DRAFT
    tasks = selectors.agency_tasks(clerk)
    kinds = {task["kind"] for task in tasks}
    assert kinds == {"filing", "milestone", "issue"}
    assert any(task["days_left"] < 0 for task in tasks if task["kind"] == "milestone")


def test_milestones_done_in_progress_and_overdue(seeded):
    campaign = running(seeded)
    fengning_office = User.objects.get(username="fn-office")
    overdue = selectors.overdue_milestones(fengning_office).filter(campaign=campaign)
    assert overdue.count() >= 1
    assert overdue.filter(progress__gt=0).exists()
    milestones = Milestone.objects.filter(campaign=campaign)
    done = milestones.filter(status="done")
    assert done.exists()
    assert all(m.completed_on < timezone.localdate() for m in done)
    assert milestones.filter(status="open", progress__gt=0, updates__isnull=False).exists()


def test_open_duplicate_flag_for_the_office(seeded):
    flags = DuplicateFlag.objects.filter(tenant=seeded)
    open_flags = flags.filter(status=FlagStatus.OPEN)
    assert open_flags.count() >= 1
    flag = open_flags.get(reason="same_investor")
    assert flag.project.investor_credit_code == flag.other.investor_credit_code
    assert flag.project.agency_id != flag.other.agency_id
    assert flags.filter(status=FlagStatus.DISMISSED).exists()
