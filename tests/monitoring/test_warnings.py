"""Warnings: no duplicate while one is open (a new one after it is resolved), their lifecycle
and who may do what, the notification of the office, the nightly task and the "Evaluate now"
button, the list with its filters and Excel export, the home page pieces and the API."""

import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import load_workbook
from pghistory.models import Events

from accounts.models import Notification
from monitoring import selectors, services, tasks
from monitoring.choices import RuleKind, WarningStatus
from tests.conftest import login
from tests.factories import TrustRecordFactory

from .helpers import complaint, evaluate, make_warning, only, set_rule, today, warnings_of


@pytest.fixture
def complaints_a1(world):
    """Two complaints against a1 today; the complaints rule of county A fires at two."""
    w = world
    only(w.county_a, RuleKind.COMPLAINTS)
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=2, window_days=30)
    complaint(w.a1, today())
    complaint(w.a1, today())
    return w


# Duplicates -----------------------------------------------------------------------------------


def test_no_second_warning_while_one_is_open_and_a_new_one_after_resolve(complaints_a1):
    w = complaints_a1
    assert evaluate(w.county_a).count == 1
    assert evaluate(w.county_a).count == 0
    (first,) = warnings_of(w.county_a)
    services.warning_acknowledge(warning=first, actor=w.office_staff_a)
    assert evaluate(w.county_a).count == 0
    services.warning_resolve(warning=first, actor=w.office_staff_a, note="已约谈")
    # The condition is still there: a new warning about it.
    assert evaluate(w.county_a).count == 1
    statuses = [x.status for x in warnings_of(w.county_a)]
    assert statuses == [WarningStatus.RESOLVED, WarningStatus.NEW]
    assert len({x.dedupe_key for x in warnings_of(w.county_a)}) == 1


def test_resolved_condition_gone_raises_nothing_new(complaints_a1):
    w = complaints_a1
    evaluate(w.county_a)
    (first,) = warnings_of(w.county_a)
    services.warning_resolve(warning=first, actor=w.office_staff_a, note="已处理")
    set_rule(w.county_a, RuleKind.COMPLAINTS, count=3)
    assert evaluate(w.county_a).count == 0


def test_events_warn_once_per_subject_even_after_resolve(world):
    w = world
    only(w.county_a, RuleKind.SERIOUS_RECORD)
    TrustRecordFactory(agency=w.a1, severity="serious")
    assert evaluate(w.county_a).count == 1
    (warning,) = warnings_of(w.county_a)
    services.warning_resolve(warning=warning, actor=w.office_staff_a, note="已督促整改")
    assert evaluate(w.county_a).count == 0


