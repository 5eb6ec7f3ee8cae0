"""The issue ledger (问题清单 / 工作台账, M2): the list every role reads with its filters and
arrears totals, the Excel export, the form an agency keeps its issues with (arrears and the key
domain's extra fields included), and the issue page with its repayments, evidence, the
agency's "rectified" report and the office's verification (销号 or send back).

Agencies (ledger.edit) change only their own agency's issues (`writable_by`); the office
(ledger.verify) verifies the issues of its own county; city viewers read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from domains.models import KeyDomain
from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants, visible_tenant_ids
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import OPEN_ISSUE_STATUSES, CampaignStatus, IssueStatus
from ..excel import Column, LedgerSchema, campaign_domains, export_issues, export_rows
from ..forms.ledger import (
    AttachForm,
    CampaignChoiceForm,
    IssueFilter,
    IssueForm,
    RectifiedForm,
    RepaymentForm,
    VerifyForm,
)
from ..models import CampaignDomain, LedgerIssue, Repayment

DETAIL_TEMPLATE = "rectification/ledger/issue_detail.html"
FORM_TEMPLATE = "rectification/ledger/issue_form.html"
EXPORT_CHUNK = 2000


def running_campaigns(user):
    """The running campaigns an agency user files in (its agency takes part in them)."""
    if not user.agency_id:
        return selectors.campaigns_for_user(user).none()
    return selectors.campaigns_for_user(user).filter(status=CampaignStatus.LAUNCHED)


# List and export ------------------------------------------------------------------------------


class IssueListView(PermissionRequiredMixin, ListView):
    permission = "ledger.view"
    template_name = "rectification/ledger/issue_list.html"
    paginate_by = 50

    def filtered(self):
        user = self.request.user
        self.filterset = IssueFilter(
            self.request.GET or None,
            queryset=selectors.issues_for_user(user),
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_queryset(self):
        return (
            self.filtered()
            .select_related("tenant", "campaign", "agency", "domain", "problem_type")
            .annotate(outstanding=F("amount_owed") - F("amount_repaid"))
            .order_by("-campaign_id", "agency__name", "agency_id", "number")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        totals = self.filterset.qs.order_by().aggregate(
            owed=Sum("amount_owed"), repaid=Sum("amount_repaid")
        )
        owed, repaid = totals["owed"], totals["repaid"]
        totals["outstanding"] = (owed - repaid) if owed is not None else None
        campaigns = running_campaigns(user) if has_perm(user, "ledger.edit") else None
        choice = None
        if campaigns is not None:
            selected = self.request.GET.get("campaign")
            choice = CampaignChoiceForm(
                initial={"campaign": selected} if selected else None,
                campaigns=campaigns,
                auto_id="new_%s",
            )
        context.update(
            filter=self.filterset,
            totals=totals,
            multi_tenant=reads_several_tenants(user),
            is_agency=bool(user.agency_id),
            campaign_choice=choice,
            can_edit=has_perm(user, "ledger.edit") and bool(user.agency_id),
            can_import=has_perm(user, "ledger.import") and bool(user.agency_id),
            can_export=has_perm(user, "ledger.export"),
        )
        return context


class IssueExportView(IssueListView):
    """The filtered issues, every page, as .xlsx. One agency's ledger in one campaign comes out
    in the import template's columns, so it can be edited and imported back; several campaigns
    or agencies get their campaign and agency in front and cannot be imported back."""

    permission = "ledger.export"

    def get(self, request, *args, **kwargs):
        user = request.user
        issues = self.filtered()
        plain = issues.order_by()
        campaign_ids = list(plain.values_list("campaign_id", flat=True).distinct()[:2])
        agency_ids = list(plain.values_list("agency_id", flat=True).distinct()[:2])
        multi_tenant = reads_several_tenants(user)
        cleaned = getattr(self.filterset.form, "cleaned_data", None) or {}
        campaign = cleaned.get("campaign")
        if campaign is None and len(campaign_ids) == 1:
            campaign = selectors.campaigns_for_user(user).filter(pk=campaign_ids[0]).first()
        importable = (
            campaign is not None
            and len(campaign_ids) <= 1
            and len(agency_ids) <= 1
            and not multi_tenant
        )
        if importable:
            schema = LedgerSchema.for_campaign(campaign)
            prefix, names = None, ()
        else:
            prefix_columns = [Column("campaign", _("Campaign"), prefix=True)]
            prefix_columns.append(Column("agency", _("Agency"), prefix=True))
            if multi_tenant:
                prefix_columns.insert(0, Column("tenant", _("Jurisdiction"), prefix=True))
            domains = list(
                KeyDomain.objects.filter(
                    pk__in=CampaignDomain.objects.filter(
                        campaign_id__in=plain.values("campaign_id")
                    ).values("domain_id")
                ).order_by("tenant_id", "position", "id")
            )
            schema = LedgerSchema(None, domains, prefix=prefix_columns)

            names = ("tenant__name",) if multi_tenant else ()
            names += ("campaign__title", "agency__name")

            def prefix(issue):
                return [issue[name] for name in names]

        rows = (
            export_issues(issues, *names)
            .order_by("campaign_id", "agency_id", "number")
            .iterator(chunk_size=EXPORT_CHUNK)
        )
        counter = {"rows": 0}

        def counted(generator):
            for row in generator:
                counter["rows"] += 1
                yield row

        sheets = [
            (
                _("Issue ledger"),
                schema.headers,
                counted(export_rows(schema, rows, today=timezone.localdate(), prefix=prefix)),
            )
        ]
        if not importable:
            note = _(
                "This export covers several campaigns or agencies and cannot be imported back. "
                "To edit a ledger in Excel, export one agency's ledger filtered by one campaign."
            )
            sheets.append((_("Notes"), [note], []))
        content = write_workbook(sheets)
        log_export(request, what="ledger issues", rows=counter["rows"])
        return xlsx_response(content, "ledger")


# Create and edit ------------------------------------------------------------------------------


def _service_errors(form: IssueForm, exc: ValidationError) -> None:
    """A service's errors on the form; the domain's extra fields come keyed by their key."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        target = key if key in form.fields else form.extra_error_field(key)
        form.add_error(target, errors)


