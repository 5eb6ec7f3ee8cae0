"""A bounded same-site crawler on the Django test client and the demo data it crawls, shared
by the stored-XSS sweep (tests/test_xss.py) and the personal-data scan
(tests/test_personal_data.py).

It follows every link of the HTML pages and every URL value of the JSON answers that `follow`
accepts, GET only, and fetches at most `per_route` URLs per URL pattern (and set of query
parameter names): the tenth agency's page shows nothing the second did not, and the bound keeps
the crawl to a few hundred requests.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.urls import Resolver404, resolve

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HREF_RE = re.compile(r"""\bhref\s*=\s*["']([^"'#]*)""", re.IGNORECASE)
SITE = "http://testserver"


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: bytes
    found_on: str = ""
    headers: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def is_json(self) -> bool:
        return self.content_type.startswith("application/json")

    @property
    def is_xlsx(self) -> bool:
        return self.content_type.startswith(XLSX)


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)
    routes: Counter = field(default_factory=Counter)

    def html(self) -> Iterator[Page]:
        return (p for p in self.pages if p.is_html and p.status == 200)

    def json(self) -> Iterator[Page]:
        return (p for p in self.pages if p.is_json and p.status == 200)

    def xlsx(self) -> Iterator[Page]:
        return (p for p in self.pages if p.is_xlsx and p.status == 200)

    def get(self, url: str) -> Page:
        for page in self.pages:
            if page.url == url:
                return page
        raise KeyError(url)

    def errors(self) -> list[Page]:
        return [p for p in self.pages if p.status >= 500]


def normalise(base: str, href: str) -> str | None:
    """The same-site path and query of a link, or None for another site."""
    absolute = urljoin(SITE + base, unescape(href.strip()))
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != SITE:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_key(url: str) -> tuple:
    """The URL pattern and the query parameter names: URLs with the same key show the same
    template with other rows."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
        route = match.route or match.view_name
    except Resolver404:
        route = parts.path
    return route, tuple(sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}))


def html_links(page: Page) -> Iterable[str]:
    for href in HREF_RE.findall(page.text):
        url = normalise(page.url, href)
        if url:
            yield url


def json_links(page: Page) -> Iterable[str]:
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str) and (value.startswith(SITE) or value.startswith("/api/")):
            url = normalise(page.url, value)
            if url:
                yield url

    try:
        yield from walk(json.loads(page.body))
    except ValueError:
        return


def crawl(
    client,
    starts: Iterable[str],
    *,
    follow: Callable[[str], bool],
    per_route: int = 2,
    limit: int = 500,
    headers: dict | None = None,
    more_links: Callable[[Page], Iterable[str]] | None = None,
) -> Crawl:
    """Breadth-first from `starts` (always fetched), following links `follow` accepts (and
    those `more_links` derives from a page, e.g. detail URLs from the ids of a JSON list)."""
    result = Crawl()
    queue: list[tuple[str, str]] = [(url, "") for url in starts]
    seen: set[str] = set()
    forced = set(starts)
    while queue and len(result.pages) < limit:
        url, found_on = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        key = route_key(url)
        if url not in forced and result.routes[key] >= per_route:
            continue
        result.routes[key] += 1
        response = client.get(url, **(headers or {}))
        page = Page(
            url=url,
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content,
            found_on=found_on,
            headers=response.headers,
        )
        result.pages.append(page)
        if page.status != 200:
            continue
        links = list(html_links(page) if page.is_html else json_links(page) if page.is_json else ())
        if more_links is not None:
            links += list(more_links(page))
        for link in links:
            if link not in seen and follow(link):
                queue.append((link, url))
    return result


def public_api_details(page: Page) -> Iterable[str]:
    """The detail URLs of the public API's lists, which give ids rather than links."""
    match = re.fullmatch(
        r"/api/v1/public/(\d{6})/(records|notices|rankings|commitments)/", page.url
    )
    if not match or not page.is_json:
        return
    code, collection = match.groups()
    for row in json.loads(page.body).get("results", []):
        if collection in ("records", "notices"):
            yield f"/api/v1/public/{code}/{collection}/{row['public_id']}/"
        elif collection == "rankings":
            yield f"/api/v1/public/{code}/rankings/{row['id']}/"
        else:
            yield f"/api/v1/public/{code}/agencies/{row['agency_id']}/"


@contextlib.contextmanager
def seeded_demo(django_db_blocker, media_root):
    """`seed_demo`'s data for a whole test module, in one transaction rolled back at the end:
    the command takes half a minute, too long to repeat for every test. Seeded for the
    platform (row-level security), with fast password hashing and media in `media_root`."""
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    from integrity import rls

    with (
        django_db_blocker.unblock(),
        rls.system(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media_root,
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()  # nothing cached from the rolled-back data may answer later
