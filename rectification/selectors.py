"""Reads of campaign work: scoped querysets with the derived overdue flag, the figures a filing
freezes, the office's campaign grid and the agency's task list. Aggregates are set-based: a fixed
number of queries whatever the number of agencies."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.choices import AGENCY_ROLES

from .choices import (
    OPEN_ISSUE_STATUSES,
    CampaignStatus,
    FilingKind,
    FilingState,
    FilingStatus,
    IssueStatus,
    MilestoneStatus,
)
from .models import Campaign, Filing, LedgerIssue, Milestone, Participation
from .rules import arrears_position, days_left

SUBMITTED_STATUSES = (FilingStatus.SUBMITTED, FilingStatus.ACCEPTED, FilingStatus.RETURNED)


def campaigns_for_user(user) -> QuerySet:
    """Campaigns the user may read; agencies see only launched (or closed) ones."""
    qs = Campaign.objects.for_user(user)
    if getattr(user, "role", None) in AGENCY_ROLES:
        qs = qs.exclude(status=CampaignStatus.DRAFT)
    return qs


def with_overdue(issues: QuerySet, today: date | None = None) -> QuerySet:
    """Annotate `is_overdue`: still open after its deadline (derived, never stale)."""
    today = today or timezone.localdate()
    return issues.annotate(
        is_overdue=Case(
            When(status__in=OPEN_ISSUE_STATUSES, deadline__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def issues_for_user(user, today: date | None = None) -> QuerySet:
    return with_overdue(
        LedgerIssue.objects.for_user(user).exclude(campaign__status=CampaignStatus.DRAFT), today
    )


def overdue_issues(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return issues_for_user(user, today).filter(
        status__in=OPEN_ISSUE_STATUSES,
        deadline__lt=today,
        campaign__status=CampaignStatus.LAUNCHED,
    )


def overdue_milestones(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return Milestone.objects.for_user(user).filter(
        status=MilestoneStatus.OPEN,
        due_on__lt=today,
        campaign__status=CampaignStatus.LAUNCHED,
    )


def issue_position(issue: LedgerIssue, today: date | None = None):
    """The arrears position of an issue today (None without arrears)."""
    if issue.amount_owed is None:
        return None
    return arrears_position(
        owed=issue.amount_owed,
        accepted_on=issue.accepted_on,
        term_days=issue.payment_term_days,
        repayments=[(r.paid_on, r.amount) for r in issue.repayments.all()],
        today=today or timezone.localdate(),
        daily_rate=issue.daily_interest_rate,
    )


def filing_state(filing: Filing | None, deadline: date, today: date) -> str:
    if filing is not None and filing.first_submitted_at is not None:
        return FilingState.LATE if filing.is_late else FilingState.ON_TIME
    return FilingState.MISSING if today > deadline else FilingState.NOT_DUE


def _money(value) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def filing_figures(filing: Filing) -> dict:
    """What the ledger said when the filing was signed off, frozen into its version:
    issues by domain (with arrears totals), by status, and, for a plan, its milestones."""
    issues = LedgerIssue.objects.filter(campaign_id=filing.campaign_id, agency_id=filing.agency_id)
    by_domain = [
        {
            "domain": row["domain__name"],
            "issues": row["issues"],
            "closed": row["closed"],
            "owed": _money(row["owed"]),
            "repaid": _money(row["repaid"]),
        }
        for row in issues.values("domain__name", "domain__position")
        .annotate(
            issues=Count("id"),
            closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
            owed=Sum("amount_owed"),
            repaid=Sum("amount_repaid"),
        )
        .order_by("domain__position", "domain__name")
    ]
    by_type = [
        {"problem_type": row["problem_type__name"], "issues": row["issues"]}
        for row in issues.values("problem_type__name")
        .annotate(issues=Count("id"))
        .order_by("problem_type__name")
    ]
    statuses = dict(issues.values_list("status").annotate(n=Count("id")))
    figures = {
        "by_domain": by_domain,
        "by_type": by_type,
        "by_status": {status: statuses.get(status, 0) for status in IssueStatus.values},
        "total": sum(statuses.values()),
    }
    if filing.kind == FilingKind.RECTIFICATION_PLAN:
        figures["milestones"] = [
            {"title": m.title, "due_on": m.due_on.isoformat(), "owner": m.owner}
            for m in Milestone.objects.filter(
                campaign_id=filing.campaign_id, agency_id=filing.agency_id
            ).order_by("due_on", "id")
        ]
    return figures


def campaign_grid(campaign: Campaign, today: date | None = None) -> list[dict]:
    """One row per participating agency: each deliverable's state (on time / late / missing /
    not due) with its dates, issues by status, arrears owed and repaid, overdue milestones.
    Five queries whatever the number of agencies."""
    today = today or timezone.localdate()
    participations = list(
        Participation.objects.filter(campaign=campaign)
        .select_related("agency")
        .order_by("agency__name")
    )
    filings = defaultdict(dict)
    for filing in Filing.objects.filter(campaign=campaign):
        filings[filing.agency_id][filing.kind] = filing
    issue_rows = {
        row["agency_id"]: row
        for row in LedgerIssue.objects.filter(campaign=campaign)
        .values("agency_id")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(status=IssueStatus.PENDING)),
            in_progress=Count("id", filter=Q(status=IssueStatus.IN_PROGRESS)),
            rectified=Count("id", filter=Q(status=IssueStatus.RECTIFIED)),
            closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
            overdue=Count("id", filter=Q(status__in=OPEN_ISSUE_STATUSES, deadline__lt=today)),
            owed=Sum("amount_owed"),
            repaid=Sum("amount_repaid"),
        )
    }
    milestone_rows = {
        row["agency_id"]: row
        for row in Milestone.objects.filter(campaign=campaign)
        .values("agency_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=MilestoneStatus.DONE)),
            overdue=Count("id", filter=Q(status=MilestoneStatus.OPEN, due_on__lt=today)),
        )
    }
    grid = []
    empty_issues = {
        "total": 0,
        "pending": 0,
        "in_progress": 0,
        "rectified": 0,
        "closed": 0,
        "overdue": 0,
        "owed": None,
        "repaid": None,
    }
    for participation in participations:
        agency_id = participation.agency_id
        deliverables = []
        for kind in FilingKind.values:
            filing = filings[agency_id].get(kind)
            deadline = campaign.deadline_for(kind)
            deliverables.append(
                {
                    "kind": kind,
                    "filing": filing,
                    "deadline": deadline,
                    "state": filing_state(filing, deadline, today),
                    "submitted_at": filing.first_submitted_at if filing else None,
                    "status": filing.status if filing else None,
                }
            )
        issues = issue_rows.get(agency_id, empty_issues)
        owed = issues["owed"] or Decimal("0")
        repaid = issues["repaid"] or Decimal("0")
        grid.append(
            {
                "agency": participation.agency,
                "deliverables": deliverables,
                "issues": issues,
                "owed": owed,
                "repaid": repaid,
                "outstanding": owed - repaid,
                "milestones": milestone_rows.get(agency_id, {"total": 0, "done": 0, "overdue": 0}),
            }
        )
    return grid


def campaign_breakdown(campaign: Campaign, issues: QuerySet | None = None) -> dict:
    """Issues of the campaign by domain × status and by problem type × status."""
    issues = issues if issues is not None else LedgerIssue.objects.filter(campaign=campaign)

    def table(field, position):
        # In the configured order of domains and problem types, as everywhere else.
        rows = defaultdict(lambda: dict.fromkeys(IssueStatus.values, 0))
        counted = issues.values(field, position, "status").annotate(n=Count("id"))
        for row in counted.order_by(position, field):
            rows[row[field]][row["status"]] = row["n"]
        return [
            {"label": label, "counts": counts, "total": sum(counts.values())}
            for label, counts in rows.items()
        ]

    return {
        "by_domain": table("domain__name", "domain__position"),
        "by_type": table("problem_type__name", "problem_type__position"),
    }


def agency_tasks(user, today: date | None = None) -> list[dict]:
    """An agency's to-do list across running campaigns: deliverables not yet filed, open
    milestones and open ledger issues, each with its deadline and days left, soonest first."""
    today = today or timezone.localdate()
    if user.role not in AGENCY_ROLES or not user.agency_id:
        return []
    campaigns = list(
        Campaign.objects.for_user(user).filter(status=CampaignStatus.LAUNCHED).distinct()
    )
    filings = {
        (f.campaign_id, f.kind): f
        for f in Filing.objects.for_user(user).filter(campaign__in=campaigns)
    }
    tasks = []
    for campaign in campaigns:
        for kind, label in FilingKind.choices:
            filing = filings.get((campaign.pk, kind))
            if filing is not None and filing.status in (
                FilingStatus.SUBMITTED,
                FilingStatus.ACCEPTED,
            ):
                continue
            deadline = campaign.deadline_for(kind)
            tasks.append(
                {
                    "kind": "filing",
                    "campaign": campaign,
                    "label": label,
                    "status": filing.get_status_display() if filing else "",
                    "deadline": deadline,
                    "days_left": days_left(deadline, today),
                    "filing_kind": kind,
                    "object": filing,
                }
            )
    for milestone in (
        Milestone.objects.for_user(user)
        .filter(campaign__in=campaigns, status=MilestoneStatus.OPEN)
        .select_related("campaign")
    ):
        tasks.append(
            {
                "kind": "milestone",
                "campaign": milestone.campaign,
                "label": milestone.title,
                "status": f"{milestone.progress}%",
                "deadline": milestone.due_on,
                "days_left": days_left(milestone.due_on, today),
                "object": milestone,
            }
        )
    for issue in (
        LedgerIssue.objects.for_user(user)
        .filter(campaign__in=campaigns, status__in=OPEN_ISSUE_STATUSES)
        .select_related("campaign")
    ):
        tasks.append(
            {
                "kind": "issue",
                "campaign": issue.campaign,
                "label": f"{issue.number} {issue.subject_name}",
                "status": issue.get_status_display(),
                "deadline": issue.deadline,
                "days_left": days_left(issue.deadline, today),
                "object": issue,
            }
        )
    tasks.sort(key=lambda t: (t["deadline"], t["kind"]))
    return tasks


# Figures the supervision score reads (issue 6). Same contract as supervision.selectors:
# {agency id: {code: value}} for every agency of the tenant, one aggregate query per table.

FIGURES: dict[str, str] = {
    "reports_due": "self-inspection reports due in the period (campaigns the agency takes part "
    "in whose report deadline falls in the period)",
    "reports_on_time": "of those, first submitted to the office on or before the deadline",
    "filings_due": "all campaign deliverables (self-inspection report, rectification plan, "
    "rectification report) due in the period",
    "filings_on_time": "of those, first submitted on or before their deadline",
    "issues_due": "ledger issues whose rectification deadline falls in the period",
    "issues_closed": "of those, closed (销号) by the office by the end of the period",
    "milestones_due": "rectification milestones due in the period",
    "milestones_on_time": "of those, completed on or before the due date",
    "arrears_owed": "yuan owed to enterprises on ledger issues discovered by the end of the period",
    "arrears_repaid": "of that, yuan repaid by the end of the period",
}

_DEADLINE_FIELDS = {
    FilingKind.SELF_INSPECTION_REPORT: "report_deadline",
    FilingKind.RECTIFICATION_PLAN: "plan_deadline",
    FilingKind.RECTIFICATION_REPORT: "completion_deadline",
}


def agency_figures(*, tenant, start: date, end: date) -> dict[int, dict[str, object]]:
    """{agency id: {figure code: value}} for every agency of the tenant (active or not)."""
    from accounts.models import Agency

    from .models import Repayment

    period = (start, end)
    running = Q(campaign__status__in=[CampaignStatus.LAUNCHED, CampaignStatus.CLOSED])
    due = {}
    for kind, field in _DEADLINE_FIELDS.items():
        due[kind] = Q(**{f"campaign__{field}__range": period})
    filing_due = due[FilingKind.SELF_INSPECTION_REPORT]
    any_due = filing_due | due[FilingKind.RECTIFICATION_PLAN] | due[FilingKind.RECTIFICATION_REPORT]
    # Deliverables due: one per participation and kind whose deadline is in the period.
    deliverables = Participation.objects.filter(running, tenant=tenant).values("agency_id")
    due_counts = {
        row.pop("agency_id"): row
        for row in deliverables.order_by().annotate(
            reports_due=Count("id", filter=filing_due),
            filings_due=Count("id", filter=due[FilingKind.SELF_INSPECTION_REPORT])
            + Count("id", filter=due[FilingKind.RECTIFICATION_PLAN])
            + Count("id", filter=due[FilingKind.RECTIFICATION_REPORT]),
        )
    }
    on_time = Q(first_submitted_at__isnull=False, is_late=False)
    filing_counts = {
        row.pop("agency_id"): row
        for row in Filing.objects.filter(running, any_due, tenant=tenant)
        .values("agency_id")
        .order_by()
        .annotate(
            reports_on_time=Count(
                "id",
                filter=on_time & Q(kind=FilingKind.SELF_INSPECTION_REPORT) & filing_due,
            ),
            filings_on_time=Count(
                "id",
                filter=on_time
                & (
                    (Q(kind=FilingKind.SELF_INSPECTION_REPORT) & filing_due)
                    | (Q(kind=FilingKind.RECTIFICATION_PLAN) & due[FilingKind.RECTIFICATION_PLAN])
                    | (
                        Q(kind=FilingKind.RECTIFICATION_REPORT)
                        & due[FilingKind.RECTIFICATION_REPORT]
                    )
                ),
            ),
        )
    }
    issue_counts = {
        row.pop("agency_id"): row
        for row in LedgerIssue.objects.filter(running, tenant=tenant)
        .values("agency_id")
        .order_by()
        .annotate(
            issues_due=Count("id", filter=Q(deadline__range=period)),
            issues_closed=Count(
                "id",
                filter=Q(
                    deadline__range=period, status=IssueStatus.CLOSED, closed_at__date__lte=end
                ),
            ),
            arrears_owed=Sum(
                "amount_owed", filter=Q(amount_owed__isnull=False, discovered_on__lte=end)
            ),
        )
    }
    repaid = {
        row["issue__agency_id"]: row["total"]
        for row in Repayment.objects.filter(
            tenant=tenant,
            paid_on__lte=end,
            issue__discovered_on__lte=end,
            issue__campaign__status__in=[CampaignStatus.LAUNCHED, CampaignStatus.CLOSED],
        )
        .values("issue__agency_id")
        .order_by()
        .annotate(total=Sum("amount"))
    }
    milestone_counts = {
        row.pop("agency_id"): row
        for row in Milestone.objects.filter(running, tenant=tenant)
        .values("agency_id")
        .order_by()
        .annotate(
            milestones_due=Count("id", filter=Q(due_on__range=period)),
            milestones_on_time=Count(
                "id",
                filter=Q(
                    due_on__range=period,
                    status=MilestoneStatus.DONE,
                    completed_on__lte=F("due_on"),
                ),
            ),
        )
    }
    zero = Decimal("0.00")
    figures = {}
    for agency_id in Agency.objects.filter(tenant=tenant).values_list("id", flat=True):
        values = dict.fromkeys(FIGURES, 0)
        for table in (due_counts, filing_counts, issue_counts, milestone_counts):
            values.update(table.get(agency_id, {}))
        values["arrears_owed"] = (values["arrears_owed"] or zero).quantize(Decimal("0.01"))
        values["arrears_repaid"] = (repaid.get(agency_id) or zero).quantize(Decimal("0.01"))
        figures[agency_id] = values
    return figures
