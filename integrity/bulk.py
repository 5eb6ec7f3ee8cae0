"""Writes of many rows at once, at a cost that does not grow per row in Python.

- `foreign_keys_checked_at_once(*models)`: Django makes foreign keys DEFERRABLE INITIALLY
  DEFERRED, and PostgreSQL's cost of each row trigger (the audit trigger's own INSERT) grows with
  the deferred checks queued in the transaction; checked at once, a bulk insert stays linear.
- `delete_with_tombstones(queryset)`: `QuerySet.delete()` on a model of the change feed loads
  every row and sends `pre_delete` for each (two queries a row to write its tombstone); this
  writes the tombstones with one INSERT and deletes with one DELETE. The audit trigger records
  every deleted row as before.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, models


@contextmanager
def foreign_keys_checked_at_once(*model_classes):
    """Inside an atomic block: check the models' foreign keys at each statement, then defer
    them again (an error rolls the transaction back, which restores them anyway)."""
    with connection.cursor() as cursor:
        names = [
            connection.ops.quote_name(name)
            for model in model_classes
            for name, spec in connection.introspection.get_constraints(
                cursor, model._meta.db_table
            ).items()
            if spec["foreign_key"]
        ]
        if names:
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")
    yield
    if names:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(names)} DEFERRED")


def _cascades(model) -> bool:
    """Whether deleting a row of the model makes Django act on other rows."""
    return any(
        relation.on_delete is not models.DO_NOTHING for relation in model._meta.related_objects
    )


def delete_with_tombstones(queryset) -> int:
    """Delete the queryset's rows, with one tombstone each (integrity.sync), in two statements.
    Models whose rows other rows depend on (a cascade or a protection) go through
    `QuerySet.delete()` as usual. Returns the number of rows deleted."""
    from .models import Tombstone
    from .sync import Synced, resource_label

    model = queryset.model
    if not issubclass(model, Synced) or _cascades(model):
        return queryset.delete()[0]
    paths = {"scope_object": "pk"}
    for key, attribute in (("scope_tenant", "scope_tenant"), ("scope_agency", "scope_agency")):
        path = getattr(model, attribute, None)
        if path:
            paths[key] = path  # F("tenant") or F("issue__agency") reads the key column
    rows = list(queryset.values(**{key: models.F(path) for key, path in paths.items()}))
    if not rows:
        return 0
    resource = resource_label(model)
    Tombstone.objects.bulk_create(
        [
            Tombstone(
                resource=resource,
                object_id=row["scope_object"],
                tenant_id=row.get("scope_tenant"),
                agency_id=row.get("scope_agency"),
            )
            for row in rows
        ]
    )
    doomed = model._base_manager.filter(pk__in=[row["scope_object"] for row in rows])
    return doomed._raw_delete(queryset.db)
