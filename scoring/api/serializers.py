"""Read-only serializers of supervision scoring. Office roles read schemes, runs and scores;
agencies read publications only (the viewsets decide, through the permission matrix)."""

from rest_framework import serializers

from ..models import AgencyScore, Indicator, IndicatorScore, Publication, Scheme, ScoreRun


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "parent",
            "code",
            "name",
            "description",
            "category_kind",
            "max_points",
            "method",
            "calculator",
            "params",
            "position",
        ]
        read_only_fields = fields


class SchemeSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "id",
            "tenant",
            "name",
            "period_kind",
            "year",
            "period_number",
            "start",
            "end",
            "grades",
            "status",
            "copied_from",
            "created_at",
            "updated_at",
            "indicators",
        ]
        read_only_fields = fields


class ScoreRunSerializer(serializers.ModelSerializer):
    publication = serializers.SerializerMethodField()

    class Meta:
        model = ScoreRun
        fields = [
            "id",
            "tenant",
            "scheme",
            "status",
            "error",
            "agencies",
            "created_at",
            "finished_at",
            "computed_count",
            "publication",
        ]
        read_only_fields = fields

    def get_publication(self, obj) -> int | None:
        """The run's publication, if it was published (withdrawn ones included)."""
        publication = getattr(obj, "publication", None)
        return publication.pk if publication is not None else None


class AgencyScoreSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = AgencyScore
        fields = [
            "id",
            "tenant",
            "run",
            "agency",
            "agency_name",
            "ranking_group",
            "total",
            "rank",
            "grade",
        ]
        read_only_fields = fields


class IndicatorScoreSerializer(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    is_category = serializers.BooleanField(source="indicator.is_category", read_only=True)

    class Meta:
        model = IndicatorScore
        fields = [
            "id",
            "tenant",
            "run",
            "agency",
            "indicator",
            "indicator_code",
            "is_category",
            "points",
            "figures",
        ]
        read_only_fields = fields


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publication
        fields = [
            "id",
            "tenant",
            "run",
            "title",
            "period_label",
            "period_end",
            "status",
            "notice",
            "published_at",
            "withdrawn_at",
            "withdrawal_reason",
            "snapshot",
        ]
        read_only_fields = fields
