"""The dashboards of the home pages (integrity/dashboard/): every figure of the office's
dashboard, an agency's own figures and the city viewer's comparison of its counties, checked
against data built through the services and counted by hand; each linked number opens a list
with exactly that many rows; the Excel export of each figure; scoping by role; and a query
count that stays the same when agencies and rows are added.

The story (county A, today = T; campaign K with a1 and a2, deadlines T-10 / T-2 / T+30):

- ledger issues: i1 a1 d1 pending due T-3 (overdue) with 1000.00 owed (accepted T-40) and
  300.00 repaid at T-2; i2 a1 d1 in progress; i3 a1 d2 pending with 500.50 owed (T-40);
  i4 a2 d2 in progress due T-1 (overdue); i5 a2 d1 rectified with 200.00 owed (T-40) and repaid
  at T-1; i6 a2 d1 pending.
- milestones: a1 due T-5 (overdue) and T+5; a2 due T-1 and T-8 (overdue), and T-3 done at T-4.
- filings: a1's report signed off at T-12 (on time), its plan at T-1 (late); a2 filed nothing.
- complaints: a1 received; a1 assigned today (due T+15); a1 replied at T-20 (due T-15, on
  time); a2 assigned, due T-10, no reply (past due); a2 replied at T-10 (due T-20, late) and
  verified.
- failure-of-trust records: a1 d1 serious (T-30), a2 d1 light (T-30), a1 d2 general (T-100),
  a1 without domain serious (2025-06-01).
- a score run of 2025 (default scheme): a1 85 (the 2025 serious record deducts 5), a2 90.
- county B (b1) and county C (c1) have an issue, a complaint and a record each: county A's
  office never counts them; the city viewer of A and B's city counts B but never C.
"""

import datetime
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import load_workbook

from accounts.choices import RankingGroup
from accounts.models import SecurityEvent
from domains.models import KeyDomain
from integrity.dashboard import AGENCY_FIGURES, CITY_FIGURES, OFFICE_FIGURES
from integrity.dashboard.base import last_months, month_end
from rectification import services as rs
from supervision.choices import ComplaintStatus, Verification
from tests.conftest import login
from tests.factories import (
    AgencyFactory,
    TrustRecordFactory,
    ensure_defaults,
    make_campaign,
    make_issue,
)
from tests.isolation_specs.rectification_filings import fill_sections, leader_of, make_milestone
from tests.isolation_specs.scoring_office import make_run, make_scheme
from tests.scoring.helpers import complaint as past_complaint
from tests.scoring.helpers import travel
from tests.supervision.complaint_helpers import make_complaint

HOME = reverse("home")
D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


def T(days: int = 0) -> datetime.date:
    """A day counted from today on the real clock (the story moves `timezone.now`)."""
    return datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(days=days)


# The story ------------------------------------------------------------------------------------


def _domains(tenant):
    return list(KeyDomain.objects.filter(tenant=tenant, is_active=True).order_by("position")[:2])


def _signed(monkeypatch, campaign, agency, kind, signed_on):
    filing = rs.filing_get_or_create(campaign=campaign, agency=agency, kind=kind, actor=None)
    fill_sections(filing)
    rs.filing_request_signoff(filing=filing, actor=None)
    travel(monkeypatch, signed_on)
    rs.filing_sign_off(filing=filing, actor=leader_of(agency))
    filing.refresh_from_db()
    return filing


def _arrears(owed: str) -> dict:
    return {
        "creditor_name": "承德市建工集团有限公司",
        "amount_owed": D(owed),
        "accepted_on": T(-40),
    }


def _repay(issue, amount: str, paid_on):
    rs.repayment_add(issue=issue, data={"paid_on": paid_on, "amount": D(amount)}, actor=None)


