from django.db import models
from django.utils.translation import gettext_lazy as _

from .audit import audited
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
