"""supervision.selectors.agency_figures, figure by figure, computed by hand on small data with
values on both sides of each boundary (period: March 2026), and its fixed query count."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import services
from supervision.selectors import FIGURES, agency_figures
from tests.factories import AgencyFactory

from .item_helpers import (
    D,
    assignment,
    judgment,
    listing,
    litigation,
    proposal,
    scored,
    suggestion,
)

pytestmark = pytest.mark.django_db

START, END = D(2026, 3, 1), D(2026, 3, 31)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MID_MARCH = D(2026, 3, 5)


def figures(world, agency=None):
    return agency_figures(tenant=world.county_a, start=START, end=END)[(agency or world.a1).pk]


def travel(monkeypatch, *args):
    """Move the clock (timezone.now, and so localdate and auto_now) to Shanghai time `args`."""
    moment = datetime.datetime(*args, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def complaint(agency, received_on=MID_MARCH):
    return services.complaint_log(
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


def assigned(monkeypatch, agency, deadline):
    travel(monkeypatch, 2026, 2, 20, 9, 0)
    item = complaint(agency)
    return services.complaint_assign(complaint=item, actor=None, reply_deadline=deadline)


def reply(monkeypatch, item, *moment):
    travel(monkeypatch, *moment)
    return services.complaint_reply(complaint=item, reply="已核实并支付。", actor=None)


def test_every_figure_is_documented_and_returned(world):
    values = figures(world)
    assert set(values) == set(FIGURES)
    assert all(values[code] == 0 for code in FIGURES if code != "third_party_score")
    assert values["third_party_score"] is None


def test_complaints_received_and_founded(world):
    for day in (D(2026, 2, 28), D(2026, 4, 1)):
        complaint(world.a1, received_on=day)
    first = complaint(world.a1, received_on=START)
    last = complaint(world.a1, received_on=END)
    partly = complaint(world.a1, received_on=D(2026, 3, 15))
    complaint(world.a2, received_on=D(2026, 3, 15))
    services.complaint_verify(complaint=first, verification="founded", note="属实", actor=None)
    services.complaint_verify(
        complaint=partly, verification="partly_founded", note="部分属实", actor=None
    )
    services.complaint_verify(complaint=last, verification="unfounded", note="不属实", actor=None)
    outside = complaint(world.a1, received_on=D(2026, 2, 27))
    services.complaint_verify(complaint=outside, verification="founded", note="属实", actor=None)
    values = figures(world)
    assert values["complaints_received"] == 3
    assert values["complaints_founded"] == 2
    assert figures(world, world.a2)["complaints_received"] == 1


def test_complaints_due_and_replied_on_time(world, monkeypatch):
    for deadline in (D(2026, 2, 28), D(2026, 4, 1)):
        assigned(monkeypatch, world.a1, deadline)
    assigned(monkeypatch, world.a1, START)  # due, never replied
    on_the_day = assigned(monkeypatch, world.a1, D(2026, 3, 10))
    reply(monkeypatch, on_the_day, 2026, 3, 10, 23, 30)
    # 00:30 in Shanghai the next day is still the deadline day in UTC: late all the same.
    next_day = assigned(monkeypatch, world.a1, D(2026, 3, 10))
    reply(monkeypatch, next_day, 2026, 3, 11, 0, 30)
    verified = assigned(monkeypatch, world.a1, END)
    reply(monkeypatch, verified, 2026, 3, 2, 10, 0)
    services.complaint_verify(
        complaint=verified, verification="unfounded", note="不属实", actor=None
    )
    # A reply the office sent back is no reply until the agency answers again.
    sent_back = assigned(monkeypatch, world.a1, D(2026, 3, 20))
    reply(monkeypatch, sent_back, 2026, 3, 3, 10, 0)
    services.complaint_send_back(
        complaint=sent_back, note="缺少付款凭证", actor=None, reply_deadline=D(2026, 3, 25)
    )
    values = figures(world)
    assert values["complaints_due"] == 5
    assert values["complaints_replied_on_time"] == 2
    reply(monkeypatch, sent_back, 2026, 3, 25, 17, 0)
    assert figures(world)["complaints_replied_on_time"] == 3


def test_proposals_due_and_replied_on_time(world):
    proposal(
        world.a1,
        assigned_on=D(2025, 11, 1),
        reply_deadline=D(2026, 2, 28),
        replied_on=D(2026, 2, 1),
    )
    proposal(
        world.a1, assigned_on=D(2026, 1, 1), reply_deadline=D(2026, 4, 1), replied_on=D(2026, 3, 1)
    )
    proposal(world.a1, assigned_on=D(2026, 1, 1), reply_deadline=START, replied_on=START)
    proposal(
        world.a1,
        assigned_on=D(2026, 1, 1),
        reply_deadline=D(2026, 3, 10),
        replied_on=D(2026, 3, 11),
    )
    proposal(world.a1, assigned_on=D(2026, 1, 1), reply_deadline=END)
    # The default deadline (3 months after 2025-12-31) is 2026-03-31: due in the period.
    proposal(world.a1, assigned_on=D(2025, 12, 31), replied_on=D(2026, 3, 31))
    values = figures(world)
    assert values["proposals_due"] == 4
    assert values["proposals_replied_on_time"] == 2


def test_proposals_rated_and_satisfied(world):
    def replied(day, satisfaction):
        proposal(
            world.a1,
            assigned_on=D(2026, 1, 1),
            reply_deadline=D(2026, 6, 30),
            replied_on=day,
            satisfaction=satisfaction,
        )

    replied(D(2026, 2, 28), "satisfied")
    replied(D(2026, 4, 1), "satisfied")
    replied(START, "satisfied")
    replied(END, "basically_satisfied")
    replied(D(2026, 3, 15), "dissatisfied")
    replied(D(2026, 3, 16), "")  # replied, not rated yet
    values = figures(world)
    assert values["proposals_rated"] == 3
    assert values["proposals_satisfied"] == 2


def test_court_appearances(world):
    litigation(world.a1, hearing_date=D(2026, 2, 28), head_appeared=True)
    litigation(world.a1, hearing_date=D(2026, 4, 1))
    litigation(world.a1, hearing_date=START, head_appeared=True)
    litigation(world.a1, hearing_date=END)
    litigation(
        world.a1, hearing_date=D(2026, 3, 9), head_appearance_required=False, head_appeared=True
    )
    values = figures(world)
    assert values["court_appearances_required"] == 2
    assert values["court_appearances_made"] == 1


def test_judgments_due_and_executed_on_time(world):
    judgment(
        world.a1, effective_on=D(2026, 1, 1), due_on=D(2026, 2, 28), executed_on=D(2026, 2, 28)
    )
    judgment(world.a1, effective_on=D(2026, 1, 1), due_on=D(2026, 4, 1), executed_on=D(2026, 3, 2))
    judgment(world.a1, effective_on=D(2026, 1, 1), due_on=START, executed_on=START)
    judgment(
        world.a1, effective_on=D(2026, 1, 1), due_on=D(2026, 3, 15), executed_on=D(2026, 3, 16)
    )
    judgment(world.a1, effective_on=D(2026, 1, 1), due_on=END)
    values = figures(world)
    assert values["judgments_due"] == 3
    assert values["judgments_executed_on_time"] == 1


def test_suggestions_due_and_answered_on_time(world):
    suggestion(
        world.a1, received_on=D(2026, 1, 1), due_on=D(2026, 2, 28), answered_on=D(2026, 2, 2)
    )
    suggestion(world.a1, received_on=D(2026, 1, 1), due_on=D(2026, 4, 1), answered_on=D(2026, 3, 2))
    suggestion(world.a1, received_on=D(2026, 1, 1), due_on=END, answered_on=END)
    suggestion(world.a1, received_on=D(2026, 1, 1), due_on=START, answered_on=D(2026, 3, 2))
    suggestion(world.a1, received_on=D(2026, 1, 1), due_on=D(2026, 3, 20))
    values = figures(world)
    assert values["suggestions_due"] == 3
    assert values["suggestions_answered_on_time"] == 1


def test_debtor_listings_active_at_the_end_of_the_period(world):
    listing(world.a1, listed_on=END)  # listed on the last day: active
    listing(world.a1, listed_on=D(2026, 4, 1))  # listed after: not yet
    listing(world.a1, listed_on=D(2026, 1, 5), removed_on=END)  # removed that day: not active
    listing(world.a1, listed_on=D(2026, 1, 5), removed_on=D(2026, 4, 1))  # removed after
    listing(world.a1, listed_on=D(2025, 6, 1), removed_on=D(2026, 2, 1))
    listing(world.a1, listed_on=D(2025, 6, 1))  # listed before the period, still listed
    assert figures(world)["debtor_listings_active"] == 3


def test_third_party_score_averages_accepted_scores_of_assignments_ending_in_the_period(world):
    def score(period_end, value, status):
        made = assignment([world.a1], period_start=D(2025, 10, 1), period_end=period_end)
        scored(made, world.a1, value, status=status)

    score(END, "80.00", "accepted")
    score(START, "91.50", "accepted")
    score(D(2026, 2, 28), "10.00", "accepted")
    score(D(2026, 4, 1), "10.00", "accepted")
    score(D(2026, 3, 15), "10.00", "submitted")
    score(D(2026, 3, 16), "10.00", "rejected")
    values = figures(world)
    assert values["third_party_score"] == Decimal("85.75")
    assert figures(world, world.a2)["third_party_score"] is None


def test_figures_of_another_county_do_not_leak(world):
    listing(world.b1, listed_on=D(2026, 3, 3))
    judgment(world.b1, due_on=D(2026, 3, 3))
    all_a = agency_figures(tenant=world.county_a, start=START, end=END)
    assert set(all_a) == {world.a1.pk, world.a2.pk}
    b = agency_figures(tenant=world.county_b, start=START, end=END)[world.b1.pk]
    assert (b["debtor_listings_active"], b["judgments_due"]) == (1, 1)


def _count_queries(world):
    with CaptureQueriesContext(connection) as queries:
        result = agency_figures(tenant=world.county_a, start=START, end=END)
    return len(result), len(queries)


def test_a_fixed_number_of_queries_whatever_the_number_of_agencies(world):
    def add(count):
        for _n in range(count):
            agency = AgencyFactory(tenant=world.county_a)
            proposal(agency, assigned_on=D(2026, 1, 1), reply_deadline=D(2026, 3, 5))
            judgment(agency, due_on=D(2026, 3, 5))
            listing(agency, listed_on=D(2026, 3, 5))
            suggestion(agency, due_on=D(2026, 3, 5))
            litigation(agency, hearing_date=D(2026, 3, 5))

    add(1)
    few = _count_queries(world)
    add(27)
    many = _count_queries(world)
    assert few[0] == 3 and many[0] == 30
    assert few[1] == many[1] == 8
