"""Django admin, for platform administrators only (is_staff is set for that role alone)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Agency, SecurityEvent, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "division_code", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "division_code"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "kind", "ranking_group", "credit_code", "is_active"]
    list_filter = ["tenant", "kind", "ranking_group", "is_active"]
    search_fields = ["name", "credit_code"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "tenant", "agency", "is_active"]
    list_filter = ["role", "tenant", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "Integrity",
            {
                "fields": (
                    "display_name",
                    "phone",
                    "role",
                    "tenant",
                    "agency",
                    "must_change_password",
                    "locked_until",
                )
            },
        ),
    )


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "outcome", "username", "ip_address", "tenant"]
    list_filter = ["kind", "outcome"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
