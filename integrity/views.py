"""Project-wide views: the role-specific home page and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts import selectors
from accounts.choices import AGENCY_ROLES, Role


@login_required
def home(request):
    """Every role lands on its own home page."""
    user = request.user
    if user.role == Role.PLATFORM_ADMIN:
        context = {"tenants": selectors.tenant_summaries(user)}
        template = "home/platform_admin.html"
    elif user.role in (Role.OFFICE_ADMIN, Role.OFFICE_STAFF):
        context = selectors.office_home_figures(user)
        template = "home/office.html"
    elif user.role in AGENCY_ROLES:
        context = {"agency": user.agency}
        template = "home/agency.html"
    elif user.role == Role.CITY_VIEWER:
        context = {"tenants": selectors.tenant_summaries(user).filter(parent=user.tenant)}
        template = "home/city.html"
    else:
        context = {}
        template = "home/evaluator.html"
    return render(request, template, context)


def healthz(request):
    """Liveness: the database answers. With ?worker=1 also a round trip through Celery."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    body = {"status": "ok", "database": "ok"}
    if request.GET.get("worker"):
        from .tasks import ping

        try:
            body["worker"] = ping.delay().get(timeout=5)
        except Exception as exc:  # noqa: BLE001  (reported, not raised: this is a health check)
            body.update(status="degraded", worker=type(exc).__name__)
            return JsonResponse(body, status=503)
    return JsonResponse(body)
