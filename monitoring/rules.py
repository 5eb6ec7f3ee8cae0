"""What each kind of early-warning rule means: its name and description shown to the office, the
thresholds it takes (fields of `WarningRule`), their defaults and the default severity.

Thresholds are inclusive: a rule fires when the figure reaches its threshold. Windows of N days
are the last N days, today included (today and the N − 1 days before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import RuleKind, WarningSeverity

PARAMETERS = ("amount", "days", "count", "window_days", "percent")


@dataclass(frozen=True)
class Parameter:
    name: str  # the WarningRule field
    label: Promise
    help_text: Promise = ""
    required: bool = True


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    description: Promise
    parameters: tuple[Parameter, ...]
    defaults: dict = field(default_factory=dict)
    severity: str = WarningSeverity.MEDIUM
    # Events (a new record, listing or flag) are warned about once per subject, even after the
    # warning is resolved; states (arrears, overdue, complaints, debt) warn again after a
    # resolution while the condition persists.
    once_per_subject: bool = False
    # At least one of these parameters must be set (kind 1 has two alternative thresholds).
    one_of: tuple[str, ...] = ()

    @property
    def label(self):
        return RuleKind(self.kind).label

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)


SPECS: dict[str, RuleSpec] = {
    spec.kind: spec
    for spec in (
        RuleSpec(
            RuleKind.ARREARS,
            _(
                "Warns when the arrears an agency still owes on its ledger issues reach the "
                "amount, or when an agency with arrears outstanding has repaid nothing for the "
                "given number of days (counted from its latest repayment or from the earliest "
                "discovery of the arrears still unpaid, whichever is later). Leave one of the two "
                "thresholds empty to use only the other."
            ),
            (
                Parameter(
                    "amount",
                    _("Outstanding amount (yuan)"),
                    _("Warn when an agency's outstanding arrears reach this amount."),
                    required=False,
                ),
                Parameter(
                    "days",
                    _("Days without repayment"),
                    _("Warn when outstanding arrears have not been reduced for this many days."),
                    required=False,
                ),
            ),
            {"amount": Decimal("1000000.00"), "days": 90},
            WarningSeverity.HIGH,
            one_of=("amount", "days"),
        ),
        RuleSpec(
            RuleKind.MILESTONE_OVERDUE,
            _(
                "Warns about each open milestone of a running campaign that is overdue by at "
                "least the given number of days."
            ),
            (
                Parameter(
                    "days", _("Days overdue"), _("Warn from this many days after the due date.")
                ),
            ),
            {"days": 15},
            WarningSeverity.MEDIUM,
        ),
        RuleSpec(
            RuleKind.COMPLAINTS,
            _(
                "Warns when at least the given number of complaints against one agency were "
                "received within the window (the last N days, today included)."
            ),
            (
                Parameter("count", _("Number of complaints")),
                Parameter("window_days", _("Window (days)")),
            ),
            {"count": 3, "window_days": 30},
            WarningSeverity.MEDIUM,
        ),
        RuleSpec(
            RuleKind.SERIOUS_RECORD,
            _(
                "Warns about each serious failure-of-trust record that was entered within the "
                "window and is not revoked. Each record is warned about once."
            ),
            (
                Parameter(
                    "window_days", _("Window (days)"), _("How recent a record counts as new.")
                ),
            ),
            {"window_days": 30},
            WarningSeverity.HIGH,
            once_per_subject=True,
        ),
        RuleSpec(
            RuleKind.DUPLICATE_SIGNING,
            _(
                "Warns about each likely duplicate signing of an investment project (the same "
                "investor or a near-identical project name at two agencies) that the office has "
                "not checked yet. Each flag is warned about once."
            ),
            (),
            {},
            WarningSeverity.MEDIUM,
            once_per_subject=True,
        ),
        RuleSpec(
            RuleKind.DEBTOR_LISTING,
            _(
                "Warns about each agency listed as a dishonest judgment debtor within the window "
                "whose listing is still active. Each listing is warned about once."
            ),
            (
                Parameter(
                    "window_days", _("Window (days)"), _("How recent a listing counts as new.")
                ),
            ),
            {"window_days": 30},
            WarningSeverity.HIGH,
            once_per_subject=True,
        ),
        RuleSpec(
            RuleKind.DEBT_LINE,
            _(
                "Warns when the latest debt figure entered for the county or an agency reaches "
                "the given percentage of its warning line: the debt balance against the warning "
                "amount, or the debt ratio (balance ÷ financial capacity) against the warning "
                "ratio."
            ),
            (
                Parameter(
                    "percent",
                    _("Percentage of the warning line"),
                    _("100 warns at the line itself; 90 warns when 90 percent of it is reached."),
                ),
            ),
            {"percent": Decimal("100.00")},
            WarningSeverity.HIGH,
        ),
    )
}


def window_start(today: date, window_days: int) -> date:
    """The first day of a window of `window_days` days ending today."""
    return today - timedelta(days=window_days - 1)