@pytest.fixture
def story(world, monkeypatch):
    w = world
    for tenant in (w.county_a, w.county_b, w.county_c):
        ensure_defaults(tenant)
    w.d1, w.d2 = _domains(w.county_a)

    # The campaign was launched at T-15; filings signed off on their days.
    travel(monkeypatch, T(-15))
    w.campaign = make_campaign(
        w.county_a,
        [w.a1, w.a2],
        domains=[w.d1, w.d2],
        report_deadline=T(-10),
        plan_deadline=T(-2),
        completion_deadline=T(30),
    )
    make_milestone(w.a1, campaign=w.campaign, title="甲一", due_on=T(-5))
    make_milestone(w.a1, campaign=w.campaign, title="甲二", due_on=T(5))
    make_milestone(w.a2, campaign=w.campaign, title="乙一", due_on=T(-1))
    make_milestone(w.a2, campaign=w.campaign, title="乙二", due_on=T(-8))
    done = make_milestone(w.a2, campaign=w.campaign, title="乙三", due_on=T(-3))
    w.report = _signed(monkeypatch, w.campaign, w.a1, "self_inspection_report", T(-12))
    travel(monkeypatch, T(-4))
    rs.milestone_report(milestone=done, note="已完成", progress=100, actor=None)
    w.plan = _signed(monkeypatch, w.campaign, w.a1, "rectification_plan", T(-1))

    # Complaints with their own dates.
    past_complaint(monkeypatch, w.a1, received_on=T(-30), reply_deadline=T(-15), replied_on=T(-20))
    past_complaint(monkeypatch, w.a2, received_on=T(-30), reply_deadline=T(-10))
    past_complaint(
        monkeypatch,
        w.a2,
        received_on=T(-30),
        reply_deadline=T(-20),
        replied_on=T(-10),
        verification=Verification.FOUNDED,
    )
    monkeypatch.undo()  # back to today

    make_complaint(w.a1)
    make_complaint(w.a1, ComplaintStatus.ASSIGNED)

    def issue(agency, domain, status, deadline, **fields):
        return make_issue(
            w.campaign,
            agency,
            domain=domain,
            status=status,
            discovered_on=T(-20),
            deadline=deadline,
            **fields,
        )

    w.i1 = issue(w.a1, w.d1, "pending", T(-3), **_arrears("1000.00"))
    _repay(w.i1, "300.00", T(-2))
    issue(w.a1, w.d1, "in_progress", T(10))
    issue(w.a1, w.d2, "pending", T(10), **_arrears("500.50"))
    issue(w.a2, w.d2, "in_progress", T(-1))
    i5 = issue(w.a2, w.d1, "in_progress", T(10), **_arrears("200.00"))
    _repay(i5, "200.00", T(-1))
    rs.issue_report_rectified(issue=i5, note="已整改", rectified_on=None, actor=None)
    issue(w.a2, w.d1, "pending", T(5))

    TrustRecordFactory(agency=w.a1, domain=w.d1, severity="serious", decision_date=T(-30))
    TrustRecordFactory(agency=w.a2, domain=w.d1, severity="light", decision_date=T(-30))
    TrustRecordFactory(agency=w.a1, domain=w.d2, severity="general", decision_date=T(-100))
    TrustRecordFactory(agency=w.a1, severity="serious", decision_date=datetime.date(2025, 6, 1))

    w.run = make_run(w.county_a, scheme=make_scheme(w.county_a, year=2025))

    # Other counties: B (same city) and C (another city).
    for agency in (w.b1, w.c1):
        other = make_campaign(agency.tenant, [agency], completion_deadline=T(30))
        make_issue(other, agency, status="pending", deadline=T(-1), **_arrears("70.00"))
        make_complaint(agency, ComplaintStatus.ASSIGNED)
        TrustRecordFactory(agency=agency, severity="serious", decision_date=T(-30))
        make_milestone(agency, campaign=other, due_on=T(-2))
    return w


# Reading the page -----------------------------------------------------------------------------


def figures(response) -> dict:
    return {f.slug: f for f in response.context["figures"]}


def table(figure) -> list[list]:
    return [[c.value for c in row] for row in figure.rows]


