from django_filters import rest_framework as filters

from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet

from .. import services
from ..models import Agency, Tenant, User
from .serializers import AgencySerializer, TenantSerializer, UserSerializer


class TenantViewSet(ScopedReadOnlyViewSet):
    """辖区（租户）：市及其下辖县，含上级关系；市级用户读本市及下辖各县。 /
    Jurisdictions (tenants): cities and the counties below them, with the parent link; city
    users read their city and its counties."""

    queryset = Tenant.objects.select_related("parent").order_by("id")
    serializer_class = TenantSerializer
    permission_read = "tenant.view"
    filterset_fields = ["level", "parent", "is_active"]


class AgencyFilterSet(filters.FilterSet):
    class Meta:
        model = Agency
        fields = ["tenant", "kind", "ranking_group", "is_active", "credit_code"]


class AgencyViewSet(ScopedViewSet):
    """单位：县政府部门、乡镇、开发区等，含统一社会信用代码与排名分组；信用办管理员可新建和修改。 /
    Agencies: county departments, townships, development zones and the like, with their unified
    social credit code and ranking group; office admins create and change them."""

    queryset = Agency.objects.order_by("id")
    serializer_class = AgencySerializer
    permission_read = "agency.view"
    permission_write = "agency.manage"
    filterset_class = AgencyFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.agency_create(
            tenant=self.request.user.tenant,
            data=serializer.validated_data,
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        serializer.instance = services.agency_update(
            agency=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )


class UserViewSet(ScopedReadOnlyViewSet):
    """用户账号及其角色、所属辖区与单位、是否锁定；仅信用办管理员可读。 /
    User accounts with their role, jurisdiction, agency and lock state; readable by office
    admins only."""

    queryset = User.objects.people()
    serializer_class = UserSerializer
    permission_read = "user.view"
    filterset_fields = ["role", "agency", "is_active"]
