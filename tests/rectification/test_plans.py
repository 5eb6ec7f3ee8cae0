"""Milestones of the rectification plan (add, edit, delete, progress with evidence), the
overdue list and its export, and the daily overdue job's notifications."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Notification
from rectification import tasks
from rectification.models import Evidence, Milestone, MilestoneUpdate
from tests.conftest import login
from tests.factories import ensure_defaults, make_campaign, make_issue
from tests.isolation_specs.rectification_filings import make_filing, make_milestone
from tests.supervision.complaint_helpers import pdf

OVERDUE = reverse("rectification:overdue")
OVERDUE_EXPORT = reverse("rectification:overdue-export")


@pytest.fixture
def county(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    return world


def today():
    return timezone.localdate()


def ago(n):
    return today() - datetime.timedelta(days=n)


def test_clerk_adds_edits_and_deletes_milestones(client, county):
    w = county
    plan = make_filing(w.a1, kind="rectification_plan")
    create = reverse("rectification:milestone-create", args=[plan.campaign_id])
    login(client, w.clerk_a1)
    assert client.get(create).status_code == 200
    response = client.post(
        create,
        {
            "title": "清偿首批欠款",
            "due_on": (today() + datetime.timedelta(days=9)),
            "owner": "张伟",
        },
    )
    # Back to the plan, which lists it.
    assert response["Location"] == reverse("rectification:filing-detail", args=[plan.pk])
    milestone = Milestone.objects.get(title="清偿首批欠款")
    assert (milestone.agency, milestone.owner) == (w.a1, "张伟")
    response = client.post(create, {"title": "", "due_on": "not a date", "owner": ""})
    assert response.status_code == 200
    assert {"title", "due_on", "owner"} <= set(response.context["form"].errors)

    edit = reverse("rectification:milestone-edit", args=[milestone.pk])
    client.post(edit, {"title": "清偿全部欠款", "due_on": ago(-20), "owner": "张伟"})
    milestone.refresh_from_db()
    assert milestone.title == "清偿全部欠款" and milestone.due_on == ago(-20)

    # Another agency's clerk cannot touch it; the office cannot edit plans.
    login(client, w.clerk_a2)
    assert client.post(edit, {"title": "x", "due_on": ago(0), "owner": "x"}).status_code == 404
    login(client, w.office_staff_a)
    assert client.get(edit).status_code == 403
    login(client, w.clerk_a1)
    client.post(reverse("rectification:milestone-delete", args=[milestone.pk]))
    assert not Milestone.objects.filter(pk=milestone.pk).exists()


def test_progress_reports_with_evidence(client, county):
    w = county
    milestone = make_milestone(w.a1)
    report = reverse("rectification:milestone-report", args=[milestone.pk])
    detail = reverse("rectification:milestone-detail", args=[milestone.pk])
    login(client, w.clerk_a1)
    response = client.post(report, {"note": "已拨付首批资金", "progress": 40, "files": [pdf()]})
    assert response["Location"] == detail
    update = MilestoneUpdate.objects.get(milestone=milestone)
    assert update.progress == 40 and update.created_by == w.clerk_a1
    evidence = Evidence.objects.get(update=update)
    # Progress cannot go backwards: shown on the page, nothing written.
    response = client.post(report, {"note": "回退", "progress": 10})
    assert response.status_code == 200 and response.context["report_form"].errors
    assert MilestoneUpdate.objects.filter(milestone=milestone).count() == 1
    # A milestone with progress cannot be deleted, and its evidence stays.
    client.post(reverse("rectification:milestone-delete", args=[milestone.pk]))
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    client.post(reverse("rectification:evidence-delete", args=[evidence.pk]))
    assert Evidence.objects.filter(pk=evidence.pk).exists()

    client.post(report, {"note": "全部完成", "progress": 100})
    milestone.refresh_from_db()
    assert milestone.status == "done" and milestone.completed_on == today()
    login(client, w.office_staff_a)
    page = client.get(detail)
    assert [u.progress for u in page.context["updates"]] == [40, 100]
    assert "已拨付首批资金" in page.text
    assert reverse("rectification:evidence-download", args=[evidence.pk]) in page.text
    assert page.context["can_report"] is False
    assert client.post(report, {"note": "x", "progress": 100}).status_code == 403


def _overdue_world(w):
    campaign = make_campaign(w.county_a, [w.a1, w.a2])
    late = make_milestone(w.a1, campaign=campaign, title="节点甲", due_on=ago(3))
    make_milestone(w.a1, campaign=campaign, title="节点乙", due_on=today())  # due today: not late
    make_milestone(w.a2, campaign=campaign, title="节点丙", due_on=ago(1))
    issue = make_issue(
        campaign, w.a2, subject_name="拖欠工程款", discovered_on=ago(30), deadline=ago(7)
    )
    make_issue(campaign, w.a1, subject_name="按期事项", discovered_on=ago(30), deadline=today())
    make_issue(
        campaign,
        w.a1,
        subject_name="已整改事项",
        discovered_on=ago(30),
        deadline=ago(2),
        status="rectified",
    )
    other = make_campaign(w.county_b, [w.b1])
    make_milestone(w.b1, campaign=other, title="隆化节点", due_on=ago(5))
    return campaign, late, issue


def test_overdue_list_for_the_office_and_the_agency(client, county):
    w = county
    campaign, late, issue = _overdue_world(w)
    login(client, w.office_staff_a)
    response = client.get(OVERDUE)
    milestones = list(response.context["milestone_page"])
    assert [(m.title, m.days_overdue) for m in milestones] == [("节点甲", 3), ("节点丙", 1)]
    issues = list(response.context["issue_page"])
    assert [(i.subject_name, i.days_overdue) for i in issues] == [("拖欠工程款", 7)]
    assert "隆化节点" not in response.text
    response = client.get(OVERDUE, {"agency": w.a2.pk})
    assert [m.title for m in response.context["milestone_page"]] == ["节点丙"]
    response = client.get(OVERDUE, {"campaign": campaign.pk, "agency": w.a1.pk})
    assert [m.title for m in response.context["milestone_page"]] == ["节点甲"]
    assert list(response.context["issue_page"]) == []

    login(client, w.clerk_a1)
    response = client.get(OVERDUE)
    assert [m.title for m in response.context["milestone_page"]] == ["节点甲"]
    assert list(response.context["issue_page"]) == []
    assert "agency" not in response.context["filter"]["form"].fields


def test_overdue_export_has_two_sheets(client, county):
    w = county
    campaign, late, issue = _overdue_world(w)
    login(client, w.office_staff_a)
    response = client.get(OVERDUE_EXPORT)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 2
    milestones = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(milestones) == 3
    assert milestones[1][0] == "县财政局" and milestones[1][2] == "节点甲"
    assert milestones[1][4].date() == ago(3) and milestones[1][5] == 3
    issues = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(issues) == 2
    assert issues[1][0] == "大阁镇" and issues[1][3] == "拖欠工程款" and issues[1][7] == 7
    filtered = client.get(OVERDUE_EXPORT, {"agency": w.a1.pk})
    book = load_workbook(io.BytesIO(filtered.content))
    assert len(list(book.worksheets[1].iter_rows(values_only=True))) == 1  # header only


def test_the_daily_job_notifies_once(client, county):
    w = county
    _overdue_world(w)
    Notification.objects.all().delete()  # the launch's
    first = tasks.flag_overdue.delay().get()
    assert first == {"milestones": 3, "issues": 1}  # 节点甲, 节点丙, 隆化节点; 拖欠工程款
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert {"clerk-a1", "clerk-a2", "oa-a", "os-a", "oa-b"} <= notified
    assert "leader-a1" not in notified
    clerk_a1 = Notification.objects.get(user=w.clerk_a1)
    assert clerk_a1.url == OVERDUE
    count = Notification.objects.count()
    assert tasks.flag_overdue.delay().get() == {"milestones": 0, "issues": 0}
    assert Notification.objects.count() == count
    # The notification leads to the list, which shows the item.
    login(client, w.clerk_a1)
    assert "节点甲" in client.get(clerk_a1.url).text
