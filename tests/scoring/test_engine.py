"""The score run, computed by hand on a small county (2025, the default scheme): every
indicator's points for every agency, totals, competition ranks with a tie, grades at their
thresholds; idempotence; a fixed query count; a failure half way; immutable publications."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import InternalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.choices import AgencyKind, RankingGroup
from accounts.models import Agency
from domains import services as ds
from domains.choices import CommitmentStatus, Severity
from rectification import services as rs
from scoring import services
from scoring.choices import PublicationStatus, RunStatus
from scoring.engine import competition_ranks, grade_for
from scoring.models import AgencyScore, IndicatorScore, Publication, ScoreRun
from supervision.choices import Satisfaction, Verification
from tests.factories import (
    AgencyFactory,
    CommitmentFactory,
    TenantFactory,
    TrustRecordFactory,
    make_campaign,
    make_issue,
)
from tests.supervision.item_helpers import (
    assignment,
    evaluator_of,
    judgment,
    listing,
    litigation,
    proposal,
    scored,
    suggestion,
)

from .helpers import (
    D,
    agency_results,
    complaint,
    computed_run,
    indicator,
    indicator_points,
    issue_closed,
    leader_of,
    milestone,
    scheme_for,
    self_inspection_report,
    stored_rows,
    travel,
)

pytestmark = pytest.mark.django_db

DEPARTMENT, TOWNSHIP = RankingGroup.DEPARTMENT, RankingGroup.TOWNSHIP


@pytest.fixture
def county(world, monkeypatch):
    """County A for 2025: departments D1 (县财政局), D2, D3, D4 and townships T1 (大阁镇), T2,
    one inactive agency; each input of the default scheme once, on one side of its rule."""
    tenant = world.county_a
    d1, t1 = world.a1, world.a2
    d2 = AgencyFactory(tenant=tenant, name="县住建局")
    d3 = AgencyFactory(tenant=tenant, name="县商务局")
    d4 = AgencyFactory(tenant=tenant, name="县审计局")
    t2 = AgencyFactory(
        tenant=tenant, name="凤山镇", kind=AgencyKind.TOWNSHIP, ranking_group=TOWNSHIP
    )
    inactive = AgencyFactory(tenant=tenant, name="县已撤并单位", is_active=False)

    # Campaign work (D1 and T1 take part): reports due 2025-03-31, issues due 2025-09-30.
    travel(monkeypatch, D(2025, 2, 1))
    campaign = make_campaign(
        tenant,
        [d1, t1],
        year=2025,
        report_deadline=D(2025, 3, 31),
        plan_deadline=D(2025, 4, 30),
        completion_deadline=D(2025, 9, 30),
    )
    self_inspection_report(
        monkeypatch, campaign, d1, leader=world.leader_a1, signed_on=D(2025, 3, 25)
    )
    self_inspection_report(monkeypatch, campaign, t1, leader=leader_of(t1), signed_on=D(2025, 4, 8))
    closed = make_issue(campaign, d1, discovered_on=D(2025, 2, 10))
    issue_closed(monkeypatch, closed, closed_on=D(2025, 8, 1))
    arrears = make_issue(
        campaign,
        d1,
        discovered_on=D(2025, 2, 12),
        creditor_name="承德市建工集团有限公司",
        amount_owed=Decimal("1000.00"),
        accepted_on=D(2025, 1, 5),
    )
    travel(monkeypatch, D(2025, 5, 1))
    rs.repayment_add(
        issue=arrears, data={"paid_on": D(2025, 5, 1), "amount": Decimal("400.00")}, actor=None
    )
    milestone(monkeypatch, campaign, d1, due_on=D(2025, 5, 31), completed_on=D(2025, 6, 15))
    milestone(monkeypatch, campaign, d1, due_on=D(2025, 6, 30), completed_on=D(2025, 6, 20))

    # Commitments of D1, both promised for 2025-08-31: one kept, one not.
    kept = CommitmentFactory(agency=d1, promised_date=D(2025, 8, 31))
    broken = CommitmentFactory(agency=d1, promised_date=D(2025, 8, 31))
    ds.commitment_set_status(
        commitment=kept, status=CommitmentStatus.FULFILLED, note="已兑现", actor=None
    )
    ds.commitment_set_status(
        commitment=broken, status=CommitmentStatus.UNFULFILLED, note="未按期兑现", actor=None
    )

    # Failure-of-trust records on D1: one of each severity in 2025, one decided after.
    for severity, day in (
        (Severity.LIGHT, D(2025, 3, 10)),
        (Severity.GENERAL, D(2025, 6, 10)),
        (Severity.SERIOUS, D(2025, 9, 10)),
        (Severity.SERIOUS, D(2026, 1, 5)),
    ):
        TrustRecordFactory(agency=d1, severity=severity, decision_date=day)

    # Judicial supervision of D2.
    litigation(d2, hearing_date=D(2025, 4, 15), head_appeared=True)
    litigation(d2, hearing_date=D(2025, 5, 15), head_appeared=False)
    judgment(d2, effective_on=D(2025, 5, 1), due_on=D(2025, 6, 30), executed_on=D(2025, 7, 10))
    suggestion(d2, received_on=D(2025, 4, 1), due_on=D(2025, 5, 1), answered_on=D(2025, 4, 25))
    listing(d2, listed_on=D(2025, 3, 1))

    # NPC/CPPCC and complaints of T1.
    proposal(
        t1,
        assigned_on=D(2025, 3, 1),
        reply_deadline=D(2025, 6, 1),
        replied_on=D(2025, 6, 10),
        satisfaction=Satisfaction.DISSATISFIED,
    )
    proposal(
        t1,
        assigned_on=D(2025, 3, 1),
        reply_deadline=D(2025, 6, 1),
        replied_on=D(2025, 5, 20),
        satisfaction=Satisfaction.SATISFIED,
    )
    complaint(
        monkeypatch,
        t1,
        received_on=D(2025, 4, 1),
        reply_deadline=D(2025, 4, 16),
        replied_on=D(2025, 4, 10),
        verification=Verification.FOUNDED,
    )
    complaint(
        monkeypatch,
        t1,
        received_on=D(2025, 5, 1),
        reply_deadline=D(2025, 5, 16),
        replied_on=D(2025, 5, 20),
        verification=Verification.UNFOUNDED,
    )

    # Third-party evaluation of 2025: D4's score is still awaiting the office's decision.
    evaluation = assignment(
        [d1, d2, d4, t2],
        evaluator=evaluator_of(tenant),
        period_start=D(2025, 1, 1),
        period_end=D(2025, 12, 31),
    )
    scored(evaluation, d1, "80.00", status="accepted")
    scored(evaluation, d2, "99.90", status="accepted")
    scored(evaluation, t2, "90.00", status="accepted")
    scored(evaluation, d4, "95.00", status="submitted")
    monkeypatch.undo()  # back to the real clock

    scheme = scheme_for(tenant, actor=world.office_staff_a)
    staff = world.office_staff_a
    services.manual_entry_save(
        indicator=indicator(scheme, "typical_cases"),
        agency=d1,
        points="3",
        reason="政府采购诚信履约被评为市级典型案例",
        actor=staff,
    )
    services.manual_entry_save(
        indicator=indicator(scheme, "no_breach"),
        agency=d3,
        points="4.99",
        reason="招商合同履约存在轻微瑕疵",
        actor=staff,
    )
    services.manual_entry_save(
        indicator=indicator(scheme, "typical_cases"),
        agency=t2,
        points="5",
        reason="“诚信乡镇”省级典型",
        actor=staff,
    )
    return SimpleNamespace(
        tenant=tenant,
        scheme=scheme,
        staff=staff,
        d1=d1,
        d2=d2,
        d3=d3,
        d4=d4,
        t1=t1,
        t2=t2,
        inactive=inactive,
    )


# Every indicator (items, then their category's subtotal) for D1 D2 D3 D4 T1 T2, by hand.
# A rate is maximum × done ÷ due, full points when nothing is due; the deductions category is
# stored negative.
EXPECTED = [
    # D1: 1 of 1 report on time; T1: its only report signed 2025-04-08 > 03-31: 10 × 0/1.
    ("report_on_time", "10.00", "10.00", "10.00", "10.00", "0.00", "10.00"),
    # D1: 2 issues due 2025-09-30, one closed 2025-08-01: 10 × 1/2.
    ("issues_closed", "5.00", "10.00", "10.00", "10.00", "10.00", "10.00"),
    # D1: due 05-31 done 06-15 (late), due 06-30 done 06-20 (on time): 10 × 1/2.
    ("milestones_on_time", "5.00", "10.00", "10.00", "10.00", "10.00", "10.00"),
    # 10 + 5 + 5 = 20 for D1; T1 0 + 10 + 10 = 20.
    ("campaign", "20.00", "30.00", "30.00", "30.00", "20.00", "30.00"),
    # D1: 400 repaid of 1000 owed: 15 × 400/1000 = 6.
    ("arrears_cleared", "6.00", "15.00", "15.00", "15.00", "15.00", "15.00"),
    # D1: 2 promised for 2025-08-31, 1 fulfilled: 10 × 1/2.
    ("commitments", "5.00", "10.00", "10.00", "10.00", "10.00", "10.00"),
    # Manual, full by default; D3 entered 4.99 with a reason.
    ("no_breach", "5.00", "5.00", "4.99", "5.00", "5.00", "5.00"),
    # D1: 6 + 5 + 5 = 16; D3: 15 + 10 + 4.99 = 29.99.
    ("promises", "16.00", "30.00", "29.99", "30.00", "30.00", "30.00"),
    # D2: 2 hearings needing the head, who appeared at 1: 4 × 1/2.
    ("court", "4.00", "2.00", "4.00", "4.00", "4.00", "4.00"),
    # D2: 1 judgment due 06-30, executed 07-10: 4 × 0/1.
    ("judgments", "4.00", "0.00", "4.00", "4.00", "4.00", "4.00"),
    # D2: 1 suggestion due 05-01, answered 04-25: 3 × 1/1.
    ("suggestions", "3.00", "3.00", "3.00", "3.00", "3.00", "3.00"),
    # D2: 1 listing active on 2025-12-31: max(4 − 100 × 1, 0).
    ("no_debtor", "4.00", "0.00", "4.00", "4.00", "4.00", "4.00"),
    # D2: 2 + 0 + 3 + 0 = 5.
    ("lawful", "15.00", "5.00", "15.00", "15.00", "15.00", "15.00"),
    # T1: 2 proposals due 06-01, replied 06-10 and 05-20: 5 × 1/2.
    ("proposals_on_time", "5.00", "5.00", "5.00", "5.00", "2.50", "5.00"),
    # T1: both replied in 2025 and rated, 1 satisfied: 3 × 1/2.
    ("proposals_satisfied", "3.00", "3.00", "3.00", "3.00", "1.50", "3.00"),
    # T1: 2 complaints due (04-16, 05-16), replied 04-10 and 05-20: 4 × 1/2.
    ("complaints_on_time", "4.00", "4.00", "4.00", "4.00", "2.00", "4.00"),
    # T1: 1 founded complaint received in 2025: max(3 − 1 × 1, 0).
    ("complaints_founded", "3.00", "3.00", "3.00", "3.00", "2.00", "3.00"),
    # T1: 2.5 + 1.5 + 2 + 2 = 8.
    ("supervision", "15.00", "15.00", "15.00", "15.00", "8.00", "15.00"),
    # Accepted scores: D1 80, D2 99.90, T2 90 → 10 × score/100; D4's pending score counts
    # for nothing, nor does having none.
    ("evaluation", "8.00", "9.99", "0.00", "0.00", "0.00", "9.00"),
    ("third_party", "8.00", "9.99", "0.00", "0.00", "0.00", "9.00"),
    # D1: light 1 + general 3 + serious 5 in 2025 (the 2026 record is outside): 9.
    ("records", "9.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    ("deductions", "-9.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    # Manual, zero by default: D1 3 and T2 5 entered with reasons.
    ("typical_cases", "3.00", "0.00", "0.00", "0.00", "0.00", "5.00"),
    ("bonus", "3.00", "0.00", "0.00", "0.00", "0.00", "5.00"),
]
# Totals: D1 20 + 16 + 15 + 15 + 8 − 9 + 3 = 68; D2 30 + 30 + 5 + 15 + 9.99 = 89.99;
# D3 30 + 29.99 + 15 + 15 = 89.99; D4 30 + 30 + 15 + 15 = 90; T1 20 + 30 + 15 + 8 = 73;
# T2 90 + 9 + 5 = 104. Departments: D4 90 (1), D2 and D3 89.99 (2, 2), D1 68 (4);
# townships: T2 104 (1), T1 73 (2). Grades: ≥ 90 优秀, ≥ 80 良好, ≥ 60 一般.
EXPECTED_RESULTS = {
    "d1": (DEPARTMENT, "68.00", 4, "一般"),
    "d2": (DEPARTMENT, "89.99", 2, "良好"),
    "d3": (DEPARTMENT, "89.99", 2, "良好"),
    "d4": (DEPARTMENT, "90.00", 1, "优秀"),
    "t1": (TOWNSHIP, "73.00", 2, "一般"),
    "t2": (TOWNSHIP, "104.00", 1, "优秀"),
}
AGENCIES = ("d1", "d2", "d3", "d4", "t1", "t2")


def run_by_task(scheme, actor, capture):
    """Start a run as the office does; the Celery task (eager in tests) runs on commit."""
    with capture(execute=True):
        run = services.run_start(scheme=scheme, actor=actor)
    run.refresh_from_db()
    return run


def test_a_small_county_computed_by_hand(county, django_capture_on_commit_callbacks):
    run = run_by_task(county.scheme, county.staff, django_capture_on_commit_callbacks)
    assert (run.status, run.error, run.agencies, run.computed_count) == (
        RunStatus.SUCCEEDED,
        "",
        6,
        1,
    )
    points = indicator_points(run)
    expected = {
        (getattr(county, name).pk, code): Decimal(value)
        for code, *values in EXPECTED
        for name, value in zip(AGENCIES, values, strict=True)
    }
    assert points == expected  # every indicator of every active agency, nothing else
    results = agency_results(run)
    assert results == {
        getattr(county, name).pk: (group, Decimal(total), rank, grade)
        for name, (group, total, rank, grade) in EXPECTED_RESULTS.items()
    }
    assert county.inactive.pk not in results


def test_the_figures_behind_the_points_are_stored(county):
    run = computed_run(county.scheme, county.staff)
    figures = {
        (row.agency_id, row.indicator.code): row.figures
        for row in IndicatorScore.objects.filter(run=run).select_related("indicator")
    }
    assert figures[(county.d1.pk, "arrears_cleared")] == {
        "arrears_repaid": "400.00",
        "arrears_owed": "1000.00",
    }
    assert figures[(county.d1.pk, "records")] == {
        "records_light": 1,
        "records_general": 1,
        "records_serious": 1,
    }
    assert figures[(county.t1.pk, "complaints_on_time")] == {
        "complaints_replied_on_time": 1,
        "complaints_due": 2,
    }
    assert figures[(county.d2.pk, "evaluation")] == {"third_party_score": "99.90"}
    assert figures[(county.d4.pk, "evaluation")] == {"third_party_score": None}
    assert figures[(county.d3.pk, "no_breach")] == {
        "entered": True,
        "reason": "招商合同履约存在轻微瑕疵",
    }
    assert figures[(county.d1.pk, "no_breach")] == {"entered": False, "reason": ""}
    assert figures[(county.d1.pk, "campaign")] == {}


def test_ranks_and_grades_at_the_thresholds():
    assert competition_ranks(
        [(1, Decimal("80")), (2, Decimal("95")), (3, Decimal("80")), (4, Decimal("70"))]
    ) == {2: 1, 1: 2, 3: 2, 4: 4}
    grades = [
        {"label": "良好", "min": 80},
        {"label": "优秀", "min": 90},
        {"label": "较差", "min": 0},
    ]
    assert grade_for(Decimal("90.00"), grades) == "优秀"
    assert grade_for(Decimal("89.99"), grades) == "良好"
    assert grade_for(Decimal("0.00"), grades) == "较差"
    assert grade_for(Decimal("-3.00"), grades) == ""


# Idempotence --------------------------------------------------------------------------------


def test_computing_twice_gives_identical_rows_and_no_duplicates(
    county, django_capture_on_commit_callbacks
):
    run = run_by_task(county.scheme, county.staff, django_capture_on_commit_callbacks)
    first = stored_rows(run)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_rerun(run=run, actor=county.staff)
    run.refresh_from_db()
    assert (run.status, run.computed_count) == (RunStatus.SUCCEEDED, 2)
    assert stored_rows(run) == first
    assert IndicatorScore.objects.filter(run=run).count() == 6 * len(EXPECTED)
    assert AgencyScore.objects.filter(run=run).count() == 6
    # A second run of the same scheme on the same inputs computes the same values.
    other = run_by_task(county.scheme, county.staff, django_capture_on_commit_callbacks)
    assert other.pk != run.pk
    assert stored_rows(other) == first


def test_a_rerun_reflects_a_changed_manual_entry(county, django_capture_on_commit_callbacks):
    run = run_by_task(county.scheme, county.staff, django_capture_on_commit_callbacks)
    services.manual_entry_save(
        indicator=indicator(county.scheme, "no_breach"),
        agency=county.d3,
        points="5",
        reason="复核后确认无违约失信",
        actor=county.staff,
    )
    assert agency_results(run)[county.d3.pk][1] == Decimal("89.99")  # not until the rerun
    with django_capture_on_commit_callbacks(execute=True):
        services.run_rerun(run=run, actor=county.staff)
    points = indicator_points(run)
    assert points[(county.d3.pk, "no_breach")] == Decimal("5.00")
    assert points[(county.d3.pk, "promises")] == Decimal("30.00")
    results = agency_results(run)
    # D3 now ties D4 at 90: both first and 优秀, D2 third, D1 fourth.
    assert results[county.d3.pk] == (DEPARTMENT, Decimal("90.00"), 1, "优秀")
    assert results[county.d4.pk] == (DEPARTMENT, Decimal("90.00"), 1, "优秀")
    assert results[county.d2.pk][2:] == (3, "良好")
    assert results[county.d1.pk][2] == 4
    assert IndicatorScore.objects.filter(run=run).count() == 6 * len(EXPECTED)


def test_a_rerun_is_refused_while_queued_and_once_published(county):
    run = services.run_start(scheme=county.scheme, actor=county.staff)
    with pytest.raises(ValidationError):
        services.run_rerun(run=run, actor=county.staff)  # still queued
    services.run_execute(run.pk)
    services.run_publish(run=run, notice="", actor=county.staff)
    with pytest.raises(ValidationError):
        services.run_rerun(run=run, actor=county.staff)


# A fixed number of queries ------------------------------------------------------------------


def _queries_of_a_run(agencies: int) -> tuple[int, int]:
    tenant = TenantFactory()
    for number in range(agencies):
        agency = AgencyFactory(
            tenant=tenant,
            kind=AgencyKind.TOWNSHIP if number % 3 else AgencyKind.DEPARTMENT,
            ranking_group=TOWNSHIP if number % 3 else DEPARTMENT,
        )
        if number % 50 == 0:  # some inputs, so that the aggregates have rows
            TrustRecordFactory(agency=agency, decision_date=D(2025, 6, 1))
            listing(agency, listed_on=D(2025, 3, 1))
    scheme = scheme_for(tenant)
    services.manual_entry_save(
        indicator=indicator(scheme, "typical_cases"),
        agency=Agency.objects.filter(tenant=tenant).order_by("id").first(),
        points="2",
        reason="诚信典型",
        actor=None,
    )
    run = services.run_start(scheme=scheme, actor=None)
    with CaptureQueriesContext(connection) as queries:
        run = services.run_execute(run.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert AgencyScore.objects.filter(run=run).count() == agencies
    return run.agencies, len(queries)


def test_a_run_takes_the_same_number_of_queries_at_10_and_at_200_agencies():
    few = _queries_of_a_run(10)
    many = _queries_of_a_run(200)
    assert (few[0], many[0]) == (10, 200)
    assert few[1] == many[1]


# A failure half way -------------------------------------------------------------------------


def test_a_run_failing_half_way_leaves_its_previous_results(county, monkeypatch):
    run = computed_run(county.scheme, county.staff)
    before = stored_rows(run)
    # A change the next computation would reflect (D3 90 instead of 89.99).
    services.manual_entry_save(
        indicator=indicator(county.scheme, "no_breach"),
        agency=county.d3,
        points="5",
        reason="复核后确认无违约失信",
        actor=county.staff,
    )
    written = []
    original = IndicatorScore.objects.bulk_create

    def write_then_note(rows, *args, **kwargs):
        created = original(rows, *args, **kwargs)
        written.append(len(created))
        return created

    def fail(rows, *args, **kwargs):
        raise RuntimeError("磁盘已满")

    # Fault injection: the indicator rows are written, then storing the totals fails.
    monkeypatch.setattr(IndicatorScore.objects, "bulk_create", write_then_note)
    monkeypatch.setattr(AgencyScore.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        services.run_execute(run.pk)
    assert written == [6 * len(EXPECTED)]  # it did fail half way
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: 磁盘已满"
    assert run.finished_at is not None
    assert stored_rows(run) == before  # the previous results, exactly
    assert run.computed_count == 1

    monkeypatch.undo()
    services.run_rerun(run=run, actor=county.staff)
    run = services.run_execute(run.pk)
    assert (run.status, run.error, run.computed_count) == (RunStatus.SUCCEEDED, "", 2)
    assert agency_results(run)[county.d3.pk] == (DEPARTMENT, Decimal("90.00"), 1, "优秀")


def test_a_first_run_failing_leaves_no_results(county, monkeypatch):
    run = services.run_start(scheme=county.scheme, actor=county.staff)

    def fail(rows, *args, **kwargs):
        raise RuntimeError("连接中断")

    monkeypatch.setattr(AgencyScore.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        services.run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert not IndicatorScore.objects.filter(run=run).exists()
    assert not AgencyScore.objects.filter(run=run).exists()


# Publications -------------------------------------------------------------------------------


@pytest.fixture
def published(county):
    run = computed_run(county.scheme, county.staff)
    publication = services.run_publish(run=run, notice="2025年度督导评分通报", actor=county.staff)
    return SimpleNamespace(run=run, publication=publication)


def test_the_snapshot_holds_the_run_s_rankings(county, published):
    snapshot = published.publication.snapshot
    assert snapshot["start"] == "2025-01-01" and snapshot["end"] == "2025-12-31"
    rows = {
        row["agency_id"]: (group["group"], row["total"], row["rank"], row["grade"])
        for group in snapshot["groups"]
        for row in group["rows"]
    }
    assert rows == {
        getattr(county, name).pk: (group, total, rank, grade)
        for name, (group, total, rank, grade) in EXPECTED_RESULTS.items()
    }
    d1 = next(
        row for g in snapshot["groups"] for row in g["rows"] if row["agency_id"] == county.d1.pk
    )
    assert d1["categories"]["deductions"] == "-9.00"
    assert d1["previous_total"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"snapshot": {"groups": []}},
        {"notice": "改过的通报"},
        {"title": "改过的标题"},
        {"period_end": D(2025, 6, 30)},
    ],
    ids=["snapshot", "notice", "title", "period_end"],
)
def test_a_publication_cannot_be_changed(published, change):
    with pytest.raises(InternalError, match="Cannot update rows"), transaction.atomic():
        Publication.objects.filter(pk=published.publication.pk).update(**change)
    stored = Publication.objects.get(pk=published.publication.pk)
    assert stored.snapshot == published.publication.snapshot
    assert stored.notice == "2025年度督导评分通报"


def test_a_publication_cannot_be_deleted(published):
    with pytest.raises(InternalError, match="Cannot delete rows"), transaction.atomic():
        Publication.objects.filter(pk=published.publication.pk).delete()
    with pytest.raises(InternalError, match="Cannot delete rows"), transaction.atomic():
        published.publication.delete()
    assert Publication.objects.filter(pk=published.publication.pk).exists()


def test_withdrawal_needs_a_public_reason(county, published):
    publication = published.publication
    with pytest.raises(ValidationError) as error:
        services.publication_withdraw(publication=publication, reason="  ", actor=county.staff)
    assert "reason" in error.value.message_dict
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED

    services.publication_withdraw(
        publication=publication, reason="数据核对有误，重新核算后发布", actor=county.staff
    )
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.WITHDRAWN
    assert publication.withdrawal_reason == "数据核对有误，重新核算后发布"
    assert publication.withdrawn_at is not None
    assert publication.snapshot == published.publication.snapshot
    with pytest.raises(ValidationError):
        services.publication_withdraw(publication=publication, reason="再次撤回", actor=None)


def test_after_a_withdrawal_another_run_of_the_period_can_be_published(county, published):
    second = computed_run(county.scheme, county.staff)
    with pytest.raises(ValidationError):  # one published ranking per period
        services.run_publish(run=second, notice="", actor=county.staff)
    with pytest.raises(ValidationError):  # a run is published once
        services.run_publish(run=published.run, notice="", actor=county.staff)
    services.publication_withdraw(
        publication=published.publication, reason="重新核算", actor=county.staff
    )
    again = services.run_publish(run=second, notice="重新发布", actor=county.staff)
    assert again.run_id == second.pk


def test_only_a_finished_run_is_published(county, monkeypatch):
    queued = services.run_start(scheme=county.scheme, actor=county.staff)
    with pytest.raises(ValidationError):
        services.run_publish(run=queued, notice="", actor=county.staff)

    def fail(rows, *args, **kwargs):
        raise OSError("写入失败")

    monkeypatch.setattr(AgencyScore.objects, "bulk_create", fail)
    with pytest.raises(OSError):
        services.run_execute(queued.pk)  # failed: not publishable either
    monkeypatch.undo()
    with pytest.raises(ValidationError):
        services.run_publish(run=queued, notice="", actor=county.staff)
    assert not Publication.objects.exists()


def test_an_unpublished_run_is_in_no_publication_and_agencies_never_read_runs(
    world, county, published
):
    unpublished = computed_run(county.scheme, county.staff)
    assert not Publication.objects.filter(run=unpublished).exists()
    for publication in Publication.objects.all():
        assert publication.run_id != unpublished.pk
    assert list(Publication.objects.values_list("run_id", flat=True)) == [published.run.pk]
    clerk = world.clerk_a1
    assert not ScoreRun.objects.for_user(clerk).exists()
    assert not AgencyScore.objects.for_user(clerk).exists()
    assert not IndicatorScore.objects.for_user(clerk).exists()
    # Agencies read publications (what is public anyway), of their county only.
    assert list(Publication.objects.for_user(clerk)) == [published.publication]
    assert not Publication.objects.for_user(world.office_admin_b).exists()


def test_a_scheme_with_problems_is_not_run(county):
    services.indicator_save(
        scheme=county.scheme,
        indicator=indicator(county.scheme, "court"),
        data={"max_points": Decimal("5")},
        actor=county.staff,
    )
    with pytest.raises(ValidationError) as error, translation.override("en"):
        services.run_start(scheme=county.scheme, actor=county.staff)
    assert error.value.messages == [
        "The items of 依法行政和司法监督 add up to 16.00 points, not 15.00."
    ]
    assert not ScoreRun.objects.exists()
