"""Serializers of monitoring (read-only: rules are edited, warnings handled and debt figures
entered through the pages, which call the services)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import DebtFigure, Warning, WarningRule


class WarningRuleSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_kind_display", read_only=True)
    description = serializers.SerializerMethodField()
    parameters = serializers.SerializerMethodField()

    class Meta:
        model = WarningRule
        fields = [
            "id",
            "tenant",
            "kind",
            "name",
            "description",
            "enabled",
            "severity",
            "parameters",
            "amount",
            "days",
            "count",
            "window_days",
            "percent",
            "updated_at",
        ]
        read_only_fields = fields

    def get_description(self, rule) -> str:
        return str(rule.spec.description)

    def get_parameters(self, rule) -> list[str]:
        """The thresholds this kind of rule takes (names of the fields below)."""
        return list(rule.spec.parameter_names)


class WarningSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warning
        fields = [
            "id",
            "tenant",
            "rule",
            "kind",
            "agency",
            "severity",
            "title",
            "figure",
            "threshold",
            "unit",
            "evidence",
            "evidence_url",
            "dedupe_key",
            "status",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledge_note",
            "resolved_at",
            "resolved_by",
            "resolve_note",
        ]
        read_only_fields = fields


class DebtFigureSerializer(serializers.ModelSerializer):
    debt_ratio = serializers.DecimalField(
        source="ratio", max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = DebtFigure
        fields = [
            "id",
            "tenant",
            "agency",
            "as_of",
            "balance",
            "financial_capacity",
            "debt_ratio",
            "warning_line",
            "warning_ratio",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
