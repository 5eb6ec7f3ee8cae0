"""API base classes: every viewset is scoped by `integrity.tenancy` and checked by
`integrity.permissions`; every error has the same body."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .api_sync import CountyFilterBackend, TombstoneSerializer
from .sync import resource_label
from .tenancy import get_scoped_object_or_404


class ScopedViewSetMixin:
    """`queryset` is narrowed to the requesting user's rows; writes use the writable rows."""

    permission_read: str | None = None
    permission_write: str | None = None

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return queryset.for_user(self.request.user)
        return queryset.writable_by(self.request.user)

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        lookup = self.lookup_url_kwarg or self.lookup_field
        obj = get_scoped_object_or_404(queryset, **{self.lookup_field: self.kwargs[lookup]})
        self.check_object_permissions(self.request, obj)
        return obj

    @action(
        detail=False,
        methods=["get"],
        serializer_class=TombstoneSerializer,
        filter_backends=[CountyFilterBackend],
        url_path="tombstones",
    )
    def tombstones(self, request, *args, **kwargs):
        """已删除的记录（墓碑），与列表使用同一游标。 / Rows deleted from this collection
        (tombstones), read with the same cursor as the collection."""
        from .models import Tombstone

        queryset = Tombstone.objects.for_user(request.user).filter(
            resource=resource_label(self.get_queryset().model)
        )
        queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(TombstoneSerializer(page, many=True).data)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Create and update call services (override perform_create / perform_update)."""


def exception_handler(exc, context):
    """One error body: {"error": {"code", "message", "fields"?}} for every status."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": "Invalid input.", "fields": response.data}
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(getattr(exc, "detail", exc)),
        }
    return Response({"error": body}, status=response.status_code, headers=response.headers)
