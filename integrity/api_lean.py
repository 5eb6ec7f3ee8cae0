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

import datetime
import functools

from django.db import connection
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField
from rest_framework.settings import api_settings

from . import rls


def _identity(value):
    return value


def _isoformat(value):
    return value.isoformat()


def _local_iso(value: datetime.datetime, zone) -> str:
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# What these fields' to_representation computes (int(), str(), the bool itself, the choice
# key the value already is) is the value PostgreSQL returns: the lean path keeps it as read.
_AS_READ = (serializers.IntegerField, serializers.CharField, serializers.BooleanField)


def _representer(field):
    """field.to_representation, or a faster function with the same result for the values the
    database returns (tests/test_api_lean.py compares the bodies with the serializer's).
    `_local_iso` is a DateTimeField in ISO 8601 and the current time zone."""
    kind = type(field)
    if isinstance(field, PrimaryKeyRelatedField):
        return _identity  # values() gives the key
    if kind in _AS_READ:
        return _identity
    if kind is serializers.ChoiceField and all(isinstance(key, str) for key in field.choices):
        return _identity
    if kind is serializers.DateField and _iso(field, api_settings.DATE_FORMAT):
        return _isoformat
    iso_datetime = kind is serializers.DateTimeField and _iso(field, api_settings.DATETIME_FORMAT)
    if iso_datetime and not hasattr(field, "timezone"):
        return _local_iso
    return field.to_representation


def _iso(field, default) -> bool:
    output = getattr(field, "format", default)
    return isinstance(output, str) and output.lower() == ISO_8601


@functools.cache
def lean_plan(serializer_class, custom: frozenset[str] = frozenset()):
    """(plan, names): [(name, column, representation)] of the serializer's readable fields that
    are a column of the row (the names in `custom` are left to the caller), and the names of
    every readable field in order. Worked out once per serializer class: for reading, its
    fields do not depend on the request (get_fields only narrows the querysets writes choose
    from). A field the lean path cannot read raises, so that a new field never silently
    disappears from the body."""
    serializer = serializer_class()
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
            raise TypeError(f"{serializer_class.__name__}.{name} needs a lean_finish rule")
        plan.append((name, field.source, _representer(field)))
    names = [name for name, field in serializer.fields.items() if not field.write_only]
    return tuple(plan), tuple(names)


def lean_rows(plan, names, rows: list[dict]) -> list[dict]:
    zone = timezone.get_current_timezone()
    data = []
    for row in rows:
        item = dict.fromkeys(names)
        for name, column, represent in plan:
            value = row[column]
            if value is None:
                continue
            item[name] = _local_iso(value, zone) if represent is _local_iso else represent(value)
        data.append(item)
    return data


# Pages kept by each worker process ----------------------------------------------------------
#
# A lean page is a function of what is asked (the view, the query string), who asks (the user:
# scope, role, masking), the day (derived figures such as days overdue) and the state of the
# database its queries read. PostgreSQL names that state exactly: two statements with the same
# snapshot (`pg_current_snapshot()`: xmin, xmax and the transactions still running) see the
# same rows, since every transaction that could make a difference has either finished before
# both or is running during both. So a page kept under the snapshot it was read in is the page
# the queries would read again, for as long as the snapshot is unchanged: until any transaction
# that wrote anything commits or rolls back, anywhere in the database. A repeated request then
# costs one small query instead of the page's queries and serialisation (benchmark B3). Inside
# a transaction (a request in an atomic block, or tests) nothing is kept: the transaction's own
# writes are not in its snapshot.

PAGE_CACHE_ROWS = 200  # larger pages (a full sync reads each once) are not kept
PAGE_CACHE_ENTRIES = 64  # per worker process; all are dropped when full
_pages: dict[tuple, tuple] = {}


def page_key(view, request) -> tuple | None:
    if connection.in_atomic_block or not connection.get_autocommit():
        return None
    if view.paginator._page_size(request) > PAGE_CACHE_ROWS:  # not kept: no snapshot to read
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        (snapshot,) = cursor.fetchone()
    user = request.user
    return (
        type(view).__qualname__,
        request.path,
        tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists())),
        user.pk,
        getattr(user, "role", None),
        rls.current(),
        timezone.localdate(),
        timezone.get_current_timezone_name(),
        snapshot,
    )


def _remember(key: tuple, page: tuple) -> None:
    if len(_pages) >= PAGE_CACHE_ENTRIES:
        _pages.clear()
    _pages[key] = page


def forget_pages() -> None:
    """Drop this worker's pages (tests start each like a fresh worker)."""
    _pages.clear()


class LeanListMixin:
    """For a read-only list whose serializer is a ModelSerializer. `lean_custom` names the
    fields `lean_finish(rows, data)` fills; `lean_columns` any extra columns it needs."""

    lean_custom: frozenset[str] = frozenset()
    lean_columns: tuple[str, ...] = ()

    def list(self, request, *args, **kwargs):
        key = page_key(self, request)
        page = _pages.get(key) if key is not None else None
        if page is None:
            queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
            plan, names = lean_plan(self.get_serializer_class(), self.lean_custom)
            columns = {c for _name, c, _f in plan} | {"id", "sync_txid", *self.lean_columns}
            rows = self.paginate_queryset(queryset.values(*sorted(columns)))
            data = lean_rows(plan, names, rows)
            if rows:
                self.lean_finish(rows, data)
            page = (data, self.paginator.position, self.paginator.has_more)
            if key is not None:
                _remember(key, page)
        # The links are this request's, whether the page was built now or kept (responses
        # never change their data: the kept rows are shared).
        return self.paginator.page_response(request, *page)

    def lean_finish(self, rows: list[dict], data: list[dict]) -> None:
        """Fill the fields named in `lean_custom` (rows and data are in the same order)."""
