"""The registry of computed indicators. Each calculator documents its formula and the figures
it reads (codes from supervision, domains and rectification `selectors.FIGURES`), and turns one
agency's figures into points between 0 and the indicator's maximum (for deduction items: the
points deducted, up to the item's cap). Pure functions: the run engine feeds them the figures
of every agency at once.

Rates with nothing due give full points: an agency that had nothing to do in the period did not
fail at it. Money rates are weighted by amount (yuan repaid / yuan owed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


def points(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Calculator:
    code: str
    label: str
    formula: str
    figures: tuple[str, ...]
    compute: Callable[[dict, Decimal, dict], Decimal]
    params: dict = field(default_factory=dict)  # name → default
    deduction: bool = False


def _rate(done: str, due: str) -> Callable[[dict, Decimal, dict], Decimal]:
    def compute(fig: dict, maximum: Decimal, params: dict) -> Decimal:
        total = Decimal(fig.get(due) or 0)
        if total <= 0:
            return maximum
        return maximum * min(Decimal(fig.get(done) or 0) / total, Decimal(1))

    return compute


def _per_item(figure: str) -> Callable[[dict, Decimal, dict], Decimal]:
    """Full points less `per_item` for each counted item, not below zero."""

    def compute(fig: dict, maximum: Decimal, params: dict) -> Decimal:
        per_item = Decimal(str(params.get("per_item", 1)))
        return max(maximum - per_item * Decimal(fig.get(figure) or 0), Decimal(0))

    return compute


def _third_party(fig: dict, maximum: Decimal, params: dict) -> Decimal:
    score = fig.get("third_party_score")
    if score is None:
        return Decimal(0)
    return maximum * Decimal(score) / Decimal(100)


def _records(fig: dict, maximum: Decimal, params: dict) -> Decimal:
    deducted = sum(
        Decimal(str(params.get(severity, default))) * Decimal(fig.get(f"records_{severity}") or 0)
        for severity, default in (("light", 1), ("general", 3), ("serious", 5))
    )
    return min(deducted, maximum)


CALCULATORS: dict[str, Calculator] = {
    calc.code: calc
    for calc in [
        Calculator(
            "self_inspection_on_time",
            _("Self-inspection report on time"),
            _("maximum × reports first submitted on time ÷ reports due in the period"),
            ("reports_on_time", "reports_due"),
            _rate("reports_on_time", "reports_due"),
        ),
        Calculator(
            "filings_on_time",
            _("Campaign deliverables on time"),
            _("maximum × deliverables first submitted on time ÷ deliverables due in the period"),
            ("filings_on_time", "filings_due"),
            _rate("filings_on_time", "filings_due"),
        ),
        Calculator(
            "issues_closed",
            _("Ledger issues closed (销号)"),
            _("maximum × issues closed by the office ÷ issues due in the period"),
            ("issues_closed", "issues_due"),
            _rate("issues_closed", "issues_due"),
        ),
        Calculator(
            "milestones_on_time",
            _("Milestones on time"),
            _("maximum × milestones completed by their due date ÷ milestones due in the period"),
            ("milestones_on_time", "milestones_due"),
            _rate("milestones_on_time", "milestones_due"),
        ),
        Calculator(
            "arrears_cleared",
            _("Arrears cleared (by amount)"),
            _("maximum × yuan repaid ÷ yuan owed to enterprises"),
            ("arrears_repaid", "arrears_owed"),
            _rate("arrears_repaid", "arrears_owed"),
        ),
        Calculator(
            "commitments_fulfilled",
            _("Commitments fulfilled"),
            _("maximum × commitments fulfilled ÷ commitments due in the period"),
            ("commitments_fulfilled", "commitments_due"),
            _rate("commitments_fulfilled", "commitments_due"),
        ),
        Calculator(
            "complaints_replied_on_time",
            _("Complaint replies on time"),
            _("maximum × complaints replied by the deadline ÷ complaints due in the period"),
            ("complaints_replied_on_time", "complaints_due"),
            _rate("complaints_replied_on_time", "complaints_due"),
        ),
        Calculator(
            "founded_complaints",
            _("Founded complaints"),
            _("maximum − per_item × complaints verified founded or partly founded, not below 0"),
            ("complaints_founded",),
            _per_item("complaints_founded"),
            params={"per_item": 1},
        ),
        Calculator(
            "proposals_on_time",
            _("NPC/CPPCC replies on time"),
            _("maximum × suggestions and proposals replied on time ÷ those due"),
            ("proposals_replied_on_time", "proposals_due"),
            _rate("proposals_replied_on_time", "proposals_due"),
        ),
        Calculator(
            "proposals_satisfaction",
            _("NPC/CPPCC satisfaction"),
            _("maximum × items rated satisfied or basically satisfied ÷ items rated"),
            ("proposals_satisfied", "proposals_rated"),
            _rate("proposals_satisfied", "proposals_rated"),
        ),
        Calculator(
            "court_appearance",
            _("Heads appearing in court"),
            _("maximum × cases where the head appeared ÷ cases where it was required"),
            ("court_appearances_made", "court_appearances_required"),
            _rate("court_appearances_made", "court_appearances_required"),
        ),
        Calculator(
            "judgments_executed",
            _("Judgments and awards executed on time"),
            _("maximum × performed by the due date ÷ due in the period"),
            ("judgments_executed_on_time", "judgments_due"),
            _rate("judgments_executed_on_time", "judgments_due"),
        ),
        Calculator(
            "suggestions_answered",
            _("Judicial suggestions answered on time"),
            _("maximum × answered by the due date ÷ due in the period"),
            ("suggestions_answered_on_time", "suggestions_due"),
            _rate("suggestions_answered_on_time", "suggestions_due"),
        ),
        Calculator(
            "no_debtor_listing",
            _("No dishonest-judgment-debtor listing"),
            _("maximum − per_item × listings active at the end of the period, not below 0"),
            ("debtor_listings_active",),
            _per_item("debtor_listings_active"),
            params={"per_item": 100},
        ),
        Calculator(
            "third_party",
            _("Third-party evaluation"),
            _("maximum × accepted third-party score ÷ 100 (0 without an accepted score)"),
            ("third_party_score",),
            _third_party,
        ),
        Calculator(
            "records_by_severity",
            _("Failure-of-trust records by severity"),
            _(
                "light × records_light + general × records_general + serious × records_serious "
                "points deducted, at most the cap"
            ),
            ("records_light", "records_general", "records_serious"),
            _records,
            params={"light": 1, "general": 3, "serious": 5},
            deduction=True,
        ),
    ]
}
