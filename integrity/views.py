"""Project-wide views: the role-specific home pages with their dashboards (integrity/
dashboard.py), the Excel export of each dashboard figure, and the health check."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accounts import selectors
from accounts.choices import AGENCY_ROLES, OFFICE_ROLES, Role

from .dashboard import Dashboard, figures_for, office_cards
from .http import log_export, xlsx_response
from .xlsx import write_workbook

AGENCY_HOME_TASKS = 30
HOME_WARNINGS = 10


def running_campaigns(user) -> list:
    """The office's running campaigns with, for each, the agencies taking part, how many filed
    each deliverable, and the overdue milestones and ledger issues. Four queries whatever the
    number of campaigns and agencies."""
    from rectification import selectors as rectification
    from rectification.choices import OPEN_ISSUE_STATUSES, FilingKind, MilestoneStatus
    from rectification.models import Filing, LedgerIssue, Milestone

    today = timezone.localdate()
    campaigns = list(
        rectification.campaigns_for_user(user)
        .filter(status="launched")
        .annotate(agency_count=Count("participations", distinct=True))
        .order_by("completion_deadline", "id")
    )
    ids = [c.pk for c in campaigns]
    filed = {
        (row["campaign_id"], row["kind"]): row["n"]
        for row in Filing.objects.for_user(user)
        .filter(campaign_id__in=ids, first_submitted_at__isnull=False)
        .values("campaign_id", "kind")
        .annotate(n=Count("id"))
    }
    overdue_milestones = dict(
        Milestone.objects.for_user(user)
        .filter(campaign_id__in=ids, status=MilestoneStatus.OPEN, due_on__lt=today)
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
    overdue_issues = dict(
        LedgerIssue.objects.for_user(user)
        .filter(campaign_id__in=ids, status__in=OPEN_ISSUE_STATUSES, deadline__lt=today)
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
    for campaign in campaigns:
        campaign.filed = [
            {
                "label": label,
                "count": filed.get((campaign.pk, kind), 0),
                "deadline": campaign.deadline_for(kind),
            }
            for kind, label in FilingKind.choices
        ]
        campaign.overdue_milestones = overdue_milestones.get(campaign.pk, 0)
        campaign.overdue_issues = overdue_issues.get(campaign.pk, 0)
    return campaigns


def dashboard_context(request) -> dict:
    """The figures of the user's home page and their chart data (for json_script); the key
    figure cards of the office and of an agency; the open warnings (counts for the office's
    cards, and the list)."""
    from monitoring import selectors as monitoring

    user = request.user
    dashboard = Dashboard(user, campaign=request.GET.get("campaign"))
    figures = dashboard.figures(figures_for(user))
    context = {
        "figures": figures,
        "charts": {f.slug: f.chart for f in figures if not f.empty},
    }
    if user.role in OFFICE_ROLES:
        by_slug = {f.slug: f for f in figures}
        context["warning_counts"] = monitoring.warning_counts(user)
        context["cards"] = office_cards(by_slug, context["warning_counts"], dashboard.today)
        context["warnings"] = monitoring.open_warnings(user, limit=HOME_WARNINGS)
        context["warnings_after"] = "scores"  # beside the last half-width figure
    elif user.role in AGENCY_ROLES:
        context["cards"] = dashboard.agency_cards()
        context["warnings"] = monitoring.open_warnings(user, limit=HOME_WARNINGS)
    return context


@login_required
def home(request):
    """Every role lands on its own home page."""
    user = request.user
    if user.role == Role.PLATFORM_ADMIN:
        context = {"tenants": selectors.tenant_summaries(user)}
        template = "home/platform_admin.html"
    elif user.role in OFFICE_ROLES:
        context = selectors.office_home_figures(user)
        context["campaigns"] = running_campaigns(user)
        context.update(dashboard_context(request))
        template = "home/office.html"
    elif user.role in AGENCY_ROLES:
        from rectification import selectors as rectification

        context = {
            "agency": user.agency,
            "tasks": rectification.agency_tasks(user)[:AGENCY_HOME_TASKS],
            "campaigns": list(rectification.campaigns_for_user(user).filter(status="launched")),
            **dashboard_context(request),
        }
        template = "home/agency.html"
    elif user.role == Role.CITY_VIEWER:
        context = {
            "tenants": selectors.tenant_summaries(user).filter(parent=user.tenant),
            **dashboard_context(request),
        }
        template = "home/city.html"
    else:
        context = {}
        template = "home/evaluator.html"
    return render(request, template, context)


class DashboardExportView(LoginRequiredMixin, View):
    """One figure of the user's home page as .xlsx: the table the page shows under the chart,
    computed for this user (so scoped like the page). Logged like every export."""

    def get(self, request, figure):
        if figure not in figures_for(request.user):
            raise Http404
        dashboard = Dashboard(request.user, campaign=request.GET.get("campaign"))
        title, headers, rows = dashboard.figure(figure).sheet()
        log_export(request, what=f"dashboard_{figure}", rows=len(rows))
        return xlsx_response(write_workbook([(title, headers, rows)]), f"dashboard-{figure}")


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
