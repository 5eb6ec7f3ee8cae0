from django.db.models import Prefetch
from django_filters import rest_framework as filters

from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet
from integrity.api_lean import LeanListMixin, lean_plan, lean_rows
from integrity.masking import mask_id_number

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
    """重点领域（六个重点领域及乡镇领域），含牵头与责任单位和各领域台账的扩展字段。 /
    Key domains (the six key domains and the township domain), with lead and responsible units
    and each domain's extra ledger fields."""

    queryset = KeyDomain.objects.order_by("id").prefetch_related(
        Prefetch("fields", queryset=DomainField.objects.order_by("position", "id")),
        "lead_units",
        "responsible_units",
    )
    serializer_class = s.KeyDomainSerializer
    permission_read = "domain.view"
    filterset_fields = ["tenant", "is_active"]


class ProblemTypeViewSet(ScopedReadOnlyViewSet):
    """问题类型：台账与失信记录归类所用的问题类别。 /
    Problem types: the categories ledger issues and failure-of-trust records are filed under."""

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


class TrustRecordViewSet(LeanListMixin, ScopedViewSet):
    """政务失信记录：失信主体、领域、严重程度、决定文书、公示期与状态，含惩戒措施和“异议中”标记；
    信用办可新建和修改（经由服务层校验与审计）。 /
    Failure-of-trust records: subject, domain, severity, decision, publicity window and status,
    with punishment measures and the "under objection" flag; the office creates and changes them
    (validated and audited by the services)."""

    queryset = TrustRecord.objects.order_by("id").prefetch_related(
        Prefetch("measures", queryset=PunishmentMeasure.objects.order_by("date", "id"))
    )
    serializer_class = s.TrustRecordSerializer
    permission_read = "record.view"
    permission_write = "record.manage"
    filterset_class = TrustRecordFilterSet

    # The list is read by city platforms in full: a lean page (integrity.api_lean).
    lean_custom = frozenset({"measures"})

    def get_queryset(self):
        return with_objection_flag(super().get_queryset())

    def lean_finish(self, rows, data):
        """The measures of the page's records (one query) and the ID numbers masked as the
        serializer masks them."""
        plan, names = lean_plan(s.PunishmentMeasureSerializer)
        measures = PunishmentMeasure.objects.filter(record_id__in=[r["id"] for r in rows])
        by_record = {}
        values = measures.order_by("date", "id").values(*{c for _n, c, _f in plan})
        for measure in lean_rows(plan, names, list(values)):
            by_record.setdefault(measure["record"], []).append(measure)
        sees = s.sees_id_numbers(self.request.user)
        for item in data:
            item["measures"] = by_record.get(item["id"], [])
            if not sees:
                item["person_id_number"] = mask_id_number(item["person_id_number"])

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
            record=serializer.instance, data=data, actor=self.request.user, is_public=is_public
        )
        serializer.instance = with_objection_flag(TrustRecord.objects.filter(pk=record.pk)).get()


class PunishmentMeasureViewSet(ScopedReadOnlyViewSet):
    """失信惩戒措施：每条失信记录下的惩戒措施类型、日期与实施机关。 /
    Punishment measures: the type, date and issuing body of the measures taken on each
    failure-of-trust record."""

    queryset = PunishmentMeasure.objects.order_by("id")
    serializer_class = s.PunishmentMeasureSerializer
    permission_read = "record.view"
    filterset_fields = ["record", "measure_type"]


class CommitmentViewSet(ScopedReadOnlyViewSet):
    """信用承诺：单位作出的承诺、承诺日期、履行状态与违诺转失信记录。 /
    Credit commitments: what an agency promised, by when, whether it was fulfilled, and the
    record a breach became."""

    queryset = Commitment.objects.order_by("id")
    serializer_class = s.CommitmentSerializer
    permission_read = "commitment.view"
    filterset_fields = ["tenant", "agency", "category", "status"]


class CreditRequestViewSet(ScopedReadOnlyViewSet):
    """异议与信用修复申请：公众对失信记录提出的申请、办理期限与处理结果（不含申请人身份）。 /
    Objections and credit repair applications: requests the public filed against records, their
    deadline and outcome (without the applicant's identity)."""

    queryset = CreditRequest.objects.order_by("id")
    serializer_class = s.CreditRequestSerializer
    permission_read = "request.view"
    filterset_fields = ["tenant", "record", "kind", "status"]


class CaseNoticeViewSet(ScopedReadOnlyViewSet):
    """典型案例通报：通报文号、正文、所涉失信记录、发布与撤回状态。 /
    Case notices: document number, text, the records cited, publication and withdrawal."""

    queryset = CaseNotice.objects.order_by("id").prefetch_related("records")
    serializer_class = s.CaseNoticeSerializer
    permission_read = "notice.view"
    filterset_fields = ["tenant", "status"]


class JointMeasureViewSet(ScopedReadOnlyViewSet):
    """联合奖惩措施清单：措施、实施部门、对应行政事项与依据。 /
    The joint reward and punishment measure list: measure, department, administrative matter and
    legal basis."""

    queryset = JointMeasure.objects.order_by("id")
    serializer_class = s.JointMeasureSerializer
    permission_read = "lists.view"
    filterset_fields = ["tenant", "direction"]


class FourListEntryViewSet(ScopedReadOnlyViewSet):
    """四张清单（责任、任务、问题、制度等清单）的条目及依据。 /
    Entries of the four lists with their basis."""

    queryset = FourListEntry.objects.order_by("id")
    serializer_class = s.FourListEntrySerializer
    permission_read = "lists.view"
    filterset_fields = ["tenant", "list_kind"]
