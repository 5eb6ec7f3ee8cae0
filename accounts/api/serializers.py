from rest_framework import serializers

from ..models import Agency, Tenant, User


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "division_code", "level", "parent", "is_active", "updated_at"]


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = [
            "id",
            "tenant",
            "name",
            "kind",
            "credit_code",
            "ranking_group",
            "leader_name",
            "contact_name",
            "contact_phone",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "tenant", "created_at", "updated_at"]
        # Rules (credit code checksum, uniqueness) are checked by the service's full_clean().
        # Left out or empty, the ranking group follows the kind (agency_create / agency_update).
        extra_kwargs = {
            "credit_code": {"validators": []},
            "ranking_group": {"required": False, "allow_blank": True},
        }
        validators = []


class UserSerializer(serializers.ModelSerializer):
    is_locked = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "role",
            "tenant",
            "agency",
            "is_active",
            "is_locked",
            "last_login",
        ]
        read_only_fields = fields
