"""Pure rules of the credit-record domain: publicity windows and receipt codes."""

from __future__ import annotations

import calendar
import secrets
from datetime import date

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day when it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def publicity_window(decision_date: date, min_months: int, max_months: int) -> tuple[date, date]:
    """(minimum end, maximum end), counted from the date of the deciding document."""
    return add_months(decision_date, min_months), add_months(decision_date, max_months)


def new_receipt_code() -> str:
    """12 random characters without look-alikes, shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_receipt_code(code: str) -> str:
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""
