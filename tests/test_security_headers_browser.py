"""The pages under the Content-Security-Policy in headless Chromium (`-m browser`), with the demo
data: the office home draws its charts, a delete asks for confirmation (from static/js/app.js, no
inline handler), the print button prints, the public ranking page draws its charts and the API
docs load Swagger UI, all without a single CSP violation. A probe first proves the browser
enforces the policy and that a violation would be caught."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from domains.models import JointMeasure
from scoring.models import ScoreRun
from tests import browser
from tests.browser import at, log_in

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

# Installed before any page script runs, in every document the page opens.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation({
    url: document.location.href,
    directive: e.effectiveDirective,
    blocked: e.blockedURI,
    sample: e.sample,
    source: e.sourceFile + ":" + e.lineNumber,
  });
});
"""

# What a template's inline script would do: it must be refused.
INLINE_PROBE = """() => {
  const s = document.createElement("script");
  s.textContent = "window.__inlineRan = true;";
  document.body.appendChild(s);
  return window.__inlineRan === true;
}"""


# ECharts' tooltip of the issues chart is on screen, written as markup with style attributes.
TOOLTIP_SHOWN = """() => Array.from(document.querySelectorAll('[data-chart="issues"] div'))
  .some((d) => d.offsetParent !== null && d.innerHTML.includes('<span style='))"""


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def watched(browser_page):
    """The page, with every CSP violation and CSP console message collected."""
    page = browser_page
    violations, console = [], []
    page.expose_function("reportCspViolation", lambda v: violations.append(v))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.violations, page.console = violations, console
    return page


def csp_messages(page) -> list[str]:
    return [m for m in page.console if "Content Security Policy" in m or "pageerror" in m]


def assert_clean(page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert page.violations == [], (where, page.violations)
    assert csp_messages(page) == [], (where, page.console)


def test_pages_work_under_the_policy_without_a_violation(demo, live_server, watched):
    page = watched

    # The probe: the browser enforces the policy, and the collectors see the violation.
    page.goto("/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
    assert page.evaluate(INLINE_PROBE) is False
    page.wait_for_timeout(200)  # the violation event is dispatched after the element is added
    assert [v["directive"] for v in page.violations] == ["script-src-elem"], page.violations
    assert any("Content Security Policy" in m for m in page.console), page.console
    page.violations.clear()
    page.console.clear()

    # 1. The office home: every chart drawn by dashboard.js from its json_script data.
    log_in(page, live_server, "fn-office")
    charts = page.locator("[data-chart]")
    expect(charts.first.locator("canvas").first).to_be_visible()
    assert charts.count() > 1
    for i in range(charts.count()):
        expect(charts.nth(i).locator("canvas").first).to_be_visible()
    # A tooltip: ECharts writes it as markup with style attributes (allowed: style-src-attr).
    box = page.locator('[data-chart="issues"]').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(TOOLTIP_SHOWN)
    assert_clean(page, "office home")

    # 2. A list with a delete: the confirm dialog comes from app.js; "cancel" keeps the row,
    #    "OK" deletes it.
    page.goto("/lists/joint-measures/")
    rows = page.locator("main table tbody tr")
    before = rows.count()
    assert before > 0 and JointMeasure.objects.count() > 0
    total = JointMeasure.objects.count()
    dialogs = []

    def answer(dialog, accept):
        dialogs.append((dialog.type, dialog.message))
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda d: answer(d, accept=False))
    rows.first.locator("form[data-confirm] button[type=submit]").click()
    page.wait_for_timeout(300)  # a submitted form would be navigating by now
    assert dialogs == [("confirm", "确定删除此措施吗？")], dialogs
    expect(page).to_have_url(at(live_server, "/lists/joint-measures/"))
    assert JointMeasure.objects.count() == total

    page.once("dialog", lambda d: answer(d, accept=True))
    with page.expect_navigation():
        rows.first.locator("form[data-confirm] button[type=submit]").click()
    assert dialogs[1:] == [("confirm", "确定删除此措施吗？")], dialogs
    expect(rows).to_have_count(before - 1)
    assert JointMeasure.objects.count() == total - 1
    assert_clean(page, "joint measures")

    # 3. The printable ranking notice: the print button (data-print) prints.
    run = ScoreRun.objects.filter(tenant__division_code="130826").order_by("-pk").first()
    page.goto(f"/scoring/runs/{run.pk}/print/")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }")
    page.locator("[data-print]").click()
    assert page.evaluate("() => window.__printed") == 1
    assert_clean(page, "ranking print")

    # 4. The public ranking page: the charts are drawn (SVG) from their json_script data.
    page.goto("/public/130826/rankings/")
    expect(page.locator('[data-chart="bars"] svg').first).to_be_visible()
    expect(page.locator('[data-chart="grades"] svg')).to_have_count(1)
    assert_clean(page, "public rankings")

    # 5. The API docs: Swagger UI starts from its own script and renders the operations.
    page.goto("/api/docs/")
    expect(page.locator("#swagger-ui .opblock-tag").first).to_be_visible()
    agencies = page.locator("#swagger-ui .opblock-summary-path", has_text="/api/v1/agencies/")
    expect(agencies.first).to_be_visible()
    assert_clean(page, "api docs")
