from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

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

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "dashboard/export/<slug:figure>/",
        views.DashboardExportView.as_view(),
        name="dashboard-export",
    ),
    path("", include("accounts.urls")),
    path("", include("domains.urls")),
    path("public/", include("domains.public_urls")),
    path("", include("supervision.urls")),
    path("public/", include("supervision.public_urls")),
    path("", include("rectification.urls")),
    path("", include("scoring.urls")),
    path("public/", include("scoring.public_urls")),
    path("", include("monitoring.urls")),
    path("", include("webhooks.urls")),
    path("api/v1/", include((api_v1, "v1"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Under /api/ a path no route matches answers with the API's error body (integrity.api_input).
handler404 = "integrity.api_input.page_not_found"
