"""In headless Chromium (`-m browser`), issue 4's walk-through: an agency clerk downloads the
ledger template of a running campaign, fills it (one row with arrears), uploads it, reads the
preview and imports it; drafts the self-inspection report in the rich-text editors and sends it
for sign-off; the leader signs it off; the office returns it with a comment; the clerk revises
it, the leader signs it off again and the office accepts it. Both versions stay viewable."""

import datetime
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.choices import Role
from domains.models import KeyDomain, ProblemType
from rectification.choices import (
    FilingKind,
    FilingStatus,
    ImportStatus,
    IssueSource,
    IssueStatus,
    VersionOutcome,
)
from rectification.excel import LedgerSchema
from rectification.models import Filing, ImportJob, LedgerIssue, Repayment
from tests import browser
from tests.browser import at, log_in, screenshot
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CityFactory,
    TenantFactory,
    UserFactory,
    credit_code,
    ensure_defaults,
    make_campaign,
)

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

CAMPAIGN_TITLE = "2026年政务诚信专项治理"
CREDITOR = "承德市建工集团有限公司"
SECTIONS = {
    "overview": "按照县信用办部署，我镇成立自查工作专班，对照四个重点领域逐项排查。",
    "causes": "财政资金紧张，合同管理不规范，对中小企业款项支付时限认识不足。",
    "measures": "制定分期还款计划，建立合同履约台账，明确责任人和完成时限。",
    "next_steps": "建立长效机制，每季度开展一次政务诚信自查。",
}
RETURN_COMMENT = "整改措施不够具体，请补充还款计划的时间节点和资金来源。"
REVISION = "资金来源为县级财政预算安排，2026年6月底前付清。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county(live_server):
    city = CityFactory(name="承德市", division_code="130800")
    county = ensure_defaults(
        TenantFactory(name="丰宁满族自治县", division_code="130826", parent=city)
    )
    agency = AgencyFactory(tenant=county, name="大阁镇", kind="township", ranking_group="township")
    other = AgencyFactory(tenant=county, name="县财政局")
    office = UserFactory(
        username="os-a", display_name="信用办工作人员", role=Role.OFFICE_STAFF, tenant=county
    )
    clerk = UserFactory(
        username="clerk-a",
        display_name="大阁镇填报员",
        role=Role.AGENCY_CLERK,
        tenant=county,
        agency=agency,
    )
    leader = UserFactory(
        username="leader-a",
        display_name="大阁镇镇长",
        role=Role.AGENCY_LEADER,
        tenant=county,
        agency=agency,
    )
    domains = {d.code: d for d in KeyDomain.objects.filter(tenant=county)}
    campaign = make_campaign(
        county,
        [agency, other],
        title=CAMPAIGN_TITLE,
        domains=[domains["government_procurement"], domains["government_debt"]],
    )
    return {
        "county": county,
        "agency": agency,
        "campaign": campaign,
        "office": office,
        "clerk": clerk,
        "leader": leader,
        "procurement": domains["government_procurement"],
        "debt": domains["government_debt"],
    }


def _yuan(amount: str) -> re.Pattern:
    """An amount as shown, with or without thousands separators (zh-hans groups none)."""
    whole, cents = amount.split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return re.compile(r"^\s*" + ",?".join(groups) + r"\." + cents + r"\b")


def _context_page(page, live_server):
    context = page.context.browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(browser.TIMEOUT_MS)
    return context, context.new_page()


def _fill_template(content: bytes, campaign, rows: list[dict]) -> bytes:
    """The downloaded template with `rows` ({column key: value}) under its header row; the
    columns are found by their position in the campaign's ledger schema."""
    workbook = load_workbook(BytesIO(content))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    keys = [column.key for column in LedgerSchema.for_campaign(campaign).columns]
    assert len(headers) == len(keys), (headers, keys)
    for number, row in enumerate(rows, start=2):
        for key, value in row.items():
            sheet.cell(row=number, column=keys.index(key) + 1, value=value)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sign_off(page, filing):
    page.goto(f"/filings/{filing.pk}/")
    page.locator('#sign [data-testid="sign-off"]').click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.get_by_test_id("request-signoff")).to_have_count(0)


