"""The office's campaign pages: create, launch (notifying the agencies), close, delete, the
campaign grid with its hand-computed figures and a fixed query count, the breakdowns, the
Excel exports, and the agency's own view of a campaign."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from accounts.models import Notification, SecurityEvent
from domains.models import KeyDomain, ProblemType
from rectification import services
from rectification.models import Campaign, Filing, Participation
from tests.conftest import login
from tests.factories import AgencyFactory, ensure_defaults, make_campaign, make_issue
from tests.isolation_specs.rectification_filings import (
    leader_of,
    make_filing,
    make_milestone,
)

LIST = reverse("rectification:campaign-list")
CREATE = reverse("rectification:campaign-create")


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    return world


def _detail(campaign):
    return reverse("rectification:campaign-detail", args=[campaign.pk])


def _sheet(response, index=0):
    assert response.status_code == 200, response.status_code
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[index].iter_rows(values_only=True))
    return rows[0], rows[1:]


def _form_data(w, **overrides):
    domains = list(KeyDomain.objects.filter(tenant=w.county_a, is_active=True)[:2])
    data = {
        "title": "2026年政务诚信专项治理",
        "document_number": "丰信用办〔2026〕3号",
        "year": "2026",
        "description": "全面排查拖欠企业账款。",
        "report_deadline": days(10).isoformat(),
        "plan_deadline": days(20).isoformat(),
        "completion_deadline": days(60).isoformat(),
        "domains": [d.pk for d in domains],
        "agencies": [w.a1.pk],
    }
    data.update(overrides)
    return data


# Create, launch, close, delete ----------------------------------------------------------------


def test_office_creates_a_draft_and_launching_notifies_the_participants(client, county, settings):
    w = county
    settings.NOTIFY_BY_EMAIL = True
    w.clerk_a1.email = "clerk@a1.example.cn"
    w.clerk_a1.save(update_fields=["email"])
    login(client, w.office_staff_a)
    response = client.post(CREATE, _form_data(w))
    campaign = Campaign.objects.get(title="2026年政务诚信专项治理")
    assert response.status_code == 302 and response["Location"] == _detail(campaign)
    assert campaign.status == "draft" and campaign.tenant == w.county_a
    assert list(campaign.agencies.all()) == [w.a1]
    assert campaign.domains.count() == 2
    assert Notification.objects.count() == 0  # a draft notifies nobody

    # The agency does not see the draft.
    login(client, w.clerk_a1)
    assert client.get(_detail(campaign)).status_code == 404
    assert campaign.title not in client.get(LIST).text

    login(client, w.office_staff_a)
    launch = reverse("rectification:campaign-launch", args=[campaign.pk])
    assert client.get(launch).status_code == 200  # the confirmation page
    with_commit = client.post(launch)
    assert with_commit.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "launched" and campaign.launched_at is not None
    addressees = set(Notification.objects.values_list("user__username", flat=True))
    assert addressees == {"clerk-a1", "leader-a1"}  # not a2's clerk, not the office
    assert Participation.objects.get(campaign=campaign).notified_at is not None
    assert Notification.objects.get(user=w.clerk_a1).url == _detail(campaign)


def test_launch_sends_mail_to_users_with_an_address(
    county, settings, django_capture_on_commit_callbacks
):
    w = county
    settings.NOTIFY_BY_EMAIL = True
    w.clerk_a1.email = "clerk@a1.example.cn"
    w.clerk_a1.save(update_fields=["email"])
    campaign = make_campaign(w.county_a, [w.a1], launch=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=campaign, actor=w.office_staff_a)
    assert [m.to for m in mail.outbox] == [["clerk@a1.example.cn"]]
    assert campaign.title in mail.outbox[0].subject


def test_no_mail_when_the_platform_sends_none(county, settings, django_capture_on_commit_callbacks):
    w = county
    settings.NOTIFY_BY_EMAIL = False
    w.clerk_a1.email = "clerk@a1.example.cn"
    w.clerk_a1.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        make_campaign(w.county_a, [w.a1])
    assert mail.outbox == []
    assert Notification.objects.filter(user=w.clerk_a1).count() == 1


def test_form_errors_come_back_and_nothing_is_saved(client, county):
    w = county
    login(client, w.office_admin_a)
    response = client.post(
        CREATE, _form_data(w, plan_deadline=days(5).isoformat(), agencies=[], domains=[])
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"plan_deadline", "agencies", "domains"} <= set(errors)
    assert Campaign.objects.count() == 0
    # Another county's agency is not even a choice.
    response = client.post(CREATE, _form_data(w, agencies=[w.b1.pk]))
    assert "agencies" in response.context["form"].errors
    assert Campaign.objects.count() == 0


def test_agency_checkboxes_are_grouped_by_kind(client, county):
    w = county
    AgencyFactory(tenant=w.county_a, name="南关乡", kind="township")
    login(client, w.office_admin_a)
    form = client.get(CREATE).context["form"]
    groups = {
        g["kind"]: [str(c.choice_label) for c in g["checkboxes"]] for g in form.agency_groups()
    }
    assert sorted(groups["township"]) == ["南关乡", "大阁镇"]
    assert "县财政局" in sum(groups.values(), [])
    assert "隆化县财政局" not in sum(groups.values(), [])


def test_edit_after_launch_adds_an_agency_and_notifies_it(client, county):
    w = county
    campaign = make_campaign(w.county_a, [w.a1])
    Notification.objects.all().delete()
    login(client, w.office_admin_a)
    data = _form_data(w, agencies=[w.a1.pk, w.a2.pk], title=campaign.title)
    data["domains"] = list(campaign.domains.values_list("pk", flat=True))
    response = client.post(reverse("rectification:campaign-edit", args=[campaign.pk]), data)
    assert response.status_code == 302
    assert set(campaign.agencies.all()) == {w.a1, w.a2}
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"clerk-a2"}


def test_who_may_manage(client, county):
    w = county
    campaign = make_campaign(w.county_a, [w.a1], launch=False)
    for user in (w.clerk_a1, w.city_viewer, w.evaluator_a):
        login(client, user)
        assert client.get(CREATE).status_code == 403
        assert (
            client.post(reverse("rectification:campaign-launch", args=[campaign.pk])).status_code
            == 403
        )
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    login(client, w.platform_admin)  # campaign.manage, but no county to run it in
    assert client.get(CREATE).status_code == 403


def test_close_and_delete(client, county):
    w = county
    running = make_campaign(w.county_a, [w.a1])
    draft = make_campaign(w.county_a, [w.a1], launch=False, title="草稿")
    login(client, w.office_admin_a)
    # A launched campaign cannot be deleted.
    response = client.post(reverse("rectification:campaign-delete", args=[running.pk]))
    assert response.status_code == 302
    assert Campaign.objects.filter(pk=running.pk).exists()
    client.post(reverse("rectification:campaign-close", args=[running.pk]))
    running.refresh_from_db()
    assert running.status == "closed"
    # A closed campaign can no longer be edited: the edit link is gone, a post is refused.
    assert "can_edit" in client.get(_detail(running)).context
    assert client.get(_detail(running)).context["can_edit"] is False
    client.post(reverse("rectification:campaign-delete", args=[draft.pk]))
    assert not Campaign.objects.filter(pk=draft.pk).exists()


def test_list_filters_and_agency_scope(client, county):
    w = county
    mine = make_campaign(w.county_a, [w.a1], title="甲专项", year=2026)
    others = make_campaign(w.county_a, [w.a2], title="乙专项", year=2025)
    make_campaign(w.county_a, [w.a1], launch=False, title="丙草稿")
    make_campaign(w.county_b, [w.b1], title="隆化专项")
    login(client, w.office_staff_a)
    page = client.get(LIST).text
    assert "甲专项" in page and "乙专项" in page and "丙草稿" in page and "隆化专项" not in page
    page = client.get(LIST, {"year": 2025}).text
    assert "乙专项" in page and "甲专项" not in page
    page = client.get(LIST, {"status": "draft"}).text
    assert "丙草稿" in page and "甲专项" not in page
    login(client, w.clerk_a1)
    listed = list(client.get(LIST).context["object_list"])
    assert listed == [mine]
    assert client.get(_detail(others)).status_code == 404


# The grid ---------------------------------------------------------------------------------------


def _arrears(**fields):
    return {
        "creditor_name": "承德宏达建材有限公司",
        "creditor_is_sme": True,
        "accepted_on": today() - datetime.timedelta(days=40),
        **fields,
    }


def _seed_grid(w):
    """a1: two issues with arrears (1,000.00 and 500.50 owed, 200.00 repaid), one closed;
    its report filed on time; two milestones, one overdue. a2: one issue overdue, nothing
    filed, no milestones."""
    campaign = make_campaign(
        w.county_a,
        [w.a1, w.a2],
        report_deadline=today(),
        plan_deadline=days(5),
        completion_deadline=days(30),
    )
    first = make_issue(campaign, w.a1, amount_owed=Decimal("1000.00"), **_arrears())
    make_issue(campaign, w.a1, amount_owed=Decimal("500.50"), status="rectified", **_arrears())
    services.repayment_add(
        issue=first,
        data={"paid_on": today() - datetime.timedelta(days=1), "amount": Decimal("200.00")},
        actor=None,
    )
    make_issue(
        campaign,
        w.a2,
        discovered_on=today() - datetime.timedelta(days=10),
        deadline=today() - datetime.timedelta(days=1),
    )
    make_filing(w.a1, "submitted", campaign=campaign)
    make_milestone(w.a1, campaign=campaign, due_on=today() - datetime.timedelta(days=2))
    make_milestone(w.a1, campaign=campaign, due_on=days(3))
    return campaign


def test_grid_figures(client, county):
    w = county
    campaign = _seed_grid(w)
    login(client, w.office_staff_a)
    response = client.get(_detail(campaign))
    assert response.status_code == 200
    grid = {row["agency"].name: row for row in response.context["grid"]}
    a1, a2 = grid["县财政局"], grid["大阁镇"]
    assert [d["state"] for d in a1["deliverables"]] == ["on_time", "not_due", "not_due"]
    assert a1["deliverables"][0]["submitted_at"] is not None
    # a2 has not filed the report due today: not due yet (missing from tomorrow on).
    assert [d["state"] for d in a2["deliverables"]] == ["not_due", "not_due", "not_due"]
    assert a1["issues"]["total"] == 2 and a1["issues"]["pending"] == 1
    assert a1["issues"]["rectified"] == 1 and a1["issues"]["overdue"] == 0
    assert (a1["owed"], a1["repaid"], a1["outstanding"]) == (
        Decimal("1500.50"),
        Decimal("200.00"),
        Decimal("1300.50"),
    )
    assert a1["milestones"] == {"agency_id": w.a1.pk, "total": 2, "done": 0, "overdue": 1}
    assert a2["issues"]["total"] == 1 and a2["issues"]["overdue"] == 1
    assert a2["outstanding"] == Decimal("0")
    page = response.text
    assert "1,300.50" in page and "1,500.50" in page  # yuan grouped by thousands
    assert 'data-state="on_time"' in page
    breakdown = response.context["breakdown"]
    by_domain = {row["label"]: row for row in breakdown["by_domain"]}
    first_domain = campaign.domains.order_by("position", "id").first().name
    assert by_domain[first_domain]["total"] == 3
    assert by_domain[first_domain]["counts"] == {
        "pending": 2,
        "in_progress": 0,
        "rectified": 1,
        "closed": 0,
    }


def test_missing_from_the_day_after_the_deadline(client, county):
    w = county
    campaign = make_campaign(
        w.county_a,
        [w.a1],
        report_deadline=today() - datetime.timedelta(days=1),
        plan_deadline=today(),
        completion_deadline=days(30),
    )
    login(client, w.office_staff_a)
    row = client.get(_detail(campaign)).context["grid"][0]
    assert [d["state"] for d in row["deliverables"]] == ["missing", "not_due", "not_due"]


def _grid_queries(client, campaign):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_detail(campaign))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_grid_query_count_does_not_grow_with_agencies(client, county):
    w = county
    few = [w.a1, w.a2]
    many = few + [AgencyFactory(tenant=w.county_a) for _ in range(4)]
    counts = []
    for agencies in (few, many):
        campaign = make_campaign(w.county_a, agencies)
        for agency in agencies:
            make_issue(campaign, agency, amount_owed=Decimal("10.00"), **_arrears())
            make_filing(agency, "submitted", campaign=campaign)
            make_milestone(agency, campaign=campaign)
        login(client, w.office_staff_a)
        counts.append(_grid_queries(client, campaign))
    assert counts[0] == counts[1], counts


# Exports --------------------------------------------------------------------------------------


def test_exports(client, county):
    w = county
    campaign = _seed_grid(w)
    login(client, w.office_staff_a)
    export = reverse("rectification:campaign-export", args=[campaign.pk])
    headers, rows = _sheet(client.get(export, {"table": "grid"}))
    assert len(headers) == 1 + 6 + 12
    by_agency = {row[0]: row for row in rows}
    a1 = by_agency["县财政局"]
    assert a1[1] == gettext("Filed on time") == "按期报送"
    assert a1[7:13] == (2, 1, 0, 1, 0, 0)
    assert [Decimal(str(v)) for v in a1[13:16]] == [
        Decimal("1500.5"),
        Decimal("200"),
        Decimal("1300.5"),
    ]
    assert a1[16:] == (0, 2, 1)
    assert by_agency["大阁镇"][12] == 1  # one overdue issue
    assert SecurityEvent.objects.filter(kind="export").count() == 1

    first_domain = campaign.domains.order_by("position", "id").first().name
    headers, rows = _sheet(client.get(export, {"table": "domains"}))
    assert len(headers) == 6
    assert rows == [(first_domain, 2, 0, 1, 0, 3)]
    problem_type = ProblemType.objects.filter(tenant=w.county_a).order_by("position", "id").first()
    headers, rows = _sheet(client.get(export, {"table": "types"}))
    assert rows == [(problem_type.name, 2, 0, 1, 0, 3)]


def test_agency_export_holds_its_own_row_only(client, county):
    w = county
    campaign = _seed_grid(w)
    login(client, w.clerk_a1)
    export = reverse("rectification:campaign-export", args=[campaign.pk])
    _headers, rows = _sheet(client.get(export, {"table": "grid"}))
    assert [row[0] for row in rows] == ["县财政局"]
    _headers, rows = _sheet(client.get(export, {"table": "domains"}))
    assert rows[0][-1] == 2  # a1's two issues, not a2's


# The agency's view ------------------------------------------------------------------------------


def test_agency_sees_its_part_and_opens_a_filing(client, county):
    w = county
    campaign = _seed_grid(w)
    login(client, w.clerk_a2)
    response = client.get(_detail(campaign))
    assert response.status_code == 200
    assert "grid" not in response.context
    deliverables = response.context["deliverables"]
    assert [d["days_left"] for d in deliverables] == [0, 5, 30]
    assert [d["filing"] for d in deliverables] == [None, None, None]
    assert response.context["ledger"]["total"] == 1
    assert response.context["ledger"]["overdue"] == 1
    assert "县财政局" not in response.text  # nothing of the other agency

    open_url = reverse(
        "rectification:filing-open", kwargs={"pk": campaign.pk, "kind": "rectification_plan"}
    )
    response = client.post(open_url)
    filing = Filing.objects.get(agency=w.a2, campaign=campaign, kind="rectification_plan")
    assert response["Location"] == reverse("rectification:filing-detail", args=[filing.pk])
    client.post(open_url)  # opening again finds the same filing
    assert Filing.objects.filter(agency=w.a2, campaign=campaign).count() == 1
    # The office and the leader cannot draft: only clerks and leaders may, for their agency.
    login(client, w.office_staff_a)
    assert client.post(open_url).status_code == 403
    login(client, leader_of(w.b1))
    assert client.post(open_url).status_code == 404


def test_city_viewer_reads_the_grid_without_buttons(client, county):
    w = county
    campaign = _seed_grid(w)
    login(client, w.city_viewer)
    response = client.get(_detail(campaign))
    assert response.status_code == 200
    assert len(response.context["grid"]) == 2
    assert response.context["can_manage"] is False
    assert reverse("rectification:campaign-edit", args=[campaign.pk]) not in response.text
