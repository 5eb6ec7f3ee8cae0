"""The scoring API (/api/v1/): read-only, the same scoping and permissions as the pages. Office
roles read schemes, runs and scores of their jurisdictions; agency roles read only the county's
published rankings; one error body; list queries do not grow with rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.choices import RankingGroup
from scoring import services
from tests.factories import AgencyFactory
from tests.isolation_specs.scoring_public import make_publication, make_run

SCHEMES = "/api/v1/schemes/"
RUNS = "/api/v1/score-runs/"
SCORES = "/api/v1/agency-scores/"
INDICATOR_SCORES = "/api/v1/indicator-scores/"
PUBLICATIONS = "/api/v1/publications/"
OFFICE_ENDPOINTS = (SCHEMES, RUNS, SCORES, INDICATOR_SCORES)


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
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


@pytest.fixture
def scored(world):
    """County A: a published 2024 run and an unpublished 2025 run; county B and county C (the
    other city) one published run each."""
    w = world
    w.pub_a = make_publication(w.county_a, year=2024, manual={w.a1: 5})
    w.run_a = w.pub_a.run
    w.draft_run_a = make_run(w.county_a, year=2025)
    w.pub_b = make_publication(w.county_b, year=2024)
    w.pub_c = make_publication(w.county_c, year=2024)
    return w


# Scoping and permissions ---------------------------------------------------------------------


def test_office_reads_its_county_and_the_city_viewer_its_counties(api, scored):
    w = scored
    as_user(api, w.office_staff_a)
    assert ids(api.get(RUNS)) == {w.run_a.pk, w.draft_run_a.pk}
    assert ids(api.get(SCHEMES)) == {w.run_a.scheme_id, w.draft_run_a.scheme_id}
    assert ids(api.get(PUBLICATIONS)) == {w.pub_a.pk}
    assert {row["tenant"] for row in api.get(SCORES).json()["results"]} == {w.county_a.pk}
    as_user(api, w.city_viewer)
    assert ids(api.get(PUBLICATIONS)) == {w.pub_a.pk, w.pub_b.pk}
    assert w.pub_c.run_id not in ids(api.get(RUNS))
    assert_error(api.get(f"{RUNS}{w.pub_c.run_id}/"), 404, "not_found")


def test_other_countys_rows_are_404(api, scored):
    w = scored
    as_user(api, w.office_admin_a)
    run_b = w.pub_b.run
    for url in (
        f"{SCHEMES}{run_b.scheme_id}/",
        f"{RUNS}{run_b.pk}/",
        f"{SCORES}{run_b.scores.first().pk}/",
        f"{INDICATOR_SCORES}{run_b.indicator_scores.first().pk}/",
        f"{PUBLICATIONS}{w.pub_b.pk}/",
    ):
        assert_error(api.get(url), 404, "not_found")


def test_agencies_read_published_rankings_only(api, scored, django_capture_on_commit_callbacks):
    w = scored
    for user in (w.clerk_a1, w.leader_a1):
        as_user(api, user)
        for endpoint in OFFICE_ENDPOINTS:
            assert_error(api.get(endpoint), 403, "permission_denied")
        assert_error(api.get(f"{RUNS}{w.run_a.pk}/"), 403, "permission_denied")
        assert ids(api.get(PUBLICATIONS)) == {w.pub_a.pk}
        body = api.get(f"{PUBLICATIONS}{w.pub_a.pk}/").json()
        assert body["snapshot"]["groups"] and body["status"] == "published"
        assert_error(api.get(f"{PUBLICATIONS}{w.pub_b.pk}/"), 404, "not_found")

    # A withdrawn publication leaves the agencies' list, as it leaves the public page; the
    # office still reads it.
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_withdraw(publication=w.pub_a, reason="数据有误", actor=None)
    as_user(api, w.clerk_a1)
    assert ids(api.get(PUBLICATIONS)) == set()
    assert_error(api.get(f"{PUBLICATIONS}{w.pub_a.pk}/"), 404, "not_found")
    as_user(api, w.office_staff_a)
    assert api.get(f"{PUBLICATIONS}{w.pub_a.pk}/").json()["withdrawal_reason"] == "数据有误"


def test_evaluator_and_anonymous_are_refused(api, scored):
    w = scored
    for endpoint in (*OFFICE_ENDPOINTS, PUBLICATIONS):
        assert_error(api.get(endpoint), 401, "not_authenticated")
    as_user(api, w.evaluator_a)
    for endpoint in (*OFFICE_ENDPOINTS, PUBLICATIONS):
        assert_error(api.get(endpoint), 403, "permission_denied")


def test_the_api_is_read_only(api, scored):
    w = scored
    as_user(api, w.office_admin_a)
    assert_error(api.post(SCHEMES, {"name": "x"}, format="json"), 403)
    assert_error(api.patch(f"{PUBLICATIONS}{w.pub_a.pk}/", {"notice": "x"}, format="json"), 403)
    assert_error(api.delete(f"{RUNS}{w.run_a.pk}/"), 403)
    w.pub_a.refresh_from_db()
    assert w.pub_a.notice == ""


# Content and filters ------------------------------------------------------------------------


def test_scheme_has_its_indicators_nested(api, scored):
    w = scored
    as_user(api, w.office_staff_a)
    scheme = w.run_a.scheme
    body = api.get(f"{SCHEMES}{scheme.pk}/").json()
    assert len(body["indicators"]) == scheme.indicators.count()
    categories = [i for i in body["indicators"] if i["parent"] is None]
    assert {c["category_kind"] for c in categories} == {"regular", "bonus", "deduction"}
    assert body["grades"][0]["label"] == "优秀" and body["start"] == "2024-01-01"


def test_runs_show_their_publication(api, scored):
    w = scored
    as_user(api, w.office_staff_a)
    rows = {row["id"]: row for row in api.get(RUNS).json()["results"]}
    assert rows[w.run_a.pk]["publication"] == w.pub_a.pk
    assert rows[w.draft_run_a.pk]["publication"] is None
    assert rows[w.run_a.pk]["status"] == "succeeded" and rows[w.run_a.pk]["agencies"] == 2


def test_score_filters(api, scored):
    w = scored
    as_user(api, w.office_staff_a)
    rows = api.get(SCORES, {"run": w.run_a.pk}).json()["results"]
    assert {(r["agency_name"], r["rank"]) for r in rows} == {("县财政局", 1), ("大阁镇", 1)}
    only = api.get(SCORES, {"run": w.run_a.pk, "ranking_group": RankingGroup.TOWNSHIP}).json()
    assert [r["agency"] for r in only["results"]] == [w.a2.pk]
    assert ids(api.get(SCORES, {"agency": w.a1.pk})) == {
        s.pk for s in w.run_a.scores.filter(agency=w.a1)
    } | {s.pk for s in w.draft_run_a.scores.filter(agency=w.a1)}

    rows = api.get(INDICATOR_SCORES, {"run": w.run_a.pk, "agency": w.a1.pk}).json()["results"]
    assert len(rows) == w.run_a.indicator_scores.filter(agency=w.a1).count()
    bonus = next(r for r in rows if r["indicator_code"] == "typical_cases")
    assert bonus["points"] == "5.00" and bonus["figures"]["entered"] is True
    deduction = next(r for r in rows if r["indicator_code"] == "deductions")
    assert deduction["is_category"] is True


# Query counts --------------------------------------------------------------------------------


def _count(api, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows(api, scored):
    w = scored
    as_user(api, w.office_staff_a)
    urls = (SCHEMES, RUNS, SCORES, f"{INDICATOR_SCORES}?run={w.run_a.pk}", PUBLICATIONS)
    few = {url: _count(api, url) for url in urls}
    for n in range(4):
        AgencyFactory(tenant=w.county_a, name=f"新增单位{n}")
    more = make_publication(w.county_a, year=2023)
    make_run(w.county_a, year=2022)
    urls_more = (SCHEMES, RUNS, SCORES, f"{INDICATOR_SCORES}?run={more.run_id}", PUBLICATIONS)
    many = {url: _count(api, url) for url in urls_more}
    assert list(few.values()) == list(many.values())
    as_user(api, w.clerk_a1)
    assert _count(api, PUBLICATIONS) <= few[PUBLICATIONS] + 1


def test_schema_lists_the_scoring_endpoints(api, world):
    as_user(api, world.office_staff_a)
    schema = api.get("/api/schema/").content.decode()
    for path in (SCHEMES, RUNS, SCORES, INDICATOR_SCORES, PUBLICATIONS):
        assert path in schema
