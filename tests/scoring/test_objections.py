"""Objections to published scores: an agency raises one on its own breakdown page (the whole
score or one item, with a reason), the county office is notified, lists them pending first and
upholds or rejects each with an answer the agency reads. Never on an unpublished or withdrawn
ranking, never for an agency the ranking does not list, one pending at a time; other counties
and read-only roles cannot see or decide them."""

import pytest
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Notification
from scoring.models import ScoreObjection
from tests.conftest import login
from tests.factories import AgencyFactory, UserFactory
from tests.isolation_specs.scoring_objections import make_objection
from tests.isolation_specs.scoring_office import make_publication, make_run, make_scheme

OBJECTIONS = reverse("scoring:objection-list")
REASON = "我单位自查报告已于截止日前报送，系统记为逾期。"


@pytest.fixture
def published(world):
    world.scheme = make_scheme(world.county_a, year=2025)
    world.run = make_run(world.county_a, scheme=world.scheme)
    world.publication = make_publication(world.county_a, run=world.run)
    world.detail = reverse("scoring:my-score-detail", args=[world.publication.pk])
    world.item = world.scheme.indicators.get(code="report_on_time")
    return world


def decide(client, objection, decision, answer):
    return client.post(
        reverse("scoring:objection-decide", args=[objection.pk]),
        {"decision": decision, "answer": answer},
    )


def notified(user):
    return list(Notification.objects.filter(user=user).values_list("title", "url"))


def test_agency_raises_an_objection_the_office_is_notified_and_sees_it(client, published):
    w = published
    login(client, w.clerk_a1)
    page = client.get(w.detail)
    assert 'data-testid="objection-form"' in page.content.decode()
    response = client.post(w.detail, {"indicator": w.item.pk, "reason": REASON})
    assert response.status_code == 302 and response["Location"] == w.detail
    objection = ScoreObjection.objects.get()
    assert (objection.publication, objection.agency, objection.indicator) == (
        w.publication,
        w.a1,
        w.item,
    )
    assert (objection.status, objection.reason, objection.created_by) == (
        "pending",
        REASON,
        w.clerk_a1,
    )
    assert objection.tenant == w.county_a

    # Every office user of the county is told; nobody in the agencies, nor another county.
    for user in (w.office_admin_a, w.office_staff_a):
        [(title, url)] = notified(user)
        assert w.a1.name in title and url == OBJECTIONS
    assert not notified(w.clerk_a1) and not notified(w.clerk_a2)
    assert not notified(w.office_admin_b)

    # The agency sees it, pending, and no form to raise another.
    html = client.get(w.detail).content.decode()
    assert 'data-testid="my-objections"' in html and REASON in html
    assert 'data-testid="objection-pending"' in html
    assert 'data-testid="objection-form"' not in html

    # A second one while the first is pending is refused, from the leader too.
    login(client, w.leader_a1)
    response = client.post(w.detail, {"indicator": "", "reason": "总分有误。"})
    assert response.status_code == 400
    assert response.context["objection_form"].non_field_errors()
    assert ScoreObjection.objects.count() == 1

    # Another agency of the county does not see it.
    login(client, w.clerk_a2)
    html = client.get(w.detail).content.decode()
    assert REASON not in html and 'data-testid="objection-form"' in html

    # The office's list shows it with a decision form.
    login(client, w.office_staff_a)
    page = client.get(OBJECTIONS)
    assert page.status_code == 200
    html = page.content.decode()
    assert REASON in html and w.a1.name in html and w.item.name in html
    assert reverse("scoring:objection-decide", args=[objection.pk]) in html
    assert "scoring:objection-list" in page.context["nav_names"]


def test_the_reason_is_required_and_the_item_must_be_of_the_scheme(client, published):
    w = published
    login(client, w.clerk_a1)
    response = client.post(w.detail, {"indicator": "", "reason": "   "})
    assert response.status_code == 400
    assert response.context["objection_form"].errors["reason"]
    other_scheme_item = make_scheme(w.county_a, year=2026).indicators.get(code="report_on_time")
    category = w.item.parent
    for indicator in (other_scheme_item, category):
        response = client.post(w.detail, {"indicator": indicator.pk, "reason": REASON})
        assert response.status_code == 400
        assert response.context["objection_form"].errors["indicator"]
    assert not ScoreObjection.objects.exists()
    assert not Notification.objects.exists()

    # The whole score is a valid target.
    assert client.post(w.detail, {"indicator": "", "reason": REASON}).status_code == 302
    assert ScoreObjection.objects.get().indicator is None