def footer(figure) -> list:
    return [c.value for c in figure.footer]


def home(client, user):
    login(client, user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def listed(client, url: str) -> int:
    """How many rows the list at `url` shows (all pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if context.get("paginator") is not None:
        return context["paginator"].count
    if "milestone_page" in context:  # the overdue list: the milestones part
        return context["milestone_page"].paginator.count
    raise AssertionError(f"not a list: {url}")


LISTS = {
    reverse("rectification:issue-list"),
    reverse("rectification:overdue"),
    reverse("supervision:complaint-list"),
    reverse("domains:record-list"),
}


def linked_counts(figure_list):
    """(url, number) of every table cell that links to a list."""
    for figure in figure_list:
        for row in [*figure.rows, *([figure.footer] if figure.footer else [])]:
            for c in row:
                if c.url and urlparse(c.url).path in LISTS and isinstance(c.value, int):
                    yield figure.slug, c.url, c.value


# The office's dashboard -----------------------------------------------------------------------


def test_office_figures_match_the_story(client, story):
    w = story
    response = home(client, w.office_staff_a)
    figs = figures(response)
    assert list(figs) == list(OFFICE_FIGURES)

    assert table(figs["issues"]) == [[w.d1.name, 2, 1, 1, 3], [w.d2.name, 1, 1, 1, 2]]
    assert footer(figs["issues"]) == [gettext("Total"), 3, 2, 2, 5]

    assert table(figs["arrears"]) == [
        [w.a1.name, 2, D("1500.50"), D("300.00"), D("1200.50")],
        [w.a2.name, 1, D("200.00"), D("200.00"), D("0.00")],
    ]
    assert footer(figs["arrears"]) == [gettext("Total"), 3, D("1700.50"), D("500.00"), D("1200.50")]

    # Clearance: owed counted from acceptance (T-40), repaid 300 at T-2 and 200 at T-1.
    events_owed = [(T(-40), D("1700.50"))]
    events_paid = [(T(-2), D("300.00")), (T(-1), D("200.00"))]
    expected = []
    for month in last_months(T()):
        end = month_end(month)
        in_month = lambda events, m=month, e=end: sum(  # noqa: E731
            (a for d, a in events if m <= d <= e), D("0.00")
        )
        owed_by_end = sum((a for d, a in events_owed if d <= end), D("0.00"))
        paid_by_end = sum((a for d, a in events_paid if d <= end), D("0.00"))
        expected.append(
            [
                f"{month:%Y-%m}",
                in_month(events_owed),
                in_month(events_paid),
                owed_by_end - paid_by_end,
            ]
        )
    assert table(figs["clearance"]) == expected
    assert table(figs["clearance"])[-1][3] == D("1200.50")

    assert table(figs["overdue"]) == [[w.a2.name, 2, 2], [w.a1.name, 1, 0]]
    assert footer(figs["overdue"]) == [gettext("Total"), 3, 2]
    # a2's missing deliverables are all in campaign K: the link opens its grid.
    assert figs["overdue"].rows[0][2].url == reverse(
        "rectification:campaign-detail", args=[w.campaign.pk]
    )

    by_state = dict(table(figs["complaints"]))
    assert by_state == {
        str(ComplaintStatus.RECEIVED.label): 1,
        str(ComplaintStatus.ASSIGNED.label): 2,
        str(ComplaintStatus.REPLIED.label): 1,
        str(ComplaintStatus.VERIFIED.label): 1,
        str(ComplaintStatus.CLOSED.label): 0,
    }
    assert footer(figs["complaints"])[1] == 5
    assert [row[1] for row in table(figs["replies"])] == [1, 1, 1, 1]
    assert footer(figs["replies"])[1] == pytest.approx(33.3)
    assert figs["replies"].chart["center"] == "33.3%"

    no_domain = gettext("No key domain")
    assert table(figs["records_domain"]) == [
        [w.d1.name, 1, 0, 1, 2],
        [w.d2.name, 0, 1, 0, 1],
        [no_domain, 0, 0, 1, 1],
    ]
    assert footer(figs["records_domain"]) == [gettext("Total"), 1, 1, 2, 4]
    records = [
        (T(-30), "serious"),
        (T(-30), "light"),
        (T(-100), "general"),
        (datetime.date(2025, 6, 1), "serious"),
    ]
    expected = []
    for month in last_months(T()):
        found = [s for d, s in records if month <= d <= month_end(month)]
        expected.append(
            [f"{month:%Y-%m}", *(found.count(s) for s in ("light", "general", "serious"))]
        )
    assert table(figs["records_month"]) == expected

    # The 2025 run: a1 (department) 85, a2 (township) 90.
    assert figs["scores"].headers[1:3] == [
        str(RankingGroup.TOWNSHIP.label),
        str(RankingGroup.DEPARTMENT.label),
    ]
    assert table(figs["scores"]) == [["80–90", 0, 1, 1], ["90–100", 1, 0, 1]]
    assert figs["scores"].rows[0][2].url == reverse("scoring:run-detail", args=[w.run.pk])
    assert "2025" in figs["scores"].note

    grid = figs["grid"]
    states = [s["label"] for s in grid.chart["states"]]
    by_agency = {grid.chart["y"][y]: {} for y in range(len(grid.chart["y"]))}
    for x, y, state, url in grid.chart["cells"]:
        by_agency[grid.chart["y"][y]][x] = (states[state], url)
    on_time, late, missing, not_due = (
        gettext("Filed on time"),
        gettext("Filed late"),
        gettext("Not filed"),
        gettext("Not due yet"),
    )
    detail = reverse("rectification:campaign-detail", args=[w.campaign.pk])
    assert by_agency[w.a1.name] == {
        0: (on_time, reverse("rectification:filing-detail", args=[w.report.pk])),
        1: (late, reverse("rectification:filing-detail", args=[w.plan.pk])),
        2: (not_due, detail),
    }
    assert by_agency[w.a2.name] == {
        0: (missing, detail),
        1: (missing, detail),
        2: (not_due, detail),
    }
    a1_row = next(row for row in table(grid) if row[0] == w.a1.name)
    assert a1_row[1].startswith(on_time) and a1_row[2].startswith(late)


def test_office_key_figures(client, story):
    w = story
    cards = {c["key"]: c for c in home(client, w.office_admin_a).context["cards"]}
    serious_this_year = 1 if T(-30).year == T().year else 0
    assert {k: c["value"] for k, c in cards.items()} == {
        "issues-open": 5,
        "issues-overdue": 2,
        "arrears-outstanding": D("1200.50"),
        "milestones-overdue": 3,
        "deliverables-missing": 2,
        "complaints-overdue": 1,
        "records-serious": serious_this_year,
        "warnings-open": 0,
    }
    assert cards["issues-overdue"]["url"] == reverse("rectification:issue-list") + "?overdue=true"
    assert cards["issues-overdue"]["alert"] and not cards["warnings-open"]["alert"]


def test_every_linked_number_opens_a_list_of_that_many_rows(client, story):
    w = story
    response = home(client, w.office_staff_a)
    checked = set()
    for slug, url, number in linked_counts(response.context["figures"]):
        assert listed(client, url) == number, (slug, url)
        checked.add(slug)
    assert checked == {
        "issues",
        "overdue",
        "arrears",
        "complaints",
        "replies",
        "records_domain",
        "records_month",
    }
    for c in response.context["cards"]:
        if urlparse(c["url"]).path in LISTS and isinstance(c["value"], int):
            assert listed(client, c["url"]) == c["value"], c["key"]


def test_chart_clicks_lead_to_the_same_lists_as_the_table(client, story):
    """Each bar's link is the link of the table cell with the same number."""
    w = story
    figs = figures(home(client, w.office_staff_a))
    chart = figs["issues"].chart
    for i, category in enumerate(chart["categories"]):
        row = figs["issues"].rows[i]
        assert row[0].value == category
        for s, series in enumerate(chart["series"]):
            assert series["urls"][i] == row[s + 1].url
            assert series["data"][i] == row[s + 1].value
    pending_d1 = parse_qs(urlparse(chart["series"][0]["urls"][0]).query)
    assert pending_d1 == {"domain": [str(w.d1.pk)], "status": ["pending"]}


def test_the_page_embeds_chart_data_tables_and_local_echarts(client, story):
    w = story
    response = home(client, w.office_staff_a)
    page = response.text
    assert '<script id="dashboard-charts" type="application/json">' in page
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "/static/js/dashboard.js" in page
    for slug in OFFICE_FIGURES:
        assert f'data-chart="{slug}"' in page
        assert f'data-testid="table-{slug}"' in page  # the accessible table
        assert reverse("dashboard-export", args=[slug]) in page
    # No inline script builds chart data.
    assert "echarts.init" not in page
    assert 'data-testid="open-warnings"' in page  # the monitoring list, beside the scores


def test_an_empty_county_shows_no_charts(client, world):
    ensure_defaults(world.county_a)
    response = home(client, world.office_staff_a)
    assert all(f.empty for f in response.context["figures"])
    assert response.context["charts"] == {}
    assert response.text.count('data-testid="figure-empty"') == len(OFFICE_FIGURES)


def test_the_grid_shows_the_campaign_asked_for(client, story):
    w = story
    other = make_campaign(w.county_a, [w.a1], title="第二个专项", completion_deadline=T(90))
    login(client, w.office_staff_a)
    first = figures(client.get(HOME))["grid"]
    assert first.totals["campaign"] == w.campaign  # the one that ends first
    chosen = figures(client.get(HOME, {"campaign": other.pk}))["grid"]
    assert chosen.chart["y"] == [w.a1.name]
    assert chosen.export_query == f"?campaign={other.pk}"
    stranger = make_campaign(w.county_b, [w.b1], title="隆化专项")
    assert (
        figures(client.get(HOME, {"campaign": stranger.pk}))["grid"].totals["campaign"]
        == w.campaign
    )


# Query count ------------------------------------------------------------------------------------


def _more(world, count: int):
    """`count` more agencies of county A, in a new campaign, each with issues, arrears, a
    repayment, a milestone, a complaint and a record."""
    agencies = [AgencyFactory(tenant=world.county_a) for _n in range(count)]
    campaign = make_campaign(
        world.county_a, agencies, report_deadline=T(1), plan_deadline=T(2), completion_deadline=T(9)
    )
    for agency in agencies:
        issue = make_issue(campaign, agency, deadline=T(3), **_arrears("10.00"))
        _repay(issue, "1.00", T(-1))
        make_issue(campaign, agency, status="in_progress", domain=world.d2, deadline=T(3))
        make_milestone(agency, campaign=campaign, due_on=T(4))
        make_complaint(agency, ComplaintStatus.ASSIGNED)
        TrustRecordFactory(agency=agency, domain=world.d2, severity="general", decision_date=T(-3))
    return campaign


def _queries(client, url=HOME) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "city_viewer"])
def test_the_query_count_does_not_grow_with_agencies_and_rows(client, story, role):
    w = story
    login(client, getattr(w, role))
    client.get(HOME)  # warm caches (content types, session)
    before = _queries(client)
    _more(w, 4)
    for tenant in (w.county_b,):
        more = AgencyFactory(tenant=tenant, name="隆化新增单位")
        make_issue(make_campaign(tenant, [more]), more, deadline=T(3))
    after = _queries(client)
    assert after == before
    figs = figures(client.get(HOME))
    if role == "office_staff_a":
        assert len(figs["arrears"].rows) == 6  # the data did grow
    # Exports too.
    for slug in figs:
        url = reverse("dashboard-export", args=[slug])
        client.get(url)
        n = _queries(client, url)
        _more(w, 2)
        assert _queries(client, url) == n, slug