def test_the_database_refuses_a_second_open_warning_about_the_same_condition(world):
    make_warning(world.county_a, world.a1, key="complaints:agency:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_warning(world.county_a, world.a1, key="complaints:agency:1")
    # Resolved ones do not count; another county may have the same key.
    make_warning(world.county_a, world.a1, key="complaints:agency:2", status="resolved")
    make_warning(world.county_a, world.a1, key="complaints:agency:2")
    make_warning(world.county_b, world.b1, key="complaints:agency:1")


# Notification ---------------------------------------------------------------------------------


def test_one_notification_per_run_to_the_office(complaints_a1):
    w = complaints_a1
    complaint(w.a2, today())
    complaint(w.a2, today())
    evaluate(w.county_a)
    office = Notification.objects.filter(user__in=[w.office_admin_a, w.office_staff_a])
    assert office.count() == 2  # one each
    note = office.get(user=w.office_staff_a)
    assert "2" in note.title
    assert note.url == reverse("monitoring:warning-list") + "?status=new"
    assert str(RuleKind.COMPLAINTS.label) in note.body
    assert not Notification.objects.filter(user__in=[w.clerk_a1, w.office_admin_b]).exists()
    # A run that raises nothing sends nothing.
    evaluate(w.county_a)
    assert office.count() == 2


# Lifecycle and permissions --------------------------------------------------------------------


def _detail(w):
    return reverse("monitoring:warning-detail", args=[w.pk])


def _ack(w):
    return reverse("monitoring:warning-acknowledge", args=[w.pk])


def _resolve(w):
    return reverse("monitoring:warning-resolve", args=[w.pk])


def test_office_acknowledges_then_resolves_with_a_note(client, world):
    w = world
    warning = make_warning(w.county_a, w.a1)
    login(client, w.office_staff_a)
    page = client.get(_detail(warning))
    assert page.status_code == 200
    assert _ack(warning) in page.content.decode()

    response = client.post(_ack(warning), {"ack-note": "交县财政局核查"})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    assert warning.acknowledged_by == w.office_staff_a
    assert warning.acknowledge_note == "交县财政局核查"
    assert warning.acknowledged_at is not None

    # A note is required to resolve.
    response = client.post(_resolve(warning), {"resolve-note": "  "})
    assert response.status_code == 200
    assert gettext("This field is required.") in response.content.decode()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED

    response = client.post(_resolve(warning), {"resolve-note": "已约谈，限期整改完毕"})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    assert (warning.resolved_by, warning.resolve_note) == (w.office_staff_a, "已约谈，限期整改完毕")

    page = client.get(_detail(warning)).content.decode()
    assert "交县财政局核查" in page and "已约谈，限期整改完毕" in page
    assert _resolve(warning) not in page
    # Twice is refused, the warning unchanged.
    client.post(_resolve(warning), {"resolve-note": "再次"})
    warning.refresh_from_db()
    assert warning.resolve_note == "已约谈，限期整改完毕"

    steps = Events.objects.tracks(warning).filter(pgh_label="update")
    assert steps.count() == 2
    assert all(e.pgh_context["username"] == w.office_staff_a.username for e in steps)


def test_resolve_straight_from_new(world):
    warning = make_warning(world.county_a, world.a1)
    services.warning_resolve(warning=warning, actor=world.office_admin_a, note="误报")
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    assert warning.acknowledged_at is None


def test_agency_reads_its_own_warnings_only_and_cannot_act(client, world):
    w = world
    own = make_warning(w.county_a, w.a1)
    other = make_warning(w.county_a, w.a2)
    county_level = make_warning(w.county_a, None)
    login(client, w.clerk_a1)
    listing = client.get(reverse("monitoring:warning-list")).content.decode()
    assert _detail(own) in listing
    assert _detail(other) not in listing and _detail(county_level) not in listing
    page = client.get(_detail(own))
    assert page.status_code == 200
    assert _ack(own) not in page.content.decode()
    assert client.post(_ack(own), {}).status_code == 403
    assert client.post(_resolve(own), {"resolve-note": "x"}).status_code == 403
    assert client.get(_detail(other)).status_code == 404
    own.refresh_from_db()
    assert own.status == WarningStatus.NEW


def test_city_viewer_reads_the_counties_below_read_only(client, world):
    w = world
    warning = make_warning(w.county_a, w.a1)
    elsewhere = make_warning(w.county_c, w.c1)
    login(client, w.city_viewer)
    listing = client.get(reverse("monitoring:warning-list")).content.decode()
    assert _detail(warning) in listing and _detail(elsewhere) not in listing
    page = client.get(_detail(warning)).content.decode()
    assert _ack(warning) not in page and _resolve(warning) not in page
    assert client.post(_ack(warning), {}).status_code == 403
    assert client.post(reverse("monitoring:warning-evaluate")).status_code == 403
    assert client.get(_detail(elsewhere)).status_code == 404


def test_other_county_gets_404(client, world):
    warning = make_warning(world.county_a, world.a1)
    login(client, world.office_admin_b)
    assert client.get(_detail(warning)).status_code == 404
    assert client.post(_ack(warning), {}).status_code == 404
    assert client.post(_resolve(warning), {"resolve-note": "x"}).status_code == 404
    warning.refresh_from_db()
    assert warning.status == WarningStatus.NEW


# Nightly task and button ----------------------------------------------------------------------


def test_nightly_task_evaluates_every_county_and_names_itself(complaints_a1, settings):
    w = complaints_a1
    only(w.county_b, RuleKind.COMPLAINTS)
    set_rule(w.county_b, RuleKind.COMPLAINTS, count=1)
    complaint(w.b1, today())
    result = tasks.evaluate_all.delay().get()
    assert result["warnings"] == 2 and result["failed"] == 0
    (warning,) = warnings_of(w.county_a)
    assert warning.raised_by is None
    event = Events.objects.tracks(warning).get(pgh_label="insert")
    assert event.pgh_context["source"] == "task:monitoring.evaluate_all"
    assert len(warnings_of(w.county_b)) == 1
    assert tasks.evaluate_all.delay().get()["warnings"] == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "monitoring.evaluate_all" in scheduled


def test_evaluate_now_button(client, complaints_a1):
    w = complaints_a1
    login(client, w.office_staff_a)
    page = client.get(reverse("monitoring:warning-list")).content.decode()
    assert reverse("monitoring:warning-evaluate") in page
    response = client.post(reverse("monitoring:warning-evaluate"), follow=True)
    assert response.status_code == 200
    (warning,) = warnings_of(w.county_a)
    assert warning.raised_by == w.office_staff_a
    assert _detail(warning) in response.content.decode()
    # Only the user's county is evaluated.
    assert warnings_of(w.county_b) == []


def test_clerk_cannot_evaluate(client, complaints_a1):
    login(client, complaints_a1.clerk_a1)
    assert client.post(reverse("monitoring:warning-evaluate")).status_code == 403
    assert warnings_of(complaints_a1.county_a) == []


# List, filters, export ------------------------------------------------------------------------


def test_list_filters(client, world):
    w = world
    high = make_warning(w.county_a, w.a1, kind="serious_record")
    medium = make_warning(w.county_a, w.a2)
    done = make_warning(w.county_a, w.a1, status="resolved")
    login(client, w.office_admin_a)
    url = reverse("monitoring:warning-list")

    def shown(query):
        page = client.get(url, query).content.decode()
        return {x.pk for x in (high, medium, done) if _detail(x) in page}

    assert shown({}) == {high.pk, medium.pk, done.pk}
    assert shown({"status": "open"}) == {high.pk, medium.pk}
    assert shown({"status": "resolved"}) == {done.pk}
    assert shown({"severity": "high"}) == {high.pk}
    assert shown({"kind": "complaints"}) == {medium.pk, done.pk}
    assert shown({"agency": w.a2.pk}) == {medium.pk}


def test_export_to_excel(client, world):
    w = world
    make_warning(w.county_a, w.a1)
    make_warning(w.county_a, w.a2, status="resolved")
    make_warning(w.county_b, w.b1)
    login(client, w.office_staff_a)
    response = client.get(reverse("monitoring:warning-export"), {"status": "open"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header + the open warning of county A
    assert w.a1.name in rows[1]
    from accounts.models import SecurityEvent

    assert SecurityEvent.objects.filter(user=w.office_staff_a, kind="export").exists()


# Home page pieces -----------------------------------------------------------------------------


def test_open_warnings_and_counts_for_the_home_pages(world):
    w = world
    older = make_warning(w.county_a, w.a1)
    newer = make_warning(w.county_a, w.a1, kind="serious_record")
    make_warning(w.county_a, w.a1, status="resolved")
    make_warning(w.county_a, w.a2)
    acked = make_warning(w.county_a, w.a2, kind="debt_line")
    services.warning_acknowledge(warning=acked, actor=w.office_staff_a)
    make_warning(w.county_b, w.b1)

    assert selectors.open_warnings(w.clerk_a1) == [newer, older]
    assert selectors.open_warnings(w.clerk_a1, limit=1) == [newer]
    assert selectors.warning_counts(w.office_admin_a) == {
        "high": 2,
        "medium": 2,
        "low": 0,
        "total": 4,
        "new": 3,
    }
    assert selectors.warning_counts(w.clerk_a1)["total"] == 2


def test_open_warnings_card_renders_the_list_or_the_empty_state(rf, world):
    from django.template.loader import render_to_string

    w = world
    warning = make_warning(w.county_a, w.a1)
    html = render_to_string(
        "monitoring/_open_warnings.html", {"warnings": selectors.open_warnings(w.clerk_a1)}
    )
    assert _detail(warning) in html and warning.title in html
    empty = render_to_string("monitoring/_open_warnings.html", {"warnings": []})
    assert gettext("No open warnings.") in empty


# API ------------------------------------------------------------------------------------------


def test_api_lists_scoped_warnings_rules_and_debt_figures(client, world):
    w = world
    own = make_warning(w.county_a, w.a1)
    make_warning(w.county_a, w.a2)
    make_warning(w.county_b, w.b1)
    login(client, w.clerk_a1)
    data = client.get("/api/v1/warnings/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert [row["id"] for row in rows] == [own.pk]
    assert client.get("/api/v1/warning-rules/").status_code == 403
    assert client.post("/api/v1/warnings/", {}).status_code in (403, 405)

    login(client, w.office_admin_a)
    data = client.get("/api/v1/warning-rules/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert {row["kind"] for row in rows} == set(RuleKind.values)
    assert all(row["tenant"] == w.county_a.pk for row in rows)
    complaints = next(row for row in rows if row["kind"] == "complaints")
    assert complaints["parameters"] == ["count", "window_days"]
    assert complaints["description"]
