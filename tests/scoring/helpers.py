"""Builders shared by the scoring tests: schemes and runs made through scoring.services, the
clock moved for the input services that stamp "now", and the inputs of a score (campaign
deliverables, ledger issues, milestones, complaints) brought to the state a test needs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.choices import Role
from rectification import services as rs
from rectification.choices import FILING_SECTIONS, FilingKind
from scoring import services
from scoring.choices import PeriodKind
from scoring.models import AgencyScore, IndicatorScore, Scheme, ScoreRun
from supervision import services as ss
from tests.factories import UserFactory

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR_2025 = {"period_kind": PeriodKind.YEAR, "year": 2025}


# The clock ------------------------------------------------------------------------------------


def travel(monkeypatch, day: datetime.date, hour: int = 10) -> None:
    """Move the clock (timezone.now, and so localdate and auto_now) to `day` in Shanghai: the
    input services stamp "now" (sign-off, closing an issue, a milestone done, a reply) and some
    refuse dates in the past, so a story set in a past period is told at its own dates."""
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


# Schemes and runs -----------------------------------------------------------------------------


def scheme_for(tenant, *, actor=None, copy_from: Scheme | None = None, **data) -> Scheme:
    """A scheme of `tenant` (the default scheme for 2025 unless told otherwise)."""
    return services.scheme_create(
        tenant=tenant, data={**YEAR_2025, **data}, actor=actor, copy_from=copy_from
    )


def indicator(scheme: Scheme, code: str):
    return scheme.indicators.get(code=code)


def computed_run(scheme: Scheme, actor=None) -> ScoreRun:
    """A run started through the service and computed at once by the job's body (its Celery
    task is queued on commit, which a test transaction never reaches)."""
    run = services.run_start(scheme=scheme, actor=actor)
    return services.run_execute(run.pk)


def indicator_points(run: ScoreRun) -> dict[tuple[int, str], Decimal]:
    """{(agency id, indicator code): points} of every stored row of the run."""
    return {
        (row.agency_id, row.indicator.code): row.points
        for row in IndicatorScore.objects.filter(run=run).select_related("indicator")
    }


def agency_results(run: ScoreRun) -> dict[int, tuple[str, Decimal, int, str]]:
    """{agency id: (ranking group, total, rank, grade)}."""
    return {
        row.agency_id: (row.ranking_group, row.total, row.rank, row.grade)
        for row in AgencyScore.objects.filter(run=run)
    }


def stored_rows(run: ScoreRun) -> tuple[list, list]:
    """Every stored value of the run, ids left out, in a stable order (for comparing runs)."""
    indicators = sorted(
        IndicatorScore.objects.filter(run=run).values_list(
            "agency_id", "indicator_id", "points", "figures"
        ),
        key=lambda row: (row[0], row[1]),
    )
    agencies = sorted(
        AgencyScore.objects.filter(run=run).values_list(
            "agency_id", "ranking_group", "total", "rank", "grade"
        )
    )
    return indicators, agencies


# Inputs ---------------------------------------------------------------------------------------


def leader_of(agency):
    return UserFactory(role=Role.AGENCY_LEADER, tenant=agency.tenant, agency=agency)


def self_inspection_report(monkeypatch, campaign, agency, *, leader, signed_on: datetime.date):
    """The agency's self-inspection report, drafted, and signed off by its leader on
    `signed_on` (late when after the campaign's deadline, as sign-off judges it)."""
    kind = FilingKind.SELF_INSPECTION_REPORT
    filing = rs.filing_get_or_create(campaign=campaign, agency=agency, kind=kind, actor=leader)
    sections = {key: f"<p>{label}</p>" for key, label, _help in FILING_SECTIONS[kind]}
    rs.filing_save(filing=filing, sections=sections, actor=leader)
    rs.filing_request_signoff(filing=filing, actor=leader)
    travel(monkeypatch, signed_on)
    rs.filing_sign_off(filing=filing, actor=leader)
    filing.refresh_from_db()
    return filing


def issue_closed(monkeypatch, issue, *, closed_on: datetime.date):
    """Reported rectified and closed (销号) by the office on `closed_on`."""
    travel(monkeypatch, closed_on)
    rs.issue_report_rectified(issue=issue, note="已整改", rectified_on=None, actor=None)
    rs.issue_verify(issue=issue, close=True, note="核实销号", actor=None)
    issue.refresh_from_db()
    return issue


def milestone(monkeypatch, campaign, agency, *, due_on, completed_on=None, actor=None):
    """A milestone due on `due_on`, reported 100 % done on `completed_on` when given."""
    item = rs.milestone_save(
        campaign=campaign,
        agency=agency,
        data={"title": f"整改节点 {due_on.isoformat()}", "due_on": due_on, "owner": "办公室"},
        actor=actor,
    )
    if completed_on is not None:
        travel(monkeypatch, completed_on)
        rs.milestone_report(milestone=item, note="已完成", progress=100, actor=actor)
        item.refresh_from_db()
    return item


def complaint(
    monkeypatch,
    agency,
    *,
    received_on,
    reply_deadline,
    replied_on=None,
    verification=None,
):
    """A complaint received, assigned with `reply_deadline`, replied on `replied_on` and
    verified when those are given."""
    travel(monkeypatch, received_on)
    item = ss.complaint_log(
        tenant=agency.tenant,
        actor=None,
        data={
            "channel": "hotline_12345",
            "agency": agency,
            "title": "拖欠工程款",
            "content": "工程款至今未付。",
            "received_on": received_on,
        },
    )
    item = ss.complaint_assign(complaint=item, actor=None, reply_deadline=reply_deadline)
    if replied_on is not None:
        travel(monkeypatch, replied_on)
        item = ss.complaint_reply(complaint=item, reply="已核实并整改。", actor=None)
    if verification is not None:
        item = ss.complaint_verify(
            complaint=item, verification=verification, note="经核查。", actor=None
        )
    return item