def test_clerk_imports_the_ledger_and_files_the_report_through_review(
    county, live_server, browser_page, tmp_path
):
    w = county
    campaign, agency = w["campaign"], w["agency"]
    today = timezone.localdate()
    arrears_type = ProblemType.objects.get(tenant=w["county"], name__startswith="拖欠")
    other_type = ProblemType.objects.get(tenant=w["county"], name="新官不理旧账")
    page = browser_page  # the clerk

    # 1. The clerk opens the campaign from the list, then the ledger, then the import page.
    log_in(page, live_server, w["clerk"].username, PASSWORD)
    page.goto("/campaigns/")
    page.get_by_test_id("campaign-table").get_by_role("link", name=CAMPAIGN_TITLE).click()
    expect(page).to_have_url(at(live_server, f"/campaigns/{campaign.pk}/"))
    expect(page.get_by_test_id("deliverables")).to_be_visible()
    screenshot(page, "walk-campaign-agency.png")
    page.locator(f'main a[href="/ledger/?campaign={campaign.pk}"]').click()
    expect(page).to_have_url(at(live_server, "/ledger/"))
    page.locator("#new_campaign").select_option(str(campaign.pk))
    page.locator('[data-testid="campaign-actions"] button[formaction="/ledger/import/"]').click()
    expect(page).to_have_url(at(live_server, "/ledger/import/"))
    expect(page.locator("main h1")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_test_id("template").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    template = tmp_path / "template.xlsx"
    download.save_as(template)

    accepted_on = today - datetime.timedelta(days=50)  # due 20 days ago (30-day term)
    repaid_on = today - datetime.timedelta(days=10)
    filled = _fill_template(
        template.read_bytes(),
        campaign,
        [
            {
                "domain": w["procurement"].name,
                "problem_type": arrears_type.name,
                "subject_name": "大阁镇人民政府",
                "responsible_person": "王建国",
                "cause": "财政资金未及时拨付",
                "handling_opinion": "分期付清欠款",
                "discovered_on": today - datetime.timedelta(days=5),
                "creditor_name": CREDITOR,
                "creditor_credit_code": credit_code(4242),
                "contract": "大阁镇道路硬化工程施工合同",
                "accepted_on": accepted_on,
                "payment_term_days": 30,
                "amount_owed": 120000,
                "amount_repaid": 20000,
                "last_repaid_on": repaid_on,
            },
            {
                "domain": w["debt"].name,
                "problem_type": other_type.name,
                "subject_name": "大阁镇财政所",
                "responsible_person": "李春梅",
                "cause": "前任领导承诺的补贴未兑现",
                "discovered_on": today - datetime.timedelta(days=3),
            },
            {
                "domain": w["debt"].name,
                "problem_type": other_type.name,
                "subject_name": "大阁镇农业服务中心",
                "responsible_person": "张志强",
                "discovered_on": today - datetime.timedelta(days=2),
            },
        ],
    )
    upload = tmp_path / "大阁镇台账.xlsx"
    upload.write_bytes(filled)
    page.locator("main input[type=file]").set_input_files(str(upload))
    page.locator("main form button[type=submit]").click()

    # The check runs (eager Celery, after the upload's commit); the page shows the preview.
    job = ImportJob.objects.get(campaign=campaign)
    expect(page).to_have_url(at(live_server, f"/ledger/import/{job.pk}/"))
    expect(page.get_by_test_id("commit")).to_be_visible()
    expect(page.get_by_test_id("counts")).to_contain_text("3")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview.locator("tbody tr").nth(0)).to_contain_text(CREDITOR)
    expect(preview.locator("tbody tr").nth(1)).to_contain_text("大阁镇财政所")
    expect(preview.locator("tbody tr").nth(2)).to_contain_text("大阁镇农业服务中心")
    expect(preview.locator("tbody tr.table-danger")).to_have_count(0)
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.new_rows, job.error_count) == (
        ImportStatus.VALID,
        3,
        3,
        0,
    )
    assert not LedgerIssue.objects.exists()  # nothing written before the commit
    screenshot(page, "walk-import-preview.png")

    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("job-status")).to_have_text(
        str(ImportStatus.COMMITTED.label), timeout=browser.TIMEOUT_MS
    )
    counts = page.get_by_test_id("counts")
    expect(counts).to_be_visible()
    job.refresh_from_db()
    assert (job.status, job.new_rows) == (ImportStatus.COMMITTED, 3)
    screenshot(page, "walk-import-committed.png")

    issues = list(LedgerIssue.objects.filter(campaign=campaign).order_by("number"))
    assert [(i.number, i.subject_name, i.agency_id) for i in issues] == [
        (1, "大阁镇人民政府", agency.pk),
        (2, "大阁镇财政所", agency.pk),
        (3, "大阁镇农业服务中心", agency.pk),
    ]
    arrears = issues[0]
    assert arrears.amount_owed == Decimal("120000.00")
    assert arrears.amount_repaid == Decimal("20000.00")
    assert arrears.accepted_on == accepted_on and arrears.payment_term_days == 30
    assert arrears.creditor_name == CREDITOR and arrears.domain == w["procurement"]
    assert [(r.paid_on, r.amount) for r in Repayment.objects.filter(issue=arrears)] == [
        (repaid_on, Decimal("20000.00"))
    ]
    assert issues[1].amount_owed is None and issues[1].source == IssueSource.SELF_INSPECTION
    assert issues[2].deadline == campaign.completion_deadline
    assert {i.status for i in issues} == {IssueStatus.PENDING}

    # The ledger list shows the rows and the arrears totals.
    counts.get_by_role("link").click()
    table = page.get_by_test_id("issue-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    for name in ("大阁镇人民政府", "大阁镇财政所", "大阁镇农业服务中心"):
        expect(table.locator("tbody tr", has_text=name)).to_have_count(1)
    expect(page.get_by_test_id("total-owed")).to_have_text(_yuan("120000.00"))
    expect(page.get_by_test_id("total-repaid")).to_have_text(_yuan("20000.00"))
    expect(page.get_by_test_id("total-outstanding")).to_have_text(_yuan("100000.00"))
    screenshot(page, "walk-ledger-after-import.png")

    # The arrears issue's page: due 20 days ago; interest 120,000 × 0.05 % × 10 days until
    # the repayment, then 100,000 × 0.05 % × 10 days = 600 + 500.
    table.get_by_role("link", name="大阁镇人民政府").click()
    expect(page.get_by_test_id("outstanding")).to_have_text(_yuan("100000.00"))
    expect(page.get_by_test_id("days-overdue")).to_have_text("20")
    expect(page.get_by_test_id("interest")).to_have_text(_yuan("1100.00"))
    screenshot(page, "walk-issue-arrears.png")

    # 2. The clerk drafts the self-inspection report from the campaign page.
    page.goto(f"/campaigns/{campaign.pk}/")
    page.get_by_test_id(f"draft-{FilingKind.SELF_INSPECTION_REPORT}").click()
    filing = Filing.objects.get(
        campaign=campaign, agency=agency, kind=FilingKind.SELF_INSPECTION_REPORT
    )
    expect(page).to_have_url(at(live_server, f"/filings/{filing.pk}/"))
    page.get_by_test_id("edit").click()
    expect(page).to_have_url(at(live_server, f"/filings/{filing.pk}/edit/"))
    editors = page.locator(".richtext-editor")
    expect(editors).to_have_count(len(SECTIONS))
    for index, text in enumerate(SECTIONS.values()):
        editors.nth(index).click()
        editors.nth(index).press_sequentially(text)
    # Add a bold remark to the measures with the toolbar's first button (bold).
    editors.nth(2).click()
    editors.nth(2).press("Control+End")
    page.locator(".richtext").nth(2).locator(".richtext-toolbar button").first.click()
    editors.nth(2).press_sequentially("（已落实）")
    screenshot(page, "walk-filing-edit.png")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(at(live_server, f"/filings/{filing.pk}/"))
    expect(page.locator("main .alert-success")).to_be_visible()
    for key, text in SECTIONS.items():
        expect(page.locator(f'section[data-section="{key}"] .rich-text')).to_contain_text(text)
    filing.refresh_from_db()
    assert SECTIONS["overview"] in filing.sections["overview"]
    assert "<b>（已落实）</b>" in filing.sections["measures"] or (
        "<strong>（已落实）</strong>" in filing.sections["measures"]
    )
    page.get_by_test_id("request-signoff").click()
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.get_by_test_id("edit")).to_have_count(0)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.AWAITING_SIGNOFF
    screenshot(page, "walk-filing-awaiting-signoff.png")

    leader_context, leader = _context_page(page, live_server)
    office_context, office = _context_page(page, live_server)
    try:
        # 3. The leader signs it off: version 1 reaches the office.
        log_in(leader, live_server, w["leader"].username, PASSWORD)
        leader.goto(f"/filings/{filing.pk}/")
        expect(leader.locator("#sign")).to_be_visible()
        screenshot(leader, "walk-filing-leader-signoff.png")
        _sign_off(leader, filing)
        filing.refresh_from_db()
        assert filing.status == FilingStatus.SUBMITTED and filing.versions.count() == 1

        # 4. The office returns it with a comment.
        log_in(office, live_server, w["office"].username, PASSWORD)
        office.goto(f"/campaigns/{campaign.pk}/")
        grid = office.get_by_test_id("campaign-grid")
        expect(grid.locator(f'tr[data-agency="{agency.pk}"]')).to_be_visible()
        screenshot(office, "walk-campaign-office.png")
        grid.locator(f'tr[data-agency="{agency.pk}"] a[href="/filings/{filing.pk}/"]').click()
        expect(office).to_have_url(at(live_server, f"/filings/{filing.pk}/"))
        review = office.locator("#review")
        review.locator("textarea").fill(RETURN_COMMENT)
        review.get_by_test_id("return").click()
        expect(office.locator("main .alert-success")).to_be_visible()
        expect(office.locator("#review")).to_have_count(0)
        filing.refresh_from_db()
        assert filing.status == FilingStatus.RETURNED

        # 5. The clerk reads the comment, revises a section and sends it again.
        page.reload()
        expect(page.get_by_test_id("review-comment")).to_contain_text(RETURN_COMMENT)
        screenshot(page, "walk-filing-returned.png")
        page.get_by_test_id("edit").click()
        measures = page.locator(".richtext-editor").nth(2)
        expect(measures).to_contain_text(SECTIONS["measures"])
        measures.click()
        measures.press("Control+End")
        measures.press_sequentially(REVISION)
        page.locator("main form button[type=submit]").click()
        expect(page.locator('section[data-section="measures"]')).to_contain_text(REVISION)
        page.get_by_test_id("request-signoff").click()
        expect(page.locator("main .alert-success")).to_be_visible()

        _sign_off(leader, filing)
        filing.refresh_from_db()
        assert filing.status == FilingStatus.SUBMITTED and filing.versions.count() == 2

        # 6. The office accepts version 2.
        office.reload()
        office.locator("#review").get_by_test_id("accept").click()
        expect(office.locator("main .alert-success")).to_be_visible()
        versions = office.get_by_test_id("versions").locator("li")
        expect(versions).to_have_count(2)
        expect(versions.nth(0)).to_contain_text(RETURN_COMMENT)
        expect(versions.nth(0).locator(".badge.text-bg-danger")).to_have_count(1)
        expect(versions.nth(1).locator(".badge.text-bg-success")).to_have_count(1)
        screenshot(office, "walk-filing-accepted-office.png")

        # Version 1 is still readable as it was sent, without the revision.
        office.locator(
            f'[data-testid="versions"] a[href="/filings/{filing.pk}/versions/1/"]'
        ).click()
        expect(office.locator("main")).to_contain_text(SECTIONS["measures"])
        expect(office.locator("main")).not_to_contain_text(REVISION)
        screenshot(office, "walk-filing-version-1.png")
    finally:
        leader_context.close()
        office_context.close()

    filing.refresh_from_db()
    assert filing.status == FilingStatus.ACCEPTED and filing.accepted_at is not None
    first, second = filing.versions.order_by("number")
    assert (first.number, first.outcome, first.review_comment) == (
        1,
        VersionOutcome.RETURNED,
        RETURN_COMMENT,
    )
    assert (second.number, second.outcome) == (2, VersionOutcome.ACCEPTED)
    assert first.signed_off_by == w["leader"] and second.signed_off_by == w["leader"]
    assert first.reviewed_by == w["office"] and second.reviewed_by == w["office"]
    assert REVISION not in first.sections["measures"]
    assert REVISION in second.sections["measures"]
    # The figures frozen with each version count the three imported issues.
    for version in (first, second):
        assert version.figures["total"] == 3
        assert version.figures["by_status"][IssueStatus.PENDING] == 3
        assert version.figures["by_domain"] == [
            {
                "domain": "政府采购",
                "issues": 1,
                "closed": 0,
                "owed": "120000.00",
                "repaid": "20000.00",
            },
            {"domain": "政府债务", "issues": 2, "closed": 0, "owed": "0.00", "repaid": "0.00"},
        ]

    # The clerk sees the accepted report and its two versions.
    page.reload()
    expect(page.get_by_test_id("versions").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("edit")).to_have_count(0)
    screenshot(page, "walk-filing-accepted-clerk.png")
