"""The public side without an account: which records are public, masking, objections and
repair applications with their receipt codes, tracking, throttling and the working-day
deadlines."""

import datetime
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from domains import selectors, services
from domains.choices import RecordStatus, RequestKind, RequestOutcome, RequestStatus, Severity
from domains.models import CreditRequest
from integrity.masking import mask_id_number, mask_phone
from integrity.workdays import add_workdays
from tests.conftest import login
from tests.domains.public_helpers import (
    OFFICER_ID,
    OFFICER_NAME,
    OFFICER_PHONE,
    days_ago,
    division,
    objection_data,
    objection_url,
    officer_record,
    prepared,
    public_record,
    receipt_code,
    record_list_url,
    record_url,
    repair_url,
    service_data,
    submit,
    today,
    track_url,
    without_csrf,
    zh,
)
from tests.factories import TrustRecordFactory


@pytest.fixture
def county(world):
    yield from prepared(world)


# Publicity windows ---------------------------------------------------------------------------


def _repaired(world):
    record = public_record(world, decision_date=days_ago(400))
    request = services.request_submit(
        record=record,
        kind=RequestKind.REPAIR,
        data=service_data(declares_corrected=True, declares_commitment=True, declares_other=True),
    )
    services.request_decide(
        request=request,
        outcome=RequestOutcome.REPAIRED,
        reason="已修复",
        actor=world.office_admin_a,
        confirmed={
            "confirmed_corrected": True,
            "confirmed_commitment": True,
            "confirmed_other": True,
        },
    )
    return record


def _revoked(world):
    record = public_record(world)
    return services.record_revoke(record=record, reason="决定已被撤销", actor=None)


def _publicity_ended(world):
    record = public_record(world)
    return services.record_end_publicity(record=record, reason="依申请终止公示", actor=None)


WINDOWS = {
    # name: (builder, public?)
    "serious inside its window": (lambda w: public_record(w), True),
    "general inside its window": (
        lambda w: public_record(w, severity=Severity.GENERAL, decision_date=days_ago(300)),
        True,
    ),
    "decided today": (lambda w: public_record(w, decision_date=today()), True),
    "before the decision date": (
        lambda w: public_record(w, decision_date=today() + datetime.timedelta(days=3)),
        False,
    ),
    "serious after its maximum (3 years)": (
        lambda w: public_record(w, decision_date=days_ago(3 * 366 + 2)),
        False,
    ),
    "general after its maximum (1 year)": (
        lambda w: public_record(w, severity=Severity.GENERAL, decision_date=days_ago(370)),
        False,
    ),
    "light (not published by default)": (
        lambda w: TrustRecordFactory(agency=w.a1, severity=Severity.LIGHT),
        False,
    ),
    "unpublished": (lambda w: public_record(w, is_public=False), False),
    "repaired": (_repaired, False),
    "revoked": (_revoked, False),
    "publicity ended": (_publicity_ended, False),
}


@pytest.mark.parametrize("case", sorted(WINDOWS))
def test_publicity_window_on_public_list_and_detail(client, county, case):
    builder, public = WINDOWS[case]
    record = builder(county)
    other = public_record(county, decision_number="丰政罚〔2026〕对照号")

    listing = client.get(record_list_url(county))
    assert listing.status_code == 200
    assert other.decision_number in listing.text
    assert (record.decision_number in listing.text) is public
    detail = client.get(record_url(county, record))
    assert detail.status_code == (200 if public else 404)
    for url in (objection_url(county, record), repair_url(county, record)):
        assert (client.get(url).status_code == 404) is not public


def test_expiry_needs_no_job(county):
    """Past its maximum the record is hidden although the nightly job has not run yet."""
    record = public_record(county, decision_date=days_ago(3 * 366 + 2))
    assert record.status == RecordStatus.ACTIVE
    assert not selectors.public_records(tenant=county.county_a).filter(pk=record.pk).exists()


def test_public_pages_are_per_county(client, county):
    record = public_record(county)
    b_record = public_record(county, agency=county.b1)
    listing = client.get(record_list_url(county))
    assert record.decision_number in listing.text
    assert b_record.decision_number not in listing.text
    # County B's record under county A's code: not found.
    url = reverse("public:record-detail", args=[division(county), b_record.public_id])
    assert client.get(url).status_code == 404
    assert client.get(reverse("public:record-list", args=["000000"])).status_code == 404
    # A city is not a county page.
    assert (
        client.get(reverse("public:record-list", args=[county.city.division_code])).status_code
        == 404
    )


