"""End-to-end checks in headless Chromium against the live server (`-m browser`).

Each test seeds the demo data, logs in through the real login form and clicks through the UI.
Playwright's `expect` waits for each condition, so the tests need no sleeps.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Agency
from tests import browser
from tests.browser import at, log_in, screenshot

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

BOOTSTRAP_CSS = "/static/vendor/bootstrap/bootstrap.min.css"


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", verbosity=0)


def test_office_admin_logs_in_in_chinese(demo, live_server, browser_page):
    page = browser_page
    with page.expect_response(lambda r: r.url.endswith(BOOTSTRAP_CSS)) as css:
        page.goto("/accounts/login/")
    assert css.value.status == 200, "Bootstrap is not served: run `make assets`"
    assert page.request.get(BOOTSTRAP_CSS).status == 200
    assert page.request.get("/static/css/app.css").status == 200
    # The stylesheets are applied, not merely fetched: Bootstrap's primary button colour and
    # the background colour from app.css.
    submit = page.locator("form button[type=submit]")
    expect(submit).to_have_css("background-color", "rgb(13, 110, 253)")
    expect(page.locator("body")).to_have_css("background-color", "rgb(245, 247, 250)")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title(re.compile("登录"))

    page.locator("#id_username").fill("fn-office")
    page.locator("#id_password").fill(browser.DEMO_PASSWORD)
    submit.click()

    expect(page).to_have_url(at(live_server, "/"))
    title = page.get_by_test_id("home-title")
    expect(title).to_be_visible()
    expect(title).to_contain_text("丰宁满族自治县")
    expect(page.get_by_test_id("current-user")).to_contain_text("信用办")
    nav = page.locator("#main-nav")
    for path in ("/agencies/", "/users/", "/audit/"):
        expect(nav.locator(f'a[href="{path}"]')).to_have_count(1)
    expect(nav.locator('a[href="/tenants/"]')).to_have_count(0)
    screenshot(page, "home-office.png")


def test_agency_clerk_reaches_agency_home(demo, live_server, browser_page):
    page = browser_page
    log_in(page, live_server, "fn-clerk")

    title = page.get_by_test_id("home-title")
    expect(title).to_be_visible()
    expect(title).to_contain_text("县财政局")
    nav = page.locator("#main-nav")
    expect(nav.locator('a[href="/agencies/"]')).to_have_count(1)
    expect(nav.locator('a[href="/users/"]')).to_have_count(0)
    expect(nav.locator('a[href="/audit/"]')).to_have_count(0)


def test_office_admin_edits_agency_and_sees_it_audited(demo, live_server, browser_page):
    page = browser_page
    log_in(page, live_server, "fn-office")
    new_leader = "王建国"

    page.goto("/agencies/")
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text="大阁镇")).to_have_count(1)
    page.locator("#id_kind").select_option("department")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]kind=department(&|$)"))
    expect(rows.filter(has_text="县审计局")).to_have_count(1)
    expect(rows.filter(has_text="大阁镇")).to_have_count(0)  # a township, filtered out

    page.locator("table tbody").get_by_role("link", name="县审计局", exact=True).click()
    expect(page.locator("main h1")).to_contain_text("县审计局")
    agency = Agency.objects.get(tenant__division_code="130826", name="县审计局")
    expect(page).to_have_url(at(live_server, f"/agencies/{agency.pk}/"))

    page.locator(f'main a[href="/agencies/{agency.pk}/edit/"]').click()
    leader = page.locator("#id_leader_name")
    expect(leader).to_be_visible()
    leader.fill(new_leader)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(at(live_server, f"/agencies/{agency.pk}/"))
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("main dl")).to_contain_text(new_leader)
    agency.refresh_from_db()
    assert agency.leader_name == new_leader

    page.goto("/audit/")
    change = page.locator("table tbody tr").filter(has_text=new_leader)
    expect(change).to_have_count(1)
    expect(change).to_contain_text("fn-office")
    expect(change).to_contain_text("县审计局")
    expect(change.locator("code", has_text="leader_name")).to_be_visible()
