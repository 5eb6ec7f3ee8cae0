"""The credit office handles objections and repair applications: who may, the list with days
left and its export, the request page, and each decision's effect on the record."""

import datetime
import io
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from domains import services
from domains.choices import RecordStatus, RequestKind, RequestOutcome, RequestStatus
from domains.models import CreditRequest, TrustRecord
from tests.conftest import login
from tests.domains.public_helpers import (
    days_ago,
    prepared,
    public_record,
    record_list_url,
    record_url,
    service_data,
    today,
    zh,
)


@pytest.fixture
def county(world):
    yield from prepared(world)


LIST = "/requests/"
ALL_THREE = {"confirmed_corrected": "on", "confirmed_commitment": "on", "confirmed_other": "on"}


def objection(world, agency=None, **kwargs):
    record = public_record(world, agency=agency or world.a1, **kwargs)
    return services.request_submit(record=record, kind=RequestKind.OBJECTION, data=service_data())


def repair(world, **kwargs):
    record = public_record(world, decision_date=days_ago(400), **kwargs)
    return services.request_submit(
        record=record,
        kind=RequestKind.REPAIR,
        data=service_data(declares_corrected=True, declares_commitment=True, declares_other=True),
    )


def overdue_objection(world, submitted_days_ago=20):
    """An objection submitted some weeks ago, so its deadline has passed."""
    record = public_record(world, decision_date=days_ago(60))
    with mock.patch("django.utils.timezone.localdate", return_value=days_ago(submitted_days_ago)):
        return services.request_submit(
            record=record, kind=RequestKind.OBJECTION, data=service_data()
        )


def decide_url(request) -> str:
    return reverse("domains:request-decide", args=[request.pk])


def detail_url(request) -> str:
    return reverse("domains:request-detail", args=[request.pk])


# Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("platform_admin", 200),
        ("office_admin_a", 200),
        ("office_staff_a", 200),
        ("clerk_a1", 403),
        ("leader_a1", 403),
        ("evaluator_a", 403),
        ("city_viewer", 403),
    ],
)
def test_who_sees_the_requests(client, county, role, status):
    request = objection(county)
    login(client, getattr(county, role))
    for url in (LIST, "/requests/export/", detail_url(request)):
        assert client.get(url).status_code == status, url
    response = client.post(
        decide_url(request), {"outcome": RequestOutcome.REJECTED, "reason": "无"}
    )
    assert response.status_code == (302 if status == 200 else 403)
    request.refresh_from_db()
    assert (request.status == RequestStatus.DECIDED) is (status == 200)


def test_anonymous_is_sent_to_login(client, county):
    request = objection(county)
    for url in (LIST, detail_url(request)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_county_cannot_see_or_decide(client, county):
    request = objection(county)
    login(client, county.office_admin_b)
    assert request.receipt_code not in client.get(LIST).text
    assert client.get(detail_url(request)).status_code == 404
    response = client.post(
        decide_url(request), {"outcome": RequestOutcome.REVOKED, "reason": "越权"}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert request.record.status == RecordStatus.ACTIVE


# List, filters, days left, export --------------------------------------------------------


def test_list_shows_days_left_and_overdue_in_red(client, county):
    late = overdue_objection(county)
    fresh = objection(county)
    decided = objection(county)
    services.request_decide(
        request=decided, outcome=RequestOutcome.REJECTED, reason="无误", actor=county.office_staff_a
    )
    login(client, county.office_staff_a)
    response = client.get(LIST)
    rows = {item.pk: item for item in response.context["object_list"]}
    assert rows[late.pk].days_left == (late.deadline - today()).days < 0
    assert rows[fresh.pk].days_left == (fresh.deadline - today()).days > 0
    assert rows[decided.pk].days_left is None
    # Pending first, most urgent first.
    assert list(rows)[:2] == [late.pk, fresh.pk]
    overdue_by = (today() - late.deadline).days
    text = response.text
    assert 'class="text-danger fw-semibold"' in text
    with_late = text.split(late.receipt_code)[1].split("</tr>")[0]
    assert "text-danger" in with_late
    assert str(overdue_by) in with_late
    with_fresh = text.split(fresh.receipt_code)[1].split("</tr>")[0]
    assert "text-danger" not in with_fresh


def test_list_filters(client, county):
    late = overdue_objection(county)
    fresh = objection(county)
    rep = repair(county)
    login(client, county.office_staff_a)

    def shown(params):
        return {item.pk for item in client.get(LIST, params).context["object_list"]}

    assert shown({}) == {late.pk, fresh.pk, rep.pk}
    assert shown({"kind": RequestKind.REPAIR}) == {rep.pk}
    assert shown({"kind": RequestKind.OBJECTION}) == {late.pk, fresh.pk}
    assert shown({"overdue": "true"}) == {late.pk}
    assert shown({"overdue": "false"}) == {fresh.pk, rep.pk}
    assert shown({"q": fresh.receipt_code}) == {fresh.pk}
    services.request_decide(
        request=fresh, outcome=RequestOutcome.REJECTED, reason="无误", actor=county.office_staff_a
    )
    assert shown({"status": RequestStatus.DECIDED}) == {fresh.pk}
    assert shown({"status": RequestStatus.PENDING}) == {late.pk, rep.pk}
    assert shown({"outcome": RequestOutcome.REJECTED}) == {fresh.pk}


def test_export_of_the_filtered_rows(client, county):
    objection(county)
    rep = repair(county)
    objection(county, agency=county.b1)  # another county: never exported
    login(client, county.office_staff_a)
    response = client.get("/requests/export/", {"kind": RequestKind.REPAIR})
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:4]) == [
        zh("Receipt code"),
        zh("Kind"),
        zh("Failing subject"),
        zh("Decision document number"),
    ]
    assert zh("Days left") in rows[0]
    assert "applicant_phone" not in rows[0] and zh("Applicant's phone") not in rows[0]
    assert [row[0] for row in rows[1:]] == [rep.receipt_code]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT, user=county.office_staff_a)
    assert event.detail["what"] == "credit-requests"
    assert event.detail["rows"] == 1


