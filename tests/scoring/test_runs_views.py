"""Run pages: start a run (the Celery job queued on commit), watch it, the ranking tables with
totals checked by hand, ties, grades and the change against the previous period, an agency's
breakdown with the records behind it, rerun after manual entries, failures, exports and the
printable notice.

With the default scheme and no inputs at all, an agency gets 90 points: every rate with nothing
due gives full points (campaign 30, promises 25 + the manual "no breach" item's full 5, lawful
administration 15, supervision 15) and the third-party item gives 0 without a score. A serious
failure-of-trust record deducts 5."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from accounts.choices import RankingGroup
from accounts.models import SecurityEvent
from scoring import engine, services
from scoring.models import AgencyScore, ScoreRun
from tests.conftest import login
from tests.factories import AgencyFactory, TrustRecordFactory
from tests.isolation_specs.scoring_office import make_publication, make_run, make_scheme


@pytest.fixture
def county(world):
    """County A: departments a1, a3 (nothing against them), a4 (one serious record in 2025),
    and the township a2."""
    world.a3 = AgencyFactory(tenant=world.county_a, name="县交通局")
    world.a4 = AgencyFactory(tenant=world.county_a, name="县住建局")
    TrustRecordFactory(agency=world.a4, decision_date=datetime.date(2025, 6, 1))
    TrustRecordFactory(agency=world.a4, decision_date=datetime.date(2024, 6, 1))  # not in 2025
    world.scheme = make_scheme(world.county_a, year=2025)
    return world


def start(client, django_capture_on_commit_callbacks, scheme):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring:run-start", args=[scheme.pk]))
    run = ScoreRun.objects.filter(scheme=scheme).latest("id")
    assert response["Location"] == reverse("scoring:run-detail", args=[run.pk])
    return run


def rows_by_agency(response):
    ranking = response.context["ranking"]
    return {row["agency"].pk: row for group in ranking["groups"] for row in group["rows"]}


def test_staff_start_a_run_and_read_the_ranking(client, county, django_capture_on_commit_callbacks):
    w = county
    login(client, w.office_staff_a)
    run = start(client, django_capture_on_commit_callbacks, w.scheme)
    run.refresh_from_db()
    assert (run.status, run.agencies, run.started_by) == ("succeeded", 4, w.office_staff_a)

    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    assert page.status_code == 200
    rows = rows_by_agency(page)
    assert {pk: (row["total"], row["rank"], row["grade"]) for pk, row in rows.items()} == {
        w.a1.pk: (Decimal("90.00"), 1, "优秀"),
        w.a3.pk: (Decimal("90.00"), 1, "优秀"),  # a tie shares the rank …
        w.a4.pk: (Decimal("85.00"), 3, "良好"),  # … and the next rank is skipped
        w.a2.pk: (Decimal("90.00"), 1, "优秀"),  # townships are ranked apart
    }
    groups = [g["group"] for g in page.context["ranking"]["groups"]]
    assert groups == ["township", "department"]
    categories = [c.code for c in page.context["ranking"]["categories"]]
    a4 = dict(zip(categories, rows[w.a4.pk]["subtotals"], strict=True))
    assert a4["deductions"] == Decimal("-5.00")
    assert a4["third_party"] == Decimal("0.00")
    assert a4["campaign"] == Decimal("30.00")
    html = page.content.decode()
    assert 'data-testid="ranking-department"' in html
    a4_score = AgencyScore.objects.get(run=run, agency=w.a4)
    assert reverse("scoring:run-agency", args=[a4_score.pk]) in html
    assert gettext("No earlier period to compare with.") in html
    # Office staff may rerun but not publish.
    assert 'data-testid="rerun"' in html and 'data-testid="publish"' not in html


def test_a_queued_run_shows_a_progress_bar_and_the_page_reloads_when_done(client, county):
    w = county
    login(client, w.office_staff_a)
    client.post(reverse("scoring:run-start", args=[w.scheme.pk]))  # on_commit never runs here
    run = ScoreRun.objects.get(scheme=w.scheme)
    assert run.status == "queued"
    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    html = page.content.decode()
    status_url = reverse("scoring:run-status", args=[run.pk])
    assert f'hx-get="{status_url}"' in html and "progress-bar-animated" in html
    assert page.context.get("ranking") is None

    poll = client.get(status_url, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "HX-Refresh" not in poll
    assert 'data-testid="elapsed"' in poll.content.decode()

    services.run_execute(run.pk)
    poll = client.get(status_url, headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    assert "hx-get" not in poll.content.decode()


def test_a_failed_run_shows_its_error(client, county, monkeypatch):
    w = county
    login(client, w.office_staff_a)
    client.post(reverse("scoring:run-start", args=[w.scheme.pk]))
    run = ScoreRun.objects.get(scheme=w.scheme)

    def broken(run):
        raise RuntimeError("figures unavailable")

    monkeypatch.setattr(engine, "compute", broken)
    with pytest.raises(RuntimeError):
        services.run_execute(run.pk)
    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    assert "RuntimeError: figures unavailable" in page.content.decode()
    assert page.context.get("ranking") is None
    assert not AgencyScore.objects.filter(run=run).exists()
    assert client.get(reverse("scoring:run-export", args=[run.pk])).status_code == 404


def test_breakdown_shows_figures_and_links_to_the_records(client, county):
    w = county
    run = make_run(w.county_a, scheme=w.scheme)
    score = AgencyScore.objects.get(run=run, agency=w.a4)
    login(client, w.office_staff_a)
    page = client.get(reverse("scoring:run-agency", args=[score.pk]))
    assert page.status_code == 200
    categories = {c["indicator"].code: c for c in page.context["categories"]}
    assert categories["deductions"]["points"] == Decimal("-5.00")
    records = categories["deductions"]["items"][0]
    assert records["points"] == Decimal("5.00")
    figures = {f["code"]: f for f in records["figures"]}
    assert figures["records_serious"]["value"] == 1 and figures["records_general"]["value"] == 0
    assert "serious records" in figures["records_serious"]["definition"]
    link = records["links"][0]["url"]
    assert link.startswith(reverse("domains:record-list"))
    assert f"agency={w.a4.pk}" in link and "decided_from=2025-01-01" in link
    listing = client.get(link)
    assert listing.status_code == 200
    assert listing.context["page_obj"].paginator.count == 1  # only the 2025 record

    manual = categories["promises"]["items"][2]
    assert manual["manual"] == {"entered": False, "reason": ""}
    assert manual["points"] == Decimal("5.00")
    third = categories["third_party"]["items"][0]
    assert third["points"] == Decimal("0.00") and third["figures"][0]["value"] is None
    html = page.content.decode()
    assert 'data-testid="records-link"' in html and "85.00" in html

    # Every link of every item opens a list the office can read.
    for category in page.context["categories"]:
        for item in category["items"]:
            for link in item["links"]:
                assert client.get(link["url"]).status_code == 200, link


def test_manual_entries_are_reflected_by_a_rerun(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    login(client, w.office_staff_a)
    run = start(client, django_capture_on_commit_callbacks, w.scheme)
    bonus = w.scheme.indicators.get(code="typical_cases")
    client.post(
        reverse("scoring:manual-entries", args=[bonus.pk]),
        {f"points_{w.a4.pk}": "3", f"reason_{w.a4.pk}": "县级诚信典型"},
    )
    assert AgencyScore.objects.get(run=run, agency=w.a4).total == Decimal("85.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring:run-rerun", args=[run.pk]))
    assert response["Location"] == reverse("scoring:run-detail", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.computed_count) == ("succeeded", 2)
    rows = rows_by_agency(client.get(reverse("scoring:run-detail", args=[run.pk])))
    assert (rows[w.a4.pk]["total"], rows[w.a4.pk]["rank"]) == (Decimal("88.00"), 3)
    assert AgencyScore.objects.filter(run=run).count() == 4  # replaced, not duplicated


def test_change_against_the_previous_period(client, county, django_capture_on_commit_callbacks):
    w = county
    login(client, w.office_staff_a)
    earlier = make_scheme(w.county_a, year=2024)
    earlier_run = make_run(w.county_a, scheme=earlier)
    # a4's 2024 record puts it third in 2024; nothing in 2025 has changed for a1.
    run = start(client, django_capture_on_commit_callbacks, w.scheme)
    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    assert "未发布" in str(page.context["ranking"]["compared_with"])  # "not published"
    rows = rows_by_agency(page)
    assert rows[w.a4.pk]["previous_total"] == Decimal("85.00")
    assert rows[w.a4.pk]["delta"] == Decimal("0.00")

    # Once 2024 is published, that publication is the reference.
    make_publication(w.county_a, run=earlier_run)
    bonus = w.scheme.indicators.get(code="typical_cases")
    services.manual_entry_save(
        indicator=bonus, agency=w.a1, points=4, reason="诚信典型", actor=w.office_staff_a
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("scoring:run-rerun", args=[run.pk]))
    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    assert page.context["ranking"]["compared_with"] == "2024年"
    rows = rows_by_agency(page)
    a1 = rows[w.a1.pk]
    assert (a1["previous_total"], a1["total"], a1["delta"]) == (
        Decimal("90.00"),
        Decimal("94.00"),
        Decimal("4.00"),
    )
    a3 = rows[w.a3.pk]
    assert (a3["previous_rank"], a3["rank"], a3["rank_delta"]) == (1, 2, -1)
    html = page.content.decode()
    assert "▲ 4.00" in html and "▼ 1" in html


def test_export_and_print(client, county, django_capture_on_commit_callbacks):
    w = county
    login(client, w.office_staff_a)
    run = start(client, django_capture_on_commit_callbacks, w.scheme)
    response = client.get(reverse("scoring:run-export", args=[run.pk]))
    assert response.status_code == 200
    assert "ranking-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    with translation.override("zh-hans"):
        labels = [str(RankingGroup.TOWNSHIP.label), str(RankingGroup.DEPARTMENT.label)]
    assert book.sheetnames == labels
    sheet = book.worksheets[1]
    header = [cell.value for cell in sheet[1]]
    assert len(header) == 4 + 7 + 4  # rank, agency, total, grade, categories, changes
    assert "专项治理 (30.00)" in header and "扣分项 (−20.00)" in header
    body = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[2], r[3]) for r in body] == [
        (1, "县交通局", 90, "优秀"),
        (1, "县财政局", 90, "优秀"),
        (3, "县住建局", 85, "良好"),
    ]
    assert body[2][header.index("扣分项 (−20.00)")] == -5
    assert SecurityEvent.objects.filter(kind="export", user=w.office_staff_a).count() == 1

    page = client.get(reverse("scoring:run-print", args=[run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "print.css" in html and 'data-testid="print-document"' in html
    assert "县住建局" in html and "85.00" in html


def test_city_viewer_reads_runs_only(client, county, django_capture_on_commit_callbacks):
    w = county
    run = make_run(w.county_a, scheme=w.scheme)
    login(client, w.city_viewer)
    listing = client.get(reverse("scoring:run-list"))
    assert listing.status_code == 200 and w.scheme.name in listing.content.decode()
    page = client.get(reverse("scoring:run-detail", args=[run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="rerun"' not in html and 'data-testid="publish"' not in html
    assert client.post(reverse("scoring:run-rerun", args=[run.pk])).status_code == 403
    assert client.post(reverse("scoring:run-publish", args=[run.pk])).status_code == 403
    assert client.get(reverse("scoring:run-export", args=[run.pk])).status_code == 200
    score = AgencyScore.objects.get(run=run, agency=w.a1)
    assert client.get(reverse("scoring:run-agency", args=[score.pk])).status_code == 200

    login(client, w.clerk_a1)
    assert client.get(reverse("scoring:run-detail", args=[run.pk])).status_code == 403
    assert client.get(reverse("scoring:run-agency", args=[score.pk])).status_code == 403


def test_a_scheme_with_problems_does_not_start(client, county):
    w = county
    item = w.scheme.indicators.get(code="court")
    services.indicator_save(
        scheme=w.scheme, data={"max_points": Decimal(9)}, actor=None, indicator=item
    )
    login(client, w.office_staff_a)
    response = client.post(reverse("scoring:run-start", args=[w.scheme.pk]))
    assert response["Location"] == reverse("scoring:scheme-detail", args=[w.scheme.pk])
    assert not ScoreRun.objects.exists()
    assert client.get(reverse("scoring:run-start", args=[w.scheme.pk])).status_code == 405


def test_ranking_pages_read_a_fixed_number_of_queries(client, county):
    """The run page, its export and an agency's breakdown do not query per agency."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = county
    login(client, w.office_staff_a)
    make_run(w.county_a, scheme=w.scheme)  # each run below compares with an earlier one

    def counts():
        run = make_run(w.county_a, scheme=make_scheme(w.county_a))
        score = AgencyScore.objects.filter(run=run).first()
        result = []
        for url in (
            reverse("scoring:run-detail", args=[run.pk]),
            reverse("scoring:run-export", args=[run.pk]),
            reverse("scoring:run-agency", args=[score.pk]),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    few = counts()
    for n in range(10):
        AgencyFactory(tenant=w.county_a, name=f"县直单位{n}")
    assert counts() == few
