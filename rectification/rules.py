"""Pure arithmetic of the campaign: payment terms, arrears, late interest and deadlines.

Payments to SMEs (保障中小企业款项支付条例, in force 2025-06-01): due within 30 days of acceptance,
at most 60 when the contract says so; late interest 0.05 % a day by default. Money is Decimal
yuan with two places, never float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DEFAULT_PAYMENT_TERM_DAYS = 30
MAX_PAYMENT_TERM_DAYS = 60
DEFAULT_DAILY_INTEREST_RATE = Decimal("0.0005")


def yuan(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def payment_due_date(accepted_on: date | None, term_days: int | None) -> date | None:
    """The last day on which payment is on time: acceptance date plus the agreed term."""
    if accepted_on is None:
        return None
    return accepted_on + timedelta(days=term_days or DEFAULT_PAYMENT_TERM_DAYS)


@dataclass(frozen=True)
class ArrearsPosition:
    repaid: Decimal
    outstanding: Decimal
    due_on: date | None
    days_overdue: int
    interest_due: Decimal


def arrears_position(
    *,
    owed: Decimal,
    accepted_on: date | None,
    term_days: int | None,
    repayments: Iterable[tuple[date, Decimal]],
    today: date,
    daily_rate: Decimal = DEFAULT_DAILY_INTEREST_RATE,
) -> ArrearsPosition:
    """What is still owed on `today`, for how many days it has been overdue, and the late
    interest accrued: each day after the due date, `daily_rate` of the amount then outstanding
    (a repayment stops interest on the part it repays from its own date on). Repayments dated
    after `today` are not counted yet."""
    due_on = payment_due_date(accepted_on, term_days)
    events = sorted((day, amount) for day, amount in repayments if day <= today)
    repaid = sum((amount for _day, amount in events), Decimal("0"))
    outstanding = owed - repaid
    interest = Decimal("0")
    if due_on is not None:
        balance, since = owed, due_on
        for day, amount in events:
            if day > since and balance > 0:
                interest += balance * daily_rate * (day - since).days
            since = max(since, day)
            balance -= amount
        if balance > 0 and today > since:
            interest += balance * daily_rate * (today - since).days
    days_overdue = (today - due_on).days if due_on and outstanding > 0 and today > due_on else 0
    return ArrearsPosition(
        repaid=yuan(repaid),
        outstanding=yuan(outstanding),
        due_on=due_on,
        days_overdue=days_overdue,
        interest_due=yuan(interest),
    )


def days_left(deadline: date | None, today: date) -> int | None:
    """Days until a deadline (0 on the day itself, negative when past)."""
    return None if deadline is None else (deadline - today).days
