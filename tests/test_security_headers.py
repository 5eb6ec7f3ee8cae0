"""Security headers and cookies (issue 9): the production settings turn every one of them on, real
responses carry them (a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval' for
scripts, HSTS over HTTPS, X-Frame-Options, Referrer-Policy, Permissions-Policy, Secure and
HttpOnly cookies), and no template holds an inline script or event handler the policy would
block. tests/test_security_headers_browser.py checks the pages in Chromium under the policy."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import login
from tests.factories import PASSWORD

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3Vq9x-7Lw2!pZr8#Tb4@Yc6&Nd1^Hf5*Jg0(Mh3)Qs7_Ue2+Wa9=Xo4%Ei6$Rl8",
    "ALLOWED_HOSTS": "credit.example.gov.cn",
    "DATABASE_URL": os.environ.get("DATABASE_URL")
    or "postgres://postgres@127.0.0.1:5432/integrity",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}

# Prints the security settings of a freshly imported settings module as JSON.
DUMP_SETTINGS = """
import json
from django.conf import settings
names = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SECURE", "LANGUAGE_COOKIE_HTTPONLY", "MIDDLEWARE", "PERMISSIONS_POLICY",
]
values = {name: getattr(settings, name) for name in names}
values["SECURE_CSP"] = {k: [str(v) for v in vs] for k, vs in settings.SECURE_CSP.items()}
print(json.dumps(values))
"""

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'")


@pytest.fixture(scope="module")
def production() -> dict:
    """The settings a production process sees: imported in a fresh interpreter."""
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + DUMP_SETTINGS],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "integrity.settings", **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_csp(directives: dict[str, list[str]]) -> None:
    assert directives["default-src"] == ["'self'"]
    # What the browser applies to <script> and to style elements: our own files only.
    for name in ("script-src", "style-src"):
        assert directives[name] == ["'self'"], (name, directives[name])
    for name in ("default-src", "script-src", "script-src-elem", "script-src-attr", "style-src"):
        assert not set(directives.get(name, [])) & set(UNSAFE), (name, directives.get(name))
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    # Only style attributes stay inline (templates, ECharts tooltips, Swagger UI).
    assert directives.get("style-src-attr") == ["'unsafe-inline'"]


# Production settings ---------------------------------------------------------------------------


def test_production_settings_turn_on_every_header_and_cookie_flag(production):
    values = production
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True, cookie
        assert values[f"{cookie}_COOKIE_HTTPONLY"] is True, cookie
    middleware = values["MIDDLEWARE"]
    assert middleware[0] == "django.middleware.security.SecurityMiddleware"
    assert CSP_MIDDLEWARE in middleware
    assert "integrity.headers.PermissionsPolicyMiddleware" in middleware
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in middleware
    assert values["PERMISSIONS_POLICY"]["camera"] == []
    assert_strict_csp(values["SECURE_CSP"])


def test_development_enforces_the_same_content_security_policy(production):
    """A policy that broke the development site would break production: they are the same."""
    development = {k: [str(v) for v in vs] for k, vs in settings.SECURE_CSP.items()}
    assert development == production["SECURE_CSP"]
    assert CSP_MIDDLEWARE in settings.MIDDLEWARE
    assert not settings.SECURE_CSP_REPORT_ONLY  # enforced, not merely reported


# Headers on real responses ---------------------------------------------------------------------


def assert_security_headers(response) -> None:
    assert_strict_csp(parse_csp(response.headers["Content-Security-Policy"]))
    assert "Content-Security-Policy-Report-Only" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def assert_no_inline_script(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html).group(0)
    assert "javascript:" not in html
    assert not re.search(r"<style\b", html, re.I)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/accounts/login/"),
        ("office_admin_a", "/"),
        ("clerk_a1", "/"),
        ("city_viewer", "/"),
        ("office_admin_a", "/lists/joint-measures/"),
        ("office_admin_a", "/records/new/"),
        (None, "/public/"),
        (None, "/public/{county}/rankings/"),
        ("office_staff_a", "/api/docs/"),
    ],
)
def test_pages_carry_the_headers_and_no_inline_script(client, world, who, path):
    if who:
        login(client, getattr(world, who))
    response = client.get(path.format(county=world.county_a.division_code))
    assert response.status_code == 200, path
    assert_security_headers(response)
    assert_no_inline_script(response.content.decode())


def test_chart_data_reaches_the_page_as_json_not_as_script(client, world):
    login(client, world.office_admin_a)
    html = client.get("/").content.decode()
    assert re.search(r'<script id="dashboard-charts" type="application/json">', html)
    assert '<script src="/static/js/dashboard.js" defer></script>' in html


def test_api_docs_load_their_script_from_a_url_of_their_own(client, world):
    login(client, world.office_staff_a)
    page = client.get("/api/docs/").content.decode()
    match = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"></script>', page)
    assert match, page
    assert "/static/css/api-docs.css" in page
    script = client.get(match.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body and "/api/schema/" in body


def test_json_api_answers_carry_the_headers_too(client, world):
    login(client, world.office_staff_a)
    response = client.get("/api/v1/agencies/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_hsts_is_sent_over_https_only(client):
    hsts = {
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }
    with override_settings(**hsts):
        secure = client.get("/accounts/login/", secure=True)
        plain = client.get("/accounts/login/")
    assert secure.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.django_db
def test_production_redirects_plain_http_to_https(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/accounts/login/"


def test_login_cookies_are_secure_and_httponly_under_production_flags(client, world):
    production_cookies = {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
    }
    with override_settings(**production_cookies):
        form = client.get("/accounts/login/", secure=True)
        csrf = form.cookies["csrftoken"]
        response = client.post(
            "/accounts/login/",
            {"username": world.office_admin_a.username, "password": PASSWORD},
            secure=True,
        )
    assert response.status_code == 302, response.content.decode()[:500]
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (session, csrf):
        assert cookie.value
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_session_cookie_is_httponly_in_every_environment(client, world):
    response = client.post(
        "/accounts/login/", {"username": world.office_admin_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True


# Templates -------------------------------------------------------------------------------------

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
# A script element is allowed only with src=: JSON for scripts comes from the json_script filter,
# whose output is never in the template source.
SOURCE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
# An on*= attribute inside a tag; Django tags inside the tag are part of the match.
SOURCE_HANDLER = re.compile(r"<[a-z][^<>]*?\son[a-z]+\s*=", re.I)
SOURCE_STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def template_offences(text: str) -> list[str]:
    offences = []
    for pattern, what in (
        (SOURCE_SCRIPT, "inline script"),
        (SOURCE_HANDLER, "event handler attribute"),
        (SOURCE_STYLE_ELEMENT, "inline style element"),
        (re.compile(r"javascript:", re.I), "javascript: URL"),
    ):
        offences += [f"{what}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    return offences


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">x()</script>',
        '<form method="post" onsubmit="return confirm(\'x\')">',
        '<button class="btn" onclick="window.print()">',
        "<img src=x ONERROR=alert(1)>",
        '<a href="javascript:void(0)">',
        "<style>body{}</style>",
    ],
)
def test_the_template_scan_finds_what_the_policy_blocks(snippet):
    assert template_offences(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'js/app.js' %}\" defer></script>",
        '<form method="post" data-confirm="{{ confirm_delete }}">',
        '<button type="button" data-print>Print</button>',
        '<p>Notification on=time</p><div class="x" data-on="1">',
    ],
)
def test_the_template_scan_lets_allowed_markup_pass(snippet):
    assert not template_offences(snippet)


def test_no_template_has_an_inline_script_handler_or_style_element():
    templates = [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))]
    assert len(templates) > 100
    found = {
        str(p.relative_to(settings.BASE_DIR)): offences
        for p in templates
        if (offences := template_offences(p.read_text(encoding="utf-8")))
    }
    assert not found, found