def test_index_lists_active_counties_with_links(client, county):
    response = client.get(reverse("public:index"))
    assert response.status_code == 200
    for tenant in (county.county_a, county.county_b, county.county_c):
        assert tenant.name in response.text
        assert reverse("public:record-list", args=[tenant.division_code]) in response.text
    # No login navigation on the public side, even for a signed-in user.
    login(client, county.office_admin_a)
    response = client.get(record_list_url(county))
    assert reverse("accounts:logout") not in response.text
    assert 'id="main-nav"' not in response.text
    assert county.county_a.name in response.text
    for name in ("public:notice-list", "public:request-track"):
        assert reverse(name, args=[division(county)]) in response.text


def test_public_list_filters_and_pagination(client, county):
    from domains.models import KeyDomain

    procurement = KeyDomain.objects.get(tenant=county.county_a, code="government_procurement")
    debt = KeyDomain.objects.get(tenant=county.county_a, code="government_debt")
    a = public_record(county, domain=procurement, decision_number="丰采〔2026〕1号")
    b = public_record(
        county, domain=debt, severity=Severity.GENERAL, decision_number="丰债〔2026〕2号"
    )
    url = record_list_url(county)
    response = client.get(url, {"domain": procurement.pk})
    assert a.decision_number in response.text and b.decision_number not in response.text
    response = client.get(url, {"severity": Severity.GENERAL})
    assert b.decision_number in response.text and a.decision_number not in response.text
    response = client.get(url, {"q": "丰债"})
    assert b.decision_number in response.text and a.decision_number not in response.text
    for n in range(21):
        public_record(county, decision_number=f"丰政罚〔2025〕分页{n:02d}号")
    first = client.get(url)
    second = client.get(url, {"page": 2})
    assert first.status_code == second.status_code == 200
    assert first.context["paginator"].count == 23
    assert len(first.context["rows"]) == 20 and len(second.context["rows"]) == 3


def test_search_never_matches_a_civil_servants_name(client, county):
    record = officer_record(county)
    response = client.get(record_list_url(county), {"q": OFFICER_NAME})
    assert record.decision_number not in response.text
    response = client.get(record_list_url(county), {"q": record.decision_number})
    assert record.decision_number in response.text


# Masking ---------------------------------------------------------------------------------


def _assert_masked(html: str) -> None:
    assert OFFICER_NAME not in html
    assert OFFICER_ID not in html
    assert OFFICER_ID[:-4] not in html
    assert OFFICER_PHONE not in html


