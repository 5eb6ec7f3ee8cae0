"""The audit trail.

Data changes are captured by PostgreSQL triggers (django-pghistory), so bulk updates, bulk_create
and raw SQL are recorded as well as ordinary saves. Every write runs inside an audit context that
names the actor; the event tables are append-only (PGHISTORY_APPEND_ONLY installs a trigger that
refuses UPDATE and DELETE). Security events (logins, exports, …) are in accounts.SecurityEvent.
"""

from contextlib import contextmanager

import pghistory
from django.db import connection
from pghistory.middleware import HistoryMiddleware

from .net import client_ip
from .sync import Synced


def audited(**kwargs):
    """Class decorator: record inserts, updates and deletes of a model with their diff. The
    change-feed stamps (integrity.sync) are bookkeeping, not data: they are left out."""

    def decorate(model):
        exclude = list(kwargs.get("exclude", []))
        if issubclass(model, Synced):
            # Bookkeeping of the change feed: a write that only moves a row in the feed (a
            # child touched its parent, a login stamped a user) is no change of its data.
            exclude += ["sync_txid", "updated_at"]
        options = {**kwargs, "exclude": exclude} if exclude else kwargs
        return pghistory.track(
            pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **options
        )(model)

    return decorate


class AuditContextMiddleware(HistoryMiddleware):
    """Annotates every write request with who did it, from where, on behalf of which tenant."""

    def get_context(self, request):
        context = super().get_context(request)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            context["username"] = user.get_username()
            context["tenant"] = user.tenant_id
        context["ip"] = client_ip(request)
        return context


@contextmanager
def audit_context(*, actor=None, source: str, **extra):
    """Audit context for writes outside a request: management commands and Celery tasks."""
    context = {"source": source, **extra}
    if actor is not None:
        context.update(
            user=actor._meta.pk.get_db_prep_value(actor.pk, connection),
            username=actor.get_username(),
            tenant=actor.tenant_id,
        )
    with pghistory.context(**context):
        yield
