"""The office dashboard in headless Chromium with the demo data (`-m browser`): every chart is
drawn with data, a click on a bar lands on the filtered list behind it, and a chart saves
itself as PNG."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from integrity.dashboard import OFFICE_FIGURES
from tests import browser
from tests.browser import at, log_in, screenshot

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

# How many data points a chart holds, read from its ECharts instance (not from our JSON).
CHART_POINTS = """slug => {
  const box = document.querySelector(`[data-chart="${slug}"]`);
  const chart = window.echarts.getInstanceByDom(box);
  if (!chart) return -1;
  let points = 0;
  for (const s of chart.getOption().series) {
    for (const d of s.data) {
      const v = Array.isArray(d) ? 1 : (d !== null && typeof d === "object" ? d.value : d);
      if (v) points += 1;
    }
  }
  return points;
}"""

# Where a bar is drawn, in the chart's own pixels: the geometry ECharts laid out.
BAR_LAYOUT = """([slug, seriesIndex, dataIndex]) => {
  const box = document.querySelector(`[data-chart="${slug}"]`);
  const chart = window.echarts.getInstanceByDom(box);
  const data = chart.getModel().getSeriesByIndex(seriesIndex).getData();
  const r = data.getItemLayout(dataIndex);
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}"""

CHART_SPECS = "() => JSON.parse(document.getElementById('dashboard-charts').textContent)"


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", verbosity=0)


def test_office_dashboard_draws_every_chart_and_clicks_through(demo, live_server, browser_page):
    page = browser_page
    log_in(page, live_server, "fn-office")
    expect(page.get_by_test_id("key-figures")).to_be_visible()

    for slug in OFFICE_FIGURES:
        box = page.locator(f'[data-chart="{slug}"]')
        expect(box).to_be_visible()
        expect(box.locator("canvas").first).to_be_visible()  # drawn by ECharts on a canvas
        assert page.evaluate(CHART_POINTS, slug) > 0, f"the {slug} chart has no data"
        # Drawn: the table folds away under its summary, still there for screen readers.
        table = page.get_by_test_id(f"table-{slug}")
        expect(table).not_to_have_attribute("open", "")
        expect(table.locator("table")).to_have_count(1)
    screenshot(page, "home-office-dashboard.png")

    # PNG: the chart's own button downloads its image.
    with page.expect_download() as download:
        page.locator('[data-png="issues"]').click()
    assert download.value.suggested_filename == "issues.png"

    # Click the "to be rectified" bar of the first key domain that has one.
    specs = page.evaluate(CHART_SPECS)
    pending = specs["issues"]["series"][0]
    index = next(i for i, v in enumerate(pending["data"]) if v)
    target = pending["urls"][index]
    layout = page.evaluate(BAR_LAYOUT, ["issues", 0, index])
    box = page.locator('[data-chart="issues"]').bounding_box()
    page.mouse.click(
        box["x"] + layout["x"] + layout["width"] / 2,
        box["y"] + layout["y"] + layout["height"] / 2,
    )
    expect(page).to_have_url(at(live_server, target.split("?")[0]))
    params = parse_qs(urlparse(page.url).query)
    assert params["status"] == ["pending"]
    assert params["domain"] == [parse_qs(urlparse(target).query)["domain"][0]]
    # The list shows that filter, and as many issues as the bar.
    expect(page.locator("#id_status")).to_have_value("pending")
    expect(page.locator("#id_domain")).to_have_value(params["domain"][0])
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(int(pending["data"][index]))
