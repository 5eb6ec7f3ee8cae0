"""Campaigns (专项治理), the office's side: the list, create and edit, launch, close and delete,
and the campaign page. For the office (and city viewers, read-only) the page is the grid of
every participating agency — what it filed and when, its issues, arrears and milestones — with
the issues by domain and by problem type, every table exporting to Excel. An agency user sees
its own part of the same campaign: its three deliverables, its ledger and its milestones.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.choices import AGENCY_ROLES
from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import (
    OPEN_ISSUE_STATUSES,
    CampaignStatus,
    FilingKind,
    FilingState,
    IssueStatus,
)
from ..forms.campaigns import CampaignFilter, CampaignForm
from ..models import Campaign, Filing, LedgerIssue, Milestone
from ..rules import days_left

EXPORT_TABLES = ("grid", "domains", "types")


def _office_tenant(user):
    if user.tenant_id is None:
        raise PermissionDenied(_("Only a county's credit office runs campaigns."))
    return user.tenant


def is_agency_user(user) -> bool:
    return user.role in AGENCY_ROLES


# List, create, edit ---------------------------------------------------------------------------


class CampaignListView(PermissionRequiredMixin, ListView):
    permission = "campaign.view"
    template_name = "rectification/campaigns/campaign_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = (
            selectors.campaigns_for_user(self.request.user)
            .select_related("tenant")
            .annotate(agency_count=Count("participations", distinct=True))
            .order_by("-year", "-id")
        )
        self.filterset = CampaignFilter(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            is_agency=is_agency_user(user),
            can_manage=has_perm(user, "campaign.manage") and user.tenant_id is not None,
        )
        return context


class CampaignFormView(PermissionRequiredMixin, View):
    """Create a draft campaign (no pk) or change one."""

    permission = "campaign.manage"
    template_name = "rectification/campaigns/campaign_form.html"

    def setup_campaign(self, pk):
        tenant = _office_tenant(self.request.user)
        if pk is None:
            return tenant, None
        campaign = get_scoped_object_or_404(Campaign.objects.writable_by(self.request.user), pk=pk)
        return campaign.tenant, campaign

    def render_form(self, form, campaign):
        return render(self.request, self.template_name, {"form": form, "object": campaign})

    def get(self, request, pk=None):
        tenant, campaign = self.setup_campaign(pk)
        return self.render_form(CampaignForm(instance=campaign, tenant=tenant), campaign)

    def post(self, request, pk=None):
        tenant, campaign = self.setup_campaign(pk)
        # The form works on a copy: a refused save leaves the instance as it was.
        instance = Campaign.objects.get(pk=campaign.pk) if campaign else None
        form = CampaignForm(request.POST, instance=instance, tenant=tenant)
        if form.is_valid():
            try:
                saved = services.campaign_save(
                    tenant=tenant,
                    data=form.data_for_service(),
                    actor=request.user,
                    campaign=campaign,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("rectification:campaign-detail", pk=saved.pk)
        return self.render_form(form, campaign)


class _CampaignStepView(PermissionRequiredMixin, View):
    """GET: the confirmation page; POST: the step."""

    permission = "campaign.manage"
    template_name = "rectification/campaigns/campaign_confirm.html"
    question = ""
    button = ""
    button_class = "btn-primary"

    def perform(self, campaign):
        raise NotImplementedError

    def get_campaign(self, pk):
        return get_scoped_object_or_404(Campaign.objects.writable_by(self.request.user), pk=pk)

    def get(self, request, pk):
        campaign = self.get_campaign(pk)
        context = {
            "object": campaign,
            "question": self.question,
            "button": self.button,
            "button_class": self.button_class,
            "action": request.path,
        }
        return render(request, self.template_name, context)

    def post(self, request, pk):
        campaign = self.get_campaign(pk)
        try:
            target = self.perform(campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("rectification:campaign-detail", pk=pk)
        return target


class CampaignLaunchView(_CampaignStepView):
    question = _("Launch this campaign? Every participating agency is notified.")
    button = _("Launch")

    def perform(self, campaign):
        services.campaign_launch(campaign=campaign, actor=self.request.user)
        messages.success(self.request, _("The campaign is launched; the agencies were notified."))
        return redirect("rectification:campaign-detail", pk=campaign.pk)


class CampaignCloseView(_CampaignStepView):
    question = _("Close this campaign? Nothing more can be filed; the records stay readable.")
    button = _("Close the campaign")
    button_class = "btn-warning"

    def perform(self, campaign):
        services.campaign_close(campaign=campaign, actor=self.request.user)
        messages.success(self.request, _("The campaign is closed."))
        return redirect("rectification:campaign-detail", pk=campaign.pk)


class CampaignDeleteView(_CampaignStepView):
    question = _("Delete this draft campaign?")
    button = _("Delete")
    button_class = "btn-danger"

    def perform(self, campaign):
        services.campaign_delete(campaign=campaign, actor=self.request.user)
        messages.success(self.request, _("The campaign was deleted."))
        return redirect("rectification:campaign-list")


# The campaign page ----------------------------------------------------------------------------


def _readable(user):
    return selectors.campaigns_for_user(user).select_related("tenant")


def grid_for(user, campaign: Campaign, today) -> list[dict]:
    """The office's grid; an agency user gets its own row only."""
    grid = selectors.campaign_grid(campaign, today)
    if is_agency_user(user):
        grid = [row for row in grid if row["agency"].pk == user.agency_id]
    return grid


