"""Serializers of campaign work. They check shape only: numbering, scope, workflow and arrears
rules are the services' (`rectification.services`), called by the viewsets."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from domains.models import KeyDomain, ProblemType

from ..choices import OPEN_ISSUE_STATUSES, MilestoneStatus
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
from ..selectors import campaigns_for_user, issue_position
from ..services import ISSUE_FIELDS


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None), getattr(request, "method", "GET")


class CampaignSerializer(serializers.ModelSerializer):
    domains = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    agencies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "tenant",
            "title",
            "document_number",
            "year",
            "description",
            "status",
            "domains",
            "agencies",
            "report_deadline",
            "plan_deadline",
            "completion_deadline",
            "launched_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ParticipationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Participation
        fields = ["id", "tenant", "campaign", "agency", "notified_at"]
        read_only_fields = fields


# Money computed on the fly: a decimal string, or null when there are no arrears.
DECIMAL_OR_NULL = {"type": "string", "format": "decimal", "nullable": True}

ISSUE_READ_ONLY = [
    "id",
    "tenant",
    "agency",
    "number",
    "amount_repaid",
    "rectification_note",
    "rectified_on",
    "verification_note",
    "closed_at",
    "closed_by",
    "source_complaint",
    "created_by",
    "created_at",
    "updated_at",
]


class LedgerIssueSerializer(serializers.ModelSerializer):
    """An issue with its derived arrears position (outstanding, days overdue, late interest
    due today) and overdue flag. Created in the ledger of the user's agency."""

    payment_due_on = serializers.SerializerMethodField()
    outstanding = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()
    interest_due = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = LedgerIssue
        fields = [
            *ISSUE_READ_ONLY[:4],
            "campaign",
            *ISSUE_FIELDS,
            *ISSUE_READ_ONLY[4:],
            "payment_due_on",
            "outstanding",
            "days_overdue",
            "interest_due",
            "is_overdue",
        ]
        read_only_fields = ISSUE_READ_ONLY
        # Numbering and scope are the service's; credit codes are normalised before checking.
        validators = []
        extra_kwargs = {
            "subject_credit_code": {"validators": []},
            "creditor_credit_code": {"validators": []},
            "deadline": {"required": False},
        }

    def get_fields(self):
        fields = super().get_fields()
        user, _method = _user(self)
        if user is not None and user.is_authenticated:
            fields["campaign"].queryset = campaigns_for_user(user)
            fields["domain"].queryset = KeyDomain.objects.for_user(user)
            fields["problem_type"].queryset = ProblemType.objects.for_user(user)
        return fields

    def validate_campaign(self, campaign):
        if self.instance is not None and campaign.pk != self.instance.campaign_id:
            raise serializers.ValidationError("An issue cannot move to another campaign.")
        return campaign

    def _position(self, obj):
        if not hasattr(obj, "_arrears_position"):
            obj._arrears_position = issue_position(obj)
        return obj._arrears_position

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_payment_due_on(self, obj):
        position = self._position(obj)
        return position.due_on.isoformat() if position and position.due_on else None

    @extend_schema_field(DECIMAL_OR_NULL)
    def get_outstanding(self, obj) -> str | None:
        position = self._position(obj)
        return str(position.outstanding) if position else None

    def get_days_overdue(self, obj) -> int:
        position = self._position(obj)
        return position.days_overdue if position else 0

    @extend_schema_field(DECIMAL_OR_NULL)
    def get_interest_due(self, obj) -> str | None:
        position = self._position(obj)
        return str(position.interest_due) if position else None

    def get_is_overdue(self, obj) -> bool:
        return obj.status in OPEN_ISSUE_STATUSES and obj.deadline < timezone.localdate()


class RepaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Repayment
        fields = ["id", "tenant", "issue", "paid_on", "amount", "note", "created_by", "created_at"]
        read_only_fields = ["id", "tenant", "created_by", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        user, method = _user(self)
        if user is not None and user.is_authenticated:
            issues = LedgerIssue.objects
            fields["issue"].queryset = (
                issues.for_user(user) if method in SAFE_METHODS else issues.writable_by(user)
            )
        return fields

    def validate_amount(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("Enter an amount above zero.")
        return value


class FilingSerializer(serializers.ModelSerializer):
    deadline = serializers.DateField(read_only=True)

    class Meta:
        model = Filing
        fields = [
            "id",
            "tenant",
            "campaign",
            "agency",
            "kind",
            "status",
            "deadline",
            "sections",
            "signoff_comment",
            "review_comment",
            "first_submitted_at",
            "is_late",
            "submitted_at",
            "accepted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FilingVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FilingVersion
        fields = [
            "id",
            "tenant",
            "filing",
            "number",
            "sections",
            "figures",
            "attachments",
            "prepared_by",
            "signed_off_by",
            "submitted_at",
            "is_late",
            "outcome",
            "review_comment",
            "reviewed_by",
            "reviewed_at",
        ]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "tenant",
            "campaign",
            "agency",
            "title",
            "due_on",
            "owner",
            "status",
            "progress",
            "completed_on",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        return obj.status == MilestoneStatus.OPEN and obj.due_on < timezone.localdate()


class MilestoneUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MilestoneUpdate
        fields = ["id", "tenant", "milestone", "note", "progress", "created_by", "created_at"]
        read_only_fields = fields


class InvestmentProjectSerializer(serializers.ModelSerializer):
    """A signed project of the user's agency; saving it runs the duplicate detection."""

    class Meta:
        model = InvestmentProject
        fields = [
            "id",
            "tenant",
            "agency",
            "name",
            "investor_name",
            "investor_credit_code",
            "signed_on",
            "amount",
            "industry",
            "location",
            "commitments",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "tenant", "agency", "created_at", "updated_at"]
        # The service normalises the code (case, spaces) before the model checks it.
        extra_kwargs = {"investor_credit_code": {"validators": []}}


class DuplicateFlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = DuplicateFlag
        fields = [
            "id",
            "tenant",
            "project",
            "other",
            "reason",
            "similarity",
            "status",
            "note",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields
