"""Tenant scoping: the one mechanism through which every tenant-owned query is restricted.

Each tenant-owned model uses `TenantScopedQuerySet` as its manager and names, in two class
attributes, the path to its tenant (`scope_tenant`) and, for rows that belong to one agency, the
path to that agency (`scope_agency`). Views and API viewsets never filter by tenant themselves:
they ask for `Model.objects.for_user(user)` (what the user may read) or `.writable_by(user)` (what
the user may change), through the base classes in this module and in `integrity.api`.

A model may name `scope_owner`, the path to the one user a row is addressed to (notifications):
everyone, the platform admin included, then reads and changes only their own rows.

A model may also name `scope_evaluator`, the path to the evaluator a row was assigned to: a
third-party evaluator then sees only those rows.

Reading: a platform admin reads everything; users of a county read their county; users of a city
also read the counties below it (read-only); agency roles read only their own agency's rows.
Writing: only rows of the user's own tenant (all tenants for the platform admin); agency roles only
their own agency's rows. Everyone else gets an empty queryset, and so a 404.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404

from accounts.choices import AGENCY_ROLES, Role

from . import rls


def visible_tenant_ids(user) -> list[int] | None:
    """Ids of the tenants the user may read; None means all (platform admin)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_visible_tenant_ids", False)
    if cached is not False:
        return cached
    if user.role == Role.PLATFORM_ADMIN:
        ids = None
    elif user.tenant_id is None:
        ids = []
    else:
        from accounts.models import Tenant

        # The tenant registry is readable in every scope: a fixed one, so that this query does
        # not first work out the request's scope, which is what it is computing.
        with rls.nothing():
            ids = [
                user.tenant_id,
                *Tenant.objects.filter(parent_id=user.tenant_id).values_list("id", flat=True),
            ]
    user._visible_tenant_ids = ids
    return ids


def reads_several_tenants(user) -> bool:
    """True for users who read more than one tenant (city users, the platform admin): their
    lists and exports show which jurisdiction each row belongs to."""
    ids = visible_tenant_ids(user)
    return ids is None or len(ids) > 1


def writable_tenant_ids(user) -> list[int] | None:
    if not getattr(user, "is_authenticated", False):
        return []
    if user.role == Role.PLATFORM_ADMIN:
        return None
    if user.role in (Role.CITY_VIEWER, Role.API_CLIENT) or user.tenant_id is None:
        return []
    return [user.tenant_id]


class TenantScopedQuerySet(models.QuerySet):
    def _scope(self, user, tenant_ids: list[int] | None):
        model = self.model
        qs = self
        owner_path = getattr(model, "scope_owner", None)
        if owner_path:
            if not getattr(user, "is_authenticated", False):
                return qs.none()
            qs = qs.filter(**{owner_path: user})
        if tenant_ids is not None:
            qs = qs.filter(**{f"{model.scope_tenant}__in": tenant_ids})
        agency_path = getattr(model, "scope_agency", None)
        evaluator_path = getattr(model, "scope_evaluator", None)
        authenticated = getattr(user, "is_authenticated", False)
        if evaluator_path and authenticated and user.role == Role.EVALUATOR:
            # A third-party evaluator sees only what the office assigned to it.
            return qs.filter(**{evaluator_path: user})
        if getattr(user, "is_authenticated", False) and user.role in AGENCY_ROLES:
            if agency_path is None:
                return qs if getattr(model, "agency_roles_read_tenant", False) else qs.none()
            qs = qs.filter(**{agency_path: user.agency_id})
        return qs

    def for_user(self, user) -> TenantScopedQuerySet:
        """Rows the user may read."""
        return self._scope(user, visible_tenant_ids(user))

    def writable_by(self, user) -> TenantScopedQuerySet:
        """Rows the user may change."""
        return self._scope(user, writable_tenant_ids(user))

    def for_tenant(self, tenant) -> TenantScopedQuerySet:
        """Rows of one tenant, for jobs that act on behalf of a tenant rather than a user."""
        return self.filter(**{self.model.scope_tenant: tenant})


def get_scoped_object_or_404(queryset, **lookup):
    """The same 404 for "does not exist" and "not yours"."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


class ScopedQuerysetMixin:
    """For class-based views: the queryset is the model's rows the user may read (or write)."""

    model: type[models.Model]
    write = False

    def get_queryset(self):
        manager = self.model._default_manager
        if self.write:
            return manager.writable_by(self.request.user)
        return manager.for_user(self.request.user)
