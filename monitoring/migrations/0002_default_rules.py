"""Give every existing jurisdiction the seven warning rules with their defaults (new ones get
them from accounts.services.tenant_create). The defaults are copied here as they were, so the
migration does not change when monitoring.rules does."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("arrears", "high", {"amount": Decimal("1000000.00"), "days": 90}),
    ("milestone_overdue", "medium", {"days": 15}),
    ("complaints", "medium", {"count": 3, "window_days": 30}),
    ("serious_record", "high", {"window_days": 30}),
    ("duplicate_signing", "medium", {}),
    ("debtor_listing", "high", {"window_days": 30}),
    ("debt_line", "high", {"percent": Decimal("100.00")}),
]


def create_rules(apps, schema_editor):
    Tenant = apps.get_model("accounts", "Tenant")
    WarningRule = apps.get_model("monitoring", "WarningRule")
    rows = [
        WarningRule(tenant_id=tenant_id, kind=kind, severity=severity, **params)
        for tenant_id in Tenant.objects.values_list("id", flat=True)
        for kind, severity, params in DEFAULTS
    ]
    WarningRule.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
