from django.db.models import Prefetch
from django_filters import rest_framework as filters

from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet

from .. import services
from ..models import (
    CaseNotice,
    Commitment,
    CreditRequest,
    DomainField,
    FourListEntry,
    JointMeasure,
    KeyDomain,
    ProblemType,
    PunishmentMeasure,
    TrustRecord,
)
from ..selectors import with_objection_flag
from . import serializers as s


class KeyDomainViewSet(ScopedReadOnlyViewSet):
    queryset = KeyDomain.objects.order_by("id").prefetch_related(
        Prefetch("fields", queryset=DomainField.objects.order_by("position", "id")),
        "lead_units",
        "responsible_units",
    )
    serializer_class = s.KeyDomainSerializer
    permission_read = "domain.view"
    filterset_fields = ["tenant", "is_active"]


class ProblemTypeViewSet(ScopedReadOnlyViewSet):
    queryset = ProblemType.objects.order_by("id")
    serializer_class = s.ProblemTypeSerializer
    permission_read = "domain.view"
    filterset_fields = ["tenant", "is_active"]


class TrustRecordFilterSet(filters.FilterSet):
    decided_since = filters.DateFilter(field_name="decision_date", lookup_expr="gte")
    decided_until = filters.DateFilter(field_name="decision_date", lookup_expr="lte")

    class Meta:
        model = TrustRecord
        fields = [
            "tenant",
            "agency",
            "domain",
            "problem_type",
            "source",
            "severity",
            "status",
            "subject_type",
            "is_public",
        ]


class TrustRecordViewSet(ScopedViewSet):
    queryset = TrustRecord.objects.order_by("id").prefetch_related(
        Prefetch("measures", queryset=PunishmentMeasure.objects.order_by("date", "id"))
    )
    serializer_class = s.TrustRecordSerializer
    permission_read = "record.view"
    permission_write = "record.manage"
    filterset_class = TrustRecordFilterSet

    def get_queryset(self):
        return with_objection_flag(super().get_queryset())

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        is_public = data.pop("is_public", None)
        serializer.instance = services.record_create(
            tenant=self.request.user.tenant,
            data=data,
            actor=self.request.user,
            is_public=is_public,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        is_public = data.pop("is_public", None)
        record = services.record_update(
            record=serializer.instance, data=data, actor=self.request.user
        )
        if is_public is not None:
            services.record_set_public(record=record, public=is_public, actor=self.request.user)
        serializer.instance = with_objection_flag(TrustRecord.objects.filter(pk=record.pk)).get()


class PunishmentMeasureViewSet(ScopedReadOnlyViewSet):
    queryset = PunishmentMeasure.objects.order_by("id")
    serializer_class = s.PunishmentMeasureSerializer
    permission_read = "record.view"
    filterset_fields = ["record", "measure_type"]


class CommitmentViewSet(ScopedReadOnlyViewSet):
    queryset = Commitment.objects.order_by("id")
    serializer_class = s.CommitmentSerializer
    permission_read = "commitment.view"
    filterset_fields = ["tenant", "agency", "category", "status"]


class CreditRequestViewSet(ScopedReadOnlyViewSet):
    queryset = CreditRequest.objects.order_by("id")
    serializer_class = s.CreditRequestSerializer
    permission_read = "request.view"
    filterset_fields = ["tenant", "record", "kind", "status"]


class CaseNoticeViewSet(ScopedReadOnlyViewSet):
    queryset = CaseNotice.objects.order_by("id").prefetch_related("records")
    serializer_class = s.CaseNoticeSerializer
    permission_read = "notice.view"
    filterset_fields = ["tenant", "status"]


class JointMeasureViewSet(ScopedReadOnlyViewSet):
    queryset = JointMeasure.objects.order_by("id")
    serializer_class = s.JointMeasureSerializer
    permission_read = "lists.view"
    filterset_fields = ["tenant", "direction"]


class FourListEntryViewSet(ScopedReadOnlyViewSet):
    queryset = FourListEntry.objects.order_by("id")
    serializer_class = s.FourListEntrySerializer
    permission_read = "lists.view"
    filterset_fields = ["tenant", "list_kind"]