def test_no_objection_to_an_unpublished_or_withdrawn_ranking_or_another_agencys(client, published):
    w = published
    # An unpublished run has no page for agencies at all.
    unpublished = make_run(w.county_a, scheme=make_scheme(w.county_a, year=2026))
    assert not hasattr(unpublished, "publication")
    login(client, w.clerk_a1)
    assert client.get(reverse("scoring:my-scores")).context["rows"][0][0] == w.publication

    # Another county's publication: 404.
    other = make_publication(w.county_b)
    url = reverse("scoring:my-score-detail", args=[other.pk])
    assert client.post(url, {"indicator": "", "reason": REASON}).status_code == 404

    # An agency the ranking does not list (created after the run) cannot object: 404.
    newcomer = AgencyFactory(tenant=w.county_a, name="县新设局")
    clerk = UserFactory(role=Role.AGENCY_CLERK, tenant=w.county_a, agency=newcomer)
    login(client, clerk)
    assert client.get(w.detail).status_code == 404
    assert client.post(w.detail, {"indicator": "", "reason": REASON}).status_code == 404

    # Withdrawn: gone for agencies, objections included.
    login(client, w.office_admin_a)
    client.post(
        reverse("scoring:publication-withdraw", args=[w.publication.pk]), {"reason": "重新核定"}
    )
    login(client, w.clerk_a1)
    assert client.post(w.detail, {"indicator": "", "reason": REASON}).status_code == 404
    assert not ScoreObjection.objects.exists()

    # Office roles have no agency page to object from.
    login(client, w.office_staff_a)
    assert client.post(w.detail, {"indicator": "", "reason": REASON}).status_code == 403


def test_office_decides_with_an_answer_and_the_agency_reads_it(client, published):
    w = published
    objection = make_objection(w.county_a, w.a1)
    login(client, w.office_staff_a)

    # The answer is required.
    response = decide(client, objection, "uphold", "  ")
    assert response.status_code == 302 and response["Location"] == OBJECTIONS
    assert [m.level_tag for m in client.get(OBJECTIONS).context["messages"]] == ["error"]
    objection.refresh_from_db()
    assert objection.status == "pending"

    answer = "经核实，自查报告按时报送。将修正手工录入并重新计算、重新发布。"
    response = decide(client, objection, "uphold", answer)
    assert response.status_code == 302
    objection.refresh_from_db()
    assert (objection.status, objection.answer, objection.decided_by) == (
        "upheld",
        answer,
        w.office_staff_a,
    )
    assert objection.decided_at is not None

    # The agency's users are notified, nobody else.
    for user in (w.clerk_a1, w.leader_a1):
        [(title, body_url)] = notified(user)
        assert body_url == reverse("scoring:my-score-detail", args=[objection.publication_id])
    assert not notified(w.clerk_a2)
    assert Notification.objects.filter(user=w.clerk_a1).get().body == answer

    # Decided once only.
    decide(client, objection, "reject", "改判")
    objection.refresh_from_db()
    assert (objection.status, objection.answer) == ("upheld", answer)
    html = client.get(OBJECTIONS).content.decode()
    assert answer in html
    assert reverse("scoring:objection-decide", args=[objection.pk]) not in html

    # The agency reads the status and the answer, and may object again.
    login(client, w.clerk_a1)
    detail = reverse("scoring:my-score-detail", args=[objection.publication_id])
    page = client.get(detail)
    html = page.content.decode()
    assert [o.status for o in page.context["objections"]] == ["upheld"]
    assert f'data-testid="objection-status">{objection.get_status_display()}<' in html
    assert 'data-testid="objection-answer"' in html and answer in html
    assert 'data-testid="objection-form"' in html


def test_rejection_and_pending_first(client, published):
    w = published
    first = make_objection(w.county_a, w.a1)
    second = make_objection(w.county_a, w.a2)
    login(client, w.office_admin_a)
    decide(client, second, "reject", "扣分依据的失信记录已生效。")
    second.refresh_from_db()
    assert second.status == "rejected"
    [(title, _url)] = notified(w.clerk_a2)
    assert not notified(w.clerk_a1)

    page = client.get(OBJECTIONS)
    assert [row["objection"].pk for row in page.context["rows"]] == [first.pk, second.pk]
    pending = client.get(OBJECTIONS, {"status": "pending"})
    assert [row["objection"].pk for row in pending.context["rows"]] == [first.pk]


def test_other_county_and_read_only_roles_cannot_decide(client, published):
    w = published
    objection = make_objection(w.county_a, w.a1)

    login(client, w.office_admin_b)
    assert client.get(OBJECTIONS).context["rows"] == []
    assert decide(client, objection, "reject", "不予采纳").status_code == 404

    login(client, w.city_viewer)
    assert client.get(OBJECTIONS).status_code == 403
    assert decide(client, objection, "reject", "不予采纳").status_code == 403

    for agency_user in (w.clerk_a1, w.leader_a1):
        login(client, agency_user)
        assert client.get(OBJECTIONS).status_code == 403
        assert decide(client, objection, "uphold", "自己裁定").status_code == 403
        assert "scoring:objection-list" not in client.get(w.detail).context["nav_names"]

    objection.refresh_from_db()
    assert objection.status == "pending" and not objection.answer

    # The platform admin may decide any county's objection.
    login(client, w.platform_admin)
    assert decide(client, objection, "reject", "不予采纳").status_code == 302
    objection.refresh_from_db()
    assert objection.status == "rejected"
