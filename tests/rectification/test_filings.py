"""Filings through their pages: drafting the sections (rich text cleaned), attachments, the
sign-off and review workflow with who may take each step, versions kept as they were sent,
the late flag around the deadline, and the print page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Notification
from rectification.models import Evidence, Filing, FilingVersion
from tests.conftest import login
from tests.factories import ensure_defaults, make_campaign
from tests.isolation_specs.rectification_filings import leader_of, make_filing
from tests.supervision.complaint_helpers import EXE, pdf


@pytest.fixture
def county(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_defaults(world.county_a)
    return world


def today():
    return timezone.localdate()


def detail(filing):
    return reverse("rectification:filing-detail", args=[filing.pk])


def edit(filing):
    return reverse("rectification:filing-edit", args=[filing.pk])


def act(filing, action):
    return reverse("rectification:filing-action", kwargs={"pk": filing.pk, "action": action})


def version(filing, number):
    return reverse("rectification:filing-version", kwargs={"pk": filing.pk, "number": number})


SECTIONS = {
    "overview": "<p>全县<strong>自查</strong>情况<script>alert(1)</script></p>",
    "causes": "<p>资金紧张</p>",
    "measures": "<ol><li>限期清偿</li></ol>",
    "next_steps": "<p>建立长效机制</p>",
}


def _draft(client, w, sections=SECTIONS):
    filing = make_filing(w.a1)
    login(client, w.clerk_a1)
    response = client.post(edit(filing), sections)
    assert response.status_code == 302
    filing.refresh_from_db()
    return filing


def _status(filing):
    filing.refresh_from_db()
    return filing.status


def test_clerk_drafts_the_sections_and_the_html_is_cleaned(client, county):
    w = county
    filing = _draft(client, county)
    assert filing.sections["overview"] == "<p>全县<strong>自查</strong>情况</p>"
    assert filing.sections["measures"] == "<ol><li>限期清偿</li></ol>"
    page = client.get(detail(filing)).text
    assert "<strong>自查</strong>" in page and "<script>alert(1)" not in page
    # The editor page carries one rich-text field per section, with its guidance.
    form_page = client.get(edit(filing))
    assert form_page.text.count("data-richtext") == 4
    assert list(form_page.context["form"].fields) == [
        "overview",
        "causes",
        "measures",
        "next_steps",
    ]
    # The office may read but not edit the draft.
    login(client, w.office_staff_a)
    assert client.get(detail(filing)).status_code == 200
    assert client.get(edit(filing)).status_code == 403
    assert client.post(edit(filing), {"overview": "<p>改</p>"}).status_code == 403
    assert _status(filing) == "draft" and "改" not in filing.sections["overview"]


def test_sign_off_needs_every_section(client, county):
    w = county
    filing = _draft(client, w, {**SECTIONS, "causes": "<p> </p>"})
    response = client.post(act(filing, "request-signoff"))
    assert response.status_code == 302
    assert _status(filing) == "draft"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert len(messages) == 2 and gettext("Causes") in messages[-1]


def test_the_whole_workflow_with_versions(client, county):
    w = county
    filing = _draft(client, w)
    assert client.post(act(filing, "request-signoff")).status_code == 302
    assert _status(filing) == "awaiting_signoff"
    assert Notification.objects.filter(user=w.leader_a1, url=detail(filing)).count() == 1
    # With the leader it cannot be edited.
    assert client.post(edit(filing), {"overview": "<p>x</p>"}).status_code == 200
    filing.refresh_from_db()
    assert filing.sections["overview"] == "<p>全县<strong>自查</strong>情况</p>"

    # The clerk cannot sign off; the office neither; another agency's leader gets 404.
    assert client.post(act(filing, "sign-off")).status_code == 403
    login(client, w.office_staff_a)
    assert client.post(act(filing, "sign-off")).status_code == 403
    login(client, leader_of(w.a2))
    assert client.post(act(filing, "sign-off")).status_code == 404
    assert _status(filing) == "awaiting_signoff"

    # The office cannot accept what it has not received.
    login(client, w.office_staff_a)
    client.post(act(filing, "accept"))
    assert _status(filing) == "awaiting_signoff"

    login(client, w.leader_a1)
    response = client.post(act(filing, "sign-off"), {"comment": "同意上报"})
    assert response.status_code == 302
    assert _status(filing) == "submitted"
    assert filing.signoff_comment == "同意上报" and filing.is_late is False
    first = FilingVersion.objects.get(filing=filing)
    assert first.number == 1 and first.signed_off_by == w.leader_a1
    assert first.sections["causes"] == "<p>资金紧张</p>"
    assert set(
        Notification.objects.filter(title__contains=w.a1.name).values_list(
            "user__username", flat=True
        )
    ) == {"oa-a", "os-a"}

    # A return needs comments: nothing happens without.
    login(client, w.office_staff_a)
    response = client.post(act(filing, "return"), {"comment": "  "})
    assert response.status_code == 200
    assert response.context["review_form"].errors
    assert _status(filing) == "submitted"
    client.post(act(filing, "return"), {"comment": "原因分析不够深入"})
    assert _status(filing) == "returned" and filing.review_comment == "原因分析不够深入"
    first.refresh_from_db()
    assert first.outcome == "returned" and first.reviewed_by == w.office_staff_a
    client.post(act(filing, "accept"))
    assert _status(filing) == "returned"  # only a submitted filing is reviewed

    # The clerk revises and resubmits: version 2, and version 1 keeps its text.
    login(client, w.clerk_a1)
    page = client.get(detail(filing)).text
    assert "原因分析不够深入" in page
    client.post(edit(filing), {**SECTIONS, "causes": "<p>历史欠账多，预算约束弱</p>"})
    client.post(act(filing, "request-signoff"))
    login(client, w.leader_a1)
    client.post(act(filing, "sign-off"))
    assert _status(filing) == "submitted"
    assert list(filing.versions.values_list("number", flat=True)) == [1, 2]

    login(client, w.office_staff_a)
    old = client.get(version(filing, 1))
    assert old.status_code == 200 and "资金紧张" in old.text and "历史欠账多" not in old.text
    new = client.get(version(filing, 2))
    assert "历史欠账多" in new.text and "资金紧张" not in new.text
    assert client.get(version(filing, 3)).status_code == 404
    latest = client.get(reverse("rectification:filing-version", kwargs={"pk": filing.pk}))
    assert latest.context["version"].number == 2

    client.post(act(filing, "accept"), {"comment": ""})
    assert _status(filing) == "accepted" and filing.accepted_at is not None
    assert FilingVersion.objects.get(filing=filing, number=2).outcome == "accepted"
    # Accepted: nobody edits it any more.
    login(client, w.clerk_a1)
    response = client.get(edit(filing))
    assert response.status_code == 302
    assert response.context is None or "form" not in (response.context or {})


def test_leader_sends_back_to_the_clerk_with_a_comment(client, county):
    w = county
    filing = _draft(client, w)
    client.post(act(filing, "request-signoff"))
    login(client, w.leader_a1)
    response = client.post(act(filing, "send-back"), {"comment": ""})
    assert response.status_code == 200 and response.context["sign_form"].errors
    assert _status(filing) == "awaiting_signoff"
    client.post(act(filing, "send-back"), {"comment": "补充欠款数据"})
    assert _status(filing) == "draft" and filing.signoff_comment == "补充欠款数据"
    assert FilingVersion.objects.count() == 0
    assert Notification.objects.filter(user=w.clerk_a1, body="补充欠款数据").exists()


def _campaign_with_report_due(w, deadline):
    return make_campaign(
        w.county_a,
        [w.a1],
        report_deadline=deadline,
        plan_deadline=deadline + datetime.timedelta(days=10),
        completion_deadline=deadline + datetime.timedelta(days=30),
    )


@pytest.mark.parametrize(
    ("deadline_offset", "late", "state"),
    [(0, False, "on_time"), (-1, True, "late"), (1, False, "on_time")],
)
def test_late_flag_at_the_deadline_boundary(client, county, deadline_offset, late, state):
    """Submitted on the deadline day: on time; the day after: late."""
    w = county
    campaign = _campaign_with_report_due(w, today() + datetime.timedelta(days=deadline_offset))
    filing = make_filing(w.a1, "submitted", campaign=campaign)
    assert filing.is_late is late
    assert filing.versions.get().is_late is late
    login(client, w.office_staff_a)
    page = client.get(detail(filing))
    assert ('data-testid="late"' in page.text) is late
    grid = client.get(reverse("rectification:campaign-detail", args=[campaign.pk])).context["grid"]
    assert grid[0]["deliverables"][0]["state"] == state


def test_late_on_first_submission_stays_late(client, county):
    """The flag is about the first submission: a resubmission does not clear it."""
    w = county
    campaign = _campaign_with_report_due(w, today() - datetime.timedelta(days=1))
    filing = make_filing(w.a1, "submitted", campaign=campaign)
    login(client, w.office_staff_a)
    client.post(act(filing, "return"), {"comment": "重写"})
    login(client, w.clerk_a1)
    client.post(act(filing, "request-signoff"))
    login(client, w.leader_a1)
    client.post(act(filing, "sign-off"))
    filing.refresh_from_db()
    assert filing.status == "submitted" and filing.is_late is True


def test_attachments(client, county):
    w = county
    filing = make_filing(w.a1)
    attach = reverse("rectification:filing-attach", args=[filing.pk])
    login(client, w.clerk_a1)
    response = client.post(attach, {"files": [pdf("自查报告附件.pdf")]})
    assert response.status_code == 302
    evidence = Evidence.objects.get(filing=filing)
    assert evidence.original_name == "自查报告附件.pdf"
    # An executable renamed .pdf is refused and nothing is stored.
    response = client.post(attach, {"files": [SimpleUploadedFile("setup.pdf", EXE)]})
    assert response.status_code == 200 and response.context["attach_form"].errors
    assert Evidence.objects.filter(filing=filing).count() == 1

    download = reverse("rectification:evidence-download", args=[evidence.pk])
    login(client, w.office_staff_a)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    login(client, w.clerk_a2)
    assert client.get(download).status_code == 404

    # Once with the leader, attachments stay as sent.
    from tests.isolation_specs.rectification_filings import fill_sections

    fill_sections(filing)
    login(client, w.clerk_a1)
    client.post(act(filing, "request-signoff"))
    assert _status(filing) == "awaiting_signoff"
    client.post(attach, {"files": [pdf("迟到.pdf")]})
    assert Evidence.objects.filter(filing=filing).count() == 1
    client.post(reverse("rectification:evidence-delete", args=[evidence.pk]))
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    login(client, w.office_staff_a)  # the office never deletes an agency's evidence
    assert (
        client.post(reverse("rectification:evidence-delete", args=[evidence.pk])).status_code == 403
    )


def test_clerk_deletes_an_attachment_of_a_draft(client, county):
    w = county
    filing = make_filing(w.a1)
    login(client, w.clerk_a1)
    client.post(reverse("rectification:filing-attach", args=[filing.pk]), {"files": [pdf()]})
    evidence = Evidence.objects.get(filing=filing)
    response = client.post(reverse("rectification:evidence-delete", args=[evidence.pk]))
    assert response["Location"] == detail(filing)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_figures_are_live_for_a_draft_and_frozen_once_submitted(client, county):
    from tests.factories import make_issue

    w = county
    filing = make_filing(w.a1)
    make_issue(filing.campaign, w.a1)
    login(client, w.office_staff_a)
    assert client.get(detail(filing)).context["figures"]["total"] == 1
    from rectification import services
    from tests.isolation_specs.rectification_filings import fill_sections

    fill_sections(filing)
    services.filing_request_signoff(filing=filing, actor=None)
    services.filing_sign_off(filing=filing, actor=w.leader_a1)
    make_issue(filing.campaign, w.a1)
    response = client.get(detail(filing))
    assert response.context["frozen"] is True
    assert response.context["figures"]["total"] == 1  # as it was signed off


def test_print_page(client, county):
    w = county
    filing = make_filing(w.a1, "submitted")
    login(client, w.office_staff_a)
    response = client.get(reverse("rectification:filing-print", args=[filing.pk]), {"version": 1})
    assert response.status_code == 200
    page = response.text
    assert "css/print.css" in page
    assert 'data-testid="signature-block"' in page
    assert "已按要求完成。" in page and filing.campaign.document_number in page
    assert response.context["version"].number == 1
    missing = client.get(reverse("rectification:filing-print", args=[filing.pk]), {"version": 9})
    assert missing.status_code == 404
    # The draft of another filing prints as it stands.
    draft = make_filing(w.a2)
    response = client.get(reverse("rectification:filing-print", args=[draft.pk]))
    assert response.status_code == 200 and response.context["version"] is None


def test_plan_detail_lists_the_milestones(client, county):
    from tests.isolation_specs.rectification_filings import make_milestone

    w = county
    plan = make_filing(w.a1, kind="rectification_plan")
    make_milestone(w.a1, campaign=plan.campaign, title="制定清欠计划")
    make_milestone(
        w.a1,
        campaign=plan.campaign,
        title="完成首批清偿",
        due_on=today() - datetime.timedelta(days=4),
    )
    login(client, w.clerk_a1)
    response = client.get(detail(plan))
    titles = [m.title for m in response.context["milestones"]]
    assert titles == ["完成首批清偿", "制定清欠计划"]
    overdue = response.context["milestones"][0]
    assert overdue.is_overdue and overdue.days_overdue == 4
    assert 'data-overdue="1"' in response.text
    assert response.context["can_plan"] is True
    assert Filing.objects.get(pk=plan.pk).status == "draft"
