"""Publishing: only the office admin publishes, one publication per period, withdrawal needs a
public reason, and agencies see their own breakdown only once a run is published (never an
unpublished run's scores, nor another agency's)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.models import Publication
from tests.conftest import login
from tests.factories import TrustRecordFactory
from tests.isolation_specs.scoring_office import make_publication, make_run, make_scheme

MY_SCORES = reverse("scoring:my-scores")


@pytest.fixture
def scored(world):
    TrustRecordFactory(agency=world.a2, decision_date=datetime.date(2025, 3, 1))
    world.scheme = make_scheme(world.county_a, year=2025)
    world.run = make_run(world.county_a, scheme=world.scheme)
    return world


def publish(client, run, notice=""):
    return client.post(reverse("scoring:run-publish", args=[run.pk]), {"notice": notice})


def test_office_staff_cannot_publish_the_admin_can(client, scored):
    w = scored
    login(client, w.office_staff_a)
    assert publish(client, w.run).status_code == 403
    assert not Publication.objects.exists()

    login(client, w.office_admin_a)
    page = client.get(reverse("scoring:run-detail", args=[w.run.pk]))
    assert 'data-testid="publish"' in page.content.decode()
    response = publish(client, w.run, "经县信用办审核，现将2025年度督导评分结果通报如下。")
    assert response["Location"] == reverse("scoring:run-detail", args=[w.run.pk])
    publication = Publication.objects.get()
    assert (publication.run, publication.published_by) == (w.run, w.office_admin_a)
    assert publication.period_label == "2025年"
    rows = {row["agency_id"]: row for g in publication.snapshot["groups"] for row in g["rows"]}
    assert rows[w.a2.pk]["total"] == "85.00" and rows[w.a1.pk]["total"] == "90.00"

    page = client.get(reverse("scoring:run-detail", args=[w.run.pk]))
    html = page.content.decode()
    assert 'data-testid="publication"' in html and "现将2025年度督导评分结果通报如下" in html
    assert 'data-testid="publish"' not in html and 'data-testid="rerun"' not in html
    assert 'data-testid="withdraw"' in html
    # A published run is frozen.
    client.post(reverse("scoring:run-rerun", args=[w.run.pk]))
    w.run.refresh_from_db()
    assert w.run.computed_count == 1
    printed = client.get(reverse("scoring:run-print", args=[w.run.pk])).content.decode()
    assert "现将2025年度督导评分结果通报如下" in printed


def test_a_second_publication_of_the_same_period_is_refused(client, scored):
    w = scored
    make_publication(w.county_a, run=w.run)
    second = make_run(w.county_a, scheme=w.scheme)
    login(client, w.office_admin_a)
    response = publish(client, second)
    assert response.status_code == 302
    assert Publication.objects.count() == 1
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]]  # the refusal is shown

    # Publishing the same run twice is refused as well.
    publish(client, w.run)
    assert Publication.objects.count() == 1


def test_withdrawal_needs_a_public_reason(client, scored):
    w = scored
    publication = make_publication(w.county_a, run=w.run)
    url = reverse("scoring:publication-withdraw", args=[publication.pk])
    login(client, w.office_staff_a)
    assert client.post(url, {"reason": "数据有误"}).status_code == 403

    login(client, w.office_admin_a)
    assert client.get(url).status_code == 405
    response = client.post(url, {"reason": "  "})
    assert response["Location"] == reverse("scoring:run-detail", args=[w.run.pk])
    publication.refresh_from_db()
    assert publication.status == "published"

    client.post(url, {"reason": "第三方评价数据录入有误，更正后重新发布。"})
    publication.refresh_from_db()
    assert publication.status == "withdrawn"
    assert publication.withdrawal_reason == "第三方评价数据录入有误，更正后重新发布。"
    html = client.get(reverse("scoring:run-detail", args=[w.run.pk])).content.decode()
    assert 'data-testid="publication"' in html and "第三方评价数据录入有误" in html
    assert 'data-testid="withdraw"' not in html

    # After withdrawal a corrected run of the period may be published.
    corrected = make_run(w.county_a, scheme=w.scheme)
    publish(client, corrected)
    assert Publication.objects.filter(status="published").get().run == corrected


def test_agencies_see_their_own_breakdown_only_once_published(client, scored):
    w = scored
    login(client, w.clerk_a2)
    page = client.get(MY_SCORES)
    assert page.status_code == 200
    assert page.context["rows"] == []
    assert "85.00" not in page.content.decode()

    publication = make_publication(w.county_a, run=w.run)
    # A later, unpublished run of the county stays invisible.
    later = make_run(w.county_a, scheme=make_scheme(w.county_a, year=2026))
    page = client.get(MY_SCORES)
    rows = page.context["rows"]
    assert [(p.pk, mine["total"], mine["rank"]) for p, mine in rows] == [
        (publication.pk, "85.00", 1)
    ]
    assert all(p.run_id != later.pk for p, _mine in rows)

    detail = reverse("scoring:my-score-detail", args=[publication.pk])
    page = client.get(detail)
    assert page.status_code == 200
    categories = {c["indicator"].code: c for c in page.context["categories"]}
    assert categories["deductions"]["points"] == Decimal("-5.00")
    html = page.content.decode()
    assert 'data-testid="objection-hint"' in html
    assert 'data-testid="total"' in html and "85.00" in html

    # Another agency of the county sees its own row, never a2's.
    login(client, w.clerk_a1)
    page = client.get(detail)
    assert page.context["mine"]["total"] == "90.00"
    assert page.context["mine"]["agency_id"] == w.a1.pk
    categories = {c["indicator"].code: c for c in page.context["categories"]}
    assert categories["deductions"]["points"] == Decimal("0.00")

    # Withdrawn: gone for agencies.
    login(client, w.office_admin_a)
    client.post(
        reverse("scoring:publication-withdraw", args=[publication.pk]), {"reason": "重新核定"}
    )
    login(client, w.clerk_a2)
    assert client.get(detail).status_code == 404
    assert client.get(MY_SCORES).context["rows"] == []

    # Office pages stay closed to agencies.
    assert client.get(reverse("scoring:run-list")).status_code == 403


def test_office_roles_have_no_my_scores(client, scored):
    login(client, scored.office_admin_a)
    assert client.get(MY_SCORES).status_code == 403
    login(client, scored.clerk_a1)
    nav = client.get(MY_SCORES).context["nav_names"]
    assert "scoring:my-scores" in nav and "scoring:run-list" not in nav
    login(client, scored.office_staff_a)
    nav = client.get(reverse("scoring:run-list")).context["nav_names"]
    assert {"scoring:scheme-list", "scoring:run-list"} <= nav and "scoring:my-scores" not in nav
