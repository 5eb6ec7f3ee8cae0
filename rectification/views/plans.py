"""Rectification plans' milestones (时间节点) and their progress updates with evidence, and the
overdue list: milestones and ledger issues past their deadline, for the office (every agency)
and for an agency (its own), with an Excel export of both."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import CampaignStatus, FilingKind, MilestoneStatus
from ..forms.plans import MilestoneForm, MilestoneReportForm, OverdueFilterForm
from ..models import Campaign, Filing, Milestone
from .campaigns import annotate_milestone

OVERDUE_PAGE_SIZE = 50


def plan_url_or_campaign(milestone_or_campaign, agency_id):
    """Back to the agency's rectification plan when it has one, else to the campaign."""
    campaign_id = getattr(milestone_or_campaign, "campaign_id", None) or milestone_or_campaign.pk
    plan = Filing.objects.filter(
        campaign_id=campaign_id, agency_id=agency_id, kind=FilingKind.RECTIFICATION_PLAN
    ).first()
    if plan is not None:
        return redirect("rectification:filing-detail", pk=plan.pk)
    return redirect("rectification:campaign-detail", pk=campaign_id)


class MilestoneFormView(PermissionRequiredMixin, View):
    """New milestone (pk is the campaign) or a change to one (pk is the milestone)."""

    permission = "milestone.edit"
    template_name = "rectification/plans/milestone_form.html"
    create = False

    def setup_objects(self, pk):
        user = self.request.user
        if self.create:
            campaign = get_scoped_object_or_404(
                Campaign.objects.writable_by(user).exclude(status=CampaignStatus.DRAFT), pk=pk
            )
            return campaign, None
        milestone = get_scoped_object_or_404(
            Milestone.objects.writable_by(user).select_related("campaign"), pk=pk
        )
        return milestone.campaign, milestone

    def render_form(self, form, campaign, milestone):
        context = {"form": form, "campaign": campaign, "object": milestone}
        return render(self.request, self.template_name, context)

    def get(self, request, pk):
        campaign, milestone = self.setup_objects(pk)
        return self.render_form(MilestoneForm(instance=milestone), campaign, milestone)

    def post(self, request, pk):
        campaign, milestone = self.setup_objects(pk)
        instance = Milestone.objects.get(pk=milestone.pk) if milestone else None
        form = MilestoneForm(request.POST, instance=instance)
        agency = milestone.agency if milestone else request.user.agency
        if form.is_valid():
            try:
                saved = services.milestone_save(
                    campaign=campaign,
                    agency=agency,
                    data={field: form.cleaned_data[field] for field in form.Meta.fields},
                    actor=request.user,
                    milestone=milestone,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Milestone saved."))
                return plan_url_or_campaign(saved, saved.agency_id)
        return self.render_form(form, campaign, milestone)


class MilestoneDeleteView(PermissionRequiredMixin, View):
    permission = "milestone.edit"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk):
        milestone = get_scoped_object_or_404(Milestone.objects.writable_by(request.user), pk=pk)
        target = plan_url_or_campaign(milestone, milestone.agency_id)
        if milestone.campaign.status != CampaignStatus.LAUNCHED:
            messages.error(request, _("The campaign is not running: nothing can be filed."))
            return target
        try:
            services.milestone_delete(milestone=milestone, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Milestone deleted."))
        return target


def milestone_context(request, milestone: Milestone, report_form=None) -> dict:
    user = request.user
    annotate_milestone(milestone, timezone.localdate())
    updates = list(milestone.updates.select_related("created_by").prefetch_related("attachments"))
    writable = Milestone.objects.writable_by(user).filter(pk=milestone.pk).exists()
    can_report = (
        writable
        and has_perm(user, "milestone.edit")
        and milestone.campaign.status == CampaignStatus.LAUNCHED
        and milestone.status == MilestoneStatus.OPEN
    )
    context = {
        "object": milestone,
        "updates": updates,
        "can_report": can_report,
        "can_edit": can_report,
        "multi_tenant": reads_several_tenants(user),
    }
    if can_report:
        context["report_form"] = report_form or MilestoneReportForm(milestone=milestone)
    return context


class MilestoneDetailView(PermissionRequiredMixin, View):
    permission = "campaign.view"

    def get(self, request, pk):
        milestone = get_scoped_object_or_404(
            Milestone.objects.for_user(request.user).select_related("campaign", "agency"), pk=pk
        )
        return render(
            request,
            "rectification/plans/milestone_detail.html",
            milestone_context(request, milestone),
        )


class MilestoneReportView(PermissionRequiredMixin, View):
    """POST: a progress update (note, %, evidence files)."""

    permission = "milestone.edit"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk):
        milestone = get_scoped_object_or_404(
            Milestone.objects.writable_by(request.user).select_related("campaign", "agency"),
            pk=pk,
        )
        form = MilestoneReportForm(request.POST, request.FILES, milestone=milestone)
        if form.is_valid():
            try:
                services.milestone_report(
                    milestone=milestone,
                    note=form.cleaned_data["note"],
                    progress=form.cleaned_data["progress"],
                    actor=request.user,
                    files=form.cleaned_data["files"] or (),
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Progress reported."))
                return redirect("rectification:milestone-detail", pk=pk)
        milestone.refresh_from_db()
        context = milestone_context(request, milestone, report_form=form)
        if "report_form" not in context:
            messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
            return redirect("rectification:milestone-detail", pk=pk)
        return render(request, "rectification/plans/milestone_detail.html", context)


# The overdue list -----------------------------------------------------------------------------


def overdue_querysets(request):
    """(filter form, overdue milestones, overdue issues), filtered and ordered."""
    user = request.user
    today = timezone.localdate()
    campaigns = selectors.campaigns_for_user(user).exclude(status=CampaignStatus.DRAFT)
    form = OverdueFilterForm(request.GET or None, user=user, campaigns=campaigns)
    milestones = form.apply(
        selectors.overdue_milestones(user, today)
        .filter(campaign__status=CampaignStatus.LAUNCHED)
        .select_related("agency", "campaign", "tenant")
        .order_by("due_on", "agency__name", "id")
    )
    issues = form.apply(
        selectors.overdue_issues(user, today)
        .filter(campaign__status=CampaignStatus.LAUNCHED)
        .select_related("agency", "campaign", "tenant", "domain")
        .order_by("deadline", "agency__name", "number")
    )
    return form, milestones, issues


class OverdueView(PermissionRequiredMixin, View):
    permission = "ledger.view"

    def get(self, request):
        form, milestones, issues = overdue_querysets(request)
        today = timezone.localdate()
        milestone_page = Paginator(milestones, OVERDUE_PAGE_SIZE).get_page(request.GET.get("mpage"))
        issue_page = Paginator(issues, OVERDUE_PAGE_SIZE).get_page(request.GET.get("ipage"))
        for milestone in milestone_page:
            milestone.days_overdue = (today - milestone.due_on).days
        for issue in issue_page:
            issue.days_overdue = (today - issue.deadline).days
        context = {
            "filter": {"form": form},
            "milestone_page": milestone_page,
            "issue_page": issue_page,
            "multi_tenant": reads_several_tenants(request.user),
            "is_agency": bool(request.user.agency_id),
        }
        return render(request, "rectification/overdue.html", context)


class OverdueExportView(PermissionRequiredMixin, View):
    """Both lists, filtered, as one .xlsx with two sheets."""

    permission = "ledger.view"

    def get(self, request):
        _form, milestones, issues = overdue_querysets(request)
        today = timezone.localdate()
        multi = reads_several_tenants(request.user)
        lead = [_("Jurisdiction")] if multi else []
        milestone_rows = [
            [
                *([m.tenant.name] if multi else []),
                m.agency.name,
                m.campaign.title,
                m.title,
                m.owner,
                m.due_on,
                (today - m.due_on).days,
                m.progress,
            ]
            for m in milestones.iterator(chunk_size=2000)
        ]
        issue_rows = [
            [
                *([i.tenant.name] if multi else []),
                i.agency.name,
                i.campaign.title,
                i.number,
                i.subject_name,
                i.domain.name,
                i.responsible_person,
                i.deadline,
                (today - i.deadline).days,
                str(i.get_status_display()),
            ]
            for i in issues.iterator(chunk_size=2000)
        ]
        sheets = [
            (
                _("Overdue milestones"),
                [
                    *lead,
                    _("Agency"),
                    _("Campaign"),
                    _("Milestone"),
                    _("Owner"),
                    _("Due by"),
                    _("Days overdue"),
                    _("Progress (%)"),
                ],
                milestone_rows,
            ),
            (
                _("Overdue issues"),
                [
                    *lead,
                    _("Agency"),
                    _("Campaign"),
                    _("Ledger number"),
                    _("Failing subject"),
                    _("Key domain"),
                    _("Responsible person"),
                    _("Rectification due by"),
                    _("Days overdue"),
                    _("Status"),
                ],
                issue_rows,
            ),
        ]
        log_export(request, what="overdue", rows=len(milestone_rows) + len(issue_rows))
        return xlsx_response(write_workbook(sheets), "overdue")


urlpatterns = [
    path(
        "campaigns/<int:pk>/milestones/new/",
        MilestoneFormView.as_view(create=True),
        name="milestone-create",
    ),
    path("milestones/<int:pk>/", MilestoneDetailView.as_view(), name="milestone-detail"),
    path("milestones/<int:pk>/edit/", MilestoneFormView.as_view(), name="milestone-edit"),
    path("milestones/<int:pk>/delete/", MilestoneDeleteView.as_view(), name="milestone-delete"),
    path("milestones/<int:pk>/report/", MilestoneReportView.as_view(), name="milestone-report"),
    path("overdue/", OverdueView.as_view(), name="overdue"),
    path("overdue/export/", OverdueExportView.as_view(), name="overdue-export"),
]