# An agency's home -------------------------------------------------------------------------------


def test_agency_home_shows_its_own_figures_only(client, story):
    w = story
    response = home(client, w.clerk_a1)
    cards = {c["key"]: c["value"] for c in response.context["cards"]}
    assert cards == {
        "issues-pending": 2,
        "issues-in-progress": 1,
        "issues-overdue": 1,
        "arrears-outstanding": D("1200.50"),
        "milestones-overdue": 1,
        "complaints-waiting": 1,
        "complaints-overdue": 0,
        "records": 3,
    }
    figs = figures(response)
    assert list(figs) == list(AGENCY_FIGURES)
    assert table(figs["issues"]) == [[w.d1.name, 1, 1, 1, 2], [w.d2.name, 1, 0, 0, 1]]
    assert table(figs["clearance"])[-1][3] == D("1200.50")
    page = response.text
    assert w.a2.name not in page
    assert 'data-testid="open-warnings"' in page
    for slug in set(OFFICE_FIGURES) - set(AGENCY_FIGURES):
        assert f'data-chart="{slug}"' not in page


def test_agency_cards_link_to_lists_of_that_many_rows(client, story):
    w = story
    response = home(client, w.leader_a1)
    for c in response.context["cards"]:
        if urlparse(c["url"]).path in LISTS and isinstance(c["value"], int):
            assert listed(client, c["url"]) == c["value"], c["key"]


