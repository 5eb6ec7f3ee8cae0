"""The public complaint form and tracking by receipt code: no account, throttled, the code only
in the POST response, a wrong code reveals nothing, the complainant's contact and the agency's
internal reply never shown."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from supervision.choices import Channel, ComplaintStatus, Verification
from supervision.models import Complaint, ComplaintAttachment
from tests.factories import AgencyFactory, ensure_defaults
from tests.supervision.complaint_helpers import (
    COMPLAINANT_NAME,
    COMPLAINANT_PHONE,
    EXE,
    clear_all_throttles,
    make_complaint,
    pdf,
    public_create_url,
    public_track_url,
    receipt_code,
    today,
)


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    clear_all_throttles()
    yield world
    clear_all_throttles()


def _form(w, **overrides):
    data = {
        "agency": w.a1.pk,
        "domain": "",
        "title": "工程款拖欠",
        "content": "县财政局2024年承诺支付的工程款至今未付，多次催要无果。",
        "amount": "380000",
        "occurred_on": "2024-12-31",
        "complainant_name": COMPLAINANT_NAME,
        "complainant_phone": COMPLAINANT_PHONE,
    }
    data.update(overrides)
    return data


def test_form_lists_only_the_countys_active_agencies(client, county):
    w = county
    AgencyFactory(tenant=w.county_a, name="已撤并的乡", is_active=False)
    response = client.get(public_create_url(w.county_a))
    assert response.status_code == 200
    assert w.a1.name in response.text and w.a2.name in response.text
    assert "已撤并的乡" not in response.text and w.b1.name not in response.text
    # The county's public pages link to the form and the tracking page.
    assert public_track_url(w.county_a) in response.text


def test_anyone_files_a_complaint_and_gets_a_receipt_code(client, county):
    w = county
    response = client.post(public_create_url(w.county_a), {**_form(w), "attachments": [pdf()]})
    assert response.status_code == 200
    code = receipt_code(response)
    complaint = Complaint.objects.get()
    assert complaint.receipt_code == code
    assert complaint.channel == Channel.WEBSITE and complaint.tenant == w.county_a
    assert complaint.complainant_phone == COMPLAINANT_PHONE
    assert str(complaint.amount) == "380000.00"
    assert complaint.attachments.count() == 1
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert code not in response.get("Location", "")


@pytest.mark.parametrize(
    "overrides",
    [
        {"agency": ""},
        {"complainant_phone": "123"},
        {"complainant_name": ""},
        {"content": "太短"},
        {"amount": "-5"},
        {"amount": "abc"},
        {"occurred_on": (datetime.date.today() + datetime.timedelta(days=30)).isoformat()},
    ],
)
def test_bad_input_is_refused_and_saves_nothing(client, county, overrides):
    w = county
    response = client.post(public_create_url(w.county_a), _form(w, **overrides))
    assert response.status_code == 400
    assert "invalid-feedback" in response.text
    assert not Complaint.objects.exists()


def test_another_countys_agency_is_refused(client, county):
    w = county
    response = client.post(public_create_url(w.county_a), _form(w, agency=w.b1.pk))
    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_renamed_executable_is_refused(client, county):
    w = county
    fake = SimpleUploadedFile("合同.pdf", EXE, "application/pdf")
    response = client.post(public_create_url(w.county_a), {**_form(w), "attachments": [fake]})
    assert response.status_code == 400
    assert "合同.pdf" in response.text
    assert not Complaint.objects.exists() and not ComplaintAttachment.objects.exists()


@override_settings(PUBLIC_COMPLAINT_LIMIT=3)
def test_filing_is_throttled_per_client_address(client, county):
    w = county
    for _ in range(3):
        assert client.post(public_create_url(w.county_a), _form(w)).status_code == 200
    response = client.post(public_create_url(w.county_a), _form(w))
    assert response.status_code == 429
    assert response["Retry-After"]
    assert Complaint.objects.count() == 3
    # Another address is not affected; a spoofed X-Forwarded-For changes nothing.
    response = client.post(public_create_url(w.county_a), _form(w), HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429
    other = client.post(public_create_url(w.county_a), _form(w), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200
    assert Complaint.objects.count() == 4


def test_default_limit_is_ten_per_window(client, county):
    w = county
    for _ in range(10):
        assert client.post(public_create_url(w.county_a), _form(w, agency="")).status_code == 400
    assert client.post(public_create_url(w.county_a), _form(w)).status_code == 429
    assert not Complaint.objects.exists()


def test_tracking_shows_status_then_the_reply_once_closed(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.REPLIED)
    url = public_track_url(w.county_a)
    assert client.get(url).status_code == 200
    response = client.post(url, {"receipt_code": complaint.receipt_code.lower().replace("-", "")})
    assert response.status_code == 200
    assert complaint.title in response.text
    assert "已核实，正在筹措资金支付。" not in response.text  # the agency's internal reply
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]

    from supervision import services

    services.complaint_verify(
        complaint=complaint, verification=Verification.FOUNDED, note="内部核查意见", actor=None
    )
    response = client.post(url, {"receipt_code": complaint.receipt_code})
    assert "内部核查意见" not in response.text
    services.complaint_close(complaint=complaint, public_reply="已责令限期支付欠款。", actor=None)
    response = client.post(url, {"receipt_code": complaint.receipt_code})
    assert 'data-testid="public-reply"' in response.text
    assert "已责令限期支付欠款。" in response.text
    internal = ("内部核查意见", "已核实，正在筹措资金支付。")
    for hidden in (COMPLAINANT_NAME, COMPLAINANT_PHONE, *internal):
        assert hidden not in response.text


def test_wrong_code_reveals_nothing(client, county):
    w = county
    complaint = make_complaint(w.a1)
    url = public_track_url(w.county_a)
    wrong = client.post(url, {"receipt_code": "AAAA-BBBB-CCCC"})
    malformed = client.post(url, {"receipt_code": "x"})
    for response in (wrong, malformed):
        assert response.status_code == 200
        assert 'data-testid="not-found"' in response.text
        assert complaint.title not in response.text
    # A code of another county, tracked on this county's page, is not found either.
    other = make_complaint(w.b1)
    response = client.post(url, {"receipt_code": other.receipt_code})
    assert 'data-testid="not-found"' in response.text and other.title not in response.text
    # And the same code on the right county's page is found.
    response = client.post(public_track_url(w.county_b), {"receipt_code": other.receipt_code})
    assert other.title in response.text


@override_settings(PUBLIC_LOOKUP_LIMIT=2)
def test_tracking_is_throttled(client, county):
    w = county
    url = public_track_url(w.county_a)
    for _ in range(2):
        assert client.post(url, {"receipt_code": "AAAA-BBBB-CCCC"}).status_code == 200
    assert client.post(url, {"receipt_code": "AAAA-BBBB-CCCC"}).status_code == 429


def test_unknown_or_inactive_county_is_404(client, county):
    assert client.get("/public/999999/complaints/new/").status_code == 404
    assert client.post("/public/999999/complaints/track/", {}).status_code == 404


def test_received_on_is_today(client, county):
    w = county
    client.post(public_create_url(w.county_a), _form(w))
    assert Complaint.objects.get().received_on == today()
