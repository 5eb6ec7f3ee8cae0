"""In headless Chromium (`-m browser`), issue 6's walk-through: the office admin opens a
validated scheme, starts a score run, watches the run page (queued, with a progress bar) until the
worker has computed it and the page's polling brings up the rankings, checks them against the
stored scores and publishes them with a ranking notice; then an anonymous visitor
opens the county's public rankings page and finds the same ranking in the tables and drawn in
the ranking-bars chart (an SVG with the agencies and their bars), at desktop and phone width."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import AgencyKind, RankingGroup, Role
from domains.choices import Severity
from scoring import services, tasks
from scoring.choices import PeriodKind, PublicationStatus, RunStatus, SchemeStatus
from scoring.models import AgencyScore, Indicator, Publication, ScoreRun
from scoring.services import PUBLIC_CACHE_VERSION
from tests import browser
from tests.browser import at, log_in, screenshot
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CityFactory,
    TenantFactory,
    TrustRecordFactory,
    UserFactory,
    ensure_defaults,
)

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

NOTICE = "经县信用办考核，现将2025年度政务诚信督导评分结果通报如下，请各单位对照整改。"
DEPARTMENTS = ("县教育局", "县交通局", "县财政局")
TOWNSHIPS = ("大阁镇", "凤山镇", "土城镇")


@pytest.fixture
def county(live_server):
    """丰宁 with three departments and three townships, told apart by a bonus entered by hand
    (县教育局) and failure-of-trust records in the period (县财政局 serious, 土城镇 general);
    大阁镇 and 凤山镇 have the same inputs, so they tie."""
    city = CityFactory(name="承德市", division_code="130800")
    county = ensure_defaults(
        TenantFactory(name="丰宁满族自治县", division_code="130826", parent=city)
    )
    cache.delete(PUBLIC_CACHE_VERSION.format(tenant=county.pk))
    agencies = {name: AgencyFactory(tenant=county, name=name) for name in DEPARTMENTS}
    for name in TOWNSHIPS:
        agencies[name] = AgencyFactory(
            tenant=county,
            name=name,
            kind=AgencyKind.TOWNSHIP,
            ranking_group=RankingGroup.TOWNSHIP,
        )
    admin = UserFactory(
        username="oa-fn", display_name="信用办主任", role=Role.OFFICE_ADMIN, tenant=county
    )
    year = timezone.localdate().year - 1  # a whole past year: every input falls inside it
    decided = datetime.date(year, 6, 15)
    TrustRecordFactory(
        agency=agencies["县财政局"], severity=Severity.SERIOUS, decision_date=decided
    )
    TrustRecordFactory(agency=agencies["土城镇"], severity=Severity.GENERAL, decision_date=decided)
    scheme = services.scheme_create(
        tenant=county,
        data={"period_kind": PeriodKind.YEAR, "year": year, "name": f"{year}年度政务诚信督导评分"},
        actor=admin,
    )
    bonus = Indicator.objects.get(scheme=scheme, code="typical_cases")
    services.manual_entry_save(
        indicator=bonus,
        agency=agencies["县教育局"],
        points=3,
        reason="典型经验被省级推广",
        actor=admin,
    )
    assert services.scheme_validate(scheme=scheme, actor=admin) == []
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.READY
    return {"county": county, "agencies": agencies, "admin": admin, "scheme": scheme}


def _number(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", ""))


def _anonymous_page(page, live_server, width: int, height: int):
    context = page.context.browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": width, "height": height},
    )
    context.set_default_timeout(browser.TIMEOUT_MS)
    return context, context.new_page()


def _check_public_page(public, scores):
    """The public rankings page: both groups' tables list the stored ranks and totals, and
    each group's bar chart is drawn as an SVG holding its agencies and one bar per agency."""
    expect(public.get_by_test_id("ranking-title")).to_be_visible()
    for group, members in (("township", TOWNSHIPS), ("department", DEPARTMENTS)):
        section = public.locator(f'section[aria-labelledby="group-{group}"]')
        rows = section.get_by_test_id("ranking-table").locator("tbody tr")
        expect(rows).to_have_count(len(members))
        shown = {}
        for index in range(len(members)):
            cells = rows.nth(index).locator("td")
            shown[cells.nth(1).inner_text().strip()] = (
                int(cells.nth(0).inner_text()),
                _number(cells.nth(2).inner_text()),
            )
        assert shown == {name: scores[name] for name in members}, group
        # The rows come in rank order.
        ranks = [int(rows.nth(i).locator("td").first.inner_text()) for i in range(len(members))]
        assert ranks == sorted(ranks)

        chart = section.locator('[data-chart="bars"]')
        expect(chart).to_be_visible()  # the script unhides the box it draws in
        svg = chart.locator("svg")
        expect(svg).to_have_count(1)
        for name in members:
            expect(svg.locator("text", has_text=name)).to_have_count(1)
        # One bar per agency: ECharts' SVG renderer draws bars as <path> elements; the axis
        # and bar labels carry the totals.
        assert svg.locator("path").count() >= len(members)
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
        labels = svg.locator("text").all_text_contents()
        for name in members:
            total = scores[name][1]
            assert any(_matches_total(label, total) for label in labels), (name, total, labels)
    grades = public.locator('[data-chart="grades"] svg')
    expect(grades).to_have_count(1)


def _matches_total(label: str, total: Decimal) -> bool:
    try:
        return Decimal(label.strip()) == total
    except ArithmeticError:
        return False


