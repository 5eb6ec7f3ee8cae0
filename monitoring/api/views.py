"""API of monitoring: read-only, with the HTML pages' scoping and permissions."""

from __future__ import annotations

from integrity.api import ScopedReadOnlyViewSet

from ..models import DebtFigure, Warning, WarningRule
from . import serializers as s


class WarningRuleViewSet(ScopedReadOnlyViewSet):
    queryset = WarningRule.objects.order_by("id")
    serializer_class = s.WarningRuleSerializer
    permission_read = "warning_rule.view"
    filterset_fields = ["tenant", "kind", "enabled", "severity"]


class WarningViewSet(ScopedReadOnlyViewSet):
    queryset = Warning.objects.order_by("-raised_at", "-id")
    serializer_class = s.WarningSerializer
    permission_read = "warning.view"
    filterset_fields = ["tenant", "kind", "agency", "severity", "status"]


class DebtFigureViewSet(ScopedReadOnlyViewSet):
    queryset = DebtFigure.objects.order_by("-as_of", "-id")
    serializer_class = s.DebtFigureSerializer
    permission_read = "debt.view"
    filterset_fields = ["tenant", "agency", "as_of"]