def test_civil_servant_is_masked_on_every_public_page(client, county):
    record = officer_record(county)
    pages = [
        record_list_url(county),
        record_url(county, record),
        objection_url(county, record),
        repair_url(county, record),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_masked(response.text)
        assert "王**" in response.text
    detail = client.get(record_url(county, record)).text
    assert mask_id_number(OFFICER_ID) in detail
    assert mask_phone(OFFICER_PHONE) in detail
    # The submission result and the tracking result are masked too.
    response = submit(client, county, record)
    _assert_masked(response.text)
    code = receipt_code(response)
    request = CreditRequest.objects.get(receipt_code=code)
    services.request_decide(
        request=request,
        outcome=RequestOutcome.REJECTED,
        reason=f"经核实，{OFFICER_NAME} 的记录无误。",
        actor=county.office_staff_a,
    )
    result = client.post(track_url(county), {"receipt_code": code})
    _assert_masked(result.text)
    assert "王**" in result.text


def test_numbers_next_to_chinese_characters_are_masked(client, county):
    record = public_record(county, facts=f"联系人电话{OFFICER_PHONE}，身份证号{OFFICER_ID}。")
    html = client.get(record_url(county, record)).text
    assert OFFICER_PHONE not in html and mask_phone(OFFICER_PHONE) in html
    assert OFFICER_ID not in html and mask_id_number(OFFICER_ID) in html


# Objections: filing, flag, decision, tracking --------------------------------------------


def test_objection_to_revocation_end_to_end(client, county):
    record = officer_record(county)
    response = client.get(objection_url(county, record))
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.text

    response = submit(client, county, record)
    assert response.status_code == 200
    code = receipt_code(response)
    assert "no-store" in response["Cache-Control"]
    request = CreditRequest.objects.get(receipt_code=code)
    assert (request.kind, request.status, request.record) == (
        RequestKind.OBJECTION,
        RequestStatus.PENDING,
        record,
    )
    assert request.applicant_phone == "0314-5123456"
    assert request.deadline == add_workdays(today(), 5, tenant=county.county_a)
    assert request.deadline.strftime("%Y-%m-%d") in response.text

    # Under objection, on the public detail and list and in the office's lists.
    detail = client.get(record_url(county, record))
    assert 'data-testid="under-objection"' in detail.text
    assert 'data-testid="under-objection"' in client.get(record_list_url(county)).text
    office = Client()
    login(office, county.office_staff_a)
    records_page = office.get(reverse("domains:record-list"))
    assert records_page.status_code == 200
    assert 'data-testid="under-objection"' in records_page.text
    requests_page = office.get(reverse("domains:request-list"))
    assert code in requests_page.text

    # Tracking while pending: status and deadline, never the applicant's contact.
    pending = client.post(track_url(county), {"receipt_code": code.lower().replace("-", " ")})
    assert pending.status_code == 200
    assert zh("Pending") in pending.text
    assert "0314-5123456" not in pending.text
    assert "承德某建筑有限公司" not in pending.text

    # The office revokes the record from the request page.
    decided = office.post(
        reverse("domains:request-decide", args=[request.pk]),
        {
            "outcome": RequestOutcome.REVOKED,
            "reason": "经核实，该欠款在决定作出前已结清，撤销记录。",
        },
    )
    assert decided.status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.REVOKED
    assert client.get(record_url(county, record)).status_code == 404
    assert record.decision_number not in client.get(record_list_url(county)).text
    assert office.get(reverse("domains:record-detail", args=[record.pk])).status_code == 200

    result = client.post(track_url(county), {"receipt_code": code})
    assert result.status_code == 200
    assert 'data-testid="request-outcome"' in result.text
    assert zh("Record revoked") in result.text
    assert "撤销记录" in result.text
    assert "0314-5123456" not in result.text and "承德某建筑有限公司" not in result.text


def test_wrong_and_malformed_codes_reveal_nothing(client, county):
    record = public_record(county)
    code = receipt_code(submit(client, county, record))
    b_record = public_record(county, agency=county.b1)
    b_code = services.request_submit(
        record=b_record, kind=RequestKind.OBJECTION, data=service_data()
    ).receipt_code
    wrong = "ZZZZ-ZZZZ-ZZZ2" if code != "ZZZZ-ZZZZ-ZZZ2" else "ZZZZ-ZZZZ-ZZZ3"
    pages = [
        client.post(track_url(county), {"receipt_code": value})
        for value in (wrong, "abc", "", "<script>", b_code)
    ]
    assert {page.status_code for page in pages} == {200}
    bodies = {without_csrf(page.text) for page in pages}
    assert len(bodies) == 1, "every miss must give the very same page"
    assert 'data-testid="not-found"' in pages[0].text
    assert "<script>" not in pages[3].text
    # The right code works, also with spaces, lower case and no dashes.
    found = client.post(track_url(county), {"receipt_code": code.replace("-", "").lower()})
    assert 'data-testid="request-status"' in found.text


def test_receipt_code_never_in_a_url(client, county):
    record = public_record(county)
    response = submit(client, county, record)
    code = receipt_code(response)
    assert response.status_code == 200  # rendered, not redirected to a URL holding the code
    assert client.get(track_url(county), {"receipt_code": code}).status_code == 200
    # A GET with the code in the query string shows the empty form, not the request.
    assert (
        'data-testid="request-status"'
        not in client.get(track_url(county), {"receipt_code": code}).text
    )


# Form validation and CSRF ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("applicant_phone", "12345"),
        ("applicant_phone", "1391234567a"),
        ("applicant_phone", ""),
        ("applicant_name", ""),
        ("applicant_name", "名" * 61),
        ("reason", "太短"),
        ("reason", "长" * 2001),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, county, field, value):
    record = public_record(county)
    response = client.post(objection_url(county, record), objection_data(**{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="invalid-feedback d-block"' in response.text
    assert not CreditRequest.objects.exists()


def test_phone_formats_accepted(client, county):
    record = public_record(county)
    for phone in ("13800138000", "0314-5123456", "010 12345678", "031412345678"):
        assert submit(client, county, record, applicant_phone=phone).status_code == 200
    assert CreditRequest.objects.count() == 4


def test_public_forms_need_the_csrf_token(county):
    record = public_record(county)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(objection_url(county, record), objection_data()).status_code == 403
    assert strict.post(track_url(county), {"receipt_code": "ABCD-EFGH-JKLM"}).status_code == 403
    assert not CreditRequest.objects.exists()


# Credit repair ---------------------------------------------------------------------------


def test_repair_refused_before_the_minimum_publicity_period(client, county):
    record = public_record(county, decision_date=days_ago(30))  # serious: at least 1 year
    page = client.get(repair_url(county, record))
    assert 'data-testid="repair-not-yet"' in page.text
    assert record.publicity_min_end.isoformat() in page.text
    assert "<form" not in page.text.split('id="content"')[1]
    assert record.publicity_min_end.isoformat() in client.get(record_url(county, record)).text

    response = submit(client, county, record, kind=RequestKind.REPAIR)
    assert response.status_code == 400
    assert record.publicity_min_end.isoformat() in response.text
    assert not CreditRequest.objects.exists()


@pytest.mark.parametrize("missing", ["declares_corrected", "declares_commitment", "declares_other"])
def test_repair_needs_all_three_declarations(client, county, missing):
    record = public_record(county, decision_date=days_ago(400))
    response = submit(client, county, record, kind=RequestKind.REPAIR, **{missing: ""})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not CreditRequest.objects.exists()


def test_repair_application_after_the_minimum(client, county):
    record = public_record(county, decision_date=days_ago(400))
    page = client.get(repair_url(county, record))
    for field in ("declares_corrected", "declares_commitment", "declares_other"):
        assert f'name="{field}"' in page.text
    response = submit(client, county, record, kind=RequestKind.REPAIR)
    assert response.status_code == 200
    request = CreditRequest.objects.get(receipt_code=receipt_code(response))
    assert request.kind == RequestKind.REPAIR
    assert request.declares_corrected and request.declares_commitment and request.declares_other
    assert request.deadline == add_workdays(today(), 15, tenant=county.county_a)
    # A second application while one is pending is refused.
    again = submit(client, county, record, kind=RequestKind.REPAIR)
    assert again.status_code == 400
    assert CreditRequest.objects.count() == 1
    # A repair application does not flag the record as under objection.
    assert 'data-testid="under-objection"' not in client.get(record_url(county, record)).text


# Throttling ------------------------------------------------------------------------------


def test_submissions_are_throttled_per_client_address(client, county, settings):
    settings.PUBLIC_SUBMIT_LIMIT = 3
    record = public_record(county)
    for _n in range(3):
        assert submit(client, county, record).status_code == 200
    refused = submit(client, county, record)
    assert refused.status_code == 429
    assert 'data-testid="too-many"' in refused.text
    assert refused["Retry-After"] == "600"
    assert CreditRequest.objects.count() == 3
    # Bad submissions count too, and a forged X-Forwarded-For does not reset the counter.
    forged = client.post(
        objection_url(county, record), objection_data(), HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert forged.status_code == 429
    # Another address is not affected; reading pages is never throttled.
    other = client.post(objection_url(county, record), objection_data(), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200
    assert client.get(record_url(county, record)).status_code == 200


def test_default_submission_limit_is_ten(client, county):
    record = public_record(county)
    statuses = [client.post(objection_url(county, record), {}).status_code for _n in range(11)]
    assert statuses == [400] * 10 + [429]


def test_lookups_are_throttled(client, county, settings):
    settings.PUBLIC_LOOKUP_LIMIT = 2
    for _n in range(2):
        assert client.post(track_url(county), {"receipt_code": "ABCD"}).status_code == 200
    assert client.post(track_url(county), {"receipt_code": "ABCD"}).status_code == 429


# Deadlines in working days -----------------------------------------------------------------


def test_add_workdays_across_the_2026_national_day_holiday():
    start = datetime.date(2026, 9, 30)
    # 10-01 to 10-07 are holidays, Saturday 10-10 is a working day (调休).
    assert add_workdays(start, 1) == datetime.date(2026, 10, 8)
    assert add_workdays(start, 3) == datetime.date(2026, 10, 10)
    assert add_workdays(start, 5) == datetime.date(2026, 10, 13)
    assert add_workdays(start, 15) == datetime.date(2026, 10, 27)


def test_objection_deadline_counts_working_days_over_a_holiday(county):
    record = public_record(county, decision_date=datetime.date(2026, 9, 1))
    submitted = datetime.date(2026, 9, 30)
    with mock.patch("django.utils.timezone.localdate", return_value=submitted):
        request = services.request_submit(
            record=record, kind=RequestKind.OBJECTION, data=service_data()
        )
    assert request.deadline == datetime.date(2026, 10, 13)
    assert request.deadline == add_workdays(submitted, 5, tenant=county.county_a)
    # Counted in calendar days it would have been 10-05, in the middle of the holiday.
    assert request.deadline != submitted + datetime.timedelta(days=5)