def test_office_admin_runs_publishes_and_the_public_sees_the_ranking_and_chart(
    county, live_server, browser_page, monkeypatch
):
    w = county
    scheme, agencies = w["scheme"], w["agencies"]
    names = {agency.pk: name for name, agency in agencies.items()}
    page = browser_page  # the office admin

    # The worker is held back: the start request queues the job (on commit) and the test plays
    # the worker once the run page shows the run waiting, so the page's polling is what brings
    # the rankings on screen.
    queued = []
    monkeypatch.setattr(tasks, "compute_run", SimpleNamespace(delay=queued.append))

    # 1. The office admin opens the scheme from the list and starts a run.
    log_in(page, live_server, w["admin"].username, PASSWORD)
    page.goto("/scoring/schemes/")
    page.locator("main").get_by_role("link", name=scheme.name).click()
    expect(page).to_have_url(at(live_server, f"/scoring/schemes/{scheme.pk}/"))
    expect(page.get_by_test_id("problems")).to_have_count(0)
    start = page.get_by_test_id("start-run")
    expect(start).to_be_enabled()
    start.click()

    # 2. The run page shows the run waiting for the worker, with a progress bar, and polls.
    run = ScoreRun.objects.get(scheme=scheme)
    expect(page).to_have_url(at(live_server, f"/scoring/runs/{run.pk}/"))
    expect(page.locator("main .alert-success")).to_be_visible()
    state = page.get_by_test_id("run-state")
    expect(state.locator(".progress-bar")).to_be_visible()
    expect(state.get_by_test_id("elapsed")).to_be_visible()
    expect(page.get_by_test_id("ranking-department")).to_have_count(0)
    expect(page.get_by_test_id("publish-card")).to_have_count(0)
    assert queued == [run.pk]
    assert ScoreRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    screenshot(page, "scoring-run-queued.png")

    # The worker runs the job (the real task, in-process); the page notices on its next poll
    # and reloads itself with the rankings, without the user doing anything.
    monkeypatch.undo()
    assert tasks.compute_run.apply(args=[run.pk]).get() == len(agencies)
    expect(page.get_by_test_id("ranking-department")).to_be_visible()
    expect(page.get_by_test_id("ranking-township")).to_be_visible()
    expect(page.get_by_test_id("run-state").locator(".progress-bar")).to_have_count(0)
    expect(page.get_by_test_id("publish-card")).to_be_visible()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None

    stored = {
        names[s.agency_id]: (s.ranking_group, s.rank, s.total, s.grade)
        for s in AgencyScore.objects.filter(run=run)
    }
    assert set(stored) == set(names.values())
    scores = {name: (rank, total) for name, (_g, rank, total, _grade) in stored.items()}

    # The inputs tell the agencies apart: the bonus lifts 县教育局 to the top of the
    # departments, the serious record sinks 县财政局; the two clean townships tie (1, 1, 3).
    assert [name for name in sorted(DEPARTMENTS, key=lambda n: scores[n])] == list(DEPARTMENTS)
    assert scores["县教育局"][1] > scores["县交通局"][1] > scores["县财政局"][1]
    assert scores["大阁镇"] == scores["凤山镇"]
    assert [scores[n][0] for n in TOWNSHIPS] == [1, 1, 3]
    assert scores["土城镇"][1] < scores["大阁镇"][1]

    # The run page shows exactly the stored ranks, totals and grades, per group.
    for name, (group, rank, total, grade) in stored.items():
        row = page.get_by_test_id(f"ranking-{group}").locator(
            f'tr[data-agency="{agencies[name].pk}"]'
        )
        expect(row).to_have_count(1)
        expect(row.locator("th")).to_have_text(name)
        expect(row.get_by_test_id("rank")).to_have_text(str(rank))
        assert _number(row.get_by_test_id("total").inner_text()) == total
        expect(row.get_by_test_id("grade")).to_have_text(grade or "—")
    for group, members in (("department", DEPARTMENTS), ("township", TOWNSHIPS)):
        expect(page.get_by_test_id(f"ranking-{group}").locator("tbody tr")).to_have_count(
            len(members)
        )
    screenshot(page, "scoring-run-detail.png")

    # 3. Publish with a ranking notice.
    publish = page.get_by_test_id("publish-card")
    publish.locator("textarea[name=notice]").fill(NOTICE)
    publish.get_by_test_id("publish").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.get_by_test_id("publication")).to_contain_text(NOTICE)
    expect(page.get_by_test_id("publish-card")).to_have_count(0)
    expect(page.get_by_test_id("withdraw-card")).to_be_visible()
    publication = Publication.objects.get(run=run)
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.notice == NOTICE and publication.published_by == w["admin"]
    screenshot(page, "scoring-run-published.png")

    # 4. Anyone, without logging in, sees the ranking and its charts on the public page.
    rankings = f"/public/{w['county'].division_code}/rankings/"
    desktop_context, public = _anonymous_page(page, live_server, 1366, 900)
    phone_context, phone = _anonymous_page(page, live_server, 390, 844)
    try:
        public.goto(rankings)
        expect(public).to_have_url(at(live_server, rankings))
        expect(public.get_by_test_id("ranking-title")).to_have_text(publication.title)
        expect(public.locator("main")).to_contain_text(NOTICE)
        _check_public_page(public, scores)
        screenshot(public, "scoring-public-rankings-desktop.png")

        phone.goto(rankings)
        _check_public_page(phone, scores)
        # Readable on a phone: the page itself does not scroll sideways.
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, overflow
        screenshot(phone, "scoring-public-rankings-phone.png")
    finally:
        desktop_context.close()
        phone_context.close()
