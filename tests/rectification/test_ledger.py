"""The issue ledger pages: the list with its filters and arrears totals, the form with arrears
and the key domain's extra fields, the issue page with the arrears position, repayments,
evidence, the agency's "rectified" report, the office's verification, deletion, and who may
do each of these."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from domains import services as domain_services
from domains.models import KeyDomain, ProblemType
from rectification import services
from rectification.choices import IssueStatus
from rectification.models import Evidence, LedgerIssue, Repayment
from supervision.choices import ComplaintStatus, Verification
from tests.conftest import login
from tests.factories import credit_code, make_campaign, make_issue
from tests.rectification.ledger_helpers import issue_for, today
from tests.supervision.complaint_helpers import EXE, make_complaint, pdf

LIST = reverse("rectification:issue-list")
CREATE = reverse("rectification:issue-create")


def detail(issue):
    return reverse("rectification:issue-detail", args=[issue.pk])


def action(name, issue):
    return reverse(f"rectification:{name}", args=[issue.pk])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ledger(world):
    w = world
    make_campaign(w.county_a, [w.a1], launch=False)  # county A's defaults
    domains = {d.code: d for d in KeyDomain.objects.filter(tenant=w.county_a)}
    w.procurement, w.debt = domains["government_procurement"], domains["government_debt"]
    domain_services.domain_field_save(
        domain=w.procurement,
        data={
            "key": "method",
            "label": "采购方式",
            "field_type": "choice",
            "choices": ["公开招标", "竞争性谈判"],
            "required": True,
        },
        actor=None,
    )
    domain_services.domain_field_save(
        domain=w.procurement,
        data={"key": "budget", "label": "预算金额", "field_type": "money"},
        actor=None,
    )
    w.campaign = make_campaign(w.county_a, [w.a1, w.a2], domains=[w.procurement, w.debt])
    w.types = list(ProblemType.objects.filter(tenant=w.county_a).order_by("position", "id"))
    return w


def form_data(w, **values):
    data = {
        "domain": w.procurement.pk,
        "problem_type": w.types[0].pk,
        "subject_name": "县财政局",
        "subject_credit_code": "",
        "description": "拖欠工程款",
        "responsible_person": "王建国",
        "cause": "资金未到位",
        "handling_opinion": "限期支付",
        "source": "self_inspection",
        "discovered_on": (today() - datetime.timedelta(days=3)).isoformat(),
        "deadline": "",
        "status": "pending",
        "creditor_name": "",
        "creditor_credit_code": "",
        "contract": "",
        "accepted_on": "",
        "payment_term_days": "30",
        "amount_owed": "",
        "daily_interest_rate": "0.0005",
        f"x{w.procurement.pk}_method": "公开招标",
        f"x{w.procurement.pk}_budget": "",
    }
    data.update(values)
    return data


# List -----------------------------------------------------------------------------------------


def test_list_scopes_filters_and_totals(client, ledger):
    w = ledger
    d = today()
    owed = make_issue(
        w.campaign,
        w.a1,
        subject_name="欠款主体",
        creditor_name="甲公司",
        amount_owed=Decimal("1000.50"),
        extra={"method": "公开招标"},
    )
    services.repayment_add(issue=owed, data={"paid_on": d, "amount": Decimal("200.25")}, actor=None)
    late = make_issue(
        w.campaign,
        w.a1,
        subject_name="逾期主体",
        responsible_person="赵六",
        discovered_on=d - datetime.timedelta(days=30),
        deadline=d - datetime.timedelta(days=1),
        extra={"method": "公开招标"},
    )
    make_issue(
        w.campaign,
        w.a2,
        subject_name="大阁镇主体",
        creditor_name="乙公司",
        amount_owed=Decimal("99.50"),
        extra={"method": "公开招标"},
    )
    other = make_campaign(w.county_b, [w.b1])
    make_issue(other, w.b1, subject_name="隆化主体")

    login(client, w.clerk_a1)
    response = client.get(LIST)
    assert response.status_code == 200
    text = response.text
    assert "欠款主体" in text and "逾期主体" in text
    assert "大阁镇主体" not in text and "隆化主体" not in text
    assert response.context["totals"]["owed"] == Decimal("1000.50")
    assert response.context["totals"]["repaid"] == Decimal("200.25")
    assert response.context["totals"]["outstanding"] == Decimal("800.25")
    assert "800.25" in text and "1,000.50" in text
    assert 'text-danger fw-semibold" data-testid="deadline"' in text  # the overdue one

    response = client.get(LIST, {"overdue": "true"})
    assert [i.pk for i in response.context["object_list"]] == [late.pk]
    response = client.get(LIST, {"arrears": "true"})
    assert [i.pk for i in response.context["object_list"]] == [owed.pk]
    response = client.get(LIST, {"q": "赵六"})
    assert [i.pk for i in response.context["object_list"]] == [late.pk]
    response = client.get(LIST, {"deadline_to": (d - datetime.timedelta(days=1)).isoformat()})
    assert [i.pk for i in response.context["object_list"]] == [late.pk]
    response = client.get(LIST, {"status": "closed"})
    assert list(response.context["object_list"]) == []
    assert response.context["totals"]["owed"] is None
    assert "agency" not in response.context["filter"].form.fields

    login(client, w.office_staff_a)
    response = client.get(LIST)
    assert "大阁镇主体" in response.text and "隆化主体" not in response.text
    assert response.context["totals"]["owed"] == Decimal("1100.00")
    response = client.get(LIST, {"agency": w.a2.pk})
    assert [i.subject_name for i in response.context["object_list"]] == ["大阁镇主体"]
    assert response.context["totals"]["outstanding"] == Decimal("99.50")
    assert "issue-create" not in response.text

    login(client, w.city_viewer)
    response = client.get(LIST)
    assert "隆化主体" in response.text and "欠款主体" in response.text
    login(client, w.evaluator_a)
    assert client.get(LIST).status_code == 403


def test_the_agency_sees_new_issue_and_import_buttons_for_its_running_campaigns(client, ledger):
    w = ledger
    make_campaign(w.county_a, [w.a2], title="只有大阁镇")
    login(client, w.clerk_a1)
    text = client.get(LIST).text
    assert w.campaign.title in text and "只有大阁镇" not in text
    assert reverse("rectification:import-upload") in text and CREATE in text


# Create and edit ------------------------------------------------------------------------------


def test_clerk_creates_an_issue_with_arrears_and_domain_fields(client, ledger):
    w = ledger
    login(client, w.clerk_a1)
    url = f"{CREATE}?campaign={w.campaign.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert "采购方式" in page.text and f'data-domain="{w.procurement.pk}"' in page.text
    domains = list(page.context["form"].fields["domain"].queryset)
    assert domains == [w.procurement, w.debt]
    response = client.post(
        url,
        form_data(
            w,
            subject_credit_code=credit_code(5),
            creditor_name="承德建工",
            creditor_credit_code=credit_code(6),
            creditor_is_sme="on",
            accepted_on=(today() - datetime.timedelta(days=70)).isoformat(),
            payment_term_days="60",
            amount_owed="5000.00",
            **{f"x{w.procurement.pk}_budget": "80000.5"},
        ),
    )
    issue = LedgerIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(issue)
    assert issue.number == 1 and issue.agency == w.a1 and issue.created_by == w.clerk_a1
    assert issue.deadline == w.campaign.completion_deadline  # empty: the campaign's
    assert issue.extra == {"method": "公开招标", "budget": "80000.50"}
    assert issue.creditor_is_sme and issue.payment_term_days == 60
    assert issue.amount_owed == Decimal("5000.00")
    page = client.get(detail(issue))
    # Due 10 days ago, nothing repaid: 5,000 × 0.05 % × 10 days = 25.00.
    assert page.context["position"].days_overdue == 10
    assert 'data-testid="interest">25.00' in page.text
    assert 'data-testid="outstanding">5,000.00' in page.text


def test_form_errors_are_shown_on_their_fields(client, ledger):
    w = ledger
    login(client, w.clerk_a1)
    url = f"{CREATE}?campaign={w.campaign.pk}"
    cases = [
        ({f"x{w.procurement.pk}_method": ""}, f"x{w.procurement.pk}_method"),  # required
        ({"payment_term_days": "61"}, "payment_term_days"),
        ({"creditor_name": "甲"}, "amount_owed"),
        ({"amount_owed": "10"}, "creditor_name"),
        ({"subject_credit_code": "123"}, "subject_credit_code"),
        ({"deadline": "2000-01-01"}, "deadline"),
        ({"status": "closed"}, "status"),
        ({"domain": KeyDomain.objects.get(tenant=w.county_a, code="bidding").pk}, "domain"),
    ]
    for values, field in cases:
        response = client.post(url, form_data(w, **values))
        assert response.status_code == 200, values
        assert response.context["form"].errors.get(field), (values, response.context["form"].errors)
    assert not LedgerIssue.objects.exists()
    # Another domain's extra fields are not saved and not required.
    response = client.post(
        url, form_data(w, domain=w.debt.pk, **{f"x{w.procurement.pk}_method": ""})
    )
    assert response.status_code == 302
    assert LedgerIssue.objects.get().extra == {}


def test_who_may_create(client, ledger):
    w = ledger
    url = f"{CREATE}?campaign={w.campaign.pk}"
    for user in (w.office_admin_a, w.city_viewer):
        login(client, user)
        assert client.get(url).status_code == 403
    login(client, w.clerk_a1)
    draft = make_campaign(w.county_a, [w.a1], launch=False)
    assert client.get(f"{CREATE}?campaign={draft.pk}").status_code == 404
    only_a2 = make_campaign(w.county_a, [w.a2])
    assert client.get(f"{CREATE}?campaign={only_a2.pk}").status_code == 404
    assert client.post(f"{CREATE}?campaign={only_a2.pk}", form_data(w)).status_code == 404
    assert not LedgerIssue.objects.exists()


def test_edit_keeps_extra_values_and_closed_issues_stay(client, ledger):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "竞争性谈判", "budget": "10.00"})
    login(client, w.leader_a1)
    page = client.get(action("issue-edit", issue))
    assert page.status_code == 200
    assert page.context["form"].initial[f"x{w.procurement.pk}_method"] == "竞争性谈判"
    response = client.post(
        action("issue-edit", issue),
        form_data(
            w,
            subject_name="新名称",
            status="in_progress",
            deadline=w.campaign.completion_deadline.isoformat(),
            **{f"x{w.procurement.pk}_method": "竞争性谈判", f"x{w.procurement.pk}_budget": "10"},
        ),
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.subject_name == "新名称" and issue.status == IssueStatus.IN_PROGRESS
    assert issue.extra == {"method": "竞争性谈判", "budget": "10.00"}

    login(client, w.clerk_a2)
    assert client.get(action("issue-edit", issue)).status_code == 404
    login(client, w.office_admin_a)
    assert client.get(action("issue-edit", issue)).status_code == 403

    closed = issue_for(w.a1, campaign=w.campaign, status="closed", extra={"method": "公开招标"})
    login(client, w.clerk_a1)
    response = client.get(action("issue-edit", closed))
    assert response.status_code == 302 and response["Location"] == detail(closed)
    response = client.post(action("issue-edit", closed), form_data(w, subject_name="改"))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    closed.refresh_from_db()
    assert closed.subject_name != "改"


# The issue page -------------------------------------------------------------------------------


def test_repayments_are_added_and_deleted_with_the_position_recomputed(client, ledger):
    w = ledger
    issue = make_issue(
        w.campaign,
        w.a1,
        creditor_name="甲公司",
        amount_owed=Decimal("1000.00"),
        accepted_on=today() - datetime.timedelta(days=35),
        extra={"method": "公开招标"},
    )
    login(client, w.clerk_a1)
    response = client.post(
        action("repayment-add", issue),
        {
            "repayment-paid_on": (today() - datetime.timedelta(days=3)).isoformat(),
            "repayment-amount": "400.00",
            "repayment-note": "第一笔",
        },
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.amount_repaid == Decimal("400.00")
    page = client.get(detail(issue))
    position = page.context["position"]
    # Due 5 days ago: 1,000 for 2 days, then 600 for 3 days at 0.05 % a day = 1.00 + 0.90.
    assert (position.outstanding, position.days_overdue) == (Decimal("600.00"), 5)
    assert position.interest_due == Decimal("1.90")
    assert "第一笔" in page.text

    response = client.post(
        action("repayment-add", issue),
        {"repayment-paid_on": today().isoformat(), "repayment-amount": "600.01"},
    )
    assert response.status_code == 200
    assert "repayment_form" in response.context
    assert response.context["repayment_form"].errors
    future = (today() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        action("repayment-add", issue),
        {"repayment-paid_on": future, "repayment-amount": "1"},
    )
    assert response.context["repayment_form"].errors["paid_on"]
    assert issue.repayments.count() == 1

    login(client, w.clerk_a2)
    repayment = issue.repayments.get()
    url = reverse("rectification:repayment-delete", args=[repayment.pk])
    assert client.post(url).status_code == 404
    login(client, w.clerk_a1)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    issue.refresh_from_db()
    assert issue.amount_repaid == Decimal("0") and not Repayment.objects.exists()


def test_an_issue_without_arrears_takes_no_repayment(client, ledger):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    login(client, w.clerk_a1)
    response = client.post(
        action("repayment-add", issue),
        {"repayment-paid_on": today().isoformat(), "repayment-amount": "1"},
    )
    assert response.status_code == 302 and not Repayment.objects.exists()


def test_rectified_report_verification_and_return(client, ledger):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    login(client, w.office_admin_a)
    assert client.post(action("issue-rectified", issue), {}).status_code == 403
    login(client, w.clerk_a1)
    page = client.get(detail(issue))
    assert "rectified_form" in page.context and "verify_form" not in page.context
    response = client.post(action("issue-rectified", issue), {"rectified-note": ""})
    assert response.status_code == 200 and response.context["rectified_form"].errors["note"]
    response = client.post(
        action("issue-rectified", issue),
        {
            "rectified-note": "已支付全部款项",
            "rectified-rectified_on": today().isoformat(),
            "rectified-files": [pdf()],
        },
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RECTIFIED and issue.rectified_on == today()
    assert Evidence.objects.get().issue == issue

    assert client.post(action("issue-verify", issue), {}).status_code == 403
    login(client, w.office_admin_b)
    assert client.post(action("issue-verify", issue), {}).status_code == 404
    login(client, w.office_staff_a)
    page = client.get(detail(issue))
    assert "verify_form" in page.context
    response = client.post(action("issue-verify", issue), {"verify-decision": "send_back"})
    assert response.status_code == 200 and response.context["verify_form"].errors["note"]
    response = client.post(
        action("issue-verify", issue),
        {"verify-decision": "send_back", "verify-note": "凭证不全"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.IN_PROGRESS and issue.verification_note == "凭证不全"
    response = client.post(action("issue-verify", issue), {"verify-decision": "close"})
    assert response.status_code == 302  # refused: not rectified any more
    issue.refresh_from_db()
    assert issue.status == IssueStatus.IN_PROGRESS

    services.issue_report_rectified(issue=issue, note="补齐凭证", rectified_on=None, actor=None)
    response = client.post(action("issue-verify", issue), {"verify-decision": "close"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED and issue.closed_by == w.office_staff_a
    login(client, w.clerk_a1)
    page = client.get(detail(issue))
    assert not any(page.context["can"].values())
    assert 'data-testid="issue-status"' in page.text


def test_evidence_upload_is_checked(client, ledger):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    login(client, w.clerk_a1)
    response = client.post(
        action("issue-attach", issue), {"attach-files": [SimpleUploadedFile("证据.pdf", EXE)]}
    )
    assert response.status_code == 200 and response.context["attach_form"].errors["files"]
    assert not Evidence.objects.exists()
    response = client.post(action("issue-attach", issue), {})
    assert response.status_code == 200 and response.context["attach_form"].errors["files"]
    response = client.post(action("issue-attach", issue), {"attach-files": [pdf(), pdf()]})
    assert response.status_code == 302 and Evidence.objects.filter(issue=issue).count() == 2
    page = client.get(detail(issue))
    evidence = Evidence.objects.first()
    assert reverse("rectification:evidence-download", args=[evidence.pk]) in page.text
    login(client, w.clerk_a2)
    assert client.post(action("issue-attach", issue), {"attach-files": [pdf()]}).status_code == 404


def test_delete_only_while_pending_without_repayments(client, ledger):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    paid = issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    login(client, w.clerk_a2)
    assert client.post(action("issue-delete", issue)).status_code == 404
    login(client, w.clerk_a1)
    assert client.get(action("issue-delete", issue)).status_code == 405
    response = client.post(action("issue-delete", paid))
    assert response.status_code == 302 and response["Location"] == detail(paid)
    assert LedgerIssue.objects.filter(pk=paid.pk).exists()
    response = client.post(action("issue-delete", issue))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not LedgerIssue.objects.filter(pk=issue.pk).exists()


def test_the_page_links_the_source_complaint(client, ledger):
    w = ledger
    complaint = make_complaint(w.a1, ComplaintStatus.VERIFIED, verification=Verification.FOUNDED)
    issue = services.issue_from_complaint(
        complaint=complaint,
        campaign=w.campaign,
        data={
            **services.issue_from_complaint_initial(complaint),
            "domain": w.debt,
            "problem_type": w.types[0],
            "responsible_person": "王建国",
            "deadline": w.campaign.completion_deadline,
        },
        actor=w.office_admin_a,
    )
    login(client, w.office_staff_a)
    page = client.get(detail(issue))
    assert reverse("supervision:complaint-detail", args=[complaint.pk]) in page.text
    login(client, w.clerk_a1)
    page = client.get(detail(issue))
    assert 'data-testid="complaint-link"' in page.text


def test_city_viewer_reads_but_cannot_act(client, ledger):
    w = ledger
    issue = issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    login(client, w.city_viewer)
    page = client.get(detail(issue))
    assert page.status_code == 200 and not any(page.context["can"].values())
    for name in ("issue-rectified", "repayment-add", "issue-attach", "issue-delete"):
        assert client.post(action(name, issue), {}).status_code == 403
    assert client.post(action("issue-verify", issue), {}).status_code == 403