class IssueCreateView(PermissionRequiredMixin, View):
    """A new issue in the agency's ledger of a running campaign (?campaign=<pk>)."""

    permission = "ledger.edit"

    def campaign(self):
        return get_scoped_object_or_404(
            running_campaigns(self.request.user), pk=self.request.GET.get("campaign")
        )

    def form(self, campaign, data=None):
        user = self.request.user
        instance = LedgerIssue(tenant_id=campaign.tenant_id, campaign=campaign, agency=user.agency)
        return IssueForm(
            data, instance=instance, campaign=campaign, domains=campaign_domains(campaign)
        )

    def get(self, request):
        campaign = self.campaign()
        return render(request, FORM_TEMPLATE, {"form": self.form(campaign), "campaign": campaign})

    def post(self, request):
        campaign = self.campaign()
        form = self.form(campaign, request.POST)
        if form.is_valid():
            try:
                issue = services.issue_create(
                    campaign=campaign,
                    agency=request.user.agency,
                    data=form.service_data(),
                    actor=request.user,
                )
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                messages.success(
                    request, _("Issue %(number)s added to the ledger.") % {"number": issue.number}
                )
                return redirect("rectification:issue-detail", pk=issue.pk)
        return render(request, FORM_TEMPLATE, {"form": form, "campaign": campaign})


class IssueEditView(PermissionRequiredMixin, View):
    permission = "ledger.edit"

    def issue(self, pk):
        return get_scoped_object_or_404(
            LedgerIssue.objects.writable_by(self.request.user).select_related("campaign"), pk=pk
        )

    def form(self, issue, data=None):
        campaign = issue.campaign
        return IssueForm(
            data, instance=issue, campaign=campaign, domains=campaign_domains(campaign)
        )

    def context(self, issue, form):
        return {"form": form, "campaign": issue.campaign, "object": issue}

    def get(self, request, pk):
        issue = self.issue(pk)
        if issue.status == IssueStatus.CLOSED:
            messages.error(request, _("A closed issue can no longer be changed."))
            return redirect("rectification:issue-detail", pk=pk)
        return render(request, FORM_TEMPLATE, self.context(issue, self.form(issue)))

    def post(self, request, pk):
        issue = self.issue(pk)
        form = self.form(issue, request.POST)
        if form.is_valid():
            try:
                services.issue_update(issue=issue, data=form.service_data(), actor=request.user)
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, _("The issue was saved."))
                return redirect("rectification:issue-detail", pk=pk)
        return render(request, FORM_TEMPLATE, self.context(self.issue(pk), form))


