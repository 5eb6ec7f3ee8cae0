"""In headless Chromium (`-m browser`): office staff record a serious record on a civil
servant through the record form, the public sees it masked, files an objection, staff revoke
the record from the request page, and it disappears from the public side."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from domains.choices import RecordStatus, RequestOutcome, RequestStatus
from domains.models import CreditRequest, KeyDomain, TrustRecord
from tests import browser
from tests.browser import at, log_in, screenshot
from tests.domains.public_helpers import clear_throttle, zh
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CityFactory,
    TenantFactory,
    UserFactory,
    ensure_defaults,
    resident_id,
)

pytestmark = pytest.mark.browser

browser_page = browser.browser_page  # the fixture, shared through tests/browser.py

OFFICER = "王建军"
OFFICER_ID = resident_id(42)
NUMBER = "丰政罚〔2026〕88号"


@pytest.fixture
def office(live_server):
    city = CityFactory(name="承德市", division_code="130800")
    county = ensure_defaults(
        TenantFactory(name="丰宁满族自治县", division_code="130826", parent=city)
    )
    agency = AgencyFactory(tenant=county, name="县财政局")
    staff = UserFactory(
        username="os-a", display_name="丰宁信用办工作人员", role=Role.OFFICE_STAFF, tenant=county
    )
    clear_throttle()
    yield county, agency, staff
    clear_throttle()


def test_objection_revokes_a_record_and_it_leaves_the_public_side(
    office, live_server, browser_page
):
    county, agency, staff = office
    page = browser_page
    log_in(page, live_server, staff.username, PASSWORD)

    # 1. Staff record a serious record on a civil servant through the office form.
    page.goto("/records/new/")
    page.locator("#id_subject_type").select_option("civil_servant")
    page.locator("#id_agency").select_option(str(agency.pk))
    page.locator("#id_subject_name").fill(OFFICER)
    page.locator("#id_person_id_number").fill(OFFICER_ID)
    page.locator("#id_person_position").fill("科长")
    domain = KeyDomain.objects.get(tenant=county, code="government_procurement")
    page.locator("#id_domain").select_option(str(domain.pk))
    page.locator("#id_source").select_option("accountability")
    page.locator("#id_severity").select_option("serious")
    page.locator("#id_facts").fill(
        f"{OFFICER}任科长期间拖欠民营企业货款 36 万元，经催告仍拒不支付。"
    )
    page.locator("#id_decision_number").fill(NUMBER)
    page.locator("#id_deciding_authority").fill("县纪委监委")
    decided = timezone.localdate() - datetime.timedelta(days=20)
    page.locator("#id_decision_date").fill(decided.isoformat())
    page.locator("main form button[type=submit]").click()
    record = TrustRecord.objects.get(decision_number=NUMBER)
    expect(page).to_have_url(at(live_server, f"/records/{record.pk}/"))
    assert record.is_public and record.status == RecordStatus.ACTIVE

    # 2. The public sees it, masked (a separate, anonymous browser context).
    public_context = page.context.browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    public_context.set_default_timeout(browser.TIMEOUT_MS)
    public = public_context.new_page()
    try:
        public.goto(f"/public/{county.division_code}/records/")
        expect(public.get_by_test_id("public-county")).to_contain_text(county.name)
        row = public.locator("table tbody tr").filter(has_text=NUMBER)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("王**")
        screenshot(public, "public-record-list.png")
        assert OFFICER not in public.content() and OFFICER_ID not in public.content()
        row.get_by_role("link").click()
        expect(public).to_have_url(
            at(live_server, f"/public/{county.division_code}/records/{record.public_id}/")
        )
        expect(public.locator("main h1")).to_contain_text("王**")
        assert OFFICER not in public.content()

        # 3. The public files an objection and gets a receipt code.
        public.locator(f'a[href$="/records/{record.public_id}/objection/"]').click()
        public.locator("#id_applicant_name").fill("李四")
        public.locator("#id_applicant_phone").fill("13800138000")
        public.locator("#id_reason").fill("该笔货款已于决定作出前全部结清，请予核实。")
        public.locator("main form button[type=submit]").click()
        code_box = public.get_by_test_id("receipt-code")
        expect(code_box).to_have_text(re.compile(r"^\s*[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\s*$"))
        code = code_box.inner_text().strip()
        assert code not in public.url
        screenshot(public, "public-objection-receipt.png")
        public.goto(f"/public/{county.division_code}/records/{record.public_id}/")
        expect(public.get_by_test_id("under-objection")).to_be_visible()

        # 4. Staff revoke the record from the request page.
        page.goto("/requests/")
        request_row = page.get_by_test_id("request-row").filter(has_text=code)
        expect(request_row).to_contain_text(OFFICER)
        screenshot(page, "office-request-list.png")
        request_row.get_by_role("link", name=code).click()
        expect(page.get_by_test_id("applicant-phone")).to_contain_text("13800138000")
        page.locator("input[name=outcome][value=revoked]").check()
        page.locator("#id_reason").fill("经核实，该货款在决定作出前已结清，撤销该记录。")
        screenshot(page, "office-request-decision.png")
        page.locator("#decision button[type=submit]").click()
        expect(page.locator("main .alert-success")).to_be_visible()
        expect(page.get_by_test_id("record-status")).to_contain_text(zh("Revoked"))
        request = CreditRequest.objects.get(receipt_code=code)
        assert (request.status, request.outcome) == (RequestStatus.DECIDED, RequestOutcome.REVOKED)
        record.refresh_from_db()
        assert record.status == RecordStatus.REVOKED
        screenshot(page, "office-request-revoked.png")

        # 5. It has left the public side; the applicant tracks the decision with the code.
        public.goto(f"/public/{county.division_code}/records/")
        expect(public.locator("table tbody tr").filter(has_text=NUMBER)).to_have_count(0)
        response = public.goto(f"/public/{county.division_code}/records/{record.public_id}/")
        assert response.status == 404
        public.goto(f"/public/{county.division_code}/track/")
        public.locator("#id_receipt_code").fill(code)
        public.locator("main form button[type=submit]").click()
        expect(public.get_by_test_id("request-outcome")).to_be_visible()
        expect(public.get_by_test_id("request-status")).to_contain_text("撤销该记录")
        assert "13800138000" not in public.content() and "李四" not in public.content()
    finally:
        public_context.close()
