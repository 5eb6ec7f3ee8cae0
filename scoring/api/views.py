"""Read-only API of supervision scoring, scoped like the pages: office roles (and city viewers,
read-only) see schemes, runs and scores of their jurisdictions; agency roles see nothing of the
office's working rows, only the county's published rankings."""

from accounts.choices import AGENCY_ROLES
from integrity.api import ScopedReadOnlyViewSet

from ..choices import PublicationStatus
from ..models import AgencyScore, IndicatorScore, Publication, Scheme, ScoreRun
from . import serializers as s


class SchemeViewSet(ScopedReadOnlyViewSet):
    """考核方案：考核期间、指标树（分类与评分项）和等次；信用办与市级查看。 /
    Scoring schemes: assessment period, the indicator tree (categories and items) and the
    grades; for the office and city viewers."""

    queryset = Scheme.objects.prefetch_related("indicators").order_by("id")
    serializer_class = s.SchemeSerializer
    permission_read = "scheme.view"
    filterset_fields = ["tenant", "period_kind", "year", "status"]


class ScoreRunViewSet(ScopedReadOnlyViewSet):
    """评分计算批次：状态、参评单位数、错误信息与发布情况。 /
    Score runs: status, agencies computed, error and publication."""

    queryset = ScoreRun.objects.select_related("publication").order_by("id")
    serializer_class = s.ScoreRunSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "scheme", "status"]


class AgencyScoreViewSet(ScopedReadOnlyViewSet):
    """各单位在一次评分中的总分、排名分组内名次与等次。 /
    Each agency's total, rank within its ranking group and grade in a run."""

    queryset = AgencyScore.objects.select_related("agency").order_by(
        "run_id", "ranking_group", "rank", "agency_id"
    )
    serializer_class = s.AgencyScoreSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "run", "agency", "ranking_group"]


class IndicatorScoreViewSet(ScopedReadOnlyViewSet):
    """各单位每个指标的得分及其依据的数字。 /
    Each agency's points per indicator with the figures behind them."""

    queryset = IndicatorScore.objects.select_related("indicator").order_by(
        "run_id", "agency_id", "indicator_id"
    )
    serializer_class = s.IndicatorScoreSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "run", "agency", "indicator"]


class PublicationViewSet(ScopedReadOnlyViewSet):
    """评分结果发布：信用办角色可见全部发布（含已撤回）；单位角色只见本县已发布的排名，与公众所见
    相同。 /
    Published rankings: office roles see every publication, withdrawn ones included; agency
    roles see only the county's published rankings, as the public sees them."""

    queryset = Publication.objects.order_by("-period_end", "-published_at", "-id")
    serializer_class = s.PublicationSerializer
    filterset_fields = ["tenant", "status"]

    @property
    def permission_read(self) -> str:
        return "score.view_own" if self._agency_role() else "run.view"

    def _agency_role(self) -> bool:
        user = getattr(getattr(self, "request", None), "user", None)
        return bool(getattr(user, "is_authenticated", False) and user.role in AGENCY_ROLES)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self._agency_role():
            queryset = queryset.filter(status=PublicationStatus.PUBLISHED)
        return queryset
