from rest_framework import serializers

from accounts.choices import OFFICE_ROLES, Role
from integrity.masking import mask_id_number

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


class DomainFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = DomainField
        fields = [
            "id",
            "key",
            "label",
            "field_type",
            "choices",
            "required",
            "help_text",
            "position",
        ]


class KeyDomainSerializer(serializers.ModelSerializer):
    fields = DomainFieldSerializer(many=True, read_only=True)
    lead_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    responsible_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = KeyDomain
        fields = [
            "id",
            "tenant",
            "code",
            "name",
            "description",
            "is_active",
            "position",
            "lead_units",
            "responsible_units",
            "fields",
        ]


class ProblemTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemType
        fields = ["id", "tenant", "name", "description", "is_active", "position"]


class PunishmentMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = PunishmentMeasure
        fields = ["id", "record", "measure_type", "date", "issuing_body", "note"]


def sees_id_numbers(user) -> bool:
    return user.role in OFFICE_ROLES or user.role == Role.PLATFORM_ADMIN


class TrustRecordSerializer(serializers.ModelSerializer):
    under_objection = serializers.BooleanField(read_only=True)
    measures = PunishmentMeasureSerializer(many=True, read_only=True)

    class Meta:
        model = TrustRecord
        fields = [
            "id",
            "public_id",
            "tenant",
            "subject_type",
            "agency",
            "subject_name",
            "subject_credit_code",
            "person_id_number",
            "person_position",
            "domain",
            "problem_type",
            "source",
            "severity",
            "facts",
            "decision_number",
            "deciding_authority",
            "decision_date",
            "punishment_end",
            "publicity_min_end",
            "publicity_max_end",
            "is_public",
            "status",
            "status_reason",
            "publicity_ended_on",
            "sharing_stopped_on",
            "under_objection",
            "measures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "public_id",
            "tenant",
            "publicity_min_end",
            "publicity_max_end",
            "status",
            "status_reason",
            "publicity_ended_on",
            "sharing_stopped_on",
            "under_objection",
            "measures",
            "created_at",
            "updated_at",
        ]
        # Rules (checksums, subject consistency, tenancy) are checked by the service.
        extra_kwargs = {
            "subject_credit_code": {"validators": []},
            "person_id_number": {"validators": []},
            "subject_name": {"required": False},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not sees_id_numbers(request.user):
            data["person_id_number"] = mask_id_number(data["person_id_number"])
        return data


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = [
            "id",
            "tenant",
            "agency",
            "category",
            "title",
            "content",
            "promised_date",
            "status",
            "fulfilment_evidence",
            "status_note",
            "is_public",
            "breach_record",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CreditRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditRequest
        fields = [
            "id",
            "tenant",
            "record",
            "kind",
            "status",
            "deadline",
            "outcome",
            "decision_reason",
            "submitted_at",
            "decided_at",
            "applicant_is_subject",
            "declares_corrected",
            "declares_commitment",
            "declares_other",
            "confirmed_corrected",
            "confirmed_commitment",
            "confirmed_other",
        ]
        read_only_fields = fields


class CaseNoticeSerializer(serializers.ModelSerializer):
    records = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CaseNotice
        fields = [
            "id",
            "public_id",
            "tenant",
            "title",
            "document_number",
            "body",
            "records",
            "status",
            "published_at",
            "withdrawn_at",
            "withdraw_reason",
            "updated_at",
        ]
        read_only_fields = fields


class JointMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = JointMeasure
        fields = [
            "id",
            "tenant",
            "direction",
            "measure",
            "department",
            "administrative_matter",
            "business_section",
            "responsible_person",
            "basis",
            "position",
        ]
        read_only_fields = fields


class FourListEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = FourListEntry
        fields = ["id", "tenant", "list_kind", "title", "description", "basis", "position"]
        read_only_fields = fields
