"""Incremental sync: the change feed behind every API collection.

Every model the API exposes derives from `Synced`. A BEFORE INSERT OR UPDATE trigger stamps each
row with the id of the transaction that last wrote it (`sync_txid`) and keeps `updated_at`
current for every kind of write (ordinary saves, queryset updates, bulk_create, raw SQL).

A collection is read in the order (sync_txid, id). A transaction id is assigned when a
transaction starts writing, so a transaction that commits late can carry a smaller id than rows
already read. The feed therefore serves only rows written by transactions older than the oldest
transaction of this database still running (`FeedHorizon`): everything below it has either
committed or rolled back, and every future write will carry a larger id. A client that resumes
from its cursor thus sees each committed change once, in order, without gaps, however the writes
interleave with its reads. A long-running transaction holds the horizon back until it ends;
nothing is lost, it is only served later.

Deletions leave a `Tombstone` (written from the pre_delete signal, inside the deleting
transaction, so it commits or rolls back with the delete); the tombstone feed of a collection is
read with the same cursor.
"""

from __future__ import annotations

import hashlib

import pgtrigger
from django.db import models
from django.db.models.signals import class_prepared, pre_delete
from django.utils.translation import gettext_lazy as _


class FeedHorizon(models.Func):
    """The oldest transaction of this database that the statement's snapshot sees as still
    running; rows written by older transactions are settled. Transactions of other databases on
    the same server are skipped (they cannot write our rows), unless they have ended since the
    snapshot was taken, when nobody can tell any more which database they were in: then they
    count, for this one statement. Compared on the low 32 bits, as pg_stat_activity shows them."""

    template = """coalesce(
        (
            SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
            WHERE NOT EXISTS (
                SELECT 1 FROM pg_stat_activity AS a
                WHERE a.backend_xid::text::bigint = mod(x::text::bigint, 4294967296)
                  AND a.datname IS DISTINCT FROM current_database()
            )
        ),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint
    )"""
    output_field = models.BigIntegerField()


class OwnTransaction(models.Func):
    """The requesting transaction, if it has written (its own rows are served to it too)."""

    template = "coalesce(pg_current_xact_id_if_assigned()::text::bigint, -1)"
    output_field = models.BigIntegerField()


SYNC_TRIGGER = pgtrigger.Trigger(
    name="sync_stamp",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        NEW.sync_txid := pg_current_xact_id()::text::bigint;
        IF TG_OP = 'INSERT' THEN
            NEW.updated_at := coalesce(NEW.updated_at, clock_timestamp());
        ELSIF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
            NEW.updated_at := clock_timestamp();
        END IF;
        RETURN NEW;
    """,
)


class Synced(models.Model):
    """Abstract base of every model served by the API's change feed."""

    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    sync_txid = models.BigIntegerField(_("sync position"), default=0, editable=False)

    class Meta:
        abstract = True


def settled(queryset):
    """Rows whose writing transaction has ended (or is the current one)."""
    return queryset.filter(
        models.Q(sync_txid__lt=FeedHorizon()) | models.Q(sync_txid=OwnTransaction())
    )


def resource_label(model) -> str:
    return model._meta.label_lower


def _prepare_synced(sender, **kwargs):
    """Each concrete Synced model gets the stamping trigger and the (sync_txid, id) index the
    feed reads by. Added here rather than in Synced.Meta, which a model's own Meta replaces."""
    if not issubclass(sender, Synced) or sender._meta.abstract or sender._meta.proxy:
        return
    pgtrigger.register(SYNC_TRIGGER)(sender)
    if sender._meta.label != "integrity.Tombstone":
        # Per model, so that deletes of other models keep Django's fast path.
        pre_delete.connect(
            _record_tombstone, sender=sender, dispatch_uid=f"tombstone:{sender._meta.label}"
        )
    digest = hashlib.md5(sender._meta.label_lower.encode(), usedforsecurity=False).hexdigest()
    index = models.Index(fields=["sync_txid", "id"], name=f"sync_{digest[:10]}")
    sender._meta.indexes = [*sender._meta.indexes, index]
    sender._meta.original_attrs["indexes"] = [
        *sender._meta.original_attrs.get("indexes", []),
        index,
    ]


def _scope_ids(instance) -> tuple[int | None, int | None]:
    """(tenant id, agency id) of a row, read through the model's scope paths."""
    model = type(instance)
    tenant_path = getattr(model, "scope_tenant", None)
    agency_path = getattr(model, "scope_agency", None)
    paths = {}
    if tenant_path:
        paths["tenant"] = "pk" if tenant_path == "pk" else f"{tenant_path}_id"
    if agency_path:
        paths["agency"] = "pk" if agency_path == "pk" else f"{agency_path}_id"
    if not paths:
        return None, None
    # Through the base manager: the scoped default manager would need a user.
    row = (
        model._base_manager.filter(pk=instance.pk)
        .values(**{f"scope_{key}": models.F(path) for key, path in paths.items()})
        .first()
    )
    if row is None:
        return None, None
    return row.get("scope_tenant"), row.get("scope_agency")


def _record_tombstone(sender, instance, **kwargs):
    from .models import Tombstone

    if not isinstance(instance, Synced) or isinstance(instance, Tombstone) or instance.pk is None:
        return

    tenant_id, agency_id = _scope_ids(instance)
    Tombstone.objects.create(
        resource=resource_label(sender),
        object_id=instance.pk,
        tenant_id=tenant_id,
        agency_id=agency_id,
    )


class_prepared.connect(_prepare_synced, dispatch_uid="integrity.sync.prepare")


TOUCH_SQL = """
    IF TG_OP <> 'DELETE' THEN
        UPDATE PARENT SET updated_at = clock_timestamp() WHERE id = NEW.FK;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.FK IS DISTINCT FROM NEW.FK) THEN
        UPDATE PARENT SET updated_at = clock_timestamp() WHERE id = OLD.FK;
    END IF;
    RETURN NULL;
"""


def touch_parent(parent_table: str, fk_column: str) -> pgtrigger.Trigger:
    """A trigger for a child or link table whose rows the API serves inside their parent (a
    record's measures, a campaign's agencies): any write to the child moves the parent in the
    feed too (its BEFORE trigger stamps it), on every write path."""
    return pgtrigger.Trigger(
        name=f"touch_{parent_table.split('_', 1)[1]}"[:40],
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=TOUCH_SQL.replace("PARENT", parent_table).replace("FK", fk_column),
    )
