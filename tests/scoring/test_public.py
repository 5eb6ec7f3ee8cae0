"""The public credit page's rankings: only published snapshots of the county in the URL, the
tables as content with the charts' data embedded beside them, withdrawal notices, agency
profiles with masked records, and a cache that publishing and withdrawing invalidate at once."""

import html
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import AgencyKind, RankingGroup
from domains.choices import CommitmentStatus
from scoring import services
from scoring.choices import PublicationStatus
from scoring.services import PUBLIC_CACHE_VERSION
from tests.domains.public_helpers import OFFICER_ID, OFFICER_NAME, OFFICER_PHONE, zh
from tests.factories import AgencyFactory, CommitmentFactory, TrustRecordFactory, ensure_defaults
from tests.isolation_specs.scoring_public import make_publication, make_run


@pytest.fixture
def county(world):
    """County A with a second department (a3), so the department group has a ranking."""
    ensure_defaults(world.county_a)
    world.a3 = AgencyFactory(tenant=world.county_a, name="县交通局")
    for tenant in (world.county_a, world.county_b):
        cache.delete(PUBLIC_CACHE_VERSION.format(tenant=tenant.pk))
    return world


def rankings_url(tenant):
    return reverse("public-scoring:rankings", args=[tenant.division_code])


def detail_url(tenant, publication):
    return reverse("public-scoring:ranking-detail", args=[tenant.division_code, publication.pk])


def notices_url(tenant):
    return reverse("public-scoring:notices", args=[tenant.division_code])


def profile_url(tenant, agency):
    return reverse("public-scoring:agency-profile", args=[tenant.division_code, agency.pk])


def publish(w, captured, **kwargs):
    """Publish through the service with its on-commit cache bump run."""
    with captured(execute=True):
        return make_publication(w.county_a, **kwargs)


def withdraw(captured, publication, reason):
    with captured(execute=True):
        return services.publication_withdraw(publication=publication, reason=reason, actor=None)


def embedded(response, element_id):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.text, re.S
    )
    assert match, f"no json_script {element_id}"
    return json.loads(html.unescape(match.group(1)))


def table(response, testid, index=0):
    """The text of the rows of the index-th table with this data-testid, cell by cell."""
    tables = re.findall(rf'<table[^>]*data-testid="{testid}".*?</table>', response.text, re.S)
    assert len(tables) > index, f"no table {testid}"
    rows = re.findall(r"<tr>(.*?)</tr>", tables[index], re.S)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows)
    ]


# The rankings page ---------------------------------------------------------------------------