def breakdown_for(user, campaign: Campaign) -> dict:
    issues = LedgerIssue.objects.for_user(user).filter(campaign=campaign)
    return selectors.campaign_breakdown(campaign, issues)


def agency_part(user, campaign: Campaign, today) -> dict:
    """An agency's own part of the campaign: deliverables, ledger summary, milestones."""
    filings = {f.kind: f for f in Filing.objects.for_user(user).filter(campaign=campaign)}
    deliverables = []
    for kind, label in FilingKind.choices:
        filing = filings.get(kind)
        deadline = campaign.deadline_for(kind)
        deliverables.append(
            {
                "kind": kind,
                "label": label,
                "filing": filing,
                "deadline": deadline,
                "days_left": days_left(deadline, today),
                "state": selectors.filing_state(filing, deadline, today),
            }
        )
    ledger = (
        LedgerIssue.objects.for_user(user)
        .filter(campaign=campaign)
        .aggregate(
            total=Count("id"),
            pending=Count("id", filter=Q(status=IssueStatus.PENDING)),
            in_progress=Count("id", filter=Q(status=IssueStatus.IN_PROGRESS)),
            rectified=Count("id", filter=Q(status=IssueStatus.RECTIFIED)),
            closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
            overdue=Count("id", filter=Q(status__in=OPEN_ISSUE_STATUSES, deadline__lt=today)),
            owed=Sum("amount_owed"),
            repaid=Sum("amount_repaid"),
        )
    )
    ledger["owed"] = ledger["owed"] or Decimal("0")
    ledger["repaid"] = ledger["repaid"] or Decimal("0")
    ledger["outstanding"] = ledger["owed"] - ledger["repaid"]
    milestones = list(Milestone.objects.for_user(user).filter(campaign=campaign))
    for milestone in milestones:
        annotate_milestone(milestone, today)
    return {"deliverables": deliverables, "ledger": ledger, "milestones": milestones}


def annotate_milestone(milestone: Milestone, today) -> Milestone:
    milestone.days_left = days_left(milestone.due_on, today)
    milestone.is_overdue = milestone.status == "open" and milestone.due_on < today
    milestone.days_overdue = (today - milestone.due_on).days if milestone.is_overdue else 0
    return milestone


