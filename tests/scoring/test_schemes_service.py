"""Scheme services: the default scheme, copying a scheme, validation (every kind of problem),
indicators, manual entries and periods."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from scoring import services
from scoring.choices import CategoryKind, Method, PeriodKind, SchemeStatus
from scoring.defaults import DEFAULT_GRADES, DEFAULT_SCHEME
from scoring.engine import grade_for
from scoring.models import Indicator, ManualEntry, Scheme

from .helpers import computed_run, indicator, scheme_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages compared in their English msgids, whatever the translations say."""
    with translation.override("en"):
        yield


def tree(scheme: Scheme) -> list[tuple]:
    """The scheme's indicators without ids: (category code or "", code, name, kind, points,
    method, calculator, params, position)."""
    return sorted(
        (
            i.parent.code if i.parent_id else "",
            i.code,
            i.name,
            i.category_kind,
            i.max_points,
            i.method,
            i.calculator,
            i.params,
            i.position,
        )
        for i in scheme.indicators.select_related("parent")
    )


def add_item(scheme, category_code, **data):
    return services.indicator_save(
        scheme=scheme,
        data={
            "parent": indicator(scheme, category_code),
            "name": data.get("code", "item"),
            "method": Method.COMPUTED,
            "params": {},
            "position": 9,
            **data,
        },
        actor=None,
    )


def set_points(scheme, code, value):
    services.indicator_save(
        scheme=scheme,
        indicator=indicator(scheme, code),
        data={"max_points": Decimal(value)},
        actor=None,
    )


# The default scheme ------------------------------------------------------------------------


