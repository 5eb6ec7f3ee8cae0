"""The change feed's tombstone collections (/api/v1/<collection>/tombstones/), one per scoped
collection: scoped like their collection (tests/test_api_sync.py checks what each shows)."""

from django.urls import get_resolver


def _tombstone_names(patterns, namespace=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _tombstone_names(pattern.url_patterns, inner)
        elif pattern.name and pattern.name.endswith("-tombstones"):
            yield f"{namespace}{pattern.name}"


NON_OBJECT_URLS = set(_tombstone_names(get_resolver().url_patterns))
