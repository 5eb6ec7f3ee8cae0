"""NPC/CPPCC items and judicial supervision through the views: lists with filters and Excel
export, create / edit / delete by the office, read-only for agency roles (own agency only) and
city viewers, validation, and the per-agency summary page."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.choices import RankingGroup, SecurityEventKind
from accounts.models import SecurityEvent
from supervision.models import Judgment, Proposal
from tests.conftest import login
from tests.factories import AgencyFactory

from .item_helpers import (
    BUILDERS,
    MODELS,
    D,
    judgment,
    listing,
    litigation,
    proposal,
    suggestion,
    workbook_rows,
)

pytestmark = pytest.mark.django_db

KINDS = list(BUILDERS)


def url(kind, action, pk=None):
    name = f"supervision:{kind}-{action}"
    return reverse(name, args=[pk]) if pk else reverse(name)


def form_data(kind, agency, **overrides):
    data = {
        "proposal": {
            "agency": agency.pk,
            "kind": "cppcc_proposal",
            "number": "政协-2026-018",
            "title": "关于优化营商环境的提案",
            "assigned_on": "2026-03-01",
            "reply_deadline": "2026-05-31",
            "replied_on": "",
            "satisfaction": "",
            "note": "",
        },
        "litigation": {
            "agency": agency.pk,
            "case_number": "(2026)冀0826行初7号",
            "court": "丰宁县人民法院",
            "cause": "行政处罚",
            "hearing_date": "2026-04-02",
            "head_appearance_required": "on",
            "head_appeared": "on",
            "note": "",
        },
        "judgment": {
            "agency": agency.pk,
            "kind": "arbitral_award",
            "case_number": "承仲裁字2026第3号",
            "authority": "承德仲裁委员会",
            "effective_on": "2026-02-01",
            "due_on": "2026-03-01",
            "executed_on": "",
            "amount": "52000.00",
            "note": "",
        },
        "suggestion": {
            "agency": agency.pk,
            "number": "(2026)冀0826司建2号",
            "court": "丰宁县人民法院",
            "received_on": "2026-02-01",
            "due_on": "2026-03-02",
            "answered_on": "",
            "content": "建议完善合同管理。",
        },
        "listing": {
            "agency": agency.pk,
            "case_number": "(2026)冀0826执55号",
            "court": "丰宁县人民法院",
            "listed_on": "2026-01-05",
            "removed_on": "",
            "amount": "",
        },
    }[kind]
    data.update(overrides)
    return data


# Lists and permissions --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_office_lists_every_agency_and_agency_roles_only_their_own(client, world, kind):
    mine = BUILDERS[kind](world.a1)
    theirs = BUILDERS[kind](world.a2)
    other_county = BUILDERS[kind](world.b1)
    login(client, world.office_staff_a)
    response = client.get(url(kind, "list"))
    assert response.status_code == 200
    shown = {row["item"].pk for row in response.context["rows"]}
    assert shown == {mine.pk, theirs.pk}
    assert response.context["can_manage"]
    assert url(kind, "update", mine.pk) in response.content.decode()

    for user, expected in (
        (world.clerk_a1, {mine.pk}),
        (world.leader_a1, {mine.pk}),
        (world.clerk_a2, {theirs.pk}),
    ):
        login(client, user)
        response = client.get(url(kind, "list"))
        assert response.status_code == 200
        assert {row["item"].pk for row in response.context["rows"]} == expected
        assert not response.context["can_manage"]
        assert url(kind, "create") not in response.content.decode()

    login(client, world.city_viewer)
    response = client.get(url(kind, "list"))
    shown = {row["item"].pk for row in response.context["rows"]}
    assert shown == {mine.pk, theirs.pk, other_county.pk}
    assert response.context["multi_tenant"]
    assert world.county_b.name in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_roles_without_the_action_get_403(client, world, kind):
    item = BUILDERS[kind](world.a1)
    before = MODELS[kind].objects.filter(pk=item.pk).values().get()
    for user in (world.clerk_a1, world.leader_a1, world.city_viewer):
        login(client, user)
        assert client.get(url(kind, "create")).status_code == 403
        assert client.post(url(kind, "create"), form_data(kind, world.a1)).status_code == 403
        assert client.get(url(kind, "update", item.pk)).status_code == 403
        assert (
            client.post(url(kind, "update", item.pk), form_data(kind, world.a1)).status_code == 403
        )
        assert client.post(url(kind, "delete", item.pk)).status_code == 403
    login(client, world.evaluator_a)
    assert client.get(url(kind, "list")).status_code == 403
    assert client.get(url(kind, "export")).status_code == 403
    assert MODELS[kind].objects.filter(pk=item.pk).values().get() == before
    assert MODELS[kind].objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_another_countys_office_gets_404(client, world, kind):
    item = BUILDERS[kind](world.a1)
    login(client, world.office_admin_b)
    assert client.get(url(kind, "update", item.pk)).status_code == 404
    assert client.post(url(kind, "update", item.pk), form_data(kind, world.b1)).status_code == 404
    assert client.post(url(kind, "delete", item.pk)).status_code == 404
    response = client.get(url(kind, "list"))
    assert item.pk not in {row["item"].pk for row in response.context["rows"]}
    assert MODELS[kind].objects.filter(pk=item.pk, agency=world.a1).exists()


# Create, edit, delete ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_office_creates_edits_and_deletes(client, world, kind):
    login(client, world.office_admin_a)
    assert client.get(url(kind, "create")).status_code == 200
    response = client.post(url(kind, "create"), form_data(kind, world.a1))
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == url(kind, "list")
    item = MODELS[kind].objects.get()
    assert item.tenant == world.county_a and item.agency == world.a1

    assert client.get(url(kind, "update", item.pk)).status_code == 200
    response = client.post(url(kind, "update", item.pk), form_data(kind, world.a2))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.agency == world.a2

    response = client.post(url(kind, "delete", item.pk))
    assert response.status_code == 302
    assert not MODELS[kind].objects.exists()


def test_saved_values_are_those_of_the_form(client, world):
    login(client, world.office_staff_a)
    client.post(
        url("judgment", "create"), form_data("judgment", world.a1, executed_on="2026-02-27")
    )
    item = Judgment.objects.get()
    assert (item.kind, item.case_number, item.authority) == (
        "arbitral_award",
        "承仲裁字2026第3号",
        "承德仲裁委员会",
    )
    assert (item.effective_on, item.due_on, item.executed_on) == (
        D(2026, 2, 1),
        D(2026, 3, 1),
        D(2026, 2, 27),
    )
    assert str(item.amount) == "52000.00"
    client.post(url("litigation", "create"), form_data("litigation", world.a1, head_appeared=""))
    case = world.a1.litigation_cases.get()
    assert case.head_appearance_required and not case.head_appeared


def test_an_agency_of_another_county_cannot_be_chosen(client, world):
    login(client, world.office_admin_a)
    response = client.post(url("proposal", "create"), form_data("proposal", world.b1))
    assert response.status_code == 400
    assert "agency" in response.context["form"].errors
    assert not Proposal.objects.exists()


def test_proposal_deadline_defaults_to_three_months_after_assignment(client, world):
    login(client, world.office_admin_a)
    response = client.get(url("proposal", "create"))
    assert "3" in str(response.context["form"].fields["reply_deadline"].help_text)
    assert not response.context["form"].fields["reply_deadline"].required
    response = client.post(
        url("proposal", "create"),
        form_data("proposal", world.a1, assigned_on="2026-11-30", reply_deadline=""),
    )
    assert response.status_code == 302
    assert Proposal.objects.get().reply_deadline == D(2027, 2, 28)
    # A deadline the office gives is kept.
    client.post(
        url("proposal", "create"),
        form_data(
            "proposal",
            world.a1,
            number="人大-9",
            assigned_on="2026-03-01",
            reply_deadline="2026-04-15",
        ),
    )
    assert Proposal.objects.get(number="人大-9").reply_deadline == D(2026, 4, 15)


@pytest.mark.parametrize(
    "kind, overrides, field",
    [
        (
            "proposal",
            {"assigned_on": "2026-03-01", "reply_deadline": "2026-02-28"},
            "reply_deadline",
        ),
        ("proposal", {"replied_on": "", "satisfaction": "satisfied"}, "satisfaction"),
        ("proposal", {"assigned_on": "2026-03-01", "replied_on": "2026-02-27"}, "replied_on"),
        ("listing", {"listed_on": "2026-03-01", "removed_on": "2026-02-28"}, "removed_on"),
        ("judgment", {"effective_on": "2026-03-01", "due_on": "2026-02-28"}, "due_on"),
        ("judgment", {"amount": "-1"}, "amount"),
        ("proposal", {"assigned_on": "2026-02-30"}, "assigned_on"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(client, world, kind, overrides, field):
    login(client, world.office_admin_a)
    response = client.post(url(kind, "create"), form_data(kind, world.a1, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not MODELS[kind].objects.exists()
    # An edit with the same mistake leaves the row as it was.
    item = BUILDERS[kind](world.a1)
    before = MODELS[kind].objects.filter(pk=item.pk).values().get()
    response = client.post(url(kind, "update", item.pk), form_data(kind, world.a1, **overrides))
    assert response.status_code == 400
    assert MODELS[kind].objects.filter(pk=item.pk).values().get() == before


def test_satisfaction_with_a_reply_is_accepted(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        url("proposal", "create"),
        form_data(
            "proposal", world.a1, replied_on="2026-05-20", satisfaction="basically_satisfied"
        ),
    )
    assert response.status_code == 302
    assert Proposal.objects.get().satisfaction == "basically_satisfied"


# Statuses and filters ---------------------------------------------------------------------


def _status_texts(response):
    return {row["item"].pk: str(row["cells"][7]) for row in response.context["rows"]}


def test_proposal_list_shows_on_time_late_and_open_and_filters_them(client, world):
    on_deadline = proposal(
        world.a1,
        assigned_on=D(2026, 1, 5),
        reply_deadline=D(2026, 4, 5),
        replied_on=D(2026, 4, 5),
        satisfaction="satisfied",
    )
    late = proposal(
        world.a1,
        assigned_on=D(2026, 1, 5),
        reply_deadline=D(2026, 4, 5),
        replied_on=D(2026, 4, 6),
        satisfaction="dissatisfied",
    )
    overdue = proposal(world.a2, assigned_on=D(2020, 1, 5))
    still_open = proposal(world.a2, kind="cppcc_proposal", assigned_on=D(2099, 1, 5))
    login(client, world.office_staff_a)
    response = client.get(url("proposal", "list"))
    body = response.content.decode()
    statuses = {row["item"].pk: row["cells"][7].tone for row in response.context["rows"]}
    assert statuses == {
        on_deadline.pk: "success",
        late.pk: "danger",
        overdue.pk: "warning",
        still_open.pk: "secondary",
    }
    assert "text-bg-success" in body

    def shown(**params):
        response = client.get(url("proposal", "list"), params)
        return {row["item"].pk for row in response.context["rows"]}

    assert shown(timely="on_time") == {on_deadline.pk}
    assert shown(timely="late") == {late.pk}
    assert shown(timely="open") == {overdue.pk, still_open.pk}
    assert shown(timely="overdue") == {overdue.pk}
    assert shown(agency=world.a2.pk) == {overdue.pk, still_open.pk}
    assert shown(kind="cppcc_proposal") == {still_open.pk}
    assert shown(satisfaction="satisfied") == {on_deadline.pk}
    assert shown(date_from="2026-01-01", date_to="2026-12-31") == {on_deadline.pk, late.pk}
    assert shown(q=late.number) == {late.pk}


def test_judicial_filters(client, world):
    done = judgment(world.a1, due_on=D(2026, 2, 10), executed_on=D(2026, 2, 10))
    late = judgment(world.a1, due_on=D(2026, 2, 10), executed_on=D(2026, 2, 11))
    answered = suggestion(world.a1, due_on=D(2026, 3, 3), answered_on=D(2026, 3, 1))
    unanswered = suggestion(world.a1, due_on=D(2026, 3, 3))
    appeared = litigation(world.a1, head_appeared=True)
    absent = litigation(world.a1)
    excused = litigation(world.a1, head_appearance_required=False)
    active = listing(world.a1)
    removed = listing(world.a1, removed_on=D(2026, 2, 1))
    login(client, world.office_staff_a)

    def shown(kind, **params):
        response = client.get(url(kind, "list"), params)
        assert response.status_code == 200
        return {row["item"].pk for row in response.context["rows"]}

    assert shown("judgment", timely="on_time") == {done.pk}
    assert shown("judgment", timely="late") == {late.pk}
    assert shown("suggestion", timely="on_time") == {answered.pk}
    assert shown("suggestion", timely="overdue") == {unanswered.pk}
    assert shown("litigation", head_appeared="false", head_appearance_required="true") == {
        absent.pk
    }
    assert shown("litigation", head_appeared="true") == {appeared.pk}
    assert shown("litigation", head_appearance_required="false") == {excused.pk}
    assert shown("listing", active="true") == {active.pk}
    assert shown("listing", active="false") == {removed.pk}
    assert shown("listing", date_from="2026-01-20", date_to="2026-01-20") == {active.pk, removed.pk}


def test_list_paginates(client, world):
    for n in range(55):
        listing(world.a1, case_number=f"执{n}")
    login(client, world.office_staff_a)
    first = client.get(url("listing", "list"))
    assert len(first.context["rows"]) == 50
    second = client.get(url("listing", "list"), {"page": 2})
    assert len(second.context["rows"]) == 5


# Export -----------------------------------------------------------------------------------


def test_export_holds_the_filtered_rows_and_is_logged(client, world):
    kept = judgment(
        world.a1, due_on=D(2026, 2, 10), executed_on=D(2026, 2, 12), case_number='=HYPERLINK("x")'
    )
    judgment(world.a2, due_on=D(2026, 2, 10), executed_on=D(2026, 2, 9))
    judgment(world.b1)
    login(client, world.office_staff_a)
    response = client.get(url("judgment", "export"), {"agency": world.a1.pk})
    rows = workbook_rows(response)
    assert len(rows) == 2
    header, row = rows
    assert len(header) == len(row) == 10
    assert row[0] == world.a1.name
    assert row[2] == '\'=HYPERLINK("x")'  # neutralised, never a formula
    assert row[5].date() == kept.due_on and row[6].date() == D(2026, 2, 12)
    with translation.override("zh-hans"):
        assert row[7] == translation.gettext("Late")  # the status as text
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == world.office_staff_a
    assert event.detail["what"] == "judgments" and event.detail["rows"] == 1


def test_clerk_export_has_only_own_agency(client, world):
    listing(world.a1)
    listing(world.a2)
    login(client, world.clerk_a1)
    rows = workbook_rows(client.get(url("listing", "export")))
    assert [r[0] for r in rows[1:]] == [world.a1.name]


def test_city_viewer_export_names_the_county(client, world):
    suggestion(world.a1)
    suggestion(world.b1)
    suggestion(world.c1)
    login(client, world.city_viewer)
    rows = workbook_rows(client.get(url("suggestion", "export")))
    assert sorted(r[0] for r in rows[1:]) == sorted([world.county_a.name, world.county_b.name])


# The per-agency summary page ----------------------------------------------------------------


def _summary(client, **params):
    return client.get(reverse("supervision:summary"), params)


def test_summary_groups_agencies_and_shows_rates(client, world):
    proposal(
        world.a1,
        assigned_on=D(2026, 1, 5),
        reply_deadline=D(2026, 4, 5),
        replied_on=D(2026, 4, 1),
        satisfaction="satisfied",
    )
    proposal(
        world.a1,
        assigned_on=D(2026, 1, 5),
        reply_deadline=D(2026, 4, 5),
        replied_on=D(2026, 4, 9),
        satisfaction="dissatisfied",
    )
    proposal(world.a1, assigned_on=D(2026, 1, 5), reply_deadline=D(2026, 4, 5))
    login(client, world.office_admin_a)
    response = _summary(client, start="2026-01-01", end="2026-12-31")
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g["label"] for g in groups] == [
        RankingGroup.TOWNSHIP.label,
        RankingGroup.DEPARTMENT.label,
    ]
    assert [row["agency"] for row in groups[0]["rows"]] == [world.a2]
    by_agency = {row["agency"]: row["values"] for g in groups for row in g["rows"]}
    assert set(by_agency) == {world.a1, world.a2}
    # proposals: due 3, on time 1 (33.3 %), rated 2, satisfied 1 (50.0 %)
    assert by_agency[world.a1][5:11] == [3, 1, Decimal("33.3"), 2, 1, Decimal("50.0")]
    assert str(by_agency[world.a1][7]) == "33.3"
    # nothing to count: the rate is None, shown as a dash
    assert by_agency[world.a2][7] is None
    assert by_agency[world.a1][4] is None
    assert "—" in response.content.decode()


def test_summary_defaults_to_this_year_so_far(client, world):
    login(client, world.office_admin_a)
    response = _summary(client)
    today = datetime.date.today()
    assert response.context["start"] == D(today.year, 1, 1)
    assert response.context["end"] <= today + datetime.timedelta(days=1)


def test_summary_refuses_a_period_ending_before_it_starts(client, world):
    login(client, world.office_admin_a)
    response = _summary(client, start="2026-05-01", end="2026-04-30")
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
    assert not response.context["groups"]


def test_summary_rows_follow_the_users_scope(client, world):
    login(client, world.clerk_a1)
    response = _summary(client, start="2026-01-01", end="2026-12-31")
    rows = [row["agency"] for g in response.context["groups"] for row in g["rows"]]
    assert rows == [world.a1]
    login(client, world.evaluator_a)
    assert _summary(client).status_code == 403
    # The city viewer chooses one of its counties; another city's county is not offered.
    login(client, world.city_viewer)
    response = _summary(client)
    assert response.context["tenant"] is None
    counties = set(response.context["form"].fields["tenant"].queryset)
    assert counties == {world.county_a, world.county_b}
    response = _summary(client, tenant=world.county_b.pk)
    rows = [row["agency"] for g in response.context["groups"] for row in g["rows"]]
    assert rows == [world.b1]
    response = _summary(client, tenant=world.county_c.pk)
    assert response.status_code == 400 and not response.context["groups"]


def test_summary_lists_an_inactive_agency_only_with_figures(client, world):
    quiet = AgencyFactory(tenant=world.county_a, name="已撤销单位", is_active=False)
    busy = AgencyFactory(tenant=world.county_a, name="已合并单位", is_active=False)
    listing(busy, listed_on=D(2026, 1, 2))
    login(client, world.office_admin_a)
    response = _summary(client, start="2026-01-01", end="2026-12-31")
    rows = {row["agency"] for g in response.context["groups"] for row in g["rows"]}
    assert busy in rows and quiet not in rows


def test_summary_export(client, world):
    judgment(world.a2, due_on=D(2026, 2, 10), executed_on=D(2026, 2, 10))
    login(client, world.office_staff_a)
    rows = workbook_rows(
        client.get(
            reverse("supervision:summary-export"), {"start": "2026-01-01", "end": "2026-06-30"}
        )
    )
    assert len(rows) == 3
    assert len(rows[0]) == 24
    a2 = next(r for r in rows[1:] if r[1] == world.a2.name)
    assert a2[2 + 14 : 2 + 17] == [1, 1, 100]
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).count() == 1


def _add_agencies(world, count):
    for _n in range(count):
        agency = AgencyFactory(tenant=world.county_a)
        proposal(agency)
        judgment(agency)
        listing(agency)


def _summary_queries(client, world, agencies):
    login(client, world.office_admin_a)
    with CaptureQueriesContext(connection) as queries:
        response = _summary(client, start="2026-01-01", end="2026-12-31")
    assert response.status_code == 200
    assert sum(len(g["rows"]) for g in response.context["groups"]) == agencies
    return len(queries)


def test_summary_runs_a_fixed_number_of_queries(client, world):
    _add_agencies(world, 1)
    few = _summary_queries(client, world, 3)
    _add_agencies(world, 27)
    many = _summary_queries(client, world, 30)
    assert few == many


def test_platform_admin_names_the_county_of_a_new_item(client, world):
    login(client, world.platform_admin)
    response = client.get(url("listing", "create"))
    assert response.status_code == 200 and response.context["form"] is None
    target = f"{url('listing', 'create')}?tenant={world.county_a.pk}"
    response = client.post(target, form_data("listing", world.a1))
    assert response.status_code == 302
    assert world.a1.debtor_listings.get().tenant == world.county_a
    # A city has no agencies of its own: nothing to record there.
    response = client.post(
        f"{url('listing', 'create')}?tenant={world.city.pk}", form_data("listing", world.a1)
    )
    assert response.status_code == 403
    assert world.a1.debtor_listings.count() == 1
