from rest_framework import serializers

from ..models import (
    Complaint,
    DebtorListing,
    EvaluationAssignment,
    EvaluationScore,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)
from ..selectors import complainant_for


class ComplaintSerializer(serializers.ModelSerializer):
    complainant = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tenant",
            "channel",
            "agency",
            "domain",
            "title",
            "content",
            "amount",
            "occurred_on",
            "status",
            "received_on",
            "reply_deadline",
            "agency_reply",
            "replied_at",
            "verification",
            "verification_note",
            "verified_at",
            "closed_at",
            "is_overdue",
            "trust_record",
            "complainant",
            "updated_at",
        ]
        read_only_fields = fields

    def get_complainant(self, obj) -> dict | None:
        """Only office roles see who complained; the agency never does."""
        request = self.context.get("request")
        return complainant_for(request.user, obj) if request is not None else None


class ProposalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Proposal
        fields = [
            "id",
            "tenant",
            "agency",
            "kind",
            "number",
            "title",
            "assigned_on",
            "reply_deadline",
            "replied_on",
            "satisfaction",
            "note",
        ]
        read_only_fields = fields


class LitigationCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = LitigationCase
        fields = [
            "id",
            "tenant",
            "agency",
            "case_number",
            "court",
            "cause",
            "hearing_date",
            "head_appearance_required",
            "head_appeared",
            "note",
        ]
        read_only_fields = fields


class JudgmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Judgment
        fields = [
            "id",
            "tenant",
            "agency",
            "kind",
            "case_number",
            "authority",
            "effective_on",
            "due_on",
            "executed_on",
            "amount",
            "note",
        ]
        read_only_fields = fields


class JudicialSuggestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = JudicialSuggestion
        fields = [
            "id",
            "tenant",
            "agency",
            "number",
            "court",
            "received_on",
            "due_on",
            "answered_on",
            "content",
        ]
        read_only_fields = fields


class DebtorListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = DebtorListing
        fields = [
            "id",
            "tenant",
            "agency",
            "case_number",
            "court",
            "listed_on",
            "removed_on",
            "amount",
        ]
        read_only_fields = fields


class EvaluationAssignmentSerializer(serializers.ModelSerializer):
    agencies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = EvaluationAssignment
        fields = ["id", "tenant", "evaluator", "title", "period_start", "period_end", "agencies"]
        read_only_fields = fields


class EvaluationScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationScore
        fields = [
            "id",
            "tenant",
            "assignment",
            "agency",
            "score",
            "comments",
            "status",
            "rejection_reason",
            "submitted_at",
        ]
        read_only_fields = fields