# The issue page and its actions ---------------------------------------------------------------


def _readable(user):
    return selectors.issues_for_user(user).select_related(
        "tenant",
        "campaign",
        "agency",
        "domain",
        "problem_type",
        "created_by",
        "closed_by",
        "import_job",
    )


def abilities(user, issue: LedgerIssue, repayments: list) -> dict[str, bool]:
    """What the user may do on the issue page now (the services check again)."""
    writable = LedgerIssue.objects.writable_by(user).filter(pk=issue.pk).exists()
    running = issue.campaign.status == CampaignStatus.LAUNCHED
    agency = writable and has_perm(user, "ledger.edit")
    edit = agency and running and issue.status != IssueStatus.CLOSED
    return {
        "edit": edit,
        "repay": edit and issue.amount_owed is not None,
        "attach": agency and issue.status != IssueStatus.CLOSED,
        "rectified": edit and issue.status in OPEN_ISSUE_STATUSES,
        "delete": agency and issue.status == IssueStatus.PENDING and not repayments,
        "verify": writable
        and has_perm(user, "ledger.verify")
        and issue.status == IssueStatus.RECTIFIED,
    }


def _extra_values(issue: LedgerIssue) -> list[tuple[str, object]]:
    extra = dict(issue.extra or {})
    values = []
    for domain_field in issue.domain.fields.order_by("position", "id"):
        values.append((domain_field.label, extra.pop(domain_field.key, None)))
    values += list(extra.items())  # values of fields the domain no longer has
    return values


def detail_context(request, issue: LedgerIssue, **forms) -> dict:
    """Everything the issue page shows; `forms` are bound forms that failed."""
    user = request.user
    repayments = list(issue.repayments.select_related("created_by"))
    can = abilities(user, issue, repayments)
    position = None
    if issue.amount_owed is not None:
        issue._prefetched_objects_cache = {"repayments": repayments}
        position = selectors.issue_position(issue)
    complaint = None
    if issue.source_complaint_id and has_perm(user, "complaint.view"):
        from supervision.models import Complaint

        complaint = Complaint.objects.for_user(user).filter(pk=issue.source_complaint_id).first()
    context = {
        "object": issue,
        "position": position,
        "repayments": repayments,
        "attachments": list(issue.attachments.all()),
        "extra_values": _extra_values(issue),
        "complaint": complaint,
        "multi_tenant": reads_several_tenants(user),
        "rate_percent": (issue.daily_interest_rate * 100).normalize(),
        "can": can,
    }
    if can["repay"]:
        context["repayment_form"] = forms.get("repayment_form") or RepaymentForm()
    if can["attach"]:
        context["attach_form"] = forms.get("attach_form") or AttachForm()
    if can["rectified"]:
        context["rectified_form"] = forms.get("rectified_form") or RectifiedForm()
    if can["verify"]:
        context["verify_form"] = forms.get("verify_form") or VerifyForm()
    return context


class IssueDetailView(PermissionRequiredMixin, View):
    permission = "ledger.view"

    def get(self, request, pk):
        issue = get_scoped_object_or_404(_readable(request.user), pk=pk)
        return render(request, DETAIL_TEMPLATE, detail_context(request, issue))


class _IssueActionView(PermissionRequiredMixin, View):
    """POST only: a step on the issue page. A refused step shows the page again with the
    errors and changes nothing (the services are atomic)."""

    permission = "ledger.edit"
    form_name = ""
    ability = ""

    def form(self):
        raise NotImplementedError

    def perform(self, issue, form) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        issue = get_scoped_object_or_404(
            LedgerIssue.objects.writable_by(request.user).select_related("campaign"), pk=pk
        )
        if not abilities(request.user, issue, list(issue.repayments.all()))[self.ability]:
            messages.error(request, _("This step is not possible in the issue's current status."))
            return redirect("rectification:issue-detail", pk=pk)
        form = self.form()
        if form.is_valid():
            try:
                with transaction.atomic():
                    message = self.perform(issue, form)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("rectification:issue-detail", pk=pk)
        fresh = get_scoped_object_or_404(_readable(request.user), pk=pk)
        context = detail_context(request, fresh, **{self.form_name: form})
        return render(request, DETAIL_TEMPLATE, context)


