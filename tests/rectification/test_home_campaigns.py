"""The campaign parts of the home pages: the agency's task list with days left, and the
office's running campaigns with filed counts and overdue counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.factories import ensure_defaults, make_campaign, make_issue
from tests.isolation_specs.rectification_filings import make_filing, make_milestone

HOME = reverse("home")


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    return world


def _campaign(w):
    campaign = make_campaign(
        w.county_a,
        [w.a1, w.a2],
        report_deadline=days(-2),
        plan_deadline=days(5),
        completion_deadline=days(30),
    )
    make_filing(w.a1, "submitted", campaign=campaign)
    make_milestone(w.a1, campaign=campaign, title="节点甲", due_on=days(-1))
    make_issue(campaign, w.a2, discovered_on=days(-20), deadline=days(-3))
    return campaign


def test_agency_home_lists_its_tasks_with_days_left(client, county):
    w = county
    campaign = _campaign(w)
    make_campaign(w.county_a, [w.a2], title="与本单位无关")
    login(client, w.clerk_a1)
    response = client.get(HOME)
    assert response.status_code == 200
    tasks = response.context["tasks"]
    # The report is filed: left are the plan and report due, and the overdue milestone.
    assert [(t["kind"], t["days_left"]) for t in tasks] == [
        ("milestone", -1),
        ("filing", 5),
        ("filing", 30),
    ]
    page = response.text
    assert 'class="text-danger fw-semibold" data-days="-1"' in page
    assert 'class="text-warning-emphasis fw-semibold" data-days="5"' in page
    assert '<span data-days="30">' in page
    assert [c.pk for c in response.context["campaigns"]] == [campaign.pk]
    assert "与本单位无关" not in page


def test_agency_home_shows_at_most_thirty_tasks(client, county):
    w = county
    campaign = make_campaign(w.county_a, [w.a1])
    for n in range(32):
        make_milestone(w.a1, campaign=campaign, title=f"节点{n}", due_on=days(n + 1))
    login(client, w.clerk_a1)
    assert len(client.get(HOME).context["tasks"]) == 30


def test_office_home_has_the_campaigns_card(client, county):
    w = county
    campaign = _campaign(w)
    make_campaign(w.county_a, [w.a1], launch=False, title="草稿不显示")
    login(client, w.office_staff_a)
    response = client.get(HOME)
    assert response.status_code == 200
    (shown,) = response.context["campaigns"]
    assert shown.pk == campaign.pk and shown.agency_count == 2
    assert [f["count"] for f in shown.filed] == [1, 0, 0]
    assert (shown.overdue_milestones, shown.overdue_issues) == (1, 1)
    assert "草稿不显示" not in response.text
    assert reverse("rectification:overdue") in response.text
