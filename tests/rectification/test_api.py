"""The campaign-work API (/api/v1/): the same scoping and permissions as the pages, derived
arrears figures, writes through the services (numbering, audit), one error body."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events
from rest_framework.test import APIClient

from rectification import services
from rectification.models import DuplicateFlag, InvestmentProject, LedgerIssue, Repayment
from tests.factories import credit_code, make_campaign, make_issue
from tests.isolation_specs.api_rectification import filing_version, milestone_update
from tests.isolation_specs.rectification_investment import make_project

TODAY = datetime.date.today()
ISSUES = "/api/v1/ledger-issues/"
REPAYMENTS = "/api/v1/repayments/"
PROJECTS = "/api/v1/investment-projects/"
FLAGS = "/api/v1/duplicate-flags/"
CAMPAIGNS = "/api/v1/campaigns/"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    """Signed in with a session, as the browser's API calls are (the audit context needs it)."""
    api.force_login(user)
    return api


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def ledgers(world):
    w = world
    w.campaign = make_campaign(w.county_a, [w.a1, w.a2])
    w.campaign_b = make_campaign(w.county_b, [w.b1])
    w.issue_a1 = make_issue(w.campaign, w.a1)
    w.issue_a2 = make_issue(w.campaign, w.a2)
    w.issue_b1 = make_issue(w.campaign_b, w.b1)
    w.domain = w.campaign.domains.order_by("position", "id").first()
    w.problem_type = w.issue_a1.problem_type
    return w


def issue_payload(w, **overrides) -> dict:
    data = {
        "campaign": w.campaign.pk,
        "domain": w.domain.pk,
        "problem_type": w.problem_type.pk,
        "subject_name": "县财政局",
        "responsible_person": "张三",
        "cause": "预算不足",
        "handling_opinion": "限期支付",
        "discovered_on": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "creditor_name": "承德宏达建筑有限公司",
        "creditor_credit_code": credit_code(77).lower(),
        "creditor_is_sme": True,
        "contract": "办公楼维修合同",
        "accepted_on": (TODAY - datetime.timedelta(days=40)).isoformat(),
        "amount_owed": "250000.00",
    }
    data.update(overrides)
    return data


# Scoping -------------------------------------------------------------------------------------


def test_clerk_sees_only_own_agency_and_other_county_is_404(api, ledgers):
    w = ledgers
    as_user(api, w.clerk_a1)
    assert ids(api.get(ISSUES)) == {w.issue_a1.pk}
    assert_error(api.get(f"{ISSUES}{w.issue_a2.pk}/"), 404, "not_found")
    assert_error(api.get(f"{ISSUES}{w.issue_b1.pk}/"), 404, "not_found")
    assert_error(api.patch(f"{ISSUES}{w.issue_a2.pk}/", {"cause": "x"}), 404, "not_found")
    assert ids(api.get(CAMPAIGNS)) == {w.campaign.pk}


def test_office_and_city_viewer_scopes(api, ledgers):
    w = ledgers
    make_issue(make_campaign(w.county_c, [w.c1]), w.c1)
    as_user(api, w.office_admin_a)
    assert ids(api.get(ISSUES)) == {w.issue_a1.pk, w.issue_a2.pk}
    assert ids(api.get(ISSUES, {"agency": w.a2.pk})) == {w.issue_a2.pk}
    as_user(api, w.city_viewer)
    assert ids(api.get(ISSUES)) == {w.issue_a1.pk, w.issue_a2.pk, w.issue_b1.pk}
    assert ids(api.get(CAMPAIGNS)) == {w.campaign.pk, w.campaign_b.pk}
    assert_error(api.post(ISSUES, issue_payload(w), format="json"), 403, "permission_denied")


def test_agencies_do_not_see_draft_campaigns(api, world):
    draft = make_campaign(world.county_a, [world.a1], launch=False)
    running = make_campaign(world.county_a, [world.a1])
    as_user(api, world.clerk_a1)
    assert ids(api.get(CAMPAIGNS)) == {running.pk}
    as_user(api, world.office_staff_a)
    assert ids(api.get(CAMPAIGNS)) == {running.pk, draft.pk}
    body = api.get(f"{CAMPAIGNS}{running.pk}/").json()
    assert body["agencies"] == [world.a1.pk] and len(body["domains"]) == 2
    assert body["status"] == "launched"
    assert body["completion_deadline"] == (TODAY + datetime.timedelta(days=60)).isoformat()


def test_issue_list_query_count_does_not_grow_with_rows(api, ledgers):
    w = ledgers
    as_user(api, w.office_admin_a)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(api.get(ISSUES))) == 2
    for _n in range(4):
        issue = make_issue(w.campaign, w.a1, **arrears())
        services.repayment_add(
            issue=issue, data={"paid_on": TODAY, "amount": Decimal("10.00")}, actor=None
        )
    with CaptureQueriesContext(connection) as many:
        assert len(ids(api.get(ISSUES))) == 6
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]


