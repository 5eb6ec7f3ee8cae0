"""Complaints, office and agency side: the list, the export, logging, every workflow step and
who may take it, deadlines, complainant anonymity, conversion into a record, attachments and
the daily overdue job."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import SecurityEvent
from domains.choices import RecordSource, SubjectType
from domains.models import TrustRecord
from supervision import services, tasks
from supervision.choices import Channel, ComplaintStatus, Verification
from supervision.models import Complaint, ComplaintAttachment
from tests.conftest import login
from tests.factories import ensure_defaults
from tests.supervision.complaint_helpers import (
    COMPLAINANT_NAME,
    COMPLAINANT_PHONE,
    EXE,
    action_url,
    detail_url,
    make_complaint,
    pdf,
    today,
)

LIST = reverse("supervision:complaint-list")
EXPORT = reverse("supervision:complaint-export")
CREATE = reverse("supervision:complaint-create")


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    return world


def _sheet(response):
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    return rows[0], rows[1:]


# List, filters and export --------------------------------------------------------------------


def test_list_shows_own_county_with_filters_and_days_left(client, county):
    w = county
    mine = make_complaint(w.a1, ComplaintStatus.ASSIGNED, title="拖欠工程款")
    other = make_complaint(w.a2, title="承诺未兑现")
    make_complaint(w.b1, title="隆化投诉")
    login(client, w.office_staff_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "拖欠工程款" in response.text and "承诺未兑现" in response.text
    assert "隆化投诉" not in response.text
    assert "15" in response.text  # days left of the assigned one

    response = client.get(LIST, {"status": ComplaintStatus.ASSIGNED})
    assert mine.title in response.text and other.title not in response.text
    response = client.get(LIST, {"agency": w.a2.pk})
    assert other.title in response.text and mine.title not in response.text
    response = client.get(LIST, {"q": mine.receipt_code})
    assert mine.title in response.text and other.title not in response.text
    response = client.get(LIST, {"q": COMPLAINANT_NAME})  # the office may search by complainant
    assert mine.title in response.text
    response = client.get(LIST, {"received_from": (today() + datetime.timedelta(days=1))})
    assert mine.title not in response.text
    response = client.get(LIST, {"channel": Channel.LETTER})
    assert mine.title not in response.text


def test_deadline_boundary_and_overdue_filter(client, county):
    w = county
    due_today = make_complaint(w.a1, ComplaintStatus.ASSIGNED, title="今日到期")
    late = make_complaint(w.a1, ComplaintStatus.ASSIGNED, title="已经超期")
    Complaint.objects.filter(pk=due_today.pk).update(reply_deadline=today())
    Complaint.objects.filter(pk=late.pk).update(reply_deadline=today() - datetime.timedelta(days=1))
    login(client, w.office_staff_a)
    overdue = client.get(LIST, {"overdue": "true"}).text
    assert "已经超期" in overdue and "今日到期" not in overdue
    on_time = client.get(LIST, {"overdue": "false"}).text
    assert "今日到期" in on_time and "已经超期" not in on_time
    page = client.get(detail_url(due_today)).text
    assert "text-danger" in page  # "due today" is highlighted …
    late_page = client.get(detail_url(late)).text
    assert "1" in late_page and "text-danger" in late_page

    # The daily job flags only what is past its deadline, and only once.
    assert tasks.flag_overdue_complaints.delay().get() == 1
    due_today.refresh_from_db()
    late.refresh_from_db()
    assert late.is_overdue and not due_today.is_overdue
    assert tasks.flag_overdue_complaints.delay().get() == 0
    assert services.complaints_flag_overdue(today=today() + datetime.timedelta(days=1)) == 1
    due_today.refresh_from_db()
    assert due_today.is_overdue


def test_late_reply_stays_flagged(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    Complaint.objects.filter(pk=complaint.pk).update(
        reply_deadline=today() - datetime.timedelta(days=2)
    )
    login(client, w.clerk_a1)
    response = client.post(action_url("reply", complaint), {"reply": "已付款。"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REPLIED and complaint.is_overdue


def test_export_has_complainant_for_office_only(client, county):
    w = county
    make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    make_complaint(w.a2)
    make_complaint(w.b1)
    login(client, w.office_staff_a)
    headers, rows = _sheet(client.get(EXPORT))
    assert len(rows) == 2
    assert all(COMPLAINANT_PHONE in row and COMPLAINANT_NAME in row for row in rows)
    event = SecurityEvent.objects.filter(kind="export").latest("id")
    assert event.user == w.office_staff_a

    headers, rows = _sheet(client.get(EXPORT, {"agency": w.a2.pk}))
    assert len(rows) == 1

    for user in (w.clerk_a1, w.leader_a1, w.city_viewer):
        client.force_login(user)
        response = client.get(EXPORT)
        headers, rows = _sheet(response)
        flat = " ".join(str(v) for row in rows for v in row) + " ".join(map(str, headers))
        assert COMPLAINANT_NAME not in flat and COMPLAINANT_PHONE not in flat
        expected = 1 if user.agency_id else 3
        assert len(rows) == expected, user


def test_receipt_code_is_shown_to_the_office_only(client, county):
    """The receipt code is the complainant's key to the reply: the agency never gets it."""
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    login(client, w.office_staff_a)
    assert complaint.receipt_code in client.get("/complaints/").text
    assert complaint.receipt_code in client.get(f"/complaints/{complaint.pk}/").text
    for user in (w.clerk_a1, w.leader_a1, w.city_viewer):
        client.force_login(user)
        for url in ("/complaints/", f"/complaints/{complaint.pk}/"):
            assert complaint.receipt_code not in client.get(url).text, (user, url)
        headers, rows = _sheet(client.get(EXPORT))
        flat = " ".join(str(v) for row in rows for v in row)
        assert complaint.receipt_code not in flat


