"""Working days (工作日) on the Chinese calendar with its adjusted working weekends (调休).

The national calendar comes from the maintained `chinese-calendar` package; a tenant's own
overrides (WorkdayOverride) win over it. For a year the package does not cover yet, Monday to
Friday are working days until the tenant enters that year's holidays as overrides.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)


def _national_is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        logger.warning("No national calendar for %s: using Monday-Friday", day.year)
        return day.weekday() < 5


def overrides_for(tenant, start: date, end: date) -> dict[date, bool]:
    from .models import WorkdayOverride

    if tenant is None:
        return {}
    return dict(
        WorkdayOverride.objects.filter(tenant=tenant, date__range=(start, end)).values_list(
            "date", "is_workday"
        )
    )


def is_workday(day: date, *, tenant=None, overrides: dict[date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = overrides_for(tenant, day, day)
    if day in overrides:
        return overrides[day]
    return _national_is_workday(day)


def add_workdays(start: date, days: int, *, tenant=None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    overrides = overrides_for(tenant, start, start + timedelta(days=days * 3 + 30))
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current, overrides=overrides):
            remaining -= 1
    return current


def workdays_between(start: date, end: date, *, tenant=None) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -workdays_between(end, start, tenant=tenant)
    overrides = overrides_for(tenant, start, end)
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current, overrides=overrides):
            count += 1
    return count
