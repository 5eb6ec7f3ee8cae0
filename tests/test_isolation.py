"""Tenant and agency isolation, for every URL pattern of the project.

Every named URL pattern must be declared below: either as an object URL (with the objects a
user of another county, of another city and of another agency must not reach) or as a
non-object URL. A new URL that is in neither list fails `test_every_url_pattern_is_declared`,
so every later endpoint is covered by the same checks automatically.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import login


@dataclass
class ObjectURL:
    """`other_county(world)`: an object of county B, which county A's `actor` must not reach.
    `other_agency(world)`: an object of agency a2, which clerk_a1 must not reach (None when the
    object type does not belong to agencies). `other_city(world)`: an object of county C,
    which the city viewer of county A's city must not reach. `actor`: the county-A role that has
    the permission the URL needs (None: only the platform admin may use it at all)."""

    other_county: Callable
    other_agency: Callable | None = None
    other_city: Callable | None = None
    actor: str | None = "office_admin_a"
    kwarg: str = "pk"


def _b1(w):
    return w.b1


def _a2(w):
    return w.a2


def _c1(w):
    return w.c1


OBJECT_URLS: dict[str, ObjectURL] = {
    "accounts:tenant-update": ObjectURL(lambda w: w.county_b, actor=None),
    "accounts:agency-detail": ObjectURL(_b1, _a2, _c1),
    "accounts:agency-update": ObjectURL(_b1, _a2),
    "accounts:agency-deactivate": ObjectURL(_b1, _a2),
    "accounts:agency-activate": ObjectURL(_b1, _a2),
    "accounts:user-update": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-reset-password": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-lock": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-unlock": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-activate": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-deactivate": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "v1:tenant-detail": ObjectURL(lambda w: w.county_b, None, lambda w: w.county_c),
    "v1:agency-detail": ObjectURL(_b1, _a2, _c1),
    "v1:user-detail": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
}

# Collections, forms and pages that address no single object: their querysets go through the
# same scoping (tests/accounts/ check what each shows).
NON_OBJECT_URLS = {
    "home",
    "healthz",
    "api-schema",
    "accounts:login",
    "accounts:logout",
    "accounts:password-change",
    "accounts:tenant-list",
    "accounts:tenant-create",
    "accounts:agency-list",
    "accounts:agency-create",
    "accounts:agency-export",
    "accounts:agency-import",
    "accounts:agency-template",
    "accounts:user-list",
    "accounts:user-create",
    "accounts:audit-list",
    "accounts:security-event-list",
    "v1:tenant-list",
    "v1:agency-list",
    "v1:user-list",
}

# The Django admin serves platform administrators only (tested in test_admin_is_platform_only).
EXCLUDED_NAMESPACES = {"admin"}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            child = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, child)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace and entry.name else entry.name,
                   namespace, str(entry.pattern))


def _project_patterns():
    found = []
    for name, namespace, pattern in _walk(get_resolver().url_patterns):
        if namespace.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        found.append((name, pattern))
    return found


def _name(full: str) -> str:
    """URL names as declared above: the API's app namespace is folded into the version."""
    parts = full.split(":")
    return f"{parts[0]}:{parts[-1]}" if len(parts) > 2 else full


def test_every_url_pattern_is_declared():
    patterns = _project_patterns()
    unnamed = [pattern for name, pattern in patterns if not name]
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    names = {_name(name) for name, _pattern in patterns}
    undeclared = names - set(OBJECT_URLS) - NON_OBJECT_URLS
    assert not undeclared, (
        f"Declare these URLs in tests/test_isolation.py (OBJECT_URLS or NON_OBJECT_URLS): "
        f"{sorted(undeclared)}"
    )
    stale = (set(OBJECT_URLS) | NON_OBJECT_URLS) - names
    assert not stale, f"Declared URLs that no longer exist: {sorted(stale)}"
    with_kwargs = {_name(n) for n, p in patterns if "<" in p or "(?P<" in p}
    with_kwargs = {n for n in with_kwargs if n not in NON_OBJECT_URLS or "pk" in n}
    assert with_kwargs <= set(OBJECT_URLS), (
        "URLs that take an object id must be in OBJECT_URLS: "
        f"{sorted(with_kwargs - set(OBJECT_URLS))}"
    )


def _reverse(name: str, obj, kwarg: str) -> str:
    full = {_name(n): n for n, _p in _project_patterns()}[name]
    return reverse(full, kwargs={kwarg: obj.pk})


def _snapshot(obj):
    model = type(obj)
    return model._base_manager.filter(pk=obj.pk).values().get()


METHODS = ("get", "post", "put", "patch", "delete")


def _attempt(client, url):
    statuses = {}
    for method in METHODS:
        if method == "get":
            response = client.get(url)
        elif method == "post":
            response = client.post(url, data={})
        else:
            response = getattr(client, method)(url, data={}, content_type="application/json")
        statuses[method] = response.status_code
    return statuses


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_other_county_gets_404(client, world, name):
    spec = OBJECT_URLS[name]
    target = spec.other_county(world)
    before = _snapshot(target)
    url = _reverse(name, target, spec.kwarg)
    if spec.actor is None:
        # Only the platform admin may use this URL: every county role is refused outright.
        login(client, world.office_admin_a)
        statuses = _attempt(client, url)
        assert set(statuses.values()) <= {403, 405}, statuses
    else:
        login(client, getattr(world, spec.actor))
        statuses = _attempt(client, url)
        # 404 where the role may act at all (never a hint that the object exists); 403/405
        # only for methods the role or the URL does not allow anyway.
        assert 404 in statuses.values(), statuses
        assert set(statuses.values()) <= {403, 404, 405}, statuses
    assert _snapshot(target) == before


@pytest.mark.parametrize("name", sorted(n for n, s in OBJECT_URLS.items() if s.other_agency))
def test_clerk_cannot_reach_another_agencys_objects(client, world, name):
    spec = OBJECT_URLS[name]
    target = spec.other_agency(world)
    before = _snapshot(target)
    login(client, world.clerk_a1)
    statuses = _attempt(client, _reverse(name, target, spec.kwarg))
    assert set(statuses.values()) <= {403, 404, 405}, statuses
    assert _snapshot(target) == before


@pytest.mark.parametrize("name", sorted(n for n, s in OBJECT_URLS.items() if s.other_city))
def test_city_viewer_cannot_reach_another_citys_counties(client, world, name):
    spec = OBJECT_URLS[name]
    target = spec.other_city(world)
    login(client, world.city_viewer)
    statuses = _attempt(client, _reverse(name, target, spec.kwarg))
    assert statuses["get"] == 404, statuses
    assert set(statuses.values()) <= {403, 404, 405}, statuses


@pytest.mark.parametrize("name", sorted(n for n, s in OBJECT_URLS.items() if s.actor))
def test_own_county_object_is_reachable(client, world, name):
    """The 404s above come from scoping, not from a broken URL: county A's own object works."""
    spec = OBJECT_URLS[name]
    own = {
        "county_b": world.county_a, "b1": world.a1, "office_admin_b": world.clerk_a1,
    }
    target = spec.other_county(world)
    for attr, replacement in own.items():
        if target == getattr(world, attr):
            target = replacement
    login(client, getattr(world, spec.actor))
    statuses = _attempt(client, _reverse(name, target, spec.kwarg))
    assert any(s < 400 for s in statuses.values()), statuses


def test_admin_is_platform_only(client, world):
    login(client, world.office_admin_a)
    response = client.get("/django-admin/accounts/agency/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    login(client, world.platform_admin)
    assert client.get("/django-admin/accounts/agency/").status_code == 200
