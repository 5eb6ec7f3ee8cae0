"""Tenant and agency isolation, for every URL pattern of the project.

Every named URL pattern must be declared in a module of tests/isolation_specs/: as an object
URL (with the objects a user of another county, of another city and of another agency must not
reach), as a public object URL (what anonymous visitors must not see), or as a non-object URL.
A new URL that is in none of the lists fails `test_every_url_pattern_is_declared`, so every
later endpoint gets the same checks.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import isolation_specs
from tests.conftest import login


def _load_specs():
    object_urls, non_object_urls, public_urls = {}, set(), {}
    for info in pkgutil.iter_modules(isolation_specs.__path__):
        module = importlib.import_module(f"{isolation_specs.__name__}.{info.name}")
        overlap = set(getattr(module, "OBJECT_URLS", {})) & set(object_urls)
        assert not overlap, f"declared twice: {overlap}"
        object_urls.update(getattr(module, "OBJECT_URLS", {}))
        non_object_urls |= set(getattr(module, "NON_OBJECT_URLS", set()))
        public_urls.update(getattr(module, "PUBLIC_OBJECT_URLS", {}))
    return object_urls, non_object_urls, public_urls


OBJECT_URLS, NON_OBJECT_URLS, PUBLIC_OBJECT_URLS = _load_specs()

# The Django admin serves platform administrators only (tested in test_admin_is_platform_only).
EXCLUDED_NAMESPACES = {"admin"}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            child = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, child)
        elif isinstance(entry, URLPattern):
            yield (
                f"{namespace}:{entry.name}" if namespace and entry.name else entry.name,
                namespace,
                str(entry.pattern),
            )


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
    undeclared = names - set(OBJECT_URLS) - NON_OBJECT_URLS - set(PUBLIC_OBJECT_URLS)
    assert not undeclared, (
        f"Declare these URLs in tests/test_isolation.py (OBJECT_URLS or NON_OBJECT_URLS): "
        f"{sorted(undeclared)}"
    )
    stale = (set(OBJECT_URLS) | NON_OBJECT_URLS | set(PUBLIC_OBJECT_URLS)) - names
    assert not stale, f"Declared URLs that no longer exist: {sorted(stale)}"
    with_kwargs = {_name(n) for n, p in patterns if "<" in p or "(?P<" in p}
    with_kwargs = {n for n in with_kwargs if n not in NON_OBJECT_URLS or "pk" in n}
    assert with_kwargs <= set(OBJECT_URLS) | set(PUBLIC_OBJECT_URLS), (
        "URLs that take an object id must be in OBJECT_URLS: "
        f"{sorted(with_kwargs - set(OBJECT_URLS) - set(PUBLIC_OBJECT_URLS))}"
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
    if spec.own is not None:
        target = spec.own(world)
    else:
        own = {"county_b": world.county_a, "b1": world.a1, "office_admin_b": world.clerk_a1}
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


@pytest.mark.parametrize("name", sorted(PUBLIC_OBJECT_URLS))
def test_public_pages_hide_what_is_not_published(client, world, name):
    obj, kwargs = PUBLIC_OBJECT_URLS[name].hidden(world)
    full = {_name(n): n for n, _p in _project_patterns()}[name]
    before = _snapshot(obj)
    for method in ("get", "post"):
        response = getattr(client, method)(reverse(full, kwargs=kwargs))
        assert response.status_code == 404, (method, response.status_code)
    assert _snapshot(obj) == before
