from django.core.management import call_command


def test_openapi_schema_is_valid_and_warning_free(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text(encoding="utf-8")
    assert "/api/v1/agencies/" in text


def test_schema_and_docs_are_served_to_signed_in_users_from_local_assets(client, world):
    from tests.conftest import login

    assert client.get("/api/schema/").status_code in (401, 403)
    login(client, world.office_staff_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/records/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
