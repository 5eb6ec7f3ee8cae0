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
    """投诉举报：渠道、被投诉单位、受理与转办、单位答复、核实结论与办结；
    投诉人身份只返回给信用办。 /
    Complaints: channel, agency complained about, receipt and assignment, the agency's reply,
    verification and closing; the complainant's identity is returned to office roles only."""

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
    """人大建议与政协提案：交办日期、答复期限、答复日期与满意度。 /
    NPC suggestions and CPPCC proposals: assignment date, reply deadline, reply date and
    satisfaction."""

    queryset = Proposal.objects.order_by("id")
    serializer_class = s.ProposalSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "kind", "satisfaction"]


class LitigationCaseViewSet(ScopedReadOnlyViewSet):
    """行政诉讼案件：开庭日期、是否要求及是否实际由负责人出庭应诉。 /
    Administrative litigation: hearing date, whether the head's appearance was required and
    made."""

    queryset = LitigationCase.objects.order_by("id")
    serializer_class = s.LitigationCaseSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "head_appearance_required", "head_appeared"]


class JudgmentViewSet(ScopedReadOnlyViewSet):
    """生效判决与仲裁裁决：履行期限与实际履行日期、金额。 /
    Judgments and arbitral awards: due date, date performed and amount."""

    queryset = Judgment.objects.order_by("id")
    serializer_class = s.JudgmentSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency", "kind"]


class JudicialSuggestionViewSet(ScopedReadOnlyViewSet):
    """司法建议：收到日期、答复期限与答复日期。 /
    Judicial suggestions: date received, answer deadline and date answered."""

    queryset = JudicialSuggestion.objects.order_by("id")
    serializer_class = s.JudicialSuggestionSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency"]


class DebtorListingViewSet(ScopedReadOnlyViewSet):
    """失信被执行人名单：单位被列入与移出的日期、法院、案号与金额。 /
    Dishonest-judgment-debtor listings: dates the agency was listed and removed, court, case
    number and amount."""

    queryset = DebtorListing.objects.order_by("id")
    serializer_class = s.DebtorListingSerializer
    permission_read = "supervision.view"
    filterset_fields = ["tenant", "agency"]


class EvaluationAssignmentViewSet(ScopedReadOnlyViewSet):
    """第三方评价任务：评价机构、评价期间与被评单位；评价机构只读自己的任务。 /
    Third-party evaluation assignments: evaluator, period and agencies evaluated; an evaluator
    reads only its own assignments."""

    queryset = EvaluationAssignment.objects.order_by("id").prefetch_related("agencies")
    serializer_class = s.EvaluationAssignmentSerializer
    permission_read = "evaluation.view"
    filterset_fields = ["tenant", "evaluator"]


class EvaluationScoreViewSet(ScopedReadOnlyViewSet):
    """第三方评价得分：各单位的分数、评语、审核状态与退回理由。 /
    Third-party evaluation scores: each agency's score, comments, review status and rejection
    reason."""

    queryset = EvaluationScore.objects.order_by("id")
    serializer_class = s.EvaluationScoreSerializer
    permission_read = "evaluation.view"
    filterset_fields = ["tenant", "assignment", "agency", "status"]
