"""Bad input to the API answers 400 with the one error body, never 500 and never a write:
NUL characters in the path, the query, form and JSON bodies, and malformed parameters (ids,
dates, booleans, choices, cursors, page sizes, huge numbers) on every list endpoint the
routers have (enumerated, so a new collection is covered without touching this file)."""

import json

import pytest
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Agency
from domains.models import TrustRecord
from tests.conftest import login
from tests.factories import TrustRecordFactory


def _schema():
    return SchemaGenerator().get_schema(request=None, public=True)


SCHEMA = _schema()
DIVISION_CODE = "130826"  # county A of the `world` fixture


def _is_list(operation) -> bool:
    content = operation["responses"].get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.split("/")[-1].startswith("Paginated")


def _operations():
    for path, item in SCHEMA["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in item.items():
                yield path, method.upper(), operation


def _fill(path: str, last: str | None = None) -> str:
    """A concrete URL: the county's division code, and `last` for the final path parameter."""
    path = path.replace("{division_code}", DIVISION_CODE)
    if last is not None:
        head, _, tail = path.rpartition("{")
        path = head + last + tail.partition("}")[2]
    return path


LIST_PATHS = sorted(
    path for path, method, operation in _operations() if method == "GET" and _is_list(operation)
)
DETAIL_PATHS = sorted(
    path
    for path, method, operation in _operations()
    if method == "GET" and not _is_list(operation) and path.rstrip("/").endswith("}")
)
WRITES = sorted(
    (path, method) for path, method, _ in _operations() if method in ("POST", "PUT", "PATCH")
)


def assert_bad_request(response, *fields):
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    for field in fields:
        assert field in body["error"]["fields"], body
    return body["error"]


def _query_parameters(path):
    operation = SCHEMA["paths"][path]["get"]
    return [p for p in operation.get("parameters", []) if p["in"] == "query"]


def _bad_values(parameter) -> list[str]:
    """Malformed values for a query parameter, from its schema."""
    name, schema = parameter["name"], parameter.get("schema", {})
    kind, fmt = schema.get("type"), schema.get("format")
    if name == "cursor":
        return ["not-a-cursor", "MTIz", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5Ljk5"]
    if name == "page_size":
        return ["0", "-1", "abc", "99999999999999999999999"]
    if name == "ordering":
        return ["no_such_field"]
    if kind == "integer" or kind == "number":
        return ["abc", "99999999999999999999999", "1E+999999999", "-1E+999999999", "NaN"]
    if kind == "boolean":
        return ["maybe"]
    if fmt == "date":
        return ["2026-02-30", "yesterday"]
    if fmt == "date-time":
        return ["2026-13-01T00:00:00", "2026-02-30", "yesterday", "9" * 50]
    if "enum" in schema:
        return ["no-such-choice"]
    if "pattern" in schema:
        return ["x" * 7]
    return []


def _edge_values(parameter) -> list[str]:
    schema = parameter.get("schema", {})
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer" and parameter["name"] != "page_size":
        return ["0", "-1", str(2**31), str(-(2**63)), str(2**63 - 1)]
    if fmt == "date":
        return ["0001-01-01", "9999-12-31"]
    if fmt == "date-time":
        return [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "0917-02-24T21:19:10-16:31",
            "2026-11-01",
        ]
    return []


def _router_list_routes() -> set[str]:
    """Every route the API routers answer with a viewset's list action (and the tombstones)."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            part = str(pattern.pattern).lstrip("^").rstrip("$")
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, prefix + part)
                continue
            actions = getattr(pattern.callback, "actions", None) or {}
            if actions.get("get") in ("list", "tombstones") and "<format>" not in part:
                found.add("/" + prefix + part)

    walk(get_resolver().url_patterns, "")
    return found


def test_every_list_route_of_the_routers_is_enumerated():
    routes = _router_list_routes()
    assert "/api/v1/records/" in routes
    assert "/api/v1/ledger-issues/tombstones/" in routes
    assert routes <= set(LIST_PATHS)
    assert "/api/v1/records/{id}/" in DETAIL_PATHS


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_endpoint_answers_400_to_nul_and_malformed_parameters(client, world, path):
    login(client, world.office_admin_a)
    parameters = _query_parameters(path)
    path = _fill(path)
    # NUL in a parameter nobody declares, in a parameter's name, raw and percent-encoded.
    assert_bad_request(client.get(path, {"anything": "a\x00b"}), "anything")
    assert_bad_request(client.get(f"{path}?x%00y=1"), "xy")
    assert_bad_request(client.get(f"{path}?anything=%00"), "anything")
    for parameter in parameters:
        name = parameter["name"]
        assert_bad_request(client.get(path, {name: "1\x00"}), name)
        for value in _bad_values(parameter):
            response = client.get(path, {name: value})
            assert response.status_code == 400, (name, value, response.content[:300])
            assert_bad_request(response, name)
    # Well-formed values at the edges of the calendar and of the integers: never a 500.
    for parameter in parameters:
        for value in _edge_values(parameter):
            response = client.get(path, {parameter["name"]: value})
            assert response.status_code in (200, 400), (parameter["name"], value)
    # The well-formed request still works.
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", DETAIL_PATHS)
def test_detail_endpoint_answers_400_to_nul_and_404_to_a_malformed_id(client, world, path):
    login(client, world.office_admin_a)
    assert_bad_request(client.get(_fill(path, "%00")), "path")
    assert_bad_request(client.get(_fill(path, "1%00")), "path")
    for bad_id in ("abc", "99999999999999999999999", "-1", "1.5", "1E+999999999"):
        response = client.get(_fill(path, bad_id))
        assert response.status_code == 404, (bad_id, response.content[:300])
        assert response.json()["error"]["code"] == "not_found"


def test_unknown_api_path_answers_the_error_body(client, world):
    login(client, world.office_admin_a)
    response = client.get("/api/v1/no-such-collection/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    # Outside the API the HTML page stays.
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("path", "method"), WRITES)
def test_every_write_refuses_nul_in_json_and_form_bodies(client, world, path, method):
    """Whoever may write there gets 400 for a body with NUL; nobody gets a 2xx or a 500."""
    has_id = path.rstrip("/").endswith("}")
    path = _fill(path, "1" if has_id else None)
    bodies = [
        ("application/json", json.dumps({"name": "a\x00b", "extra": {"k": "\x00"}})),
        ("application/json", json.dumps({"nested": {"deep": ["ok", "\x00"]}})),
        ("application/json", json.dumps({"key\x00": "value"})),
        ("application/json", b'{"name": "a\x00b"}'),
        ("application/x-www-form-urlencoded", "name=a%00b"),
    ]
    seen = set()
    for user in (world.office_admin_a, world.clerk_a1):
        login(client, user)
        for content_type, body in bodies:
            response = client.generic(method, path, body, content_type=content_type)
            seen.add(response.status_code)
            assert response.status_code in (400, 403, 404), (user, body, response.content[:300])
            if response.status_code == 400:
                assert response.json()["error"]["code"] in ("invalid", "parse_error")
    assert 400 in seen or has_id


def test_nul_in_a_body_never_writes(client, world):
    login(client, world.office_admin_a)
    before = Agency.objects.count()
    response = client.post(
        "/api/v1/agencies/",
        {"name": "县\x00财政局", "kind": "department"},
        content_type="application/json",
    )
    assert_bad_request(response, "name")
    response = client.post("/api/v1/agencies/", {"name": "县\x00财政局", "kind": "department"})
    assert_bad_request(response, "name")
    assert Agency.objects.count() == before

    record = TrustRecordFactory(tenant=world.county_a, agency=world.a1)
    facts = record.facts
    response = client.patch(
        f"/api/v1/records/{record.pk}/", {"facts": "a\x00b"}, content_type="application/json"
    )
    assert_bad_request(response, "facts")
    response = client.patch(
        f"/api/v1/records/{record.pk}/",
        "facts=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    assert_bad_request(response, "facts")
    assert TrustRecord.objects.get(pk=record.pk).facts == facts


def test_nul_in_the_query_of_a_web_page_answers_400(client, world):
    login(client, world.office_admin_a)
    response = client.get("/records/", {"q": "a\x00b"})
    assert response.status_code == 400
    response = client.post("/agencies/new/", {"name": "a\x00b"})
    assert response.status_code == 400
