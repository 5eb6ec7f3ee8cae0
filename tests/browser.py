"""Headless Chromium for the browser tests: Playwright's sync API against `live_server`.

The tests use Debian's Chromium (/usr/bin/chromium, installed by `make browser`), never a
browser build downloaded by Playwright. Without it the browser tests are skipped on a developer's
machine and fail in CI, where a missing browser means a broken set-up rather than an option.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
DEMO_PASSWORD = "Demo@2026pass"  # noqa: S105  (the seed_demo password, documented)
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Generous but bounded: a cold Chromium on a busy CI machine can take a few seconds per page.
TIMEOUT_MS = 15_000


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in a fresh browser context, closed after the test.

    Playwright's sync API runs an asyncio event loop in the test thread, so Django refuses ORM
    calls from that thread (SynchronousOnlyOperation). The test thread does not share the loop
    with any coroutine, so the check is lifted while the browser runs, for browser tests only.
    """
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        if _ci():
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions do

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                context = browser.new_context(
                    base_url=live_server.url,
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                    viewport={"width": 1366, "height": 900},
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                try:
                    yield page
                finally:
                    context.close()
                    # Inside sync_playwright() the test runs in another contextvars context, so
                    # the ORM opened its own connection there: close it, or it outlives the
                    # test database.
                    connections.close_all()
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def at(live_server, path: str) -> re.Pattern:
    """The absolute URL of `path` on the live server, with or without a query string."""
    return re.compile("^" + re.escape(live_server.url + path) + r"(\?.*)?$")


def log_in(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the login form and submit it the way a user does; wait for the home page."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(at(live_server, "/"))


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target), full_page=full_page)
    return target