def test_agency_exports_only_its_own_figures(client, story):
    w = story
    login(client, w.clerk_a2)
    for slug in set(OFFICE_FIGURES) - set(AGENCY_FIGURES):
        assert client.get(reverse("dashboard-export", args=[slug])).status_code == 404
    response = client.get(reverse("dashboard-export", args=["issues"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1:] == [
        (w.d1.name, 1, 0, 0, 1),
        (w.d2.name, 0, 1, 1, 1),
        (gettext("Total"), 1, 1, 1, 2),
    ]


# The city viewer's home -------------------------------------------------------------------------


def test_city_viewer_compares_its_counties(client, story):
    w = story
    response = home(client, w.city_viewer)
    figs = figures(response)
    assert list(figs) == list(CITY_FIGURES)
    counties = [w.county_b.name, w.county_a.name]  # by division code: 130825, 130826
    for figure in figs.values():
        assert [row[0] for row in table(figure)] == counties, figure.slug
    assert table(figs["county_work"]) == [
        [w.county_b.name, 1, 0, 1, 1, 0],
        [w.county_a.name, 3, 2, 2, 3, 2],
    ]
    assert table(figs["county_arrears"]) == [
        [w.county_b.name, 1, D("70.00"), D("0.00"), D("70.00")],
        [w.county_a.name, 3, D("1700.50"), D("500.00"), D("1200.50")],
    ]
    assert table(figs["county_complaints"]) == [
        [w.county_b.name, 0, 0, 1, 0, None],
        [w.county_a.name, 1, 1, 1, 1, pytest.approx(33.3)],
    ]
    assert table(figs["county_records"]) == [
        [w.county_b.name, 0, 0, 1, 1],
        [w.county_a.name, 1, 1, 2, 4],
    ]
    scores = table(figs["county_scores"])
    assert scores[0] == [w.county_b.name, None, 0, None, None, None]
    assert scores[1][2:] == [2, D("87.50"), D("85.00"), D("90.00")]
    assert w.county_c.name not in response.text
    # Each linked number opens that county's list with as many rows.
    checked = set()
    for slug, url, number in linked_counts(figs.values()):
        assert parse_qs(urlparse(url).query)["tenant"][0] in {
            str(w.county_a.pk),
            str(w.county_b.pk),
        }
        assert listed(client, url) == number, (slug, url)
        checked.add(slug)
    assert checked == {"county_work", "county_arrears", "county_complaints", "county_records"}


def test_city_viewer_sees_open_warnings_by_county(client, story):
    from monitoring import services as monitoring
    from monitoring.choices import WarningStatus
    from monitoring.models import Warning

    w = story
    monitoring.evaluate(w.county_a)
    monitoring.evaluate(w.county_b)
    warnings = Warning.objects.filter(tenant__in=[w.county_a, w.county_b])
    assert warnings.exists()
    monitoring.warning_resolve(warning=warnings.first(), actor=w.office_staff_a, note="已核实处理")
    figure = figures(home(client, w.city_viewer))["county_warnings"]
    for row, county in zip(table(figure), (w.county_b, w.county_a), strict=True):
        open_ = warnings.filter(tenant=county).exclude(status=WarningStatus.RESOLVED)
        expected = [open_.filter(severity=level).count() for level in ("high", "medium", "low")]
        assert row == [county.name, *expected, sum(expected)]
    for row in figure.rows:
        for c in row[1:]:
            assert listed(client, c.url) == c.value, c.url


def test_records_and_overdue_lists_filter_by_county_for_the_city_viewer(client, story):
    w = story
    login(client, w.city_viewer)
    records = reverse("domains:record-list")
    assert listed(client, records) == 5  # A's four and B's one
    assert listed(client, f"{records}?tenant={w.county_b.pk}") == 1
    overdue = reverse("rectification:overdue")
    assert listed(client, f"{overdue}?tenant={w.county_a.pk}") == 3
    assert listed(client, f"{overdue}?tenant={w.county_b.pk}") == 1
    # County C is not a choice: the filter ignores it (invalid) rather than showing its rows.
    assert listed(client, f"{records}?tenant={w.county_c.pk}") == 5
    # The office of a county has no county filter.
    login(client, w.office_staff_a)
    assert "tenant" not in client.get(records).context["filter"].form.fields


# Exports ----------------------------------------------------------------------------------------


def test_each_office_figure_exports_its_table_and_the_export_is_logged(client, story):
    w = story
    response = home(client, w.office_staff_a)
    for figure in response.context["figures"]:
        url = reverse("dashboard-export", args=[figure.slug]) + figure.export_query
        export = client.get(url)
        assert export.status_code == 200, figure.slug
        assert export["Content-Disposition"].startswith(
            f"attachment; filename*=UTF-8''dashboard-{figure.slug}-"
        )
        sheet = load_workbook(io.BytesIO(export.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == figure.headers
        expected = [[c.value for c in row] for row in figure.rows]
        if figure.footer:
            expected.append([c.value for c in figure.footer])
        assert [list(r) for r in rows[1:]] == [
            [float(v) if isinstance(v, Decimal) else v for v in row] for row in expected
        ], figure.slug
        event = SecurityEvent.objects.filter(kind="export").latest("id")
        assert event.user == w.office_staff_a
        assert event.detail["what"] == f"dashboard_{figure.slug}"
        assert event.detail["rows"] == len(expected)


@pytest.mark.parametrize("role", ["evaluator_a", "platform_admin"])
def test_roles_without_a_dashboard_export_nothing(client, story, role):
    login(client, getattr(story, role))
    for slug in [*OFFICE_FIGURES, *CITY_FIGURES]:
        assert client.get(reverse("dashboard-export", args=[slug])).status_code == 404


def test_city_viewer_exports_only_the_comparison(client, story):
    w = story
    login(client, w.city_viewer)
    assert client.get(reverse("dashboard-export", args=["issues"])).status_code == 404
    response = client.get(reverse("dashboard-export", args=["county_records"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [w.county_b.name, w.county_a.name]


def test_anonymous_export_goes_to_login(client, story):
    response = client.get(reverse("dashboard-export", args=["issues"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_office_of_another_county_sees_its_own_figures(client, story):
    w = story
    figs = figures(home(client, w.office_admin_b))
    assert table(figs["arrears"]) == [[w.b1.name, 1, D("70.00"), D("0.00"), D("70.00")]]
    assert footer(figs["issues"])[1:] == [1, 0, 1, 1]
    assert footer(figs["records_domain"])[-1] == 1
