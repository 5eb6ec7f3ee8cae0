"""In headless Chromium (`-m browser`): the public files a complaint, staff assign it to the
agency, the agency clerk replies (never seeing who complained), staff verify it as founded and
convert it into a failure-of-trust record, close it with a reply, and the complainant reads the
reply with the receipt code."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from domains.choices import RecordSource
from domains.models import TrustRecord
from supervision.choices import ComplaintStatus, Verification
from supervision.models import Complaint
from tests import browser
from tests.browser import at, log_in, screenshot
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CityFactory,
    TenantFactory,
    UserFactory,
    ensure_defaults,
)
from tests.supervision.complaint_helpers import clear_all_throttles

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

NAME = "赵桂芳"
PHONE = "13912348765"
TITLE = "镇政府拖欠民营企业工程款"
REPLY_TO_COMPLAINANT = "经核查，投诉属实，已责令大阁镇于30日内付清欠款并纳入政务失信记录。"


@pytest.fixture
def county(live_server):
    city = CityFactory(name="承德市", division_code="130800")
    county = ensure_defaults(
        TenantFactory(name="丰宁满族自治县", division_code="130826", parent=city)
    )
    agency = AgencyFactory(tenant=county, name="大阁镇", kind="township", ranking_group="township")
    AgencyFactory(tenant=county, name="县财政局")
    staff = UserFactory(
        username="os-a", display_name="信用办工作人员", role=Role.OFFICE_STAFF, tenant=county
    )
    clerk = UserFactory(
        username="clerk-a",
        display_name="大阁镇填报员",
        role=Role.AGENCY_CLERK,
        tenant=county,
        agency=agency,
    )
    clear_all_throttles()
    yield county, agency, staff, clerk
    clear_all_throttles()


def _context_page(page, live_server):
    context = page.context.browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(browser.TIMEOUT_MS)
    return context, context.new_page()


def test_complaint_from_the_public_to_a_record_and_back(county, live_server, browser_page):
    county, agency, staff, clerk = county
    page = browser_page  # the complainant, anonymous
    division = county.division_code

    # 1. The public files a complaint from the county's public pages.
    page.goto(f"/public/{division}/records/")
    page.locator(f'a[href="/public/{division}/complaints/new/"]').first.click()
    page.locator("#id_agency").select_option(str(agency.pk))
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_content").fill("大阁镇2023年承诺的道路工程款52万元至今未付，多次催要无果。")
    page.locator("#id_amount").fill("520000")
    page.locator("#id_occurred_on").fill("2023-11-20")
    page.locator("#id_complainant_name").fill(NAME)
    page.locator("#id_complainant_phone").fill(PHONE)
    screenshot(page, "public-complaint-form.png")
    page.locator("main form button[type=submit]").click()
    code_box = page.get_by_test_id("receipt-code")
    expect(code_box).to_have_text(re.compile(r"^\s*[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\s*$"))
    code = code_box.inner_text().strip()
    assert code not in page.url
    complaint = Complaint.objects.get(receipt_code=code)

    staff_context, office = _context_page(page, live_server)
    clerk_context, agency_page = _context_page(page, live_server)
    try:
        # 2. Staff find it in the list and assign it with the default deadline.
        log_in(office, live_server, staff.username, PASSWORD)
        office.goto("/complaints/")
        office.get_by_role("link", name=TITLE).click()
        expect(office).to_have_url(at(live_server, f"/complaints/{complaint.pk}/"))
        expect(office.get_by_test_id("complainant")).to_contain_text(PHONE)
        office.locator("#assign button[type=submit]").click()
        expect(office.locator("main .alert-success")).to_be_visible()
        complaint.refresh_from_db()
        assert complaint.status == ComplaintStatus.ASSIGNED and complaint.reply_deadline

        # 3. The agency clerk replies, without ever seeing who complained.
        log_in(agency_page, live_server, clerk.username, PASSWORD)
        agency_page.goto(f"/complaints/{complaint.pk}/")
        expect(agency_page.get_by_test_id("deadline")).to_contain_text(
            complaint.reply_deadline.isoformat()
        )
        assert NAME not in agency_page.content() and PHONE not in agency_page.content()
        agency_page.locator("#id_reply").fill("情况属实，已列入今年预算，将于本月底前付清。")
        screenshot(agency_page, "agency-complaint-reply.png")
        agency_page.locator("#reply button[type=submit]").click()
        expect(agency_page.locator("main .alert-success")).to_be_visible()
        assert NAME not in agency_page.content() and PHONE not in agency_page.content()

        # 4. Staff verify it as founded and convert it into a record.
        office.reload()
        expect(office.get_by_test_id("agency-reply")).to_contain_text("将于本月底前付清")
        office.locator("input[name=verification][value=founded]").check()
        office.locator("#verify textarea").fill("经现场核查，欠款52万元属实。")
        office.locator("#verify button[type=submit]").click()
        expect(office.get_by_test_id("convert")).to_be_visible()
        office.get_by_test_id("convert").click()
        office.locator("#id_severity").select_option("general")
        office.locator("#id_decision_number").fill("丰信用〔2026〕12号")
        office.locator("#id_deciding_authority").fill("丰宁满族自治县信用办")
        screenshot(office, "office-complaint-convert.png")
        office.locator("main form button[type=submit]").click()
        expect(office.get_by_test_id("record-link")).to_contain_text("丰信用〔2026〕12号")
        record = TrustRecord.objects.get(decision_number="丰信用〔2026〕12号")
        assert record.source == RecordSource.COMPLAINT and record.agency == agency

        # The record links back to the complaint.
        office.get_by_test_id("record-link").get_by_role("link").click()
        expect(office.get_by_test_id("source-complaint")).to_contain_text(TITLE)
        office.get_by_test_id("source-complaint").get_by_role("link").click()
        expect(office).to_have_url(at(live_server, f"/complaints/{complaint.pk}/"))

        # 5. Staff close it with the reply to the complainant.
        office.locator("#close textarea").fill(REPLY_TO_COMPLAINANT)
        office.locator("#close button[type=submit]").click()
        expect(office.locator("main .alert-success")).to_be_visible()
        screenshot(office, "office-complaint-closed.png")
        complaint.refresh_from_db()
        assert complaint.status == ComplaintStatus.CLOSED
        assert complaint.verification == Verification.FOUNDED
        assert complaint.trust_record == record
    finally:
        staff_context.close()
        clerk_context.close()

    # 6. The complainant reads the reply with the receipt code.
    page.goto(f"/public/{division}/complaints/track/")
    page.locator("#id_receipt_code").fill(code)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("public-reply")).to_contain_text(REPLY_TO_COMPLAINANT)
    screenshot(page, "public-complaint-reply.png")
    assert "将于本月底前付清" not in page.content()  # the agency's reply stays internal
