"""Public read API of the rankings (公开接口, no account), under /api/v1/public/<division code>/…:
the county's publications (withdrawn ones with their reason, never their rankings), one
publication with its ranking rows, and an agency's public profile.

Everything comes from `scoring.public_selectors`, as on the public rankings pages: only
`Publication` snapshots, free text masked. Responses are cached under the county's rankings
version (`services.bump_public_cache`, moved by publishing and withdrawing); the agency profile
also shows public records and commitments, so it is cached under their version as well. The
throttle, pagination and cache are `domains.api.public`'s.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers

from accounts.models import Agency
from domains import selectors as domain_selectors
from domains.api.public import (
    DIVISION_CODE_PARAMETER,
    TAG,
    PublicAPIView,
    PublicCommitmentSerializer,
    PublicListView,
    PublicRecordSerializer,
    public_commitment_data,
    public_record_data,
    records_version,
)

from .. import public_selectors as selectors
from ..choices import PublicationStatus
from ..views.public import PROFILE_RECORD_LIMIT, public_version

POINTS = {"max_digits": None, "decimal_places": 2}


class PublicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="标题 / Title.")
    period_label = serializers.CharField(help_text="考核期 / Assessment period.")
    period_end = serializers.DateField(help_text="考核期结束 / Period ends.")
    status = serializers.ChoiceField(
        choices=PublicationStatus.choices, help_text="已发布或已撤回 / Published or withdrawn."
    )
    published_at = serializers.DateTimeField(help_text="发布时间 / Published at.")
    withdrawn_at = serializers.DateTimeField(allow_null=True, help_text="撤回时间 / Withdrawn at.")
    notice = serializers.CharField(
        help_text="排名通报（已撤回的为空）/ The ranking notice (empty when withdrawn)."
    )
    withdrawal_reason = serializers.CharField(
        help_text="撤回理由（已发布的为空）/ The reason for a withdrawal (empty otherwise)."
    )


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="scored / bonus / deduction")
    max = serializers.DecimalField(**POINTS, allow_null=True)


class RankingRowSerializer(serializers.Serializer):
    agency_id = serializers.IntegerField()
    agency = serializers.CharField()
    rank = serializers.IntegerField()
    total = serializers.DecimalField(**POINTS)
    grade = serializers.CharField()
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(
        allow_null=True, help_text="正数为上升 / Positive: moved up."
    )
    total_change = serializers.DecimalField(**POINTS, allow_null=True)
    categories = serializers.ListField(
        child=serializers.DecimalField(**POINTS),
        help_text="各类别得分，顺序同 categories / Points per category, in `categories` order.",
    )


class RankingGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    rows = RankingRowSerializer(many=True)


class GradeCountSerializer(serializers.Serializer):
    grade = serializers.CharField()
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text="每组人数 / Count per group."
    )
    total = serializers.IntegerField()


class RankingSerializer(serializers.Serializer):
    categories = CategorySerializer(many=True)
    groups = RankingGroupSerializer(many=True)
    distribution = GradeCountSerializer(many=True)


class PublicationDetailSerializer(PublicationSerializer):
    ranking = RankingSerializer(
        allow_null=True, help_text="排名（已撤回的为 null）/ The ranking (null when withdrawn)."
    )


class ScoreHistorySerializer(serializers.Serializer):
    period = serializers.CharField()
    publication_id = serializers.IntegerField()
    group = serializers.CharField()
    group_size = serializers.IntegerField()
    rank = serializers.IntegerField()
    total = serializers.DecimalField(**POINTS)
    grade = serializers.CharField()
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)
    total_change = serializers.DecimalField(**POINTS, allow_null=True)


class BreakdownSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    max = serializers.DecimalField(**POINTS, allow_null=True)
    points = serializers.DecimalField(**POINTS)


class PublicAgencySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(source="get_kind_display")
    ranking_group = serializers.CharField(source="get_ranking_group_display")
    is_active = serializers.BooleanField()


class AgencyProfileSerializer(serializers.Serializer):
    agency = PublicAgencySerializer()
    scores = ScoreHistorySerializer(many=True, help_text="已发布的得分 / Published scores.")
    breakdown = BreakdownSerializer(
        many=True, help_text="最近一期分类得分 / Latest period by category."
    )
    records = PublicRecordSerializer(
        many=True, help_text="公开失信记录（最多 100 条）/ Public records (at most 100)."
    )
    commitments = PublicCommitmentSerializer(many=True)


def publication_data(publication) -> dict:
    withdrawn = publication.status != PublicationStatus.PUBLISHED
    return dict(
        PublicationSerializer(
            {
                "id": publication.pk,
                "title": publication.title,
                "period_label": publication.period_label,
                "period_end": publication.period_end,
                "status": publication.status,
                "published_at": publication.published_at,
                "withdrawn_at": publication.withdrawn_at,
                "notice": "" if withdrawn else selectors.notice_text(publication),
                "withdrawal_reason": selectors.withdrawal_reason(publication) if withdrawn else "",
            }
        ).data
    )


def ranking_data(publication) -> dict:
    ranking = selectors.ranking(publication)
    return dict(
        RankingSerializer(
            {
                "categories": ranking["categories"],
                "groups": ranking["groups"],
                "distribution": ranking["distribution"],
            }
        ).data
    )


class RankingsCached:
    def versions(self) -> tuple:
        return (public_version(self.county),)


@extend_schema(
    tags=[TAG],
    summary="排名发布 / Published rankings",
    description=(
        "县的排名发布，最新考核期在前；已撤回的只给出撤回理由。"
        " / The county's publications, newest period first; a withdrawn one only with its reason."
    ),
    parameters=[DIVISION_CODE_PARAMETER],
    responses=PublicationSerializer(many=True),
)
class PublicationListView(RankingsCached, PublicListView):
    cache_name = "publications"

    def base_queryset(self) -> QuerySet:
        return selectors.listed(self.county)

    def item(self, row) -> dict:
        return publication_data(row)


@extend_schema(
    tags=[TAG],
    summary="排名发布详情 / A published ranking with its rows",
    parameters=[DIVISION_CODE_PARAMETER],
    responses=PublicationDetailSerializer,
)
class PublicationDetailView(RankingsCached, PublicAPIView):
    cache_name = "publication"

    def build(self):
        publication = selectors.listed(self.county).defer(None).filter(pk=self.kwargs["pk"]).first()
        if publication is None:
            raise exceptions.NotFound()
        withdrawn = publication.status != PublicationStatus.PUBLISHED
        return {
            **publication_data(publication),
            "ranking": None if withdrawn else ranking_data(publication),
        }


@extend_schema(
    tags=[TAG],
    summary="单位公开信息 / An agency's public profile",
    description=(
        "已发布的得分、公开失信记录和信用承诺，同单位公开页面。"
        " / Published scores, public records and commitments, as on the agency's public page."
    ),
    parameters=[DIVISION_CODE_PARAMETER],
    responses=AgencyProfileSerializer,
)
class AgencyProfileView(PublicAPIView):
    cache_name = "agency"

    def versions(self) -> tuple:
        return (public_version(self.county), records_version(self.county.pk))

    def build(self):
        agency = Agency.objects.for_tenant(self.county).filter(pk=self.kwargs["pk"]).first()
        if agency is None:
            raise exceptions.NotFound()
        history = selectors.agency_history(self.county, agency.pk, series_name=_("Total points"))
        if not agency.is_active and not history["rows"]:
            raise exceptions.NotFound()
        records = (
            domain_selectors.public_records(tenant=self.county)
            .filter(agency=agency)
            .order_by("-decision_date", "-id")[:PROFILE_RECORD_LIMIT]
        )
        commitments = (
            domain_selectors.public_commitments(tenant=self.county)
            .filter(agency=agency)
            .order_by("-promised_date", "-id")
        )
        return {
            "agency": dict(PublicAgencySerializer(agency).data),
            "scores": list(ScoreHistorySerializer(history["rows"], many=True).data),
            "breakdown": list(BreakdownSerializer(history["breakdown"], many=True).data),
            "records": [public_record_data(domain_selectors.public_view(r)) for r in records],
            "commitments": [public_commitment_data(c) for c in commitments],
        }


urlpatterns = [
    path(
        "<str:division_code>/rankings/",
        PublicationListView.as_view(),
        name="public-ranking-list",
    ),
    path(
        "<str:division_code>/rankings/<int:pk>/",
        PublicationDetailView.as_view(),
        name="public-ranking-detail",
    ),
    path(
        "<str:division_code>/agencies/<int:pk>/",
        AgencyProfileView.as_view(),
        name="public-agency-detail",
    ),
]
