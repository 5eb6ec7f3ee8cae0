"""API of campaign work: read with the HTML pages' scoping and permissions; the few writes
(ledger issues, repayments, investment projects) go through the same services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework import mixins
from rest_framework.permissions import SAFE_METHODS

from accounts.choices import AGENCY_ROLES
from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet
from integrity.api_lean import LeanListMixin

from .. import selectors, services
from ..choices import OPEN_ISSUE_STATUSES, CampaignStatus
from ..models import (
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
from ..rules import arrears_position
from . import filters
from . import serializers as s


def _agency_of(user):
    """Writes of ledgers and projects are an agency's, in its own ledger."""
    if user.agency_id is None:
        raise PermissionDenied
    return user.agency


class CampaignViewSet(ScopedReadOnlyViewSet):
    """专项治理行动：年度、状态、三个期限与参与单位、领域；单位只看到其参与且已启动的行动。 /
    Campaigns: year, status, the three deadlines, participating agencies and domains; an agency
    sees only the launched campaigns it takes part in."""

    queryset = Campaign.objects.order_by("id")
    serializer_class = s.CampaignSerializer
    permission_read = "campaign.view"
    filterset_fields = ["tenant", "status", "year"]

    def get_queryset(self):
        # Agencies see the campaigns they take part in, once launched.
        return (
            selectors.campaigns_for_user(self.request.user)
            .order_by("id")
            .prefetch_related("domains", "agencies")
        )


