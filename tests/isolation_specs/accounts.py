from . import ObjectURL


def api_client(tenant):
    from accounts import services
    from accounts.models import User

    actor = User.objects.filter(tenant=tenant, role="office_admin").first()
    client, _key = services.api_client_create(
        tenant=tenant, data={"name": "城市平台", "scopes": ["*"], "rate": "60/min"}, actor=actor
    )
    return client


def _b1(w):
    return w.b1


def _a2(w):
    return w.a2


def _c1(w):
    return w.c1


OBJECT_URLS: dict[str, ObjectURL] = {
    "accounts:tenant-update": ObjectURL(lambda w: w.county_b, actor=None),
    "accounts:agency-detail": ObjectURL(_b1, _a2, _c1),
    "accounts:agency-update": ObjectURL(_b1, _a2),
    "accounts:agency-deactivate": ObjectURL(_b1, _a2),
    "accounts:agency-activate": ObjectURL(_b1, _a2),
    "accounts:user-update": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-reset-password": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-lock": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-unlock": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-activate": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:user-deactivate": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
    "accounts:api-client-update": ObjectURL(
        lambda w: api_client(w.county_b), own=lambda w: api_client(w.county_a)
    ),
    "accounts:api-client-rotate": ObjectURL(
        lambda w: api_client(w.county_b), own=lambda w: api_client(w.county_a)
    ),
    "accounts:api-client-revoke": ObjectURL(
        lambda w: api_client(w.county_b), own=lambda w: api_client(w.county_a)
    ),
    "v1:tenant-detail": ObjectURL(lambda w: w.county_b, None, lambda w: w.county_c),
    "v1:agency-detail": ObjectURL(_b1, _a2, _c1),
    "v1:user-detail": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
}

# Collections, forms and pages that address no single object: their querysets go through the
# same scoping (tests/accounts/ check what each shows).
NON_OBJECT_URLS = {
    "home",
    "healthz",
    "api-schema",
    "api-docs",
    "accounts:login",
    "accounts:logout",
    "accounts:password-change",
    "accounts:tenant-list",
    "accounts:tenant-create",
    "accounts:agency-list",
    "accounts:agency-create",
    "accounts:agency-export",
    "accounts:agency-import",
    "accounts:agency-template",
    "accounts:user-list",
    "accounts:api-client-list",
    "accounts:api-client-create",
    "accounts:user-create",
    "accounts:audit-list",
    "accounts:security-event-list",
    "v1:tenant-list",
    "v1:agency-list",
    "v1:user-list",
}
