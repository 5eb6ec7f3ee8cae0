"""API of campaign work: read with the HTML pages' scoping and permissions; the few writes
(ledger issues, repayments, investment projects) go through the same services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework import mixins
from rest_framework.permissions import SAFE_METHODS

from accounts.choices import AGENCY_ROLES
from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet

from .. import selectors, services
from ..choices import CampaignStatus
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
from . import filters
from . import serializers as s


def _agency_of(user):
    """Writes of ledgers and projects are an agency's, in its own ledger."""
    if user.agency_id is None:
        raise PermissionDenied
    return user.agency


class CampaignViewSet(ScopedReadOnlyViewSet):
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
    queryset = Participation.objects.order_by("id")
    serializer_class = s.ParticipationSerializer
    permission_read = "campaign.view"
    filterset_fields = ["tenant", "campaign", "agency"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.user.role in AGENCY_ROLES:
            queryset = queryset.exclude(campaign__status=CampaignStatus.DRAFT)
        return queryset


class LedgerIssueViewSet(ScopedViewSet):
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
    """Repayments are added (the amount repaid follows); a mistaken one is deleted in the
    ledger page."""

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
    queryset = Filing.objects.order_by("id").select_related("campaign")
    serializer_class = s.FilingSerializer
    permission_read = "filing.view"
    filterset_fields = ["tenant", "campaign", "agency", "kind", "status", "is_late"]


class FilingVersionViewSet(ScopedReadOnlyViewSet):
    queryset = FilingVersion.objects.order_by("id")
    serializer_class = s.FilingVersionSerializer
    permission_read = "filing.view"
    filterset_fields = ["tenant", "filing", "outcome", "is_late"]


class MilestoneViewSet(ScopedReadOnlyViewSet):
    queryset = Milestone.objects.order_by("id")
    serializer_class = s.MilestoneSerializer
    permission_read = "campaign.view"
    filterset_class = filters.MilestoneFilterSet


class MilestoneUpdateViewSet(ScopedReadOnlyViewSet):
    queryset = MilestoneUpdate.objects.order_by("id")
    serializer_class = s.MilestoneUpdateSerializer
    permission_read = "campaign.view"
    filterset_fields = ["tenant", "milestone"]


class InvestmentProjectViewSet(ScopedViewSet):
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
    """The office's duplicate-signing flags (agencies have no access: it would show other
    agencies' projects)."""

    queryset = DuplicateFlag.objects.order_by("id")
    serializer_class = s.DuplicateFlagSerializer
    permission_read = "investment.review"
    filterset_fields = ["tenant", "status", "reason", "project", "other"]
