from integrity.api import ScopedReadOnlyViewSet

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
from . import serializers as s


class ComplaintViewSet(ScopedReadOnlyViewSet):
    queryset = Complaint.objects.order_by("id")
    serializer_class = s.ComplaintSerializer
    permission_read = "complaint.view"
    filterset_fields = [
        "tenant",
        "agency",
        "domain",
        "channel",
        "status",
        "verification",
        "is_overdue",
    ]


class ProposalViewSet(ScopedReadOnlyViewSet):
    queryset = Proposal.objects.order_by("id")
    serializer_class = s.ProposalSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "kind", "satisfaction"]


class LitigationCaseViewSet(ScopedReadOnlyViewSet):
    queryset = LitigationCase.objects.order_by("id")
    serializer_class = s.LitigationCaseSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "head_appearance_required", "head_appeared"]


class JudgmentViewSet(ScopedReadOnlyViewSet):
    queryset = Judgment.objects.order_by("id")
    serializer_class = s.JudgmentSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "kind"]


class JudicialSuggestionViewSet(ScopedReadOnlyViewSet):
    queryset = JudicialSuggestion.objects.order_by("id")
    serializer_class = s.JudicialSuggestionSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency"]


class DebtorListingViewSet(ScopedReadOnlyViewSet):
    queryset = DebtorListing.objects.order_by("id")
    serializer_class = s.DebtorListingSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency"]


class EvaluationAssignmentViewSet(ScopedReadOnlyViewSet):
    queryset = EvaluationAssignment.objects.order_by("id").prefetch_related("agencies")
    serializer_class = s.EvaluationAssignmentSerializer
    permission_read = "evaluation.view"
    filterset_fields = ["tenant", "evaluator"]


class EvaluationScoreViewSet(ScopedReadOnlyViewSet):
    queryset = EvaluationScore.objects.order_by("id")
    serializer_class = s.EvaluationScoreSerializer
    permission_read = "evaluation.view"
    filterset_fields = ["tenant", "assignment", "agency", "status"]
