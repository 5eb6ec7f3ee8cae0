"""Read-only API of supervision scoring, scoped like the pages: office roles (and city viewers,
read-only) see schemes, runs and scores of their jurisdictions; agency roles see nothing of the
office's working rows, only the county's published rankings."""

from accounts.choices import AGENCY_ROLES
from integrity.api import ScopedReadOnlyViewSet

from ..choices import PublicationStatus
from ..models import AgencyScore, IndicatorScore, Publication, Scheme, ScoreRun
from . import serializers as s


class SchemeViewSet(ScopedReadOnlyViewSet):
    queryset = Scheme.objects.prefetch_related("indicators").order_by("id")
    serializer_class = s.SchemeSerializer
    permission_read = "scheme.view"
    filterset_fields = ["tenant", "period_kind", "year", "status"]


class ScoreRunViewSet(ScopedReadOnlyViewSet):
    queryset = ScoreRun.objects.select_related("publication").order_by("id")
    serializer_class = s.ScoreRunSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "scheme", "status"]


class AgencyScoreViewSet(ScopedReadOnlyViewSet):
    queryset = AgencyScore.objects.select_related("agency").order_by(
        "run_id", "ranking_group", "rank", "agency_id"
    )
    serializer_class = s.AgencyScoreSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "run", "agency", "ranking_group"]


class IndicatorScoreViewSet(ScopedReadOnlyViewSet):
    queryset = IndicatorScore.objects.select_related("indicator").order_by(
        "run_id", "agency_id", "indicator_id"
    )
    serializer_class = s.IndicatorScoreSerializer
    permission_read = "run.view"
    filterset_fields = ["tenant", "run", "agency", "indicator"]


class PublicationViewSet(ScopedReadOnlyViewSet):
    """Office roles: every publication, withdrawn ones included. Agency roles
    (`score.view_own`): the county's published rankings, as the public sees them."""

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
