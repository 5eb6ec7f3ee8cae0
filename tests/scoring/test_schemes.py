"""Scheme pages: a new scheme from the default or a copy, the tree with its totals and problems,
editing grades and indicators (back to draft), validating, manual entries per agency, and the
calculator documentation. Through HTTP as the office, a city viewer and an agency."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext
from pghistory.models import Events

from scoring.calculators import CALCULATORS
from scoring.models import Indicator, ManualEntry, Scheme
from tests.conftest import login
from tests.factories import AgencyFactory
from tests.isolation_specs.scoring_office import make_run, make_scheme

SCHEMES = reverse("scoring:scheme-list")
CREATE = reverse("scoring:scheme-create")


def detail(scheme):
    return reverse("scoring:scheme-detail", args=[scheme.pk])


def test_office_creates_a_scheme_from_the_default(client, world):
    login(client, world.office_staff_a)
    assert client.get(SCHEMES).status_code == 200
    response = client.get(CREATE)
    assert response.status_code == 200
    assert response.context["form"].initial["copy_from"] is None  # nothing to copy yet
    response = client.post(
        CREATE, {"name": "", "period_kind": "year", "year": 2025, "period_number": 1}
    )
    scheme = Scheme.objects.get(tenant=world.county_a)
    assert response["Location"] == detail(scheme)
    assert (scheme.start.isoformat(), scheme.end.isoformat()) == ("2025-01-01", "2025-12-31")
    assert scheme.created_by == world.office_staff_a
    assert scheme.indicators.filter(parent__isnull=True).count() == 7

    page = client.get(detail(scheme))
    assert page.status_code == 200
    assert page.context["problems"] == []
    assert page.context["regular_total"] == Decimal(100)
    assert page.context["bonus_cap"] == Decimal(5)
    assert page.context["deduction_cap"] == Decimal(20)
    html = page.content.decode()
    assert "专项治理" in html and "政务失信记录" in html
    # Computed items show their calculator's label and formula, with the parameters.
    assert str(CALCULATORS["records_by_severity"].formula) in html
    assert "serious = 5" in html
    assert 'data-testid="problems"' not in html
    assert scheme.status == "draft"

    response = client.post(reverse("scoring:scheme-validate", args=[scheme.pk]))
    assert response["Location"] == detail(scheme)
    scheme.refresh_from_db()
    assert scheme.status == "ready"

    # The same period again is refused on the form.
    response = client.post(CREATE, {"period_kind": "year", "year": 2025, "period_number": 1})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Scheme.objects.filter(tenant=world.county_a).count() == 1


def test_copy_defaults_to_the_latest_scheme_and_the_next_period(client, world):
    first = make_scheme(world.county_a, year=2024)
    item = first.indicators.get(code="report_on_time")
    item.max_points = Decimal("12")  # the office tuned the points of the last period
    item.save()
    first.grades = [{"label": "好", "min": 80}, {"label": "差", "min": 0}]
    first.save()
    make_scheme(world.county_b, year=2030)  # another county's scheme is never offered
    login(client, world.office_staff_a)
    form = client.get(CREATE).context["form"]
    assert form.initial["copy_from"] == first.pk
    assert (form.initial["period_kind"], form.initial["year"]) == ("year", 2025)
    assert list(form.fields["copy_from"].queryset) == [first]

    response = client.post(
        CREATE, {"period_kind": "year", "year": 2025, "period_number": 1, "copy_from": first.pk}
    )
    copy = Scheme.objects.get(tenant=world.county_a, year=2025)
    assert response["Location"] == detail(copy)
    assert copy.copied_from == first
    assert copy.grades == first.grades
    assert copy.indicators.count() == first.indicators.count()
    assert copy.indicators.get(code="report_on_time").max_points == Decimal("12")
    # 12 + 10 + 10 ≠ 30: the copy shows the problem it inherited.
    problems = client.get(detail(copy)).context["problems"]
    assert any("32" in p and "30" in p for p in problems)

    other = make_scheme(world.county_b, year=2031)
    response = client.post(
        CREATE, {"period_kind": "year", "year": 2026, "period_number": 1, "copy_from": other.pk}
    )
    assert response.status_code == 200 and "copy_from" in response.context["form"].errors


def test_problems_are_shown_and_an_edit_makes_the_scheme_a_draft(client, world):
    scheme = make_scheme(world.county_a, year=2025)
    login(client, world.office_staff_a)
    client.post(reverse("scoring:scheme-validate", args=[scheme.pk]))
    scheme.refresh_from_db()
    assert scheme.status == "ready"

    item = scheme.indicators.get(code="court")
    edit = reverse("scoring:indicator-edit", args=[item.pk])
    form = client.get(edit).context["form"]
    assert form.initial["calculator"] == "court_appearance"
    response = client.post(
        edit,
        {
            "code": "court",
            "name": "行政机关负责人出庭应诉",
            "description": "",
            "max_points": "6",
            "method": "computed",
            "calculator": "court_appearance",
            "position": 0,
        },
    )
    assert response["Location"] == detail(scheme)
    scheme.refresh_from_db()
    assert scheme.status == "draft"
    page = client.get(detail(scheme))
    html = page.content.decode()
    assert 'data-testid="problems"' in html
    assert "依法行政和司法监督" in html and "17" in " ".join(page.context["problems"])
    assert 'data-testid="start-run" disabled' in html

    # Grades out of order and above the maximum are shown as problems too.
    edit_scheme = reverse("scoring:scheme-edit", args=[scheme.pk])
    assert client.get(edit_scheme).status_code == 200
    response = client.post(
        edit_scheme,
        {
            "name": scheme.name,
            "period_kind": "year",
            "year": 2025,
            "period_number": 1,
            "grades-TOTAL_FORMS": 3,
            "grades-INITIAL_FORMS": 0,
            "grades-0-label": "优秀",
            "grades-0-min": "200",
            "grades-1-label": "良好",
            "grades-1-min": "200",
            "grades-2-label": "",
            "grades-2-min": "",
        },
    )
    assert response["Location"] == detail(scheme)
    scheme.refresh_from_db()
    assert [g["label"] for g in scheme.grades] == ["优秀", "良好"]
    problems = " ".join(client.get(detail(scheme)).context["problems"])
    assert gettext("Grades must have different labels and minimums.") in problems
    client.post(reverse("scoring:scheme-validate", args=[scheme.pk]))
    scheme.refresh_from_db()
    assert scheme.status == "draft"

    # A grade with a label but no minimum is refused on the form.
    response = client.post(
        edit_scheme,
        {
            "name": scheme.name,
            "period_kind": "year",
            "year": 2025,
            "period_number": 1,
            "grades-TOTAL_FORMS": 1,
            "grades-INITIAL_FORMS": 0,
            "grades-0-label": "优秀",
            "grades-0-min": "",
        },
    )
    assert response.status_code == 200
    assert response.context["grades"].forms[0].errors


def test_indicators_are_added_with_parameters_and_deleted(client, world):
    scheme = make_scheme(world.county_a, year=2025)
    category = scheme.indicators.get(code="deductions")
    login(client, world.office_staff_a)
    create = reverse("scoring:indicator-create", args=[scheme.pk]) + f"?parent={category.pk}"
    page = client.get(create)
    assert page.status_code == 200
    assert "param__records_by_severity__serious" in page.context["form"].fields
    response = client.post(
        create,
        {
            "code": "records_extra",
            "name": "重复失信",
            "max_points": "10",
            "method": "computed",
            "calculator": "records_by_severity",
            "param__records_by_severity__light": "0.5",
            "param__records_by_severity__general": "",
            "param__records_by_severity__serious": "8",
            "param__founded_complaints__per_item": "2",  # another calculator's: ignored
            "position": 1,
        },
    )
    assert response["Location"] == detail(scheme)
    item = Indicator.objects.get(scheme=scheme, code="records_extra")
    assert item.parent == category
    assert item.params == {"light": 0.5, "general": 3, "serious": 8}

    response = client.post(
        create,
        {"code": "x", "name": "x", "max_points": "1", "method": "computed", "position": 0},
    )
    assert response.status_code == 200 and "calculator" in response.context["form"].errors

    # A manual bonus item with full points by default, in a new category.
    new_category = reverse("scoring:indicator-create", args=[scheme.pk])
    client.post(
        new_category,
        {"code": "openness", "name": "政务公开", "category_kind": "regular", "max_points": "5"}
        | {"position": 7},
    )
    openness = Indicator.objects.get(scheme=scheme, code="openness")
    assert openness.parent is None and openness.category_kind == "regular"
    client.post(
        reverse("scoring:indicator-create", args=[scheme.pk]) + f"?parent={openness.pk}",
        {
            "code": "open_manual",
            "name": "公开情况",
            "max_points": "5",
            "method": "manual",
            "manual_default": "full",
            "position": 0,
        },
    )
    manual = Indicator.objects.get(scheme=scheme, code="open_manual")
    assert (manual.method, manual.calculator, manual.params) == ("manual", "", {"default": "full"})

    # Duplicate codes come back from the service onto the form.
    response = client.post(
        new_category,
        {"code": "openness", "name": "重复", "category_kind": "bonus", "max_points": "1"}
        | {"position": 0},
    )
    assert response.status_code == 200 and "code" in response.context["form"].errors

    delete = reverse("scoring:indicator-delete", args=[item.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete)["Location"] == detail(scheme)
    assert not Indicator.objects.filter(pk=item.pk).exists()

    # Once a run has scored an indicator it stays.
    scored = scheme.indicators.get(code="court")
    make_run(world.county_a, scheme=scheme)
    client.post(reverse("scoring:indicator-delete", args=[scored.pk]))
    assert Indicator.objects.filter(pk=scored.pk).exists()


def test_manual_entries_need_a_reason_and_points_within_the_maximum(client, world):
    scheme = make_scheme(world.county_a, year=2025)
    bonus = scheme.indicators.get(code="typical_cases")  # manual, 0 to 5
    AgencyFactory(tenant=world.county_a, name="已撤销单位", is_active=False)
    url = reverse("scoring:manual-entries", args=[bonus.pk])
    login(client, world.office_staff_a)
    page = client.get(url)
    assert page.status_code == 200
    assert [row["agency"] for row in page.context["form"].rows()] == [world.a1, world.a2]
    a1, a2 = world.a1.pk, world.a2.pk

    # One good row and one without a reason: nothing is saved, the bad row is marked.
    response = client.post(
        url,
        {f"points_{a1}": "2", f"reason_{a1}": "入选省级诚信典型", f"points_{a2}": "3"},
    )
    assert response.status_code == 200
    rows = {row["agency"].pk: row for row in response.context["form"].rows()}
    assert rows[a2]["errors"] and not rows[a1]["errors"]
    assert not ManualEntry.objects.exists()

    response = client.post(url, {f"points_{a1}": "6", f"reason_{a1}": "超过上限"})
    rows = {row["agency"].pk: row for row in response.context["form"].rows()}
    assert gettext("Enter points from 0 to %(max)s.") % {"max": "5.00"} in rows[a1]["errors"]
    assert not ManualEntry.objects.exists()

    response = client.post(
        url,
        {
            f"points_{a1}": "2",
            f"reason_{a1}": "入选省级诚信典型",
            f"points_{a2}": "",
            f"reason_{a2}": "",
        },
    )
    assert response["Location"] == url
    entry = ManualEntry.objects.get()
    assert (entry.agency, entry.points, entry.reason) == (
        world.a1,
        Decimal("2.00"),
        "入选省级诚信典型",
    )
    assert entry.entered_by == world.office_staff_a
    insert = Events.objects.tracks(entry).filter(pgh_label="insert").get()
    assert insert.pgh_context["username"] == world.office_staff_a.username

    # Unchanged rows are not written again; a change is audited with its diff.
    client.post(url, {f"points_{a1}": "2.00", f"reason_{a1}": "入选省级诚信典型"})
    assert not Events.objects.tracks(entry).filter(pgh_label="update").exists()
    client.post(url, {f"points_{a1}": "4", f"reason_{a1}": "入选国家级诚信典型"})
    update = Events.objects.tracks(entry).filter(pgh_label="update").get()
    assert update.pgh_diff["points"] == [2, 4]

    # Emptying both cells removes the entry (audited): the item's default applies again.
    response = client.post(url, {f"points_{a1}": "", f"reason_{a1}": ""})
    assert response["Location"] == url
    assert not ManualEntry.objects.exists()
    assert Events.objects.tracks(entry).filter(pgh_label="delete").exists()

    # Computed items and categories take no entries.
    computed = scheme.indicators.get(code="court")
    assert client.get(reverse("scoring:manual-entries", args=[computed.pk])).status_code == 404


def test_city_viewer_reads_and_agencies_do_not(client, world):
    scheme = make_scheme(world.county_a, year=2025)
    login(client, world.city_viewer)
    page = client.get(SCHEMES)
    assert page.status_code == 200 and scheme.name in page.content.decode()
    page = client.get(detail(scheme))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("scoring:scheme-edit", args=[scheme.pk]) not in html
    assert 'data-testid="start-run"' not in html and 'data-testid="validate"' not in html
    assert client.get(CREATE).status_code == 403
    item = scheme.indicators.get(code="court")
    assert client.get(reverse("scoring:indicator-edit", args=[item.pk])).status_code == 403
    assert client.post(reverse("scoring:scheme-validate", args=[scheme.pk])).status_code == 403
    assert client.post(reverse("scoring:run-start", args=[scheme.pk])).status_code == 403
    assert client.get(reverse("scoring:calculator-list")).status_code == 200

    login(client, world.clerk_a1)
    assert client.get(SCHEMES).status_code == 403
    assert client.get(detail(scheme)).status_code == 403

    # The platform admin has no county to keep schemes for.
    login(client, world.platform_admin)
    assert client.get(CREATE).status_code == 403


@pytest.mark.parametrize("code", sorted(CALCULATORS))
def test_calculator_documentation(client, world, code):
    login(client, world.office_staff_a)
    page = client.get(reverse("scoring:calculator-list"))
    html = page.content.decode()
    calculator = CALCULATORS[code]
    assert f'id="calc-{code}"' in html
    assert str(calculator.formula) in html
    docs = {c["code"]: c for c in page.context["calculators"]}
    assert all(definition for _code, definition in docs[code]["figures"]), docs[code]
    assert "第三方机构评价得分" in html  # the default scheme is documented too
