"""The calculator registry: each calculator's points from figures computed by hand (rates with
nothing due give full points, a missing third-party score gives none, deductions stop at the
cap), and its documentation (label, formula, figures that exist, parameters)."""

from decimal import Decimal

import pytest

from domains.selectors import FIGURES as DOMAIN_FIGURES
from rectification.selectors import FIGURES as CAMPAIGN_FIGURES
from scoring.calculators import CALCULATORS, points
from supervision.selectors import FIGURES as SUPERVISION_FIGURES

ALL_FIGURES = {**SUPERVISION_FIGURES, **DOMAIN_FIGURES, **CAMPAIGN_FIGURES}


def score(code: str, figures: dict, maximum, **params) -> Decimal:
    """Points as the engine stores them: the calculator's defaults overridden by the
    indicator's parameters, rounded half up to the cent."""
    calculator = CALCULATORS[code]
    return points(calculator.compute(figures, Decimal(maximum), {**calculator.params, **params}))


# (calculator, done figure, due figure)
RATES = [
    ("self_inspection_on_time", "reports_on_time", "reports_due"),
    ("filings_on_time", "filings_on_time", "filings_due"),
    ("issues_closed", "issues_closed", "issues_due"),
    ("milestones_on_time", "milestones_on_time", "milestones_due"),
    ("arrears_cleared", "arrears_repaid", "arrears_owed"),
    ("commitments_fulfilled", "commitments_fulfilled", "commitments_due"),
    ("complaints_replied_on_time", "complaints_replied_on_time", "complaints_due"),
    ("proposals_on_time", "proposals_replied_on_time", "proposals_due"),
    ("proposals_satisfaction", "proposals_satisfied", "proposals_rated"),
    ("court_appearance", "court_appearances_made", "court_appearances_required"),
    ("judgments_executed", "judgments_executed_on_time", "judgments_due"),
    ("suggestions_answered", "suggestions_answered_on_time", "suggestions_due"),
]


@pytest.mark.parametrize(("code", "done", "due"), RATES, ids=[r[0] for r in RATES])
def test_rates(code, done, due):
    assert CALCULATORS[code].figures == (done, due)
    # 10 × 1/3 = 3.333… → 3.33; 10 × 2/3 = 6.666… → 6.67 (half up).
    assert score(code, {done: 1, due: 3}, 10) == Decimal("3.33")
    assert score(code, {done: 2, due: 3}, 10) == Decimal("6.67")
    # 4 × 1/2 = 2; all done: full; none done: 0.
    assert score(code, {done: 1, due: 2}, 4) == Decimal("2.00")
    assert score(code, {done: 5, due: 5}, 4) == Decimal("4.00")
    assert score(code, {done: 0, due: 5}, 4) == Decimal("0.00")
    # Nothing due: the agency did not fail at anything: full points (also with no figures).
    assert score(code, {done: 0, due: 0}, 10) == Decimal("10.00")
    assert score(code, {}, 7.5) == Decimal("7.50")
    # Never above the maximum.
    assert score(code, {done: 4, due: 3}, 10) == Decimal("10.00")


def test_arrears_are_weighted_by_amount():
    # 15 × 400 / 1000 = 6; 15 × 333.33 / 1000 = 4.99995 → 5.00.
    figures = {"arrears_repaid": Decimal("400.00"), "arrears_owed": Decimal("1000.00")}
    assert score("arrears_cleared", figures, 15) == Decimal("6.00")
    figures = {"arrears_repaid": Decimal("333.33"), "arrears_owed": Decimal("1000.00")}
    assert score("arrears_cleared", figures, 15) == Decimal("5.00")
    # Nothing owed: full points.
    zero = Decimal("0.00")
    assert score("arrears_cleared", {"arrears_repaid": zero, "arrears_owed": zero}, 15) == 15