class ParticipationViewSet(ScopedReadOnlyViewSet):
    """单位参与专项治理行动的记录。 /
    The agencies' participation in campaigns."""

    queryset = Participation.objects.order_by("id")
    serializer_class = s.ParticipationSerializer
    permission_read = "campaign.view"
    filterset_fields = ["tenant", "campaign", "agency"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.user.role in AGENCY_ROLES:
            queryset = queryset.exclude(campaign__status=CampaignStatus.DRAFT)
        return queryset


class LedgerIssueViewSet(LeanListMixin, ScopedViewSet):
    """问题台账：每个问题一行，含整改期限、状态、领域扩展字段与拖欠账款（欠款、还款、逾期）；单位
    填报员与负责人在本单位台账中新建和修改。 /
    The issue ledger: one row per problem with its deadline, status, the domain's extra fields
    and the arrears (owed, repaid, overdue); agency clerks and leaders create and change rows of
    their own agency's ledger."""

    queryset = LedgerIssue.objects.order_by("id")
    serializer_class = s.LedgerIssueSerializer
    permission_read = "ledger.view"
    permission_write = "ledger.edit"
    filterset_class = filters.LedgerIssueFilterSet

    def get_queryset(self):
        user = self.request.user
        if self.request.method in SAFE_METHODS:
            queryset = selectors.issues_for_user(user)
        else:
            queryset = LedgerIssue.objects.writable_by(user)
        return queryset.order_by("id").prefetch_related("repayments")

    # A county's ledger is synced in full by the city platform: a lean page (integrity.api_lean)
    # with the arrears position computed from the page's repayments (one query).
    lean_custom = frozenset(
        {"payment_due_on", "outstanding", "days_overdue", "interest_due", "is_overdue"}
    )
    lean_columns = ("amount_owed", "accepted_on", "payment_term_days", "daily_interest_rate")

    def lean_finish(self, rows, data):
        today = timezone.localdate()
        # The page's repayments in one query, whatever the rows (a fixed query count).
        page = [row["id"] for row in rows]
        repayments = {}
        for issue_id, paid_on, amount in Repayment.objects.filter(issue_id__in=page).values_list(
            "issue_id", "paid_on", "amount"
        ):
            repayments.setdefault(issue_id, []).append((paid_on, amount))
        for row, item in zip(rows, data, strict=True):
            position = None
            if row["amount_owed"] is not None:
                position = arrears_position(
                    owed=row["amount_owed"],
                    accepted_on=row["accepted_on"],
                    term_days=row["payment_term_days"],
                    repayments=repayments.get(row["id"], []),
                    today=today,
                    daily_rate=row["daily_interest_rate"],
                )
            due = position.due_on if position else None
            item["payment_due_on"] = due.isoformat() if due else None
            item["outstanding"] = str(position.outstanding) if position else None
            item["days_overdue"] = position.days_overdue if position else 0
            item["interest_due"] = str(position.interest_due) if position else None
            item["is_overdue"] = row["status"] in OPEN_ISSUE_STATUSES and row["deadline"] < today

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        campaign = data.pop("campaign")
        serializer.instance = services.issue_create(
            campaign=campaign,
            agency=_agency_of(self.request.user),
            data=data,
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        issue = services.issue_update(issue=serializer.instance, data=data, actor=self.request.user)
        serializer.instance = LedgerIssue.objects.prefetch_related("repayments").get(pk=issue.pk)


class RepaymentViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """还款记录：拖欠账款的逐笔还款（已还金额随之更新）；误录的还款在台账页面删除。 /
    Repayments of arrears, one dated row each (the amount repaid follows); a mistaken one is
    deleted in the ledger page."""

    queryset = Repayment.objects.order_by("id")
    serializer_class = s.RepaymentSerializer
    permission_read = "ledger.view"
    permission_write = "ledger.edit"
    filterset_fields = ["tenant", "issue"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        issue = data.pop("issue")
        serializer.instance = services.repayment_add(
            issue=issue, data=data, actor=self.request.user
        )


class FilingViewSet(ScopedReadOnlyViewSet):
    """报送材料：自查报告、整改方案与整改报告，含状态与是否逾期。 /
    Filings: self-inspection report, rectification plan and rectification report, with their
    status and lateness."""

    queryset = Filing.objects.order_by("id").select_related("campaign")
    serializer_class = s.FilingSerializer
    permission_read = "filing.view"
    filterset_fields = ["tenant", "campaign", "agency", "kind", "status", "is_late"]


class FilingVersionViewSet(ScopedReadOnlyViewSet):
    """报送材料的各次提交版本（签发时冻结的内容与数字）及审核结果。 /
    Every submitted version of a filing (content and figures frozen at sign-off) with the review
    outcome."""

    queryset = FilingVersion.objects.order_by("id")
    serializer_class = s.FilingVersionSerializer
    permission_read = "filing.view"
    filterset_fields = ["tenant", "filing", "outcome", "is_late"]


class MilestoneViewSet(ScopedReadOnlyViewSet):
    """整改节点：到期日、完成状态与是否逾期。 /
    Milestones: due date, completion and whether overdue."""

    queryset = Milestone.objects.order_by("id")
    serializer_class = s.MilestoneSerializer
    permission_read = "campaign.view"
    filterset_class = filters.MilestoneFilterSet


class MilestoneUpdateViewSet(ScopedReadOnlyViewSet):
    """整改节点的进展更新。 /
    Progress updates of milestones."""

    queryset = MilestoneUpdate.objects.order_by("id")
    serializer_class = s.MilestoneUpdateSerializer
    permission_read = "campaign.view"
    filterset_fields = ["tenant", "milestone"]


class InvestmentProjectViewSet(ScopedViewSet):
    """招商引资项目统一台账：投资方、签约日期、金额与状态；单位在本单位台账中新建和修改，保存时比
    对重复签约。 /
    The integrated investment-project ledger: investor, signing date, amount and status;
    agencies create and change their own projects, and saving checks for duplicate signings."""

    queryset = InvestmentProject.objects.order_by("id")
    serializer_class = s.InvestmentProjectSerializer
    permission_read = "investment.view"
    permission_write = "investment.edit"
    filterset_class = filters.InvestmentProjectFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.project_save(
            agency=_agency_of(self.request.user),
            data=dict(serializer.validated_data),
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        project = serializer.instance
        serializer.instance = services.project_save(
            agency=project.agency,
            data=dict(serializer.validated_data),
            actor=self.request.user,
            project=project,
        )


class DuplicateFlagViewSet(ScopedReadOnlyViewSet):
    """重复签约标记：投资项目与其他单位项目疑似重复的记录，供信用办确认或排除；单位无权访问（否则
    会看到其他单位的项目）。 /
    Duplicate-signing flags: projects that look like another agency's, for the office to confirm
    or dismiss; agencies have no access (it would show other agencies' projects)."""

    queryset = DuplicateFlag.objects.order_by("id")
    serializer_class = s.DuplicateFlagSerializer
    permission_read = "investment.review"
    filterset_fields = ["tenant", "status", "reason", "project", "other"]
