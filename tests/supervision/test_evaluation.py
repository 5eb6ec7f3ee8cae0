"""Third-party evaluation through the views: the office's assignments, the evaluator who sees
only its own, scores with reports, the office's accept / reject, and final accepted scores."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from supervision.models import (
    AssignedAgency,
    EvaluationAssignment,
    EvaluationReport,
    EvaluationScore,
)
from tests.conftest import login

from .item_helpers import PDF, D, assignment, evaluator_of, link_of, pdf, scored, workbook_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def u(name, *args):
    return reverse(f"supervision:{name}", args=args)


def assignment_form(world, **overrides):
    data = {
        "evaluator": world.evaluator_a.pk,
        "title": "2026年度政务诚信第三方评价",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "agencies": [world.a1.pk, world.a2.pk],
    }
    data.update(overrides)
    return data


def score_form(value="88.50", **overrides):
    data = {"score": value, "comments": "制度健全，台账完整。"}
    data.update(overrides)
    return data


# Assignments (the office) -------------------------------------------------------------------


def test_office_creates_and_edits_an_assignment(client, world):
    login(client, world.office_staff_a)
    assert client.get(u("assignment-create")).status_code == 200
    response = client.post(u("assignment-create"), assignment_form(world))
    made = EvaluationAssignment.objects.get()
    assert response.status_code == 302 and response["Location"] == u("assignment-detail", made.pk)
    assert made.tenant == world.county_a and made.evaluator == world.evaluator_a
    assert set(made.agencies.all()) == {world.a1, world.a2}

    response = client.post(
        u("assignment-update", made.pk),
        assignment_form(world, title="改名", agencies=[world.a1.pk]),
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.title == "改名" and list(made.agencies.all()) == [world.a1]

    page = client.get(u("assignment-detail", made.pk))
    assert page.status_code == 200
    assert [row["agency"] for row in page.context["rows"]] == [world.a1]
    assert u("assignment-update", made.pk) in page.content.decode()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"evaluator": "clerk"}, "evaluator"),  # not an evaluator
        ({"evaluator": "other_county"}, "evaluator"),
        ({"agencies": []}, "agencies"),
        ({"agencies": ["b1"]}, "agencies"),
        ({"period_end": "2025-12-31"}, "period_end"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_assignments_are_refused(client, world, overrides, field):
    refs = {
        "clerk": world.clerk_a1.pk,
        "other_county": evaluator_of(world.county_b).pk,
        "b1": world.b1.pk,
    }
    data = assignment_form(world)
    for key, value in overrides.items():
        data[key] = [refs[v] for v in value] if isinstance(value, list) else refs.get(value, value)
    login(client, world.office_admin_a)
    response = client.post(u("assignment-create"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not EvaluationAssignment.objects.exists()
    assert not AssignedAgency.objects.exists()


def test_a_scored_agency_stays_and_the_evaluator_stays(client, world):
    made = assignment([world.a1, world.a2], evaluator=world.evaluator_a)
    scored(made, world.a1)
    other = evaluator_of(world.county_a)
    login(client, world.office_admin_a)
    response = client.post(
        u("assignment-update", made.pk), assignment_form(world, agencies=[world.a2.pk])
    )
    assert response.status_code == 400 and "agencies" in response.context["form"].errors
    response = client.post(
        u("assignment-update", made.pk), assignment_form(world, evaluator=other.pk)
    )
    assert response.status_code == 400 and "evaluator" in response.context["form"].errors
    made.refresh_from_db()
    assert made.evaluator == world.evaluator_a
    assert set(made.agencies.all()) == {world.a1, world.a2}


def test_roles_without_the_action_get_403(client, world):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    score = scored(made, world.a1)
    for user in (world.clerk_a1, world.leader_a1):
        login(client, user)
        for name, args in (
            ("assignment-list", ()),
            ("assignment-detail", (made.pk,)),
            ("assignment-create", ()),
            ("assignment-export", ()),
        ):
            assert client.get(u(name, *args)).status_code == 403
    for user in (world.city_viewer, world.evaluator_a):
        login(client, user)
        assert client.get(u("assignment-create")).status_code == 403
        assert client.get(u("assignment-update", made.pk)).status_code == 403
        assert client.post(u("score-decide", score.pk), {"decision": "accept"}).status_code == 403
    login(client, world.office_admin_a)
    assert client.get(u("score-submit", link_of(made, world.a1).pk)).status_code == 403
    score.refresh_from_db()
    assert score.status == "submitted"


def test_city_viewer_reads_the_assignments_of_its_counties(client, world):
    mine = assignment([world.a1])
    other_city = assignment([world.c1])
    login(client, world.city_viewer)
    response = client.get(u("assignment-list"))
    assert [a.pk for a in response.context["object_list"]] == [mine.pk]
    page = client.get(u("assignment-detail", mine.pk))
    assert page.status_code == 200 and not page.context["can_assign"]
    assert client.get(u("assignment-detail", other_city.pk)).status_code == 404


# The evaluator ------------------------------------------------------------------------------


def test_an_evaluator_sees_only_its_own_assignments(client, world):
    mine = assignment([world.a1], evaluator=world.evaluator_a)
    other_evaluator = evaluator_of(world.county_a)
    theirs = assignment([world.a1, world.a2], evaluator=other_evaluator)
    scored(theirs, world.a1)
    login(client, world.evaluator_a)
    response = client.get(u("assignment-list"))
    assert [a.pk for a in response.context["object_list"]] == [mine.pk]
    assert "evaluator" not in response.context["filter"].form.fields
    assert client.get(u("assignment-detail", theirs.pk)).status_code == 404
    link = link_of(theirs, world.a2)
    assert client.get(u("score-submit", link.pk)).status_code == 404
    assert client.post(u("score-submit", link.pk), score_form()).status_code == 404
    assert not EvaluationScore.objects.filter(assignment=theirs, agency=world.a2).exists()
    rows = workbook_rows(client.get(u("assignment-export")))
    assert len(rows) == 2 and rows[1][0] == mine.title
    # The office sees both.
    login(client, world.office_staff_a)
    response = client.get(u("assignment-list"))
    assert {a.pk for a in response.context["object_list"]} == {mine.pk, theirs.pk}
    response = client.get(u("assignment-list"), {"evaluator": other_evaluator.pk})
    assert [a.pk for a in response.context["object_list"]] == [theirs.pk]


def test_the_evaluator_scores_with_a_report(client, world):
    made = assignment([world.a1, world.a2], evaluator=world.evaluator_a)
    link = link_of(made, world.a1)
    login(client, world.evaluator_a)
    page = client.get(u("assignment-detail", made.pk))
    assert u("score-submit", link.pk) in page.content.decode()
    assert client.get(u("score-submit", link.pk)).status_code == 200
    response = client.post(u("score-submit", link.pk), score_form(report=pdf()))
    assert response.status_code == 302
    score = EvaluationScore.objects.get()
    assert (score.agency, score.score, score.status) == (world.a1, Decimal("88.50"), "submitted")
    report = score.reports.get()
    assert report.original_name == "评价报告.pdf"
    download = client.get(u("score-report", report.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    listing = client.get(u("assignment-list"))
    assert listing.context["object_list"][0].n_to_do == 1


@pytest.mark.parametrize("value", ["100.01", "-0.01", "abc", "", "88.555"])
def test_out_of_range_scores_are_refused_and_nothing_is_written(client, world, value):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    login(client, world.evaluator_a)
    response = client.post(
        u("score-submit", link_of(made, world.a1).pk), score_form(value, report=pdf())
    )
    assert response.status_code == 400
    assert "score" in response.context["form"].errors
    assert not EvaluationScore.objects.exists()
    assert not EvaluationReport.objects.exists()


def test_the_limits_themselves_are_accepted(client, world):
    made = assignment([world.a1, world.a2], evaluator=world.evaluator_a)
    login(client, world.evaluator_a)
    client.post(u("score-submit", link_of(made, world.a1).pk), score_form("100"))
    client.post(u("score-submit", link_of(made, world.a2).pk), score_form("0"))
    assert sorted(EvaluationScore.objects.values_list("score", flat=True)) == [
        Decimal("0"),
        Decimal("100"),
    ]


def test_a_disguised_report_is_refused(client, world):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    login(client, world.evaluator_a)
    exe = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf")
    response = client.post(u("score-submit", link_of(made, world.a1).pk), score_form(report=exe))
    assert response.status_code == 400 and "report" in response.context["form"].errors
    assert not EvaluationScore.objects.exists()


# The office's decision ----------------------------------------------------------------------


def test_reject_then_resubmit_then_accept_and_the_accepted_score_is_final(client, world):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    score = scored(made, world.a1, "95.00")
    link = link_of(made, world.a1)

    login(client, world.office_admin_a)
    page = client.get(u("assignment-detail", made.pk))
    assert page.context["rows"][0]["can_decide"]
    # A rejection needs a reason.
    response = client.post(u("score-decide", score.pk), {"decision": "reject", "reason": " "})
    assert response.status_code == 302
    score.refresh_from_db()
    assert score.status == "submitted"
    client.post(u("score-decide", score.pk), {"decision": "reject", "reason": "缺少现场核查记录"})
    score.refresh_from_db()
    assert (score.status, score.rejection_reason, score.decided_by) == (
        "rejected",
        "缺少现场核查记录",
        world.office_admin_a,
    )
    # A rejected score cannot be accepted until resubmitted.
    client.post(u("score-decide", score.pk), {"decision": "accept"})
    score.refresh_from_db()
    assert score.status == "rejected"

    login(client, world.evaluator_a)
    page = client.get(u("score-submit", link.pk))
    assert "缺少现场核查记录" in page.content.decode()
    assert page.context["form"].initial["score"] == Decimal("95.00")
    response = client.post(u("score-submit", link.pk), score_form("90.00"))
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.status, score.score, score.rejection_reason) == (
        "submitted",
        Decimal("90.00"),
        "",
    )

    login(client, world.office_staff_a)
    client.post(u("score-decide", score.pk), {"decision": "accept"})
    score.refresh_from_db()
    assert score.status == "accepted"

    login(client, world.evaluator_a)
    page = client.get(u("score-submit", link.pk))
    assert page.context["final"]
    assert not client.get(u("assignment-detail", made.pk)).context["rows"][0]["can_submit"]
    response = client.post(u("score-submit", link.pk), score_form("10.00"))
    assert response.status_code == 400
    score.refresh_from_db()
    assert (score.status, score.score) == ("accepted", Decimal("90.00"))
    # Nor can the office decide it again.
    login(client, world.office_admin_a)
    client.post(u("score-decide", score.pk), {"decision": "reject", "reason": "改判"})
    score.refresh_from_db()
    assert score.status == "accepted"


def test_another_countys_office_cannot_decide(client, world):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    score = scored(made, world.a1)
    login(client, world.office_admin_b)
    assert client.post(u("score-decide", score.pk), {"decision": "accept"}).status_code == 404
    assert client.get(u("assignment-detail", made.pk)).status_code == 404
    score.refresh_from_db()
    assert score.status == "submitted"


def test_report_download_follows_who_may_see_the_score(client, world):
    made = assignment([world.a1], evaluator=world.evaluator_a)
    report = scored(made, world.a1, report=pdf()).reports.get()
    url = u("score-report", report.pk)
    for user in (world.office_admin_a, world.office_staff_a, world.city_viewer, world.evaluator_a):
        login(client, user)
        assert client.get(url).status_code == 200, user
    for user, status in (
        (evaluator_of(world.county_a), 404),
        (world.office_admin_b, 404),
        (world.office_admin_c, 404),
        (world.clerk_a1, 403),
    ):
        login(client, user)
        assert client.get(url).status_code == status, user


def test_export_lists_every_assigned_agency_with_its_score(client, world):
    made = assignment([world.a1, world.a2], evaluator=world.evaluator_a, title="年度评价")
    scored(made, world.a1, "77.25", status="rejected", reason="依据不足")
    login(client, world.office_staff_a)
    rows = workbook_rows(client.get(u("assignment-export")))
    assert len(rows) == 3
    by_agency = {row[4]: row for row in rows[1:]}
    assert by_agency[world.a1.name][5] == 77.25
    assert by_agency[world.a1.name][8] == "依据不足"
    assert by_agency[world.a2.name][5] is None
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.detail["rows"] == 2


def test_list_filters(client, world):
    done = assignment([world.a1], evaluator=world.evaluator_a, title="上半年")
    scored(done, world.a1, status="accepted")
    open_ = assignment(
        [world.a1],
        evaluator=world.evaluator_a,
        title="下半年",
        period_start=D(2026, 7, 1),
        period_end=D(2026, 12, 31),
    )
    login(client, world.office_staff_a)

    def shown(**params):
        response = client.get(u("assignment-list"), params)
        return [a.pk for a in response.context["object_list"]]

    assert shown(complete="true") == [done.pk]
    assert shown(complete="false") == [open_.pk]
    assert shown(ends_from="2026-07-01") == [open_.pk]
    assert shown(q="上半") == [done.pk]
