"""Filter sets of the campaign-work API (query parameters of the list endpoints)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from ..choices import OPEN_ISSUE_STATUSES, MilestoneStatus
from ..models import InvestmentProject, LedgerIssue, Milestone


class LedgerIssueFilterSet(filters.FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("Open after its deadline"))
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")

    class Meta:
        model = LedgerIssue
        fields = [
            "tenant",
            "campaign",
            "agency",
            "domain",
            "problem_type",
            "source",
            "status",
            "creditor_is_sme",
        ]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=OPEN_ISSUE_STATUSES, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class MilestoneFilterSet(filters.FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("Open after its due date"))

    class Meta:
        model = Milestone
        fields = ["tenant", "campaign", "agency", "status"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=MilestoneStatus.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class InvestmentProjectFilterSet(filters.FilterSet):
    signed_since = filters.DateFilter(field_name="signed_on", lookup_expr="gte")
    signed_until = filters.DateFilter(field_name="signed_on", lookup_expr="lte")
    industry = filters.CharFilter(field_name="industry", lookup_expr="icontains")

    class Meta:
        model = InvestmentProject
        fields = ["tenant", "agency", "status", "investor_credit_code"]
