from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import AGENCY_ROLES

from .audit import audited
from .sync import Synced
from .tenancy import TenantScopedQuerySet


@audited()
class WorkdayOverride(models.Model):
    """A tenant's correction of the national working-day calendar (调休 or a local holiday)."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("jurisdiction"),
        on_delete=models.CASCADE,
        related_name="workday_overrides",
    )
    date = models.DateField(_("date"))
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date"], name="workday_override_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_workday else '-'}"


class TombstoneQuerySet(TenantScopedQuerySet):
    """Agency roles read the deletions of their agency's rows and of the tenant-wide rows they
    could read (agency_id empty); the rest is scoped like any tenant-owned row."""

    def _scope(self, user, tenant_ids):
        qs = super()._scope(user, tenant_ids)
        if getattr(user, "is_authenticated", False) and user.role in AGENCY_ROLES:
            qs = qs.filter(Q(agency_id=user.agency_id) | Q(agency_id__isnull=True))
        return qs


@audited()
class Tombstone(Synced):
    """A deleted row of an API collection, so that a client mirroring the collection through the
    change feed learns of the deletion (see integrity.sync). `updated_at` is when it was
    deleted."""

    resource = models.CharField(_("resource"), max_length=100)
    object_id = models.BigIntegerField(_("object id"))
    # Plain ids, not foreign keys: the tenant or agency may be deleted too.
    tenant_id = models.BigIntegerField(_("jurisdiction"), null=True)
    agency_id = models.BigIntegerField(_("agency"), null=True)

    objects = TombstoneQuerySet.as_manager()
    scope_tenant = "tenant_id"
    scope_agency = None
    agency_roles_read_tenant = True

    class Meta:
        verbose_name = _("deletion")
        verbose_name_plural = _("deletions")
        indexes = [models.Index(fields=["resource", "sync_txid", "id"], name="tombstone_feed")]

    def __str__(self) -> str:
        return f"{self.resource} #{self.object_id}"