def test_the_default_scheme_has_no_problems(world):
    scheme = scheme_for(world.county_a, actor=world.office_staff_a)
    assert (scheme.start, scheme.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert scheme.name == "Government integrity supervision 2025"
    assert scheme.grades == DEFAULT_GRADES
    assert scheme.status == SchemeStatus.DRAFT
    assert services.scheme_problems(scheme) == []
    assert services.scheme_validate(scheme=scheme, actor=None) == []
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.READY


def test_the_default_scheme_follows_the_domain_table(world):
    scheme = scheme_for(world.county_a)
    categories = {c.code: c for c in scheme.indicators.filter(parent__isnull=True)}
    assert [code for code, *_rest in DEFAULT_SCHEME] == [
        c.code for c in sorted(categories.values(), key=lambda c: c.position)
    ]
    regular = [c for c in categories.values() if c.category_kind == CategoryKind.REGULAR]
    assert sum(c.max_points for c in regular) == 100
    assert categories["deductions"].category_kind == CategoryKind.DEDUCTION
    assert categories["deductions"].max_points == 20
    assert categories["bonus"].category_kind == CategoryKind.BONUS
    assert categories["bonus"].max_points == 5
    for category in regular:
        assert sum(i.max_points for i in category.children.all()) == category.max_points
    items = scheme.indicators.filter(parent__isnull=False)
    assert items.count() == sum(len(entry[4]) for entry in DEFAULT_SCHEME) == 17
    manual = set(items.filter(method=Method.MANUAL).values_list("code", flat=True))
    assert manual == {"no_breach", "typical_cases"}


def test_periods():
    assert services.period_bounds(PeriodKind.YEAR, 2025) == (date(2025, 1, 1), date(2025, 12, 31))
    assert services.period_bounds(PeriodKind.HALF, 2026, 1) == (date(2026, 1, 1), date(2026, 6, 30))
    assert services.period_bounds(PeriodKind.HALF, 2026, 2) == (
        date(2026, 7, 1),
        date(2026, 12, 31),
    )
    assert services.period_bounds(PeriodKind.QUARTER, 2024, 1) == (
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert services.period_bounds(PeriodKind.QUARTER, 2026, 4) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert services.period_label(PeriodKind.HALF, 2026, 1) == "2026 first half"
    assert services.period_label(PeriodKind.QUARTER, 2026, 3) == "2026 Q3"


def test_one_scheme_per_period_and_the_number_in_range(world):
    scheme_for(world.county_a)
    with pytest.raises(ValidationError) as error:
        scheme_for(world.county_a)
    assert "year" in error.value.message_dict
    scheme_for(world.county_b)  # another county has its own
    with pytest.raises(ValidationError) as error:
        scheme_for(world.county_a, period_kind=PeriodKind.HALF, year=2026, period_number=3)
    assert "period_number" in error.value.message_dict
    quarter = scheme_for(world.county_a, period_kind=PeriodKind.QUARTER, period_number=4)
    assert (quarter.start, quarter.end) == (date(2025, 10, 1), date(2025, 12, 31))


# Copying -----------------------------------------------------------------------------------


def test_a_copy_reproduces_the_tree_and_the_grades(world):
    source = scheme_for(world.county_a)
    set_points(source, "court", "5")
    set_points(source, "judgments", "3")
    add_item(
        source,
        "supervision",
        code="founded_strict",
        calculator="founded_complaints",
        max_points=Decimal("0.5"),
        params={"per_item": 0.5},
    )
    set_points(source, "complaints_founded", "2.5")
    grades = [{"label": "好", "min": 85}, {"label": "差", "min": 0}]
    services.scheme_update(scheme=source, data={"grades": grades}, actor=None)
    assert services.scheme_problems(source) == []

    copy = scheme_for(
        world.county_a,
        copy_from=source,
        period_kind=PeriodKind.HALF,
        year=2026,
        period_number=1,
    )
    assert copy.copied_from_id == source.pk
    assert (copy.start, copy.end) == (date(2026, 1, 1), date(2026, 6, 30))
    assert copy.grades == grades
    assert tree(copy) == tree(source)
    assert not set(copy.indicators.values_list("id", flat=True)) & set(
        source.indicators.values_list("id", flat=True)
    )
    for item in copy.indicators.filter(parent__isnull=False).select_related("parent"):
        assert item.parent.scheme_id == copy.pk
    assert services.scheme_problems(copy) == []
    # The copy is its own: changing it leaves the source as it was.
    before = tree(source)
    set_points(copy, "court", "4")
    assert tree(source) == before


def test_a_scheme_of_another_county_is_not_copied(world):
    other = scheme_for(world.county_b)
    with pytest.raises(ValidationError):
        scheme_for(world.county_a, copy_from=other)
    assert not Scheme.objects.filter(tenant=world.county_a).exists()


# Problems ----------------------------------------------------------------------------------


@pytest.fixture
def scheme(world):
    return scheme_for(world.county_a)


def test_items_not_adding_up(scheme):
    set_points(scheme, "court", "5")
    set_points(scheme, "evaluation", "8")
    assert services.scheme_problems(scheme) == [
        "The items of 依法行政和司法监督 add up to 16.00 points, not 15.00.",
        "The items of 第三方评价 add up to 8.00 points, not 10.00.",
    ]
    assert services.scheme_validate(scheme=scheme, actor=None)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT


def test_a_deduction_calculator_in_a_scored_category_and_the_reverse(scheme):
    set_points(scheme, "evaluation", "7")
    add_item(
        scheme,
        "third_party",
        code="records_here",
        calculator="records_by_severity",
        max_points=Decimal("3"),
    )
    add_item(
        scheme,
        "deductions",
        code="court_deduct",
        calculator="court_appearance",
        max_points=Decimal("4"),
    )
    assert services.scheme_problems(scheme) == [
        "records_here: this calculator belongs in a deduction category only.",
        "court_deduct: this calculator cannot deduct points.",
    ]


def test_unknown_and_negative_parameters(scheme):
    services.indicator_save(
        scheme=scheme,
        indicator=indicator(scheme, "complaints_founded"),
        data={"params": {"per_item": -1, "weight": 2}},
        actor=None,
    )
    services.indicator_save(
        scheme=scheme,
        indicator=indicator(scheme, "records"),
        data={"params": {"light": "abc", "general": 3, "serious": 5}},
        actor=None,
    )
    assert sorted(services.scheme_problems(scheme)) == [
        "投诉举报查实情况: parameter per_item must be a number of at least 0.",
        "投诉举报查实情况: unknown parameter weight.",
        "政务失信记录: parameter light must be a number of at least 0.",
    ]


@pytest.mark.parametrize(
    ("grades", "problem"),
    [
        (
            [{"label": "优秀", "min": 90}, {"label": "优秀", "min": 80}],
            "Grades must have different labels and minimums.",
        ),
        (
            [{"label": "优秀", "min": 90}, {"label": "良好", "min": 90}],
            "Grades must have different labels and minimums.",
        ),
        (
            [{"label": "优秀", "min": 106}, {"label": "较差", "min": 0}],
            "Grade minimums must lie between 0 and 105.00.",
        ),
        (
            [{"label": "优秀", "min": 90}, {"label": "较差", "min": -1}],
            "Grade minimums must lie between 0 and 105.00.",
        ),
        ([{"label": "优秀"}], "Every grade needs a label and a minimum."),
        ([{"label": " ", "min": 90}], "Every grade needs a label and a minimum."),
        ([{"label": "优秀", "min": "很多"}], "Every grade needs a label and a minimum."),
    ],
    ids=[
        "same-label",
        "same-minimum",
        "above-the-maximum",
        "negative",
        "no-minimum",
        "blank-label",
        "not-a-number",
    ],
)
def test_grade_problems(scheme, grades, problem):
    services.scheme_update(scheme=scheme, data={"grades": grades}, actor=None)
    assert services.scheme_problems(scheme) == [problem]


def test_a_scheme_keeps_at_least_one_grade(scheme):
    with pytest.raises(ValidationError) as error:
        services.scheme_update(scheme=scheme, data={"grades": []}, actor=None)
    assert "grades" in error.value.message_dict
    scheme.refresh_from_db()
    assert scheme.grades == DEFAULT_GRADES


def test_grades_in_any_order_grade_the_same(scheme):
    """Order is no problem: grading reads the minimums from the highest down."""
    ascending = list(reversed(DEFAULT_GRADES))
    services.scheme_update(scheme=scheme, data={"grades": ascending}, actor=None)
    assert services.scheme_problems(scheme) == []
    for total, label in (("90.00", "优秀"), ("89.99", "良好"), ("60", "一般"), ("59.99", "较差")):
        assert grade_for(Decimal(total), ascending) == label
        assert grade_for(Decimal(total), DEFAULT_GRADES) == label


def test_an_empty_category_and_zero_points(scheme):
    services.indicator_save(
        scheme=scheme,
        data={
            "code": "openness",
            "name": "政务公开",
            "category_kind": CategoryKind.REGULAR,
            "max_points": Decimal("0"),
            "position": 9,
        },
        actor=None,
    )
    set_points(scheme, "court", "0")
    set_points(scheme, "no_debtor", "8")
    assert sorted(services.scheme_problems(scheme)) == [
        "Category 政务公开 has no items.",
        "行政机关负责人出庭应诉 needs points above 0.",
    ]


def test_caps_of_bonus_and_deduction_items(scheme):
    set_points(scheme, "typical_cases", "6")
    set_points(scheme, "deductions", "0")
    problems = services.scheme_problems(scheme)
    assert "The cap of 诚信典型案例 is above the cap of 加分项." in problems
    assert "Category 扣分项 needs points or a cap above 0." in problems
    assert "The cap of 政务失信记录 is above the cap of 扣分项." in problems


def test_a_scheme_needs_a_scored_category(scheme):
    scheme.indicators.filter(parent__isnull=True).exclude(category_kind=CategoryKind.BONUS).delete()
    services.scheme_update(
        scheme=scheme, data={"grades": [{"label": "优秀", "min": 5}]}, actor=None
    )
    assert services.scheme_problems(scheme) == ["The scheme has no scored category."]


# Indicators --------------------------------------------------------------------------------


def test_indicator_rules(scheme):
    with pytest.raises(ValidationError) as error:
        add_item(scheme, "campaign", code="x", calculator="no_such", max_points=Decimal("1"))
    assert "calculator" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add_item(scheme, "campaign", code="x", method="", max_points=Decimal("1"))
    assert "method" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add_item(
            scheme, "campaign", code="court", calculator="court_appearance", max_points=Decimal("1")
        )
    assert "code" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # an item is no category
        services.indicator_save(
            scheme=scheme,
            data={
                "parent": indicator(scheme, "court"),
                "code": "x",
                "name": "x",
                "method": Method.MANUAL,
                "max_points": Decimal("1"),
            },
            actor=None,
        )
    assert "parent" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.indicator_save(
            scheme=scheme, data={"code": "y", "name": "y", "max_points": 1}, actor=None
        )
    assert "category_kind" in error.value.message_dict
    # A manual item keeps no calculator; a category keeps no method.
    item = add_item(
        scheme,
        "bonus",
        code="award",
        method=Method.MANUAL,
        calculator="third_party",
        max_points=Decimal("2"),
    )
    assert (item.method, item.calculator) == (Method.MANUAL, "")


def test_a_change_makes_a_validated_scheme_a_draft_again(scheme):
    services.scheme_validate(scheme=scheme, actor=None)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.READY
    set_points(scheme, "court", "4")  # no change
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.READY
    set_points(scheme, "court", "3")
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT


def test_a_scored_indicator_is_not_deleted(scheme):
    extra = add_item(scheme, "bonus", code="award", method=Method.MANUAL, max_points=Decimal("2"))
    services.indicator_delete(indicator=extra, actor=None)
    assert not Indicator.objects.filter(pk=extra.pk).exists()
    computed_run(scheme)
    with pytest.raises(ValidationError):
        services.indicator_delete(indicator=indicator(scheme, "court"), actor=None)
    with pytest.raises(ValidationError):
        services.indicator_delete(indicator=indicator(scheme, "lawful"), actor=None)


def test_a_published_scheme_keeps_its_period(scheme):
    run = computed_run(scheme)
    services.run_publish(run=run, notice="", actor=None)
    with pytest.raises(ValidationError):
        services.scheme_update(scheme=scheme, data={"year": 2024}, actor=None)
    services.scheme_update(scheme=scheme, data={"name": "2025年度政务诚信督导评分"}, actor=None)
    scheme.refresh_from_db()
    assert (scheme.name, scheme.year) == ("2025年度政务诚信督导评分", 2025)


# Manual entries ----------------------------------------------------------------------------


def test_manual_entries(world, scheme):
    bonus = indicator(scheme, "typical_cases")
    entry = services.manual_entry_save(
        indicator=bonus, agency=world.a1, points="2.5", reason=" 市级诚信典型 ", actor=None
    )
    assert (entry.points, entry.reason) == (Decimal("2.50"), "市级诚信典型")
    again = services.manual_entry_save(
        indicator=bonus, agency=world.a1, points="4", reason="省级诚信典型", actor=None
    )
    assert again.pk == entry.pk
    assert ManualEntry.objects.filter(indicator=bonus).count() == 1
    cases = [
        ({"indicator": indicator(scheme, "court")}, None),  # a computed item
        ({"indicator": indicator(scheme, "bonus")}, None),  # a category
        ({"reason": "  "}, "reason"),
        ({"points": "5.01"}, "points"),
        ({"points": "-1"}, "points"),
        ({"points": "多"}, "points"),
        ({"agency": world.b1}, "agency"),
    ]
    for change, field in cases:
        data = {"indicator": bonus, "agency": world.a1, "points": "1", "reason": "典型", **change}
        with pytest.raises(ValidationError) as error:
            services.manual_entry_save(actor=None, **data)
        if field:
            assert field in error.value.message_dict, change
    assert ManualEntry.objects.get().points == Decimal("4.00")
