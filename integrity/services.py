"""Writes of the project package: the tenant's working-day overrides (调休, local holidays),
and `apply_changes`, the field-copying step every app's services share.

Each service is atomic, validates with full_clean() and runs inside the caller's audit context.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import WorkdayOverride
from .workdays import is_workday


def apply_changes(instance, data: dict, fields) -> list[str]:
    """Copy the given fields from `data` onto `instance`; return the names that changed
    (for `save(update_fields=…)`). A required relation not yet set on a new row counts as
    empty."""
    changed = []
    for field in fields:
        if field not in data:
            continue
        try:
            current = getattr(instance, field)
        except ObjectDoesNotExist:
            current = None
        if current != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed


def save_changes(instance, changed: list[str], *, created: bool) -> None:
    """Validate and save: a new row whole, an existing one only in the fields that changed
    (with `updated_at` when the model has one)."""
    instance.full_clean()
    if created:
        instance.save()
    elif changed:
        extra = ["updated_at"] if hasattr(instance, "updated_at") else []
        instance.save(update_fields=[*changed, *extra])


def national_is_workday(day) -> bool:
    """The national calendar alone, without the tenant's overrides."""
    return is_workday(day, overrides={})


@transaction.atomic
def workday_override_save(*, tenant, data: dict, actor) -> WorkdayOverride:
    """Create the override of a date, or replace the one the date already has.

    An override that says what the national calendar already says changes nothing and is
    refused, so the list shows only real corrections.
    """
    day = data.get("date")
    if day is None:
        raise ValidationError({"date": _("Enter the date.")})
    is_working = bool(data.get("is_workday"))
    override = WorkdayOverride.objects.select_for_update().filter(
        tenant=tenant, date=day
    ).first() or WorkdayOverride(tenant=tenant, date=day)
    if is_working == national_is_workday(day):
        message = (
            _("On the national calendar this day is already a working day.")
            if is_working
            else _("On the national calendar this day is already a day off.")
        )
        if override.pk:
            message += " " + _("Delete the existing override instead.")
        raise ValidationError({"is_workday": message})
    changed = []
    for field, value in (("is_workday", is_working), ("note", (data.get("note") or "").strip())):
        if getattr(override, field) != value:
            setattr(override, field, value)
            changed.append(field)
    override.full_clean()
    if override.pk is None:
        override.save()
    elif changed:
        override.save(update_fields=changed)
    return override


@transaction.atomic
def workday_override_delete(*, override: WorkdayOverride, actor) -> None:
    override.delete()
