"""A founded complaint becomes an issue in the ledger of the agency complained about (M10):
the office's action on the complaint page, its prefilled form, the campaigns it offers, the
link both ways, and who may do it when."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Notification
from domains.models import KeyDomain, ProblemType
from rectification.models import LedgerIssue
from supervision.choices import ComplaintStatus, Verification
from tests.conftest import login
from tests.factories import ensure_defaults, make_campaign
from tests.supervision.complaint_helpers import action_url, detail_url, make_complaint


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    w = world
    w.domains = list(KeyDomain.objects.filter(tenant=w.county_a, is_active=True)[:3])
    w.problem_type = ProblemType.objects.filter(tenant=w.county_a).order_by("position").first()
    # Launched with a1 in scope of the first two domains; one with a2 only; a draft with a1.
    w.campaign = make_campaign(
        w.county_a, [w.a1, w.a2], domains=w.domains[:2], title="拖欠账款专项治理"
    )
    w.a2_only = make_campaign(w.county_a, [w.a2], domains=w.domains, title="乡镇专项")
    w.draft = make_campaign(w.county_a, [w.a1], launch=False, title="草稿专项")
    w.other_county = make_campaign(w.county_b, [w.b1], title="隆化专项")
    return w


def _founded(w, **overrides):
    overrides.setdefault("domain", w.domains[0])
    return make_complaint(w.a1, ComplaintStatus.VERIFIED, **overrides)


def _form(w, **overrides):
    data = {
        "campaign": w.campaign.pk,
        "domain": w.domains[0].pk,
        "problem_type": w.problem_type.pk,
        "subject_name": "县财政局",
        "description": "拖欠工程款两年未付",
        "handling_opinion": "限期支付",
        "responsible_person": "王建国",
        "discovered_on": datetime.date.today().isoformat(),
        "deadline": "",
    }
    data.update(overrides)
    return data


def test_office_adds_a_founded_complaint_to_the_agencys_ledger(client, county):
    w = county
    complaint = _founded(w)
    login(client, w.office_staff_a)
    page = client.get(detail_url(complaint)).text
    assert 'data-testid="to-issue"' in page and 'data-testid="issue-link"' not in page

    url = action_url("to-issue", complaint)
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["campaign"] == w.campaign.pk  # the one with the agency and the domain
    assert form.initial["domain"] == w.domains[0].pk
    assert form.initial["subject_name"] == "县财政局"
    assert form.initial["handling_opinion"] == "经核查，欠款属实。"
    assert complaint.title in form.initial["description"]
    offered = set(form.fields["campaign"].queryset.values_list("pk", flat=True))
    assert offered == {w.campaign.pk}  # not a2's, not the draft, not county B's

    response = client.post(url, _form(w))
    issue = LedgerIssue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:issue-detail", args=[issue.pk])
    assert 'data-testid="complaint-link"' in client.get(response["Location"]).text
    assert (issue.campaign, issue.agency, issue.number) == (w.campaign, w.a1, 1)
    assert issue.source == "complaint" and issue.source_complaint == complaint
    assert issue.responsible_person == "王建国" and issue.problem_type == w.problem_type
    assert issue.deadline == w.campaign.completion_deadline  # empty: the campaign's
    assert issue.subject_credit_code == w.a1.credit_code
    assert issue.created_by == w.office_staff_a
    assert set(
        Notification.objects.filter(
            url=reverse("rectification:issue-detail", args=[issue.pk])
        ).values_list("user__username", flat=True)
    ) == {"clerk-a1", "leader-a1"}

    page = client.get(detail_url(complaint)).text
    assert 'data-testid="issue-link"' in page and 'data-testid="to-issue"' not in page
    assert reverse("rectification:issue-detail", args=[issue.pk]) in page

    # The agency sees the link from its complaint page too.
    login(client, w.clerk_a1)
    page = client.get(detail_url(complaint)).text
    assert reverse("rectification:issue-detail", args=[issue.pk]) in page
    assert 'data-testid="to-issue"' not in page


def test_only_once(client, county):
    w = county
    complaint = _founded(w)
    login(client, w.office_admin_a)
    url = action_url("to-issue", complaint)
    client.post(url, _form(w, deadline=(datetime.date.today() + datetime.timedelta(days=9))))
    issue = LedgerIssue.objects.get()
    assert issue.deadline == datetime.date.today() + datetime.timedelta(days=9)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:issue-detail", args=[issue.pk])
    client.post(url, _form(w))
    assert LedgerIssue.objects.count() == 1


def test_partly_founded_may_become_an_issue_unfounded_may_not(client, county):
    w = county
    partly = _founded(w, verification=Verification.PARTLY_FOUNDED)
    unfounded = _founded(w, verification=Verification.UNFOUNDED)
    replied = make_complaint(w.a1, ComplaintStatus.REPLIED)
    login(client, w.office_staff_a)
    for complaint in (unfounded, replied):
        assert 'data-testid="to-issue"' not in client.get(detail_url(complaint)).text
        response = client.get(action_url("to-issue", complaint))
        assert response.status_code == 302 and response["Location"] == detail_url(complaint)
        client.post(action_url("to-issue", complaint), _form(w))
    assert not LedgerIssue.objects.exists()

    client.post(action_url("to-issue", partly), _form(w))
    assert LedgerIssue.objects.get().source_complaint == partly


@pytest.mark.parametrize("user", ["clerk_a1", "leader_a1", "city_viewer"])
def test_only_office_roles(client, county, user):
    w = county
    complaint = _founded(w)
    login(client, getattr(w, user))
    assert client.get(action_url("to-issue", complaint)).status_code == 403
    assert client.post(action_url("to-issue", complaint), _form(w)).status_code == 403
    assert not LedgerIssue.objects.exists()


def test_campaigns_the_agency_is_not_in_are_refused(client, county):
    w = county
    complaint = _founded(w)
    login(client, w.office_staff_a)
    url = action_url("to-issue", complaint)
    for campaign in (w.a2_only, w.draft, w.other_county):
        response = client.post(url, _form(w, campaign=campaign.pk))
        assert response.status_code == 200
        assert response.context["form"].errors["campaign"]
    assert not LedgerIssue.objects.exists()


def test_domain_must_be_in_the_chosen_campaigns_scope(client, county):
    w = county
    # Domain 3 is in scope of a2's campaign only: offered neither for a1's complaint.
    complaint = _founded(w, domain=w.domains[2])
    login(client, w.office_staff_a)
    url = action_url("to-issue", complaint)
    form = client.get(url).context["form"]
    assert form.initial["campaign"] == w.campaign.pk
    response = client.post(url, _form(w, domain=w.domains[2].pk))
    assert response.status_code == 200 and response.context["form"].errors["domain"]
    response = client.post(url, _form(w, domain=w.domains[1].pk, responsible_person=""))
    assert response.context["form"].errors["responsible_person"]
    assert not LedgerIssue.objects.exists()
    client.post(url, _form(w, domain=w.domains[1].pk))
    assert LedgerIssue.objects.get().domain == w.domains[1]


def test_without_a_running_campaign_the_page_says_so(client, world):
    ensure_defaults(world.county_a)
    complaint = make_complaint(world.a1, ComplaintStatus.VERIFIED)
    login(client, world.office_staff_a)
    response = client.get(action_url("to-issue", complaint))
    assert response.status_code == 200
    assert 'data-testid="no-campaign"' in response.text