def test_permissions_on_lists_and_forms(client, county):
    w = county
    login(client, w.evaluator_a)
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    for user in (w.clerk_a1, w.city_viewer, w.evaluator_a):
        client.force_login(user)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, {}).status_code == 403
    client.force_login(w.platform_admin)
    assert client.get(CREATE).status_code == 403  # no jurisdiction of its own


# Logging --------------------------------------------------------------------------------------


def _log_data(w, **overrides):
    data = {
        "channel": Channel.HOTLINE_961890,
        "source_reference": "961890-2026-0001",
        "received_on": today().isoformat(),
        "agency": w.a1.pk,
        "domain": "",
        "title": "招商引资奖励未兑现",
        "content": "县政府承诺的招商引资奖励资金至今未兑现。",
        "amount": "120000.50",
        "occurred_on": "",
        "complainant_name": "李某",
        "complainant_phone": "0314-5123456",
    }
    data.update(overrides)
    return data


def test_office_logs_a_hotline_complaint(client, county):
    w = county
    login(client, w.office_staff_a)
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, _log_data(w))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(complaint)
    assert complaint.channel == Channel.HOTLINE_961890
    assert str(complaint.amount) == "120000.50"
    assert complaint.created_by == w.office_staff_a
    assert complaint.status == ComplaintStatus.RECEIVED


@pytest.mark.parametrize(
    "overrides",
    [
        {"channel": Channel.WEBSITE},
        {"source_reference": ""},  # a hotline needs its ticket number
        {"complainant_phone": "12345"},
        {"amount": "-1"},
        {"received_on": (today() + datetime.timedelta(days=3)).isoformat()},
        {"title": ""},
    ],
)
def test_bad_log_input_changes_nothing(client, county, overrides):
    w = county
    login(client, w.office_staff_a)
    response = client.post(CREATE, _log_data(w, **overrides))
    assert response.status_code == 200
    assert "invalid-feedback" in response.text
    assert not Complaint.objects.exists()


def test_same_ticket_twice_is_refused(client, county):
    w = county
    login(client, w.office_staff_a)
    client.post(CREATE, _log_data(w))
    response = client.post(CREATE, _log_data(w))
    assert response.status_code == 200
    assert Complaint.objects.count() == 1


# The workflow ---------------------------------------------------------------------------------