def test_founded_complaints_lose_points_per_complaint():
    assert CALCULATORS["founded_complaints"].params == {"per_item": 1}
    figure = "complaints_founded"
    assert score("founded_complaints", {figure: 0}, 3) == Decimal("3.00")
    assert score("founded_complaints", {figure: 2}, 3) == Decimal("1.00")  # 3 − 1 × 2
    assert score("founded_complaints", {figure: 5}, 3) == Decimal("0.00")  # not below 0
    assert score("founded_complaints", {figure: 3}, 3, per_item=0.5) == Decimal("1.50")


def test_a_debtor_listing_loses_all_the_points_by_default():
    assert CALCULATORS["no_debtor_listing"].params == {"per_item": 100}
    figure = "debtor_listings_active"
    assert score("no_debtor_listing", {figure: 0}, 4) == Decimal("4.00")
    assert score("no_debtor_listing", {figure: 1}, 4) == Decimal("0.00")  # max(4 − 100, 0)
    assert score("no_debtor_listing", {figure: 1}, 4, per_item=1.5) == Decimal("2.50")


def test_third_party_score_is_scaled_and_none_gives_nothing():
    figure = "third_party_score"
    assert score("third_party", {figure: Decimal("80.00")}, 10) == Decimal("8.00")
    # 10 × 85.75 / 100 = 8.575 → 8.58 (half up).
    assert score("third_party", {figure: Decimal("85.75")}, 10) == Decimal("8.58")
    assert score("third_party", {figure: Decimal("100")}, 15) == Decimal("15.00")
    assert score("third_party", {figure: None}, 10) == Decimal("0.00")
    assert score("third_party", {}, 10) == Decimal("0.00")
    assert score("third_party", {figure: Decimal("0")}, 10) == Decimal("0.00")


def test_records_by_severity_deduct_up_to_the_cap():
    calculator = CALCULATORS["records_by_severity"]
    assert calculator.deduction is True
    assert calculator.params == {"light": 1, "general": 3, "serious": 5}
    figures = {"records_light": 2, "records_general": 1, "records_serious": 0}
    assert score("records_by_severity", figures, 20) == Decimal("5.00")  # 2 × 1 + 1 × 3
    figures = {"records_light": 1, "records_general": 1, "records_serious": 1}
    assert score("records_by_severity", figures, 20) == Decimal("9.00")  # 1 + 3 + 5
    # 5 serious: 25 points, capped at 20.
    assert score("records_by_severity", {"records_serious": 5}, 20) == Decimal("20.00")
    assert score("records_by_severity", {"records_serious": 5}, 8) == Decimal("8.00")
    assert score("records_by_severity", {}, 20) == Decimal("0.00")
    # The indicator's own weights: 2 × 2.5 + 1 × 0.5 = 5.5.
    figures = {"records_general": 2, "records_light": 1}
    assert score("records_by_severity", figures, 20, general=2.5, light=0.5) == Decimal("5.50")


def test_every_calculator_is_documented_and_reads_existing_figures():
    assert set(CALCULATORS) == {code for code, *_rest in RATES} | {
        "founded_complaints",
        "no_debtor_listing",
        "third_party",
        "records_by_severity",
    }
    for code, calculator in CALCULATORS.items():
        assert calculator.code == code
        assert str(calculator.label).strip() and str(calculator.formula).strip()
        assert calculator.figures and set(calculator.figures) <= set(ALL_FIGURES), code
        for value in calculator.params.values():
            assert Decimal(str(value)) >= 0
    assert [c.code for c in CALCULATORS.values() if c.deduction] == ["records_by_severity"]
    # The figure codes of the three apps do not collide (the engine merges them).
    assert len(ALL_FIGURES) == len(SUPERVISION_FIGURES) + len(DOMAIN_FIGURES) + len(
        CAMPAIGN_FIGURES
    )


def test_points_round_half_up_to_the_cent():
    assert points(Decimal("2.345")) == Decimal("2.35")
    assert points(Decimal("2.344")) == Decimal("2.34")
    assert points(Decimal("10")) == Decimal("10.00")
