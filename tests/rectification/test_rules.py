"""Arrears arithmetic (rectification.rules): payment due dates, what is outstanding, days overdue
and late interest, all Decimal yuan. Every expected figure below is worked out by hand in the
comment next to it."""

from datetime import date
from decimal import Decimal

import pytest

from rectification.rules import (
    DEFAULT_DAILY_INTEREST_RATE,
    arrears_position,
    days_left,
    payment_due_date,
    yuan,
)

ACCEPTED = date(2026, 1, 1)
DUE = date(2026, 1, 31)  # 2026-01-01 + 30 days


def position(owed, repayments=(), *, today, accepted_on=ACCEPTED, term_days=30, **kwargs):
    return arrears_position(
        owed=Decimal(owed),
        accepted_on=accepted_on,
        term_days=term_days,
        repayments=[(day, Decimal(amount)) for day, amount in repayments],
        today=today,
        **kwargs,
    )


# Due dates ------------------------------------------------------------------------------------


def test_payment_due_date_adds_the_agreed_term():
    assert payment_due_date(ACCEPTED, 30) == DUE
    # 60 days by contract: 30 days of January + 28 of February 2026 + 2 = 2 March.
    assert payment_due_date(ACCEPTED, 60) == date(2026, 3, 2)
    # No term given: the statutory 30 days.
    assert payment_due_date(ACCEPTED, None) == DUE
    assert payment_due_date(date(2026, 12, 15), 30) == date(2027, 1, 14)
    assert payment_due_date(None, 30) is None


def test_default_rate_is_five_in_ten_thousand_a_day():
    assert Decimal("0.0005") == DEFAULT_DAILY_INTEREST_RATE


def test_days_left():
    assert days_left(date(2026, 3, 10), date(2026, 3, 10)) == 0
    assert days_left(date(2026, 3, 10), date(2026, 3, 1)) == 9
    assert days_left(date(2026, 3, 10), date(2026, 3, 12)) == -2
    assert days_left(None, date(2026, 3, 12)) is None


# Arrears --------------------------------------------------------------------------------------


def test_no_repayments():
    # Due 31 Jan; 2 March is 30 days later (28 days of February + 2).
    # Interest: 100,000 × 0.0005 × 30 = 1,500.
    result = position("100000.00", today=date(2026, 3, 2))
    assert result.repaid == Decimal("0.00")
    assert result.outstanding == Decimal("100000.00")
    assert result.due_on == DUE
    assert result.days_overdue == 30
    assert result.interest_due == Decimal("1500.00")


def test_repayment_before_the_due_date_reduces_the_base():
    # 40,000 paid on 20 Jan (on time); 60,000 late for 10 days: 60,000 × 0.0005 × 10 = 300.
    result = position("100000.00", [(date(2026, 1, 20), "40000.00")], today=date(2026, 2, 10))
    assert result.repaid == Decimal("40000.00")
    assert result.outstanding == Decimal("60000.00")
    assert result.days_overdue == 10
    assert result.interest_due == Decimal("300.00")


def test_partial_repayments_after_the_due_date_accrue_per_segment():
    # 31 Jan → 10 Feb: 100,000 × 0.0005 × 10 = 500
    # 10 Feb → 20 Feb:  70,000 × 0.0005 × 10 = 350
    # 20 Feb →  2 Mar:  50,000 × 0.0005 × 10 = 250   (8 days of February + 2)
    result = position(
        "100000.00",
        [(date(2026, 2, 20), "20000.00"), (date(2026, 2, 10), "30000.00")],  # any order
        today=date(2026, 3, 2),
    )
    assert result.repaid == Decimal("50000.00")
    assert result.outstanding == Decimal("50000.00")
    assert result.days_overdue == 30
    assert result.interest_due == Decimal("1100.00")


def test_two_repayments_on_one_day_count_as_their_sum():
    # 31 Jan → 10 Feb: 10,000 × 0.0005 × 10 = 50; then 5,000 left for 10 days: 25.
    result = position(
        "10000.00",
        [(date(2026, 2, 10), "2000.00"), (date(2026, 2, 10), "3000.00")],
        today=date(2026, 2, 20),
    )
    assert result.repaid == Decimal("5000.00")
    assert result.outstanding == Decimal("5000.00")
    assert result.days_overdue == 20
    assert result.interest_due == Decimal("75.00")
    single = position("10000.00", [(date(2026, 2, 10), "5000.00")], today=date(2026, 2, 20))
    assert single == result


def test_repayment_on_the_due_date_itself_is_on_time():
    paid = position("10000.00", [(DUE, "10000.00")], today=date(2026, 3, 1))
    assert paid.outstanding == Decimal("0.00")
    assert paid.days_overdue == 0
    assert paid.interest_due == Decimal("0.00")
    # Partly paid on the due date: only the rest is late, 6,000 × 0.0005 × 10 = 30.
    part = position("10000.00", [(DUE, "4000.00")], today=date(2026, 2, 10))
    assert part.outstanding == Decimal("6000.00")
    assert part.days_overdue == 10
    assert part.interest_due == Decimal("30.00")


