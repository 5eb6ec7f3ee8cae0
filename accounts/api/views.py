from django_filters import rest_framework as filters

from integrity.api import ScopedReadOnlyViewSet, ScopedViewSet

from .. import services
from ..models import Agency, Tenant, User
from .serializers import AgencySerializer, TenantSerializer, UserSerializer


class TenantViewSet(ScopedReadOnlyViewSet):
    queryset = Tenant.objects.select_related("parent").order_by("id")
    serializer_class = TenantSerializer
    permission_read = "tenant.view"
    filterset_fields = ["level", "parent", "is_active"]


class AgencyFilterSet(filters.FilterSet):
    class Meta:
        model = Agency
        fields = ["tenant", "kind", "ranking_group", "is_active", "credit_code"]


class AgencyViewSet(ScopedViewSet):
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
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    permission_read = "user.view"
    filterset_fields = ["role", "agency", "is_active"]