def test_whole_workflow_through_the_views(client, county):
    w = county
    complaint = make_complaint(w.a1)
    login(client, w.office_staff_a)
    deadline = today() + datetime.timedelta(days=10)
    response = client.post(
        action_url("assign", complaint),
        {"agency": w.a2.pk, "reply_deadline": deadline.isoformat()},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ASSIGNED
    assert complaint.agency == w.a2 and complaint.reply_deadline == deadline

    # Reassigned to a1 with the default deadline (15 days).
    assert client.get(detail_url(complaint)).status_code == 200
    client.post(
        action_url("assign", complaint),
        {"agency": w.a1.pk, "reply_deadline": (today() + datetime.timedelta(days=15)).isoformat()},
    )
    complaint.refresh_from_db()
    assert complaint.agency == w.a1

    # The office cannot reply for the agency; the agency replies with evidence.
    assert client.post(action_url("reply", complaint), {"reply": "x"}).status_code == 403
    client.force_login(w.clerk_a1)
    page = client.get(detail_url(complaint)).text
    assert 'id="reply"' in page and 'id="verify"' not in page
    response = client.post(
        action_url("reply", complaint), {"reply": "已核实，欠款正在支付。", "attachments": [pdf()]}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REPLIED
    assert complaint.attachments.get().from_agency

    # The office sends it back: assigned again with a new deadline.
    client.force_login(w.office_staff_a)
    assert client.post(action_url("send-back", complaint), {"note": " "}).status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REPLIED
    client.post(action_url("send-back", complaint), {"note": "请补充付款凭证。"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ASSIGNED
    assert complaint.verification_note == "请补充付款凭证。"

    client.force_login(w.leader_a1)  # the agency leader may reply too
    client.post(action_url("reply", complaint), {"reply": "付款凭证见附件。"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REPLIED

    client.force_login(w.office_staff_a)
    response = client.post(
        action_url("verify", complaint),
        {"verification": Verification.PARTLY_FOUNDED, "note": "部分欠款属实。"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.VERIFIED
    assert complaint.verification == Verification.PARTLY_FOUNDED

    assert client.post(action_url("close", complaint), {"public_reply": ""}).status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.VERIFIED
    client.post(action_url("close", complaint), {"public_reply": "经核查部分属实，已责令整改。"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at


def test_steps_out_of_order_are_refused(client, county):
    w = county
    complaint = make_complaint(w.a1)
    login(client, w.office_staff_a)
    response = client.post(action_url("close", complaint), {"public_reply": "已办结"}, follow=True)
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    client.force_login(w.clerk_a1)
    client.post(action_url("reply", complaint), {"reply": "未转办也想回复"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED and not complaint.agency_reply
    client.force_login(w.office_staff_a)
    past = today() - datetime.timedelta(days=1)
    response = client.post(
        action_url("assign", complaint), {"agency": w.a1.pk, "reply_deadline": past.isoformat()}
    )
    assert response.status_code == 200 and "invalid-feedback" in response.text
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.reply_deadline is None


@pytest.mark.parametrize("step", ["assign", "send-back", "verify", "close", "convert"])
def test_agency_and_city_roles_cannot_handle(client, county, step):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.REPLIED)
    before = Complaint.objects.filter(pk=complaint.pk).values().get()
    for user in (w.clerk_a1, w.leader_a1, w.city_viewer, w.evaluator_a):
        client.force_login(user)
        assert client.post(action_url(step, complaint), {"note": "x"}).status_code == 403
    client.force_login(w.office_admin_b)
    assert client.post(action_url(step, complaint), {"note": "x"}).status_code == 404
    assert Complaint.objects.filter(pk=complaint.pk).values().get() == before


def test_other_agency_and_county_get_404(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    client.force_login(w.clerk_a2)
    assert client.get(detail_url(complaint)).status_code == 404
    assert client.post(action_url("reply", complaint), {"reply": "不是我们"}).status_code == 404
    client.force_login(w.office_admin_b)
    assert client.get(detail_url(complaint)).status_code == 404
    client.force_login(w.office_admin_c)
    assert client.get(detail_url(complaint)).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ASSIGNED


def test_city_viewer_reads_without_complainant_or_actions(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.REPLIED)
    login(client, w.city_viewer)
    response = client.get(detail_url(complaint))
    assert response.status_code == 200
    assert complaint.title in response.text
    assert COMPLAINANT_NAME not in response.text and COMPLAINANT_PHONE not in response.text
    assert 'id="verify"' not in response.text and 'id="send-back"' not in response.text
    assert complaint.title not in client.get(LIST, {"q": COMPLAINANT_NAME}).text
    assert client.post(action_url("verify", complaint), {"note": "x"}).status_code == 403


def test_agency_never_sees_the_complainant(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    login(client, w.office_staff_a)
    office_page = client.get(detail_url(complaint)).text
    assert COMPLAINANT_NAME in office_page and COMPLAINANT_PHONE in office_page
    for user in (w.clerk_a1, w.leader_a1):
        client.force_login(user)
        page = client.get(detail_url(complaint))
        assert page.status_code == 200 and complaint.title in page.text
        assert COMPLAINANT_NAME not in page.text and COMPLAINANT_PHONE not in page.text
        assert 'data-testid="complainant"' not in page.text
        listing = client.get(LIST).text
        assert complaint.title in listing and COMPLAINANT_NAME not in listing
        # Searching by the complainant's name confirms nothing.
        assert complaint.title not in client.get(LIST, {"q": COMPLAINANT_NAME}).text
        assert complaint.title not in client.get(LIST, {"q": COMPLAINANT_PHONE}).text
        # The deadline and days left are shown.
        assert complaint.reply_deadline.strftime("%Y-%m-%d") in page.text


# Conversion into a failure-of-trust record ----------------------------------------------------


def _convert_data(**overrides):
    data = {
        "problem_type": "",
        "severity": "general",
        "facts": "县财政局拖欠工程款38万元，经投诉核查属实。",
        "decision_number": "丰信用〔2026〕5号",
        "deciding_authority": "丰宁满族自治县社会信用体系建设领导小组办公室",
        "decision_date": today().isoformat(),
    }
    data.update(overrides)
    return data


def test_founded_complaint_converts_once_and_links_both_ways(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.VERIFIED, verification=Verification.FOUNDED)
    login(client, w.office_staff_a)
    page = client.get(detail_url(complaint)).text
    assert 'data-testid="convert"' in page
    form = client.get(action_url("convert", complaint))
    assert form.status_code == 200 and "经核查，欠款属实。" in form.text  # facts pre-filled

    assert client.post(action_url("convert", complaint), _convert_data(severity="")).status_code
    assert not TrustRecord.objects.exists()

    response = client.post(action_url("convert", complaint), _convert_data())
    assert response.status_code == 302
    record = TrustRecord.objects.get()
    complaint.refresh_from_db()
    assert complaint.trust_record == record
    assert record.agency == w.a1 and record.subject_type == SubjectType.AGENCY
    assert record.source == RecordSource.COMPLAINT and record.subject_name == w.a1.name
    assert record.created_by == w.office_staff_a

    page = client.get(detail_url(complaint)).text
    assert reverse("domains:record-detail", args=[record.pk]) in page
    assert 'data-testid="convert"' not in page
    record_page = client.get(reverse("domains:record-detail", args=[record.pk])).text
    assert detail_url(complaint) in record_page

    # A second conversion is refused.
    response = client.post(action_url("convert", complaint), _convert_data(decision_number="2号"))
    assert response.status_code == 302
    assert TrustRecord.objects.count() == 1


def test_unfounded_or_unverified_complaint_does_not_convert(client, county):
    w = county
    unfounded = make_complaint(w.a1, ComplaintStatus.CLOSED, verification=Verification.UNFOUNDED)
    pending = make_complaint(w.a1, ComplaintStatus.REPLIED)
    login(client, w.office_staff_a)
    for complaint in (unfounded, pending):
        assert 'data-testid="convert"' not in client.get(detail_url(complaint)).text
        response = client.post(action_url("convert", complaint), _convert_data())
        assert response.status_code == 302
    assert not TrustRecord.objects.exists()


def test_partly_founded_closed_complaint_converts(client, county):
    w = county
    complaint = make_complaint(
        w.a1, ComplaintStatus.CLOSED, verification=Verification.PARTLY_FOUNDED
    )
    login(client, w.office_admin_a)
    assert client.post(action_url("convert", complaint), _convert_data()).status_code == 302
    complaint.refresh_from_db()
    assert complaint.trust_record_id


# Attachments ----------------------------------------------------------------------------------


def test_attachments_download_only_for_readers(client, county):
    w = county
    complaint = make_complaint(w.a1, website=True, files=[pdf("合同.pdf")])
    attachment = complaint.attachments.get()
    url = reverse("supervision:complaint-attachment", args=[attachment.pk])
    for user in (w.office_staff_a, w.clerk_a1, w.city_viewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    for user in (w.clerk_a2, w.office_admin_b, w.office_admin_c):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(w.evaluator_a)
    assert client.get(url).status_code == 403


def test_agency_reply_with_renamed_exe_is_refused(client, county):
    w = county
    complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
    login(client, w.clerk_a1)
    fake = SimpleUploadedFile("付款凭证.pdf", EXE, "application/pdf")
    response = client.post(
        action_url("reply", complaint), {"reply": "见附件", "attachments": [fake]}
    )
    assert response.status_code == 200 and "invalid-feedback" in response.text
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ASSIGNED and not complaint.agency_reply
    assert not ComplaintAttachment.objects.exists()