class CampaignDetailView(PermissionRequiredMixin, View):
    permission = "campaign.view"

    def get(self, request, pk):
        user = request.user
        campaign = get_scoped_object_or_404(_readable(user), pk=pk)
        today = timezone.localdate()
        context = {
            "object": campaign,
            "today": today,
            "domains": list(campaign.domains.order_by("position", "name")),
            "multi_tenant": reads_several_tenants(user),
        }
        if is_agency_user(user):
            context.update(agency_part(user, campaign, today))
            context.update(
                can_draft=has_perm(user, "filing.draft")
                and campaign.status == CampaignStatus.LAUNCHED,
                can_plan=has_perm(user, "milestone.edit")
                and campaign.status == CampaignStatus.LAUNCHED,
            )
            return render(request, "rectification/campaigns/campaign_agency.html", context)
        writable = Campaign.objects.writable_by(user).filter(pk=pk).exists()
        can_manage = writable and has_perm(user, "campaign.manage")
        context.update(
            grid=grid_for(user, campaign, today),
            breakdown=breakdown_for(user, campaign),
            statuses=IssueStatus.choices,
            kinds=FilingKind.choices,
            can_manage=can_manage,
            can_edit=can_manage and campaign.status != CampaignStatus.CLOSED,
            can_launch=can_manage and campaign.status == CampaignStatus.DRAFT,
            can_close=can_manage and campaign.status == CampaignStatus.LAUNCHED,
            can_delete=can_manage and campaign.status == CampaignStatus.DRAFT,
        )
        return render(request, "rectification/campaigns/campaign_detail.html", context)


def _state_label(state: str) -> str:
    return str(FilingState(state).label)


def grid_sheet(grid: list[dict]):
    headers = [_("Agency")]
    for _kind, label in FilingKind.choices:
        headers += [
            _("%(deliverable)s: state") % {"deliverable": label},
            _("%(deliverable)s: submitted on") % {"deliverable": label},
        ]
    headers += [
        _("Issues"),
        _("To be rectified"),
        _("Being rectified"),
        _("Rectified"),
        _("Closed (销号)"),
        _("Overdue issues"),
        _("Owed (yuan)"),
        _("Repaid (yuan)"),
        _("Outstanding (yuan)"),
        _("Milestones done"),
        _("Milestones"),
        _("Overdue milestones"),
    ]
    rows = []
    for row in grid:
        values = [row["agency"].name]
        for deliverable in row["deliverables"]:
            submitted = deliverable["submitted_at"]
            values += [
                _state_label(deliverable["state"]),
                timezone.localtime(submitted).date() if submitted else None,
            ]
        issues = row["issues"]
        values += [
            issues["total"],
            issues["pending"],
            issues["in_progress"],
            issues["rectified"],
            issues["closed"],
            issues["overdue"],
            row["owed"],
            row["repaid"],
            row["outstanding"],
            row["milestones"]["done"],
            row["milestones"]["total"],
            row["milestones"]["overdue"],
        ]
        rows.append(values)
    return _("Agencies"), headers, rows


def breakdown_sheet(title: str, first: str, table: list[dict]):
    headers = [first, *(str(label) for _value, label in IssueStatus.choices), _("Total")]
    rows = [
        [row["label"], *(row["counts"][value] for value in IssueStatus.values), row["total"]]
        for row in table
    ]
    return title, headers, rows


class CampaignExportView(PermissionRequiredMixin, View):
    """?table=grid|domains|types: one table of the campaign page as .xlsx."""

    permission = "campaign.view"

    def get(self, request, pk):
        user = request.user
        campaign = get_scoped_object_or_404(_readable(user), pk=pk)
        table = request.GET.get("table", "grid")
        if table not in EXPORT_TABLES:
            table = "grid"
        if table == "grid":
            sheet = grid_sheet(grid_for(user, campaign, timezone.localdate()))
        elif table == "domains":
            sheet = breakdown_sheet(
                _("By domain"), _("Key domain"), breakdown_for(user, campaign)["by_domain"]
            )
        else:
            sheet = breakdown_sheet(
                _("By problem type"), _("Problem type"), breakdown_for(user, campaign)["by_type"]
            )
        log_export(request, what=f"campaign-{table}", rows=len(sheet[2]))
        return xlsx_response(write_workbook([sheet]), f"campaign-{campaign.pk}-{table}")


urlpatterns = [
    path("campaigns/", CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", CampaignFormView.as_view(), name="campaign-create"),
    path("campaigns/<int:pk>/", CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", CampaignFormView.as_view(), name="campaign-edit"),
    path("campaigns/<int:pk>/launch/", CampaignLaunchView.as_view(), name="campaign-launch"),
    path("campaigns/<int:pk>/close/", CampaignCloseView.as_view(), name="campaign-close"),
    path("campaigns/<int:pk>/delete/", CampaignDeleteView.as_view(), name="campaign-delete"),
    path("campaigns/<int:pk>/export/", CampaignExportView.as_view(), name="campaign-export"),
]
