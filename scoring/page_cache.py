"""Each worker process's own copy of the public ranking pages it served (scoring.views.public).

A page is kept under its slot (language, page, URL arguments) with the key it was rendered
under in the shared cache (county id, the county's updated_at, the county's public version,
language, page, arguments). For PUBLIC_PAGE_RECHECK_SECONDS after its last check the worker
serves it without any I/O: no county lookup, no read of the version (benchmark B2). After that
the next visit checks the county and the version again (one indexed lookup, one small Redis
read) and keeps the page if neither moved. Publishing or withdrawing (services.bump_public_cache)
drops the county's pages of the worker that did it at once; every other worker sees the change
within PUBLIC_PAGE_RECHECK_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

ENTRIES = 256  # slots per worker; the whole store is dropped when full


@dataclass
class Page:
    key: tuple
    body: bytes  # the page encoded once (UTF-8), as every response sends it
    checked: float  # time.monotonic() of the last check of county and version


_pages: dict[tuple, Page] = {}


def get(slot: tuple) -> Page | None:
    return _pages.get(slot)


def fresh(page: Page) -> bool:
    return time.monotonic() - page.checked < settings.PUBLIC_PAGE_RECHECK_SECONDS


def checked(page: Page) -> None:
    page.checked = time.monotonic()


def put(slot: tuple, key: tuple, html: str) -> None:
    if len(_pages) >= ENTRIES:
        _pages.clear()
    _pages[slot] = Page(key=key, body=html.encode(), checked=time.monotonic())


def forget(tenant_id: int | None = None) -> None:
    """Drop this worker's pages of one county (all when None)."""
    if tenant_id is None:
        _pages.clear()
        return
    for slot in [s for s, page in _pages.items() if page.key[0] == tenant_id]:
        _pages.pop(slot, None)
