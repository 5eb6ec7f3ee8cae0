"""The OpenAPI schema at /api/schema/: valid and warning-free, every operation described in
Chinese and English, every error response documented with the one error body, and the
interactive docs served from our own static files."""

import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import login

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(schema, node):
    """Follow a local $ref."""
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = schema["components"][kind][name]
    return node


def test_openapi_schema_is_valid_and_warning_free(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text(encoding="utf-8")
    assert "/api/v1/agencies/" in text


def test_schema_and_docs_are_served_to_signed_in_users_from_local_assets(client, world):
    assert client.get("/api/schema/").status_code in (401, 403)
    login(client, world.office_staff_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/records/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/static/vendor/swagger-ui/swagger-ui.css" in page
    # Every script and style sheet comes from our own static files, and Swagger UI's start-up
    # script from the docs' own URL (the CSP allows no inline script): none from another host.
    assets = re.findall(r"<(?:script|link)\b[^>]*?(?:src|href)=[\"']([^\"']+)", page)
    assert assets
    for url in assets:
        assert url.startswith(("/static/vendor/swagger-ui/", "/static/css/", "/api/docs/?")), url
    assert not re.search(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/", page)


def test_info_describes_auth_versioning_pagination_and_errors_in_both_languages(schema):
    description = schema["info"]["description"]
    assert CHINESE.search(description) and ENGLISH.search(description)
    for needle in ("Authorization: Api-Key", "/api/v1/", "cursor", "updated_since", "tombstones"):
        assert needle in description
    for status in ("400", "401", "403", "404", "429"):
        assert status in description
    assert '{"error": {"code"' in description


def test_every_operation_is_described_in_chinese_and_english(schema):
    undescribed = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if not (
            CHINESE.search(operation.get("description", ""))
            and ENGLISH.search(operation.get("description", ""))
        )
    ]
    assert not undescribed
    # The base classes' notes for developers never leak into the descriptions.
    for _path, _method, operation in operations(schema):
        assert "perform_create" not in operation["description"]


def test_every_operation_documents_its_errors_with_the_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = resolve(schema, error["properties"]["error"])
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}

    missing = []
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        public = operation.get("security") == [{}]
        expected = {"429"}
        if "{" in path:
            expected |= {"400", "404"}
        if method in ("post", "put", "patch") or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        ):
            expected.add("400")
        if not public:
            expected |= {"401", "403"}
        for status in sorted(expected):
            if status not in responses:
                missing.append(f"{method.upper()} {path} {status}")
                continue
            response = resolve(schema, responses[status])
            assert CHINESE.search(response["description"]), (path, status)
            body = response["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (path, status)
    assert not missing
    throttled = schema["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in throttled["headers"]


def test_api_key_and_session_are_documented_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["apiKeyAuth"]["description"],
    }
    assert schemes["cookieAuth"]["in"] == "cookie"
    records = schema["paths"]["/api/v1/records/"]["get"]
    assert {"apiKeyAuth": []} in records["security"]


def test_filter_parameters_are_labelled_in_both_languages(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/records/"]["get"]["parameters"]}
    assert parameters["decided_since"]["description"] == "认定日期（起） / decision date, from"
    assert CHINESE.search(parameters["severity"]["description"])


def test_documented_error_bodies_are_what_the_api_answers(client, world, schema):
    detail = resolve(schema, schema["components"]["schemas"]["ErrorDetail"])
    answers = [client.get("/api/v1/records/")]  # not signed in
    login(client, world.clerk_a1)
    answers.append(client.get("/api/v1/users/"))  # a role without the permission
    answers.append(client.get("/api/v1/records/999999/"))
    answers.append(client.get("/api/v1/records/", {"decided_since": "someday"}))
    answers.append(client.get("/api/v1/no-such-collection/"))
    assert [a.status_code for a in answers] == [401, 403, 404, 400, 404]
    for answer in answers:
        body = answer.json()
        assert set(body) == {"error"}
        assert set(detail["required"]) <= set(body["error"]) <= set(detail["properties"])
        assert all(isinstance(body["error"][key], str) for key in ("code", "message"))
    assert isinstance(answers[3].json()["error"]["fields"], dict)
