"""The daily overdue job (`rectification.flag_overdue`), run through Celery (eager in tests):
what it flags around the deadline, whom it notifies, that a second run is silent, that only
running campaigns count, and that the audit trail names the task."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Events

from accounts.models import Notification
from rectification import services, tasks
from rectification.choices import CampaignStatus, IssueStatus
from rectification.models import Campaign, LedgerIssue, Milestone
from tests.factories import make_campaign, make_issue

JOB = "task:rectification.flag_overdue"


def today():
    return timezone.localdate()


def yesterday():
    return today() - datetime.timedelta(days=1)


def milestone(campaign, agency, due_on, *, actor=None, title="完成欠款清偿"):
    return services.milestone_save(
        campaign=campaign,
        agency=agency,
        data={"title": title, "due_on": due_on, "owner": "王建国"},
        actor=actor,
    )


def issue(campaign, agency, deadline, *, status=IssueStatus.PENDING, **fields):
    return make_issue(
        campaign,
        agency,
        discovered_on=deadline - datetime.timedelta(days=10),
        deadline=deadline,
        status=status,
        **fields,
    )


def notified(user):
    return list(Notification.objects.filter(user=user).values_list("url", flat=True))


@pytest.fixture
def running(world):
    """County A's launched campaign for a1 and a2, county B's for b1 (nothing due there), and
    the launch notifications cleared so that only the job's remain."""
    w = world
    campaign_a = make_campaign(w.county_a, [w.a1, w.a2], actor=w.office_staff_a)
    campaign_b = make_campaign(w.county_b, [w.b1], actor=w.office_admin_b)
    milestone(campaign_b, w.b1, today())
    issue(campaign_b, w.b1, today())
    Notification.objects.all().delete()
    return w, campaign_a


def test_milestone_due_yesterday_is_flagged_and_notified_due_today_is_not(running):
    w, campaign = running
    late = milestone(campaign, w.a1, yesterday(), actor=w.clerk_a1, title="制定还款计划")
    on_day = milestone(campaign, w.a1, today(), actor=w.clerk_a1, title="完成清偿")

    assert tasks.flag_overdue.delay().get() == {"milestones": 1, "issues": 0}

    late.refresh_from_db()
    on_day.refresh_from_db()
    assert late.overdue_notified_on == today()
    assert on_day.overdue_notified_on is None

    overdue_url = reverse("rectification:overdue")
    # The agency's clerk and the county's office users, one notice each; nobody else.
    assert notified(w.clerk_a1) == [overdue_url]
    assert notified(w.office_admin_a) == [overdue_url]
    assert notified(w.office_staff_a) == [overdue_url]
    for user in (
        w.leader_a1,
        w.clerk_a2,
        w.evaluator_a,
        w.office_admin_b,
        w.city_viewer,
        w.office_admin_c,
        w.platform_admin,
    ):
        assert notified(user) == [], user.username
    assert Notification.objects.count() == 3
    clerk_notice = Notification.objects.get(user=w.clerk_a1)
    assert "1" in clerk_notice.title and "0" in clerk_notice.title
    assert clerk_notice.tenant_id == w.county_a.pk

    # Tomorrow what is due today is late too (a1's milestone, and county B's milestone and
    # issue), and only that is reported; county B's office hears of it then.
    tomorrow = today() + datetime.timedelta(days=1)
    assert services.flag_overdue(today=tomorrow) == {"milestones": 2, "issues": 1}
    on_day.refresh_from_db()
    late.refresh_from_db()
    assert on_day.overdue_notified_on == tomorrow
    assert late.overdue_notified_on == today()
    assert notified(w.office_admin_b) == [overdue_url]
    assert len(notified(w.clerk_a1)) == 2


