"""schemathesis against /api/schema/: every operation of the API, called in-process through the
WSGI application by an office admin of the seeded county (session cookie and CSRF token, so
writes are exercised too), with generated valid and invalid input. No response may be a server
error, and every response must be documented: its status, its content type and its body."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from integrity.wsgi import application

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Examples per operation and phase: enough to reach every parameter's edge and invalid values,
# small enough for the whole API in about a minute on two cores.
MAX_EXAMPLES = 10

CONFIG = {
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "mode": "all",  # valid input, and invalid input that must answer a documented 4xx
        "deterministic": True,  # the same cases on every run: CI fails or passes for a reason
        "database": "none",  # no .hypothesis/ directory in the checkout
    },
    "phases": {
        "examples": {"enabled": True},
        "fuzzing": {"enabled": True},
        # The coverage phase enumerates every boundary of every parameter (hundreds of cases
        # per operation); tests/test_api_input.py covers those boundaries directly.
        "coverage": {"enabled": False},
        "stateful": {"enabled": False},
    },
}


def isolated(app):
    """Each request in a savepoint rolled back afterwards: the cases stay independent (every
    one sees the seeded data), and a request that breaks the transaction cannot fail the
    requests after it."""

    def wrapped(environ, start_response):
        with transaction.atomic():
            response = app(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                if hasattr(response, "close"):
                    response.close()
            transaction.set_rollback(True)
        return [body]

    return wrapped


@pytest.fixture
def seeded_admin(db, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    call_command("seed_demo", verbosity=0)
    return User.objects.get(username="fn-office")


@pytest.fixture
def session(client, seeded_admin):
    """The office admin's session cookie and a CSRF token (cookie and header)."""
    client.force_login(seeded_admin)
    csrf = _get_new_csrf_string()
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "headers": {"X-CSRFToken": csrf},
    }


@pytest.fixture
def api_schema(client, session):
    # The schema is served to signed-in users only; the test client carries the session.
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    loaded = schemathesis.openapi.from_dict(
        response.json(), config=SchemathesisConfig.from_dict(CONFIG)
    )
    loaded.app = isolated(application)  # calls go in-process through the WSGI application
    loaded.location = "/api/schema/"
    # Around each request a real server closes the database connection, which would end the
    # test's transaction; Django's test client skips that too (and restores it after each of
    # its own requests, so this comes after the client's last one).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The generated calls are signed in and pass the CSRF check: without the session they
    # would all answer a documented 401 (403 for writes) and prove nothing.
    read = loaded["/api/v1/agencies/"]["GET"].Case().call(**session)
    assert read.status_code == 200 and read.json()["results"], read.text[:300]
    write = (
        loaded["/api/v1/agencies/"]["POST"]
        .Case(body={}, media_type="application/json")
        .call(**session)
    )
    assert write.status_code == 400 and "name" in write.json()["error"]["fields"], write.text
    yield loaded
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 names each operation's subtest through `node._nodeid`, an attribute
    # pytest 9 no longer has (it keeps the id in `_id`); give it the plain id to extend.
    request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_api_conforms_to_its_schema(case, session):
    case.call_and_validate(**session, checks=CHECKS)