# Derived arrears figures --------------------------------------------------------------------


def arrears(**overrides):
    data = {
        "creditor_name": "承德宏达建筑有限公司",
        "contract": "办公楼维修合同",
        "accepted_on": TODAY - datetime.timedelta(days=90),
        "payment_term_days": 30,
        "amount_owed": Decimal("100000.00"),
    }
    data.update(overrides)
    return data


def test_issue_carries_outstanding_days_overdue_and_interest(api, ledgers):
    w = ledgers
    issue = make_issue(w.campaign, w.a1, **arrears())
    as_user(api, w.clerk_a1)
    response = api.post(
        REPAYMENTS,
        {
            "issue": issue.pk,
            "paid_on": (TODAY - datetime.timedelta(days=30)).isoformat(),
            "amount": "40000.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = api.get(f"{ISSUES}{issue.pk}/").json()
    # Due 60 days ago; 100,000 × 0.05 % × 30 days + 60,000 × 0.05 % × 30 days.
    assert body["payment_due_on"] == (TODAY - datetime.timedelta(days=60)).isoformat()
    assert body["amount_repaid"] == "40000.00"
    assert body["outstanding"] == "60000.00"
    assert body["days_overdue"] == 60
    assert body["interest_due"] == "2400.00"
    assert body["is_overdue"] is False
    plain = api.get(f"{ISSUES}{w.issue_a1.pk}/").json()
    assert plain["outstanding"] is None and plain["days_overdue"] == 0


def test_overdue_flag_and_filter(api, ledgers):
    w = ledgers
    late = make_issue(
        w.campaign,
        w.a1,
        discovered_on=TODAY - datetime.timedelta(days=20),
        deadline=TODAY - datetime.timedelta(days=1),
    )
    due_today = make_issue(w.campaign, w.a1, deadline=TODAY)
    as_user(api, w.clerk_a1)
    assert ids(api.get(ISSUES, {"overdue": "true"})) == {late.pk}
    assert ids(api.get(ISSUES, {"overdue": "false"})) == {w.issue_a1.pk, due_today.pk}
    assert api.get(f"{ISSUES}{late.pk}/").json()["is_overdue"] is True
    assert api.get(f"{ISSUES}{due_today.pk}/").json()["is_overdue"] is False


# Writes through the services ----------------------------------------------------------------


def test_clerk_creates_an_issue_numbered_and_audited(api, ledgers):
    w = ledgers
    as_user(api, w.clerk_a1)
    response = api.post(ISSUES, issue_payload(w), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    issue = LedgerIssue.objects.get(pk=body["id"])
    assert body["number"] == 2 and issue.number == 2  # after the fixture's issue 1
    assert issue.agency == w.a1 and issue.created_by == w.clerk_a1
    assert issue.creditor_credit_code == credit_code(77)  # normalised by the service
    assert issue.deadline == w.campaign.completion_deadline
    assert body["outstanding"] == "250000.00" and body["days_overdue"] == 10
    insert = Events.objects.tracks(issue).filter(pgh_label="insert").get()
    assert insert.pgh_context["username"] == "clerk-a1"

    response = api.patch(f"{ISSUES}{issue.pk}/", {"status": "in_progress"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    issue.refresh_from_db()
    assert issue.status == "in_progress"
    update = Events.objects.tracks(issue).filter(pgh_label="update").latest("pgh_created_at")
    assert update.pgh_diff["status"] == ["pending", "in_progress"]


def test_issue_writes_refused_with_one_error_body(api, ledgers):
    w = ledgers
    as_user(api, w.clerk_a1)
    other = make_campaign(w.county_a, [w.a2])
    error = assert_error(api.post(ISSUES, issue_payload(w, campaign=other.pk), format="json"), 400)
    assert error["code"] == "invalid" and "campaign" in error["fields"]  # not one of a1's
    error = assert_error(
        api.post(ISSUES, issue_payload(w, campaign=w.campaign_b.pk), format="json"), 400
    )
    assert "campaign" in error["fields"]
    error = assert_error(
        api.post(ISSUES, issue_payload(w, subject_name="县财政\x00局"), format="json"), 400
    )
    assert "subject_name" in error["fields"]
    good = credit_code(78)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    error = assert_error(
        api.post(ISSUES, issue_payload(w, creditor_credit_code=bad), format="json"), 400
    )
    assert "creditor_credit_code" in error["fields"]
    error = assert_error(
        api.patch(f"{ISSUES}{w.issue_a1.pk}/", {"status": "closed"}, format="json"), 400
    )
    assert "status" in error["fields"]
    also_a1 = make_campaign(w.county_a, [w.a1])
    error = assert_error(
        api.patch(f"{ISSUES}{w.issue_a1.pk}/", {"campaign": also_a1.pk}, format="json"), 400
    )
    assert "campaign" in error["fields"]
    assert LedgerIssue.objects.filter(agency=w.a1).count() == 1
    assert_error(api.delete(f"{ISSUES}{w.issue_a1.pk}/"), 405)

    as_user(api, w.office_admin_a)
    assert_error(api.post(ISSUES, issue_payload(w), format="json"), 403, "permission_denied")


def test_repayments_are_checked_and_scoped(api, ledgers):
    w = ledgers
    issue = make_issue(w.campaign, w.a1, **arrears())
    as_user(api, w.clerk_a2)
    error = assert_error(
        api.post(
            REPAYMENTS,
            {"issue": issue.pk, "paid_on": TODAY.isoformat(), "amount": "10.00"},
            format="json",
        ),
        400,
    )
    assert "issue" in error["fields"]
    as_user(api, w.clerk_a1)
    for amount, paid_on in (("100000.01", TODAY), ("0", TODAY), ("10", TODAY.replace(year=2100))):
        assert_error(
            api.post(
                REPAYMENTS,
                {"issue": issue.pk, "paid_on": paid_on.isoformat(), "amount": amount},
                format="json",
            ),
            400,
        )
    assert not Repayment.objects.exists()
    issue.refresh_from_db()
    assert issue.amount_repaid == Decimal("0")
    assert_error(
        api.post(
            REPAYMENTS,
            {"issue": w.issue_a1.pk, "paid_on": TODAY.isoformat(), "amount": "5"},
            format="json",
        ),
        400,
    )


def test_investment_projects_through_the_api(api, world):
    as_user(api, world.clerk_a1)
    code = credit_code(555)
    payload = {
        "name": "丰宁县年产10万吨绿色食品加工项目",
        "investor_name": "承德绿源食品有限公司",
        "investor_credit_code": code.lower(),
        "signed_on": "2026-03-01",
        "amount": "50000000.00",
    }
    response = api.post(PROJECTS, payload, format="json")
    assert response.status_code == 201, response.content
    first = InvestmentProject.objects.get(pk=response.json()["id"])
    assert first.agency == world.a1 and first.investor_credit_code == code
    assert Events.objects.tracks(first).filter(pgh_label="insert").exists()

    bad = {**payload, "investor_credit_code": code[:-1] + ("0" if code[-1] != "0" else "1")}
    error = assert_error(api.post(PROJECTS, bad, format="json"), 400, "invalid")
    assert "investor_credit_code" in error["fields"]
    error = assert_error(api.post(PROJECTS, {**payload, "name": "项\x00目"}, format="json"), 400)
    assert "name" in error["fields"]

    as_user(api, world.clerk_a2)
    response = api.post(PROJECTS, {**payload, "name": "另一个项目"}, format="json")
    assert response.status_code == 201
    flag = DuplicateFlag.objects.get()
    assert flag.reason == "same_investor"
    assert ids(api.get(PROJECTS)) == {response.json()["id"]}
    assert_error(api.get(FLAGS), 403, "permission_denied")
    assert_error(api.patch(f"{PROJECTS}{first.pk}/", {"amount": "1"}, format="json"), 404)

    as_user(api, world.clerk_a1)
    response = api.patch(f"{PROJECTS}{first.pk}/", {"status": "started"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "started"
    assert DuplicateFlag.objects.count() == 1

    as_user(api, world.office_staff_a)
    assert ids(api.get(FLAGS)) == {flag.pk}
    assert ids(api.get(FLAGS, {"status": "dismissed"})) == set()
    assert len(ids(api.get(PROJECTS))) == 2
    assert_error(api.post(PROJECTS, payload, format="json"), 403, "permission_denied")


def test_filings_milestones_and_their_history_are_read_only(api, world):
    version = filing_version(world.a1)
    update = milestone_update(world.a1)
    make_project(world.a2)
    as_user(api, world.clerk_a1)
    body = api.get(f"/api/v1/filings/{version.filing_id}/").json()
    assert body["status"] == "submitted" and body["is_late"] is False
    assert body["sections"]["overview"] == "<p>全面自查。</p>"
    assert body["deadline"] == (TODAY + datetime.timedelta(days=10)).isoformat()
    body = api.get(f"/api/v1/filing-versions/{version.pk}/").json()
    assert body["number"] == 1 and body["outcome"] == "pending"
    body = api.get(f"/api/v1/milestones/{update.milestone_id}/").json()
    assert body["progress"] == 50 and body["is_overdue"] is False
    assert ids(api.get("/api/v1/milestone-updates/")) == {update.pk}
    assert_error(api.patch(f"/api/v1/filings/{version.filing_id}/", {}, format="json"), 403)
    as_user(api, world.clerk_a2)
    assert ids(api.get("/api/v1/filings/")) == set()
    assert_error(api.get(f"/api/v1/filing-versions/{version.pk}/"), 404, "not_found")