def test_only_open_issues_past_their_deadline_are_flagged(running):
    w, campaign = running
    pending = issue(campaign, w.a2, yesterday(), subject_name="待整改逾期")
    in_progress = issue(
        campaign, w.a2, yesterday(), status=IssueStatus.IN_PROGRESS, subject_name="整改中逾期"
    )
    due_today = issue(campaign, w.a2, today(), subject_name="今日到期")
    rectified = issue(campaign, w.a2, yesterday(), subject_name="已整改")
    services.issue_report_rectified(
        issue=rectified, note="已全额支付。", rectified_on=yesterday(), actor=w.clerk_a2
    )
    closed = issue(campaign, w.a2, yesterday(), subject_name="已销号")
    services.issue_report_rectified(
        issue=closed, note="已全额支付。", rectified_on=yesterday(), actor=w.clerk_a2
    )
    services.issue_verify(issue=closed, close=True, note="核实无误。", actor=w.office_staff_a)
    Notification.objects.all().delete()

    assert tasks.flag_overdue.delay().get() == {"milestones": 0, "issues": 2}

    flagged = dict(
        LedgerIssue.objects.filter(campaign=campaign).values_list("pk", "overdue_notified_on")
    )
    assert flagged == {
        pending.pk: today(),
        in_progress.pk: today(),
        due_today.pk: None,
        rectified.pk: None,
        closed.pk: None,
    }
    overdue_url = reverse("rectification:overdue")
    assert notified(w.clerk_a2) == [overdue_url]
    assert notified(w.clerk_a1) == []  # a1 has nothing overdue
    assert notified(w.leader_a1) == []
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == sorted(
        [w.clerk_a2.username, w.office_admin_a.username, w.office_staff_a.username]
    )
    assert "2" in Notification.objects.get(user=w.clerk_a2).title


def test_second_run_the_same_day_notifies_nothing(running):
    w, campaign = running
    milestone(campaign, w.a1, yesterday())
    issue(campaign, w.a1, yesterday())
    assert tasks.flag_overdue.delay().get() == {"milestones": 1, "issues": 1}
    count = Notification.objects.count()
    assert count == 3  # clerk_a1, office_admin_a, office_staff_a: one notice for both items

    assert tasks.flag_overdue.delay().get() == {"milestones": 0, "issues": 0}
    assert Notification.objects.count() == count
    # Still overdue for the lists (derived), though not notified again.
    assert Milestone.objects.filter(due_on__lt=today(), status="open").count() == 1


def test_moving_a_milestone_due_date_rearms_the_notice(running):
    w, campaign = running
    late = milestone(campaign, w.a1, yesterday())
    tasks.flag_overdue.delay().get()
    services.milestone_save(
        campaign=campaign,
        agency=w.a1,
        milestone=late,
        data={"due_on": today() - datetime.timedelta(days=2)},
        actor=w.clerk_a1,
    )
    late.refresh_from_db()
    assert late.overdue_notified_on is None
    assert tasks.flag_overdue.delay().get() == {"milestones": 1, "issues": 0}


def test_draft_and_closed_campaigns_are_ignored(running):
    w, _campaign = running
    closed = make_campaign(w.county_a, [w.a1], actor=w.office_staff_a, title="已结束的专项治理")
    milestone(closed, w.a1, yesterday())
    issue(closed, w.a1, yesterday())
    services.campaign_close(campaign=closed, actor=w.office_staff_a)
    draft = make_campaign(w.county_a, [w.a1], actor=w.office_staff_a, title="草稿专项治理")
    milestone(draft, w.a1, yesterday())
    issue(draft, w.a1, yesterday())
    # No service puts a launched campaign back to draft; the job must still only look at
    # running campaigns, so the state is set directly.
    Campaign.objects.filter(pk=draft.pk).update(status=CampaignStatus.DRAFT)
    Notification.objects.all().delete()

    assert tasks.flag_overdue.delay().get() == {"milestones": 0, "issues": 0}
    assert Notification.objects.count() == 0
    assert not Milestone.objects.filter(overdue_notified_on__isnull=False).exists()
    assert not LedgerIssue.objects.filter(overdue_notified_on__isnull=False).exists()


def test_audit_trail_names_the_task(running):
    w, campaign = running
    late = milestone(campaign, w.a1, yesterday())
    late_issue = issue(campaign, w.a1, yesterday())
    tasks.flag_overdue.delay().get()
    for row in (late, late_issue):
        change = Events.objects.tracks(row).filter(pgh_label="update").latest("pgh_created_at")
        assert change.pgh_diff["overdue_notified_on"] == [None, today().isoformat()]
        assert change.pgh_context["source"] == JOB


def test_beat_schedules_the_overdue_job(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "rectification.flag_overdue" in tasks_scheduled