class RepaymentAddView(_IssueActionView):
    form_name = "repayment_form"
    ability = "repay"

    def form(self):
        return RepaymentForm(self.request.POST)

    def perform(self, issue, form):
        repayment = services.repayment_add(
            issue=issue, data=form.cleaned_data, actor=self.request.user
        )
        return _("Repayment of %(amount)s yuan recorded.") % {"amount": repayment.amount}


class IssueAttachView(_IssueActionView):
    form_name = "attach_form"
    ability = "attach"

    def form(self):
        return AttachForm(self.request.POST, self.request.FILES)

    def perform(self, issue, form):
        files = form.cleaned_data["files"]
        for uploaded in files:
            services.evidence_add(parent=issue, uploaded=uploaded, actor=self.request.user)
        return _("%(n)d files attached.") % {"n": len(files)}


class IssueRectifiedView(_IssueActionView):
    form_name = "rectified_form"
    ability = "rectified"

    def form(self):
        return RectifiedForm(self.request.POST, self.request.FILES)

    def perform(self, issue, form):
        services.issue_report_rectified(
            issue=issue,
            note=form.cleaned_data["note"],
            rectified_on=form.cleaned_data["rectified_on"],
            actor=self.request.user,
            files=form.cleaned_data["files"],
        )
        return _("The issue was reported rectified; the credit office will verify it.")


class IssueVerifyView(_IssueActionView):
    permission = "ledger.verify"
    form_name = "verify_form"
    ability = "verify"

    def form(self):
        return VerifyForm(self.request.POST)

    def perform(self, issue, form):
        close = form.cleaned_data["decision"] == "close"
        services.issue_verify(
            issue=issue, close=close, note=form.cleaned_data["note"], actor=self.request.user
        )
        if close:
            return _("Issue %(number)s is closed (销号).") % {"number": issue.number}
        return _("Issue %(number)s was sent back to the agency.") % {"number": issue.number}


class IssueDeleteView(PermissionRequiredMixin, View):
    permission = "ledger.edit"

    def post(self, request, pk):
        issue = get_scoped_object_or_404(LedgerIssue.objects.writable_by(request.user), pk=pk)
        try:
            services.issue_delete(issue=issue, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("rectification:issue-detail", pk=pk)
        messages.success(request, _("Issue %(number)s was deleted.") % {"number": issue.number})
        return redirect("rectification:issue-list")


class RepaymentDeleteView(PermissionRequiredMixin, View):
    permission = "ledger.edit"

    def post(self, request, pk):
        repayment = get_scoped_object_or_404(
            Repayment.objects.writable_by(request.user).select_related("issue"), pk=pk
        )
        issue_id = repayment.issue_id
        try:
            services.repayment_delete(repayment=repayment, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The repayment was deleted."))
        return redirect("rectification:issue-detail", pk=issue_id)


urlpatterns = [
    path("ledger/", IssueListView.as_view(), name="issue-list"),
    path("ledger/export/", IssueExportView.as_view(), name="issue-export"),
    path("ledger/new/", IssueCreateView.as_view(), name="issue-create"),
    path("ledger/<int:pk>/", IssueDetailView.as_view(), name="issue-detail"),
    path("ledger/<int:pk>/edit/", IssueEditView.as_view(), name="issue-edit"),
    path("ledger/<int:pk>/repayments/", RepaymentAddView.as_view(), name="repayment-add"),
    path(
        "ledger/repayments/<int:pk>/delete/",
        RepaymentDeleteView.as_view(),
        name="repayment-delete",
    ),
    path("ledger/<int:pk>/attach/", IssueAttachView.as_view(), name="issue-attach"),
    path("ledger/<int:pk>/rectified/", IssueRectifiedView.as_view(), name="issue-rectified"),
    path("ledger/<int:pk>/verify/", IssueVerifyView.as_view(), name="issue-verify"),
    path("ledger/<int:pk>/delete/", IssueDeleteView.as_view(), name="issue-delete"),
]