def test_latest_published_ranking_per_group_with_tables_and_chart_data(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publication = publish(
        w, django_capture_on_commit_callbacks, year=2025, manual={w.a1: 5, w.a3: 2}
    )
    response = client.get(rankings_url(w.county_a))
    assert response.status_code == 200
    assert publication.title in response.text

    # Townships apart from departments, in the choices' order, each with its table.
    assert response.text.count('data-testid="ranking-table"') == 2
    townships, departments = (
        table(response, "ranking-table", 0),
        table(response, "ranking-table", 1),
    )
    assert [row[:2] for row in departments[1:]] == [["1", "县财政局"], ["2", "县交通局"]]
    assert [row[:2] for row in townships[1:]] == [["1", "大阁镇"]]
    totals = {row[1]: row[2] for row in departments[1:]}
    assert totals == {
        "县财政局": publication.snapshot["groups"][0]["rows"][0]["total"],
        "县交通局": publication.snapshot["groups"][0]["rows"][1]["total"],
    }
    assert departments[1][4].startswith(zh("new"))  # no previous period yet
    assert profile_url(w.county_a, w.a1) in response.text

    # The charts draw the same numbers, embedded as JSON; their boxes stay hidden without JS.
    charts = embedded(response, "ranking-charts")
    assert [bar["names"] for bar in charts["bars"]] == [["大阁镇"], ["县财政局", "县交通局"]]
    assert charts["bars"][1]["values"] == [float(totals["县财政局"]), float(totals["县交通局"])]
    assert sum(sum(s["values"]) for s in charts["grades"]["series"]) == 3
    assert re.search(r'data-chart="bars"[^>]*hidden', response.text)
    assert (
        "vendor/echarts/echarts.min.js" in response.text and "js/public-charts.js" in response.text
    )
    assert finders.find("js/public-charts.js")

    # The grade distribution table counts every agency once.
    grades = table(response, "grade-table")
    assert sum(int(row[-1]) for row in grades[1:]) == 3
    assert grades[0][0] == zh("Grade")


def test_unpublished_runs_never_reach_the_public(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    run = make_run(w.county_a, year=2026, manual={w.a1: 5})
    assert run.scores.count() == 3
    response = client.get(rankings_url(w.county_a))
    assert response.status_code == 200
    assert 'data-testid="no-ranking"' in response.text
    assert w.a1.name not in response.text and run.scheme.name not in response.text
    assert client.get(profile_url(w.county_a, w.a1)).text.count('data-testid="no-scores"') == 1

    # A published earlier period is shown, the later unpublished run still is not.
    older = publish(w, django_capture_on_commit_callbacks, year=2025)
    response = client.get(rankings_url(w.county_a))
    assert older.title in response.text and run.scheme.name not in response.text


def test_changes_against_the_previous_period_ties_and_the_trend(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    first = publish(w, django_capture_on_commit_callbacks, year=2024, manual={w.a1: 5})
    second = publish(w, django_capture_on_commit_callbacks, year=2025, manual={w.a3: 5})
    response = client.get(rankings_url(w.county_a))
    assert second.title in response.text
    departments = {row[1]: row for row in table(response, "ranking-table", 1)[1:]}
    assert departments["县交通局"][0] == "1" and departments["县交通局"][4] == "↑1 (+5.00)"
    assert departments["县财政局"][0] == "2" and departments["县财政局"][4] == "↓1 (-5.00)"

    # Trend: one row per published period, oldest first, averages per group.
    trend = table(response, "trend-table")
    assert [row[0] for row in trend[1:]] == [first.period_label, second.period_label]
    chart = embedded(response, "trend-chart")
    assert chart["periods"] == [first.period_label, second.period_label]
    by_name = {a["name"]: a["values"] for a in chart["agencies"]}
    assert by_name["县财政局"][0] - by_name["县财政局"][1] == 5
    assert detail_url(w.county_a, first) in response.text  # listed under earlier rankings

    # A third period where both departments score alike: a tie shares the rank.
    publish(w, django_capture_on_commit_callbacks, year=2026)
    response = client.get(rankings_url(w.county_a))
    ranks = {row[1]: row[0] for row in table(response, "ranking-table", 1)[1:]}
    assert ranks == {"县财政局": "1", "县交通局": "1"}


def test_ranking_notice_text_is_shown_masked(client, county, django_capture_on_commit_callbacks):
    w = county
    publication = publish(
        w,
        django_capture_on_commit_callbacks,
        year=2025,
        notice=f"各单位：现将2025年度督导评分结果通报如下。联系电话 {OFFICER_PHONE}。",
    )
    for url in (
        rankings_url(w.county_a),
        detail_url(w.county_a, publication),
        notices_url(w.county_a),
    ):
        response = client.get(url)
        assert "现将2025年度督导评分结果通报如下" in response.text, url
        assert OFFICER_PHONE not in response.text and "139****5678" in response.text


# Withdrawal ----------------------------------------------------------------------------------


def test_withdrawn_publication_is_replaced_by_a_notice(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    older = publish(w, django_capture_on_commit_callbacks, year=2024)
    newer = publish(w, django_capture_on_commit_callbacks, year=2025, manual={w.a3: 5})
    withdraw(django_capture_on_commit_callbacks, newer, "第三方评价数据有误，重新核算。")

    response = client.get(rankings_url(w.county_a))
    assert f'data-testid="ranking-title">{older.title}<' in response.text
    assert newer.title not in response.text
    notice = re.search(r'data-testid="withdrawn-notice">(.*?)</div>', response.text, re.S)
    assert notice and newer.period_label in notice.group(1)
    assert "第三方评价数据有误，重新核算。" in notice.group(1)
    # The trend only counts published periods.
    assert embedded(response, "trend-chart")["periods"] == [older.period_label]

    # Its own page says it was withdrawn and why, without its ranking.
    response = client.get(detail_url(w.county_a, newer))
    assert response.status_code == 200
    assert 'data-testid="withdrawn-notice"' in response.text
    assert 'data-testid="ranking-table"' not in response.text and "县交通局" not in response.text

    # The notices page lists both, the withdrawn one with its reason and without a link.
    response = client.get(notices_url(w.county_a))
    assert response.text.count('data-testid="ranking-notice-item"') == 2
    assert detail_url(w.county_a, older) in response.text
    assert detail_url(w.county_a, newer) not in response.text


def test_cache_serves_repeat_visits_and_publishing_or_withdrawing_shows_at_once(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    url = rankings_url(w.county_a)
    assert 'data-testid="no-ranking"' in client.get(url).text

    publication = publish(w, django_capture_on_commit_callbacks, year=2025)
    response = client.get(url)
    assert publication.title in response.text  # shown at once: the version moved

    # A repeat visit is served from the worker's copy: no query at all.
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.content == response.content
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]

    withdraw(django_capture_on_commit_callbacks, publication, "数据有误")
    response = client.get(url)
    assert 'data-testid="no-ranking"' in response.text
    assert 'data-testid="withdrawn-notice"' in response.text
    assert 'data-testid="ranking-table"' not in response.text
    detail = client.get(detail_url(w.county_a, publication))
    assert 'data-testid="ranking-table"' not in detail.text
    profile = client.get(profile_url(w.county_a, w.a1))
    assert 'data-testid="no-scores"' in profile.text


def test_a_query_string_does_not_create_new_cache_entries(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2025)
    client.get(rankings_url(w.county_a))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(rankings_url(w.county_a) + "?x=1").status_code == 200
    assert len(queries) == 0


def test_another_workers_publication_shows_after_the_recheck_interval(
    client, county, django_capture_on_commit_callbacks, settings
):
    """A worker serves its copy without I/O for PUBLIC_PAGE_RECHECK_SECONDS, then checks the
    county and the version (one query, one Redis read) and keeps the copy while neither moved.
    Another worker's publication moves only the shared version (this worker's copies are
    dropped only by its own publications)."""
    w = county
    url = rankings_url(w.county_a)
    first = publish(w, django_capture_on_commit_callbacks, year=2024)
    client.get(url)
    # "Another worker" publishes: the shared version moves, this worker's copy stays.
    second = make_publication(w.county_a, year=2025)
    cache.incr(PUBLIC_CACHE_VERSION.format(tenant=w.county_a.pk))
    settings.PUBLIC_PAGE_RECHECK_SECONDS = 3600
    stale = client.get(url).text
    assert first.title in stale and second.title not in stale
    settings.PUBLIC_PAGE_RECHECK_SECONDS = 0
    assert second.title in client.get(url).text
    with CaptureQueriesContext(connection) as queries:  # checked again, nothing moved: kept
        client.get(url)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_a_cache_miss_costs_the_same_queries_whatever_the_number_of_periods(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2025)
    urls = (rankings_url(w.county_a), notices_url(w.county_a), profile_url(w.county_a, w.a1))
    few = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        few.append(len(queries))
    for year in (2022, 2023, 2024):
        publish(w, django_capture_on_commit_callbacks, year=year)  # each bump empties the cache
    for n in range(3):
        AgencyFactory(tenant=w.county_a, name=f"新增单位{n}")
    many = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        many.append(len(queries))
    assert few == many


# Agency profile ------------------------------------------------------------------------------


def test_agency_profile_history_masked_records_commitments_and_entry_points(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2024, manual={w.a1: 5})
    latest = publish(w, django_capture_on_commit_callbacks, year=2025)
    officer = TrustRecordFactory(
        agency=w.a1,
        is_public=True,
        subject_type="civil_servant",
        subject_name=OFFICER_NAME,
        person_id_number=OFFICER_ID,
        person_position="科长",
        facts=f"{OFFICER_NAME}拖欠工程款。",
    )
    hidden = TrustRecordFactory(agency=w.a1, is_public=False)
    other = TrustRecordFactory(agency=w.a3, is_public=True)
    kept = CommitmentFactory(agency=w.a1, title="企业开办一日办结")
    CommitmentFactory(agency=w.a1, title="内部承诺", is_public=False)
    kept.status = CommitmentStatus.FULFILLED
    kept.save(update_fields=["status"])

    response = client.get(profile_url(w.county_a, w.a1))
    assert response.status_code == 200
    history = table(response, "score-history")
    assert len(history) == 3  # header + two periods, oldest first
    assert history[2][0] == latest.period_label and history[2][4].startswith("=")
    assert history[1][2].startswith(zh("%(rank)s of %(size)s (%(group)s)").split("%")[0] + "1")
    assert history[1][3]  # rank 1 in 2024, with a grade
    assert embedded(response, "history-chart")["periods"][-1] == latest.period_label
    assert table(response, "score-breakdown")[1][0] == "专项治理"

    # Records: public ones of this agency only, masked as on the record pages.
    assert OFFICER_NAME not in response.text and OFFICER_ID not in response.text
    assert "王**" in response.text
    assert hidden.decision_number not in response.text
    assert other.decision_number not in response.text
    assert reverse("public:objection-create", args=["130826", officer.public_id]) in response.text
    assert reverse("public:repair-create", args=["130826", officer.public_id]) in response.text
    # Commitments: public ones with their status.
    assert "企业开办一日办结" in response.text and "内部承诺" not in response.text
    assert zh(str(CommitmentStatus.FULFILLED.label)) in response.text
    # Where to complain or track.
    assert reverse("public-complaints:complaint-create", args=["130826"]) in response.text
    assert reverse("public:request-track", args=["130826"]) in response.text


def test_profile_reads_records_live_while_the_history_is_cached(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2025)
    url = profile_url(w.county_a, w.a1)
    assert client.get(url).status_code == 200
    record = TrustRecordFactory(agency=w.a1, is_public=True)
    assert record.decision_number in client.get(url).text


def test_profile_of_an_inactive_agency_only_while_a_published_ranking_lists_it(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    gone = AgencyFactory(
        tenant=w.county_a,
        name="已撤并的乡",
        kind=AgencyKind.TOWNSHIP,
        ranking_group=RankingGroup.TOWNSHIP,
    )
    publish(w, django_capture_on_commit_callbacks, year=2025)
    never = AgencyFactory(tenant=w.county_a, name="从未参评", is_active=False)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    response = client.get(profile_url(w.county_a, gone))
    assert response.status_code == 200 and "已撤并的乡" in response.text
    assert len(table(response, "score-history")) == 2
    assert client.get(profile_url(w.county_a, never)).status_code == 404
    # An active agency without any published score still has its profile.
    fresh = AgencyFactory(tenant=w.county_a, name="新设单位")
    response = client.get(profile_url(w.county_a, fresh))
    assert response.status_code == 200 and 'data-testid="no-scores"' in response.text


# Not found -----------------------------------------------------------------------------------


def test_unknown_county_other_countys_objects_and_unknown_ids_are_404(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    own = publish(w, django_capture_on_commit_callbacks, year=2025)
    theirs = make_publication(w.county_b, year=2025)
    for url in (
        reverse("public-scoring:rankings", args=["999999"]),
        reverse("public-scoring:notices", args=["999999"]),
        reverse("public-scoring:ranking-detail", args=["999999", own.pk]),
        detail_url(w.county_a, theirs),
        reverse("public-scoring:ranking-detail", args=["130826", 10**8]),
        profile_url(w.county_a, w.b1),
        reverse("public-scoring:agency-profile", args=["130826", 10**8]),
        reverse("public-scoring:rankings", args=[w.city.division_code]),  # a city, not a county
    ):
        assert client.get(url).status_code == 404, url
    # The other county's own page shows its ranking.
    response = client.get(rankings_url(w.county_b))
    assert theirs.title in response.text and w.b1.name in response.text
    assert w.a2.name not in response.text and w.a3.name not in response.text


def test_pages_are_read_only(client, county, django_capture_on_commit_callbacks):
    w = county
    publication = publish(w, django_capture_on_commit_callbacks, year=2025)
    for url in (
        rankings_url(w.county_a),
        detail_url(w.county_a, publication),
        notices_url(w.county_a),
        profile_url(w.county_a, w.a1),
    ):
        assert client.post(url).status_code == 405, url
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED


def test_county_pages_link_the_rankings(client, county):
    w = county
    link = rankings_url(w.county_a)
    assert link in client.get(reverse("public:index")).text
    assert link in client.get(reverse("public:record-list", args=["130826"])).text
