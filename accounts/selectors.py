"""Reads for tenants, agencies, users and the audit trail."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from pghistory.models import Events

from integrity.tenancy import visible_tenant_ids

from .choices import AGENCY_ROLES, OFFICE_ROLES, Role
from .models import Agency, SecurityEvent, Tenant, User

AUDITED_MODELS = {
    "accounts.Tenant": "tenant",
    "accounts.Agency": "agency",
    "accounts.User": "user",
}


def audit_events_for_user(
    user, *, model: str = "", label: str = "", actor: str = "", since=None, until=None
):
    """Data-change events (pghistory) of the rows of the tenants the user may audit."""
    events = Events.objects.order_by("-pgh_created_at", "-pgh_id")
    tenant_ids = visible_tenant_ids(user)
    if tenant_ids is not None:
        ids = [int(i) for i in tenant_ids]
        events = events.filter(
            Q(pgh_data__tenant_id__in=ids)
            | Q(pgh_obj_model="accounts.Tenant", pgh_obj_id__in=[str(i) for i in ids])
        )
    if model:
        events = events.filter(pgh_obj_model=model)
    if label:
        events = events.filter(pgh_label=label)
    if actor:
        events = events.filter(pgh_context__username=actor)
    if since:
        events = events.filter(pgh_created_at__date__gte=since)
    if until:
        events = events.filter(pgh_created_at__date__lte=until)
    return events


def security_events_for_user(user):
    return SecurityEvent.objects.for_user(user)


def tenant_summaries(user):
    """Tenants the user reads, with their counts of active agencies and users."""
    return (
        Tenant.objects.for_user(user)
        .select_related("parent")
        .annotate(
            agency_count=Count("agencies", filter=Q(agencies__is_active=True), distinct=True),
            user_count=Count(
                "users",
                filter=Q(users__is_active=True) & ~Q(users__role=Role.API_CLIENT),
                distinct=True,
            ),
        )
    )


def office_home_figures(user) -> dict:
    agencies = Agency.objects.for_user(user)
    users = User.objects.people().for_user(user)
    return {
        "agencies_active": agencies.filter(is_active=True).count(),
        "agencies_inactive": agencies.filter(is_active=False).count(),
        "users_active": users.filter(is_active=True).count(),
        "users_locked": users.filter(locked_until__gt=timezone.now()).count(),
        "recent_security_events": list(
            SecurityEvent.objects.for_user(user).order_by("-created_at")[:8]
        ),
    }


def office_users(tenant_id: int):
    """The active credit-office users of a tenant (addressees of the office's notifications)."""
    return User.objects.filter(tenant_id=tenant_id, role__in=OFFICE_ROLES, is_active=True)


def agency_users(agency_ids, roles=AGENCY_ROLES):
    """The active users of the given agencies in the given agency roles."""
    return User.objects.filter(agency_id__in=list(agency_ids), role__in=roles, is_active=True)
