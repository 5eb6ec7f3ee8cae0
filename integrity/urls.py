from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views


def _admin_login(request, extra_context=None):
    """The Django admin signs in through the platform's login page, which counts failures,
    locks accounts, logs security events and asks for the second factor."""
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(
        request.GET.get("next") or f"/{settings.ADMIN_URL}", login_url="accounts:login"
    )


admin.site.login = _admin_login

# Each app has its own API router; the version is the outer namespace (NamespaceVersioning).
api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("domains.api.urls")),
    path("", include("supervision.api.urls")),
    path("", include("rectification.api.urls")),
    path("", include("scoring.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("webhooks.api.urls")),
    # The public read API (no account): /api/v1/public/…
    path("public/", include("integrity.public_api")),
]

# Public pages and the API first: they are the hot paths (benchmarks B2, B3), and URL
# resolution walks the patterns in order (the staff apps' "" includes hold about 400).
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("public/", include("domains.public_urls")),
    path("public/", include("supervision.public_urls")),
    path("public/", include("scoring.public_urls")),
    path("api/v1/", include((api_v1, "v1"))),
    path(
        "dashboard/export/<slug:figure>/",
        views.DashboardExportView.as_view(),
        name="dashboard-export",
    ),
    path("", include("accounts.urls")),
    path("", include("domains.urls")),
    path("", include("supervision.urls")),
    path("", include("rectification.urls")),
    path("", include("scoring.urls")),
    path("", include("monitoring.urls")),
    path("", include("webhooks.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (/api/docs/?script), so the
    # docs run under the Content-Security-Policy, which allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Under /api/ a path no route matches answers with the API's error body (integrity.api_input).
handler404 = "integrity.api_input.page_not_found"
