"""API base classes: every viewset is scoped by `integrity.tenancy` and checked by
`integrity.permissions`; every error has the same body."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
