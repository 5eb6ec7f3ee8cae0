"""A lean list path for the API's largest collections (records, ledger issues), which city
platforms read in full.

DRF's ModelSerializer builds a model instance per row and walks every field through
`get_attribute` and `_readable_fields`: for a 100-row page of records that is most of the
request. `LeanListMixin.list` reads the page as `.values()` rows and applies each serializer
field's own `to_representation` to its column, so the body is the same as the serializer's (a
test compares the two), at a fraction of the cost. What is not a plain column (nested rows,
computed fields, masking) the viewset adds in `lean_finish`, from one query per page.
Retrieving, creating and updating one row still go through the serializer.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField


def _identity(value):
    return value


def lean_plan(serializer: serializers.Serializer, custom: frozenset[str]):
    """[(name, column, to_representation)] of the serializer's readable fields that are a
    column of the row; the names in `custom` are left to the caller. A field the lean path
    cannot read raises, so that a new field never silently disappears from the body."""
    plan = []
    for name, field in serializer.fields.items():
        if field.write_only or name in custom:
            continue
        if (
            isinstance(
                field,
                serializers.SerializerMethodField | serializers.BaseSerializer | ManyRelatedField,
            )
            or "." in field.source
            or field.source == "*"
        ):
            raise TypeError(f"{type(serializer).__name__}.{name} needs a lean_finish rule")
        if isinstance(field, PrimaryKeyRelatedField):
            plan.append((name, field.source, _identity))  # values() gives the key
        else:
            plan.append((name, field.source, field.to_representation))
    return plan


def lean_rows(plan, names: list[str], rows: list[dict]) -> list[dict]:
    data = []
    for row in rows:
        item = dict.fromkeys(names)
        for name, column, represent in plan:
            value = row[column]
            item[name] = None if value is None else represent(value)
        data.append(item)
    return data


class LeanListMixin:
    """For a read-only list whose serializer is a ModelSerializer. `lean_custom` names the
    fields `lean_finish(rows, data)` fills; `lean_columns` any extra columns it needs."""

    lean_custom: frozenset[str] = frozenset()
    lean_columns: tuple[str, ...] = ()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        serializer = self.get_serializer()
        plan = lean_plan(serializer, self.lean_custom)
        names = [name for name, field in serializer.fields.items() if not field.write_only]
        columns = {column for _name, column, _f in plan} | {"id", "sync_txid", *self.lean_columns}
        rows = self.paginate_queryset(queryset.values(*sorted(columns)))
        data = lean_rows(plan, names, rows)
        if rows:
            self.lean_finish(rows, data)
        return self.get_paginated_response(data)

    def lean_finish(self, rows: list[dict], data: list[dict]) -> None:
        """Fill the fields named in `lean_custom` (rows and data are in the same order)."""