def test_full_repayment_late_keeps_the_interest_of_the_late_days_only():
    # Paid in full on 15 Feb, 15 days late: 10,000 × 0.0005 × 15 = 75; nothing after that.
    result = position("10000.00", [(date(2026, 2, 15), "10000.00")], today=date(2026, 3, 31))
    assert result.repaid == Decimal("10000.00")
    assert result.outstanding == Decimal("0.00")
    assert result.days_overdue == 0
    assert result.interest_due == Decimal("75.00")


def test_repayments_dated_after_today_are_not_counted_yet():
    # Only 10 Feb is "today": the 20 Feb payment has not happened. 10,000 × 0.0005 × 10 = 50.
    result = position("10000.00", [(date(2026, 2, 20), "10000.00")], today=date(2026, 2, 10))
    assert result.repaid == Decimal("0.00")
    assert result.outstanding == Decimal("10000.00")
    assert result.days_overdue == 10
    assert result.interest_due == Decimal("50.00")
    later = position("10000.00", [(date(2026, 2, 20), "10000.00")], today=date(2026, 2, 20))
    assert later.outstanding == Decimal("0.00")
    assert later.interest_due == Decimal("100.00")  # 10,000 × 0.0005 × 20


def test_custom_daily_rate():
    # 0.1 % a day by contract: 20,000 × 0.001 × 10 = 200.
    result = position("20000.00", today=date(2026, 2, 10), daily_rate=Decimal("0.001"))
    assert result.interest_due == Decimal("200.00")
    # 0.03 %: 20,000 × 0.0003 × 10 = 60.
    lower = position("20000.00", today=date(2026, 2, 10), daily_rate=Decimal("0.0003"))
    assert lower.interest_due == Decimal("60.00")


def test_sixty_day_term():
    # Due 2 March: on 2 March nothing is late; on 12 March 10 days, 50,000 × 0.0005 × 10 = 250.
    on_due = position("50000.00", term_days=60, today=date(2026, 3, 2))
    assert on_due.due_on == date(2026, 3, 2)
    assert (on_due.days_overdue, on_due.interest_due) == (0, Decimal("0.00"))
    late = position("50000.00", term_days=60, today=date(2026, 3, 12))
    assert (late.days_overdue, late.interest_due) == (10, Decimal("250.00"))


def test_without_an_acceptance_date_nothing_is_overdue():
    result = position(
        "8000.00", [(date(2026, 2, 1), "3000.00")], accepted_on=None, today=date(2026, 6, 1)
    )
    assert result.due_on is None
    assert result.outstanding == Decimal("5000.00")
    assert result.days_overdue == 0
    assert result.interest_due == Decimal("0.00")


def test_cents_and_rounding_half_up_at_the_cent():
    # 12,345.67 − 1,000.50 = 11,345.17 outstanding.
    # 31 Jan → 3 Feb: 12,345.67 × 0.0005 × 3 = 18.518505
    # 3 Feb → 4 Feb:  11,345.17 × 0.0005 × 1 =  5.672585   total 24.19109 → 24.19
    result = position("12345.67", [(date(2026, 2, 3), "1000.50")], today=date(2026, 2, 4))
    assert result.repaid == Decimal("1000.50")
    assert result.outstanding == Decimal("11345.17")
    assert result.interest_due == Decimal("24.19")
    # Exactly half a cent rounds up (banker's rounding would give 0.00 and 0.02):
    # 1.00 × 0.0005 × 10 = 0.005 → 0.01; 5.00 × 0.0005 × 10 = 0.025 → 0.03.
    assert position("1.00", today=date(2026, 2, 10)).interest_due == Decimal("0.01")
    assert position("5.00", today=date(2026, 2, 10)).interest_due == Decimal("0.03")
    assert yuan(Decimal("0.005")) == Decimal("0.01")
    assert yuan(Decimal("2.345")) == Decimal("2.35")
    assert yuan(Decimal("2.3449")) == Decimal("2.34")


@pytest.mark.parametrize(
    ("today", "days", "interest"),
    [
        (date(2026, 1, 30), 0, "0.00"),
        (DUE, 0, "0.00"),  # the due date itself is still on time
        (date(2026, 2, 1), 1, "43.00"),  # 86,000 × 0.0005 × 1
        (date(2026, 2, 2), 2, "86.00"),
    ],
)
def test_boundary_around_the_due_date(today, days, interest):
    result = position("86000.00", today=today)
    assert result.days_overdue == days
    assert result.interest_due == Decimal(interest)
    assert result.outstanding == Decimal("86000.00")