# The request page -------------------------------------------------------------------------


def test_detail_shows_record_declarations_and_contact(client, county):
    request = repair(county)
    login(client, county.office_staff_a)
    response = client.get(detail_url(request))
    assert response.status_code == 200
    text = response.text
    assert request.record.decision_number in text
    assert "0314-5123456" in text and "承德某建筑有限公司" in text
    assert 'data-testid="declarations"' in text
    assert text.count("✓") >= 3
    for field in ("confirmed_corrected", "confirmed_commitment", "confirmed_other", "stop_sharing"):
        assert f'name="{field}"' in text
    assert 'name="corrected_facts"' not in text
    objection_page = client.get(detail_url(objection(county))).text
    assert 'name="corrected_facts"' in objection_page
    assert 'name="confirmed_commitment"' not in objection_page


# Objection decisions -----------------------------------------------------------------------


def test_reasons_are_required_and_nothing_changes(client, county):
    request = objection(county)
    login(client, county.office_staff_a)
    response = client.post(decide_url(request), {"outcome": RequestOutcome.REVOKED, "reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert request.record.status == RecordStatus.ACTIVE


def test_outcome_must_fit_the_kind(client, county):
    request = objection(county)
    login(client, county.office_staff_a)
    response = client.post(
        decide_url(request), {"outcome": RequestOutcome.REPAIRED, "reason": "修复", **ALL_THREE}
    )
    assert response.context["form"].errors["outcome"]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert request.record.status == RecordStatus.ACTIVE


def test_correction_needs_and_applies_the_corrected_facts(client, county):
    request = objection(county)
    login(client, county.office_staff_a)
    response = client.post(
        decide_url(request),
        {"outcome": RequestOutcome.CORRECTED, "corrected_facts": "", "reason": "部分有误"},
    )
    assert response.context["form"].errors["corrected_facts"]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING

    response = client.post(
        decide_url(request),
        {
            "outcome": RequestOutcome.CORRECTED,
            "reason": "欠款金额有误，予以更正。",
            "corrected_facts": "拖欠民营企业工程款 12 万元，已部分支付。",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome) == (RequestStatus.DECIDED, RequestOutcome.CORRECTED)
    assert request.decided_by == county.office_staff_a
    record = request.record
    assert record.facts == "拖欠民营企业工程款 12 万元，已部分支付。"
    assert record.status == RecordStatus.ACTIVE
    # Still public, no longer under objection.
    public = client.get(record_url(county, record))
    assert public.status_code == 200
    assert "已部分支付" in public.text
    assert 'data-testid="under-objection"' not in public.text


def test_rejection_keeps_the_record_public(client, county):
    request = objection(county)
    login(client, county.office_admin_a)
    client.post(
        decide_url(request), {"outcome": RequestOutcome.REJECTED, "reason": "经核实，记录无误。"}
    )
    request.refresh_from_db()
    assert request.outcome == RequestOutcome.REJECTED
    assert request.record.status == RecordStatus.ACTIVE
    client.logout()
    assert client.get(record_url(county, request.record)).status_code == 200


def test_a_decided_request_cannot_be_decided_again(client, county):
    request = objection(county)
    login(client, county.office_staff_a)
    client.post(decide_url(request), {"outcome": RequestOutcome.REJECTED, "reason": "无误"})
    response = client.post(
        decide_url(request), {"outcome": RequestOutcome.REVOKED, "reason": "改判"}, follow=True
    )
    assert zh("This request has already been decided.") in response.text
    request.refresh_from_db()
    assert request.outcome == RequestOutcome.REJECTED
    assert request.record.status == RecordStatus.ACTIVE
    assert 'name="outcome"' not in client.get(detail_url(request)).text


# Repair decisions -------------------------------------------------------------------------


@pytest.mark.parametrize("missing", sorted(ALL_THREE))
def test_repair_granted_only_with_every_confirmation(client, county, missing):
    request = repair(county)
    login(client, county.office_staff_a)
    data = {"outcome": RequestOutcome.REPAIRED, "reason": "已履行义务", **ALL_THREE}
    del data[missing]
    response = client.post(decide_url(request), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert not (
        request.confirmed_corrected or request.confirmed_commitment or request.confirmed_other
    )
    assert request.record.status == RecordStatus.ACTIVE
    assert client.get(record_url(county, request.record)).status_code == 200


def test_repair_ends_publicity_at_once_but_keeps_the_record(client, county):
    request = repair(county)
    record = request.record
    login(client, county.office_staff_a)
    response = client.post(
        decide_url(request),
        {
            "outcome": RequestOutcome.REPAIRED,
            "reason": "已履行全部义务并签署信用承诺。",
            **ALL_THREE,
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.REPAIRED
    assert record.publicity_ended_on == today()
    # Ending publicity is not ending sharing: sharing goes on unless the office ticks it.
    assert record.sharing_stopped_on is None
    page = client.get(detail_url(request)).text
    assert zh("Shared") in page.split('data-testid="record-sharing"')[1].split("</dd>")[0]
    # Internal history: the office still lists and opens the record.
    assert record.decision_number in client.get(reverse("domains:record-list")).text
    assert client.get(reverse("domains:record-detail", args=[record.pk])).status_code == 200
    client.logout()
    assert client.get(record_url(county, record)).status_code == 404
    assert record.decision_number not in client.get(record_list_url(county)).text


def test_repair_may_also_stop_sharing(client, county):
    request = repair(county)
    login(client, county.office_admin_a)
    client.post(
        decide_url(request),
        {"outcome": RequestOutcome.REPAIRED, "reason": "已修复", "stop_sharing": "on", **ALL_THREE},
    )
    record = TrustRecord.objects.get(pk=request.record_id)
    assert record.status == RecordStatus.REPAIRED
    assert record.publicity_ended_on == today()
    assert record.sharing_stopped_on == today()
    page = client.get(detail_url(request)).text
    sharing = page.split('data-testid="record-sharing"')[1].split("</dd>")[0]
    assert today().isoformat() in sharing


def test_repair_rejected_keeps_publicity(client, county):
    request = repair(county)
    login(client, county.office_staff_a)
    client.post(
        decide_url(request), {"outcome": RequestOutcome.REJECTED, "reason": "尚未履行全部义务。"}
    )
    request.refresh_from_db()
    assert request.outcome == RequestOutcome.REJECTED
    record = TrustRecord.objects.get(pk=request.record_id)
    assert record.status == RecordStatus.ACTIVE and record.publicity_ended_on is None
    assert CreditRequest.objects.filter(record=record, status=RequestStatus.PENDING).count() == 0


def test_deadline_is_computed_in_working_days(county):
    from integrity.workdays import add_workdays

    request = objection(county)
    assert request.deadline == add_workdays(today(), 5, tenant=county.county_a)
    assert request.deadline > today()
    holiday_start = datetime.date(2026, 9, 30)
    assert add_workdays(holiday_start, 5, tenant=county.county_a) == datetime.date(2026, 10, 13)
