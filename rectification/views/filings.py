"""Filings: the self-inspection report (自查自纠报告), the rectification plan (整改方案) and the
rectification report (整改报告). The clerk drafts the sections (rich text) and attaches files,
sends the filing for sign-off; the agency leader signs it off (it reaches the office as a new
frozen version) or sends it back; the office accepts it or returns it with comments. Every
version is kept and viewable, and prints cleanly for the paper copy the office stamps.

Evidence files of filings, ledger issues and progress updates are downloaded here, by anyone who
may read them, and deleted here by the agency while the service allows it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from integrity.http import form_errors
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.richtext import clean_html
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants

from .. import selectors, services
from ..choices import (
    EDITABLE_FILING_STATUSES,
    FILING_SECTIONS,
    CampaignStatus,
    FilingKind,
    FilingStatus,
    IssueStatus,
)
from ..forms.filings import AttachForm, CommentForm, FilingSectionsForm
from ..forms.plans import MilestoneForm
from ..models import Campaign, Evidence, Filing, FilingVersion, Milestone
from ..rules import days_left
from .campaigns import annotate_milestone

DETAIL_TEMPLATE = "rectification/filings/filing_detail.html"
FROZEN_STATUSES = (FilingStatus.SUBMITTED, FilingStatus.ACCEPTED)

# action slug → (permission, label of the success message)
ACTIONS = {
    "request-signoff": ("filing.draft", gettext_lazy("Sent to the leader for sign-off.")),
    "sign-off": ("filing.signoff", gettext_lazy("Signed off and submitted to the office.")),
    "send-back": ("filing.signoff", gettext_lazy("Sent back to the clerk.")),
    "accept": ("filing.review", gettext_lazy("The filing is accepted.")),
    "return": ("filing.review", gettext_lazy("The filing was returned for revision.")),
}
ACTION_PATTERN = "|".join(ACTIONS)
KIND_PATTERN = "|".join(FilingKind.values)


def _readable(user):
    return Filing.objects.for_user(user).select_related("campaign", "agency", "tenant")


def render_sections(filing_kind: str, sections: dict) -> list[dict]:
    """The sections in their order, with the stored HTML cleaned again before it is marked
    safe (it was cleaned when saved; cleaning twice costs little and trusts nothing)."""
    return [
        {
            "key": key,
            "label": label,
            "guidance": guidance,
            "html": mark_safe(clean_html(sections.get(key, ""))),  # noqa: S308 (cleaned above)
        }
        for key, label, guidance in FILING_SECTIONS[filing_kind]
    ]


def status_label(status: str) -> str:
    return str(IssueStatus(status).label) if status in IssueStatus.values else status


def figures_for_display(figures: dict) -> dict:
    """The figures with status labels, for the templates."""
    shown = dict(figures)
    # In the workflow's order (JSON keys come back from PostgreSQL in its own order).
    by_status = figures.get("by_status", {})
    shown["by_status_rows"] = [
        (status_label(status), by_status[status])
        for status in IssueStatus.values
        if status in by_status
    ] + [
        (status_label(status), count)
        for status, count in by_status.items()
        if status not in IssueStatus.values
    ]
    return shown


def current_figures(filing: Filing, versions: list[FilingVersion]) -> tuple[dict, bool]:
    """Live figures while the agency works on the filing; the frozen figures of the version
    once it is with the office. Returns (figures, frozen)."""
    if filing.status in FROZEN_STATUSES and versions:
        return versions[-1].figures, True
    return selectors.filing_figures(filing), False


def filing_flags(user, filing: Filing) -> dict:
    """What the user may do to the filing now."""
    writable = Filing.objects.writable_by(user).filter(pk=filing.pk).exists()
    running = filing.campaign.status == CampaignStatus.LAUNCHED
    editable = writable and running and filing.status in EDITABLE_FILING_STATUSES
    awaiting = writable and running and filing.status == FilingStatus.AWAITING_SIGNOFF
    return {
        "can_edit": editable and has_perm(user, "filing.draft"),
        "can_sign": awaiting
        and has_perm(user, "filing.signoff")
        and user.agency_id == filing.agency_id,
        "can_review": writable
        and has_perm(user, "filing.review")
        and filing.status == FilingStatus.SUBMITTED,
        "can_plan": writable and running and has_perm(user, "milestone.edit"),
    }


def detail_context(request, filing: Filing, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    versions = list(filing.versions.select_related("signed_off_by", "reviewed_by"))
    figures, frozen = current_figures(filing, versions)
    context = {
        "object": filing,
        "sections": render_sections(filing.kind, filing.sections),
        "figures": figures_for_display(figures),
        "frozen": frozen,
        "versions": versions,
        "attachments": list(filing.attachments.all()),
        "deadline": filing.deadline,
        "days_left": days_left(filing.deadline, today),
        "multi_tenant": reads_several_tenants(user),
        **filing_flags(user, filing),
    }
    if context["can_edit"]:
        context["attach_form"] = forms.get("attach_form") or AttachForm()
    if context["can_sign"]:
        context["sign_form"] = forms.get("sign_form") or CommentForm()
    if context["can_review"]:
        context["review_form"] = forms.get("review_form") or CommentForm()
    if filing.kind == FilingKind.RECTIFICATION_PLAN:
        milestones = list(
            Milestone.objects.for_user(user).filter(
                campaign_id=filing.campaign_id, agency_id=filing.agency_id
            )
        )
        context["milestones"] = [annotate_milestone(m, today) for m in milestones]
        if context["can_plan"]:
            context["milestone_form"] = MilestoneForm()
    return context


class FilingDetailView(PermissionRequiredMixin, View):
    permission = "filing.view"

    def get(self, request, pk):
        filing = get_scoped_object_or_404(_readable(request.user), pk=pk)
        return render(request, DETAIL_TEMPLATE, detail_context(request, filing))


class FilingOpenView(PermissionRequiredMixin, View):
    """POST: open the agency's filing of a kind for the campaign, drafting it if new."""

    permission = "filing.draft"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk, kind=None):
        user = request.user
        campaign = get_scoped_object_or_404(
            Campaign.objects.writable_by(user).exclude(status=CampaignStatus.DRAFT), pk=pk
        )
        kind = kind or request.POST.get("kind", "")
        try:
            filing = services.filing_get_or_create(
                campaign=campaign, agency=user.agency, kind=kind, actor=user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("rectification:campaign-detail", pk=pk)
        return redirect("rectification:filing-detail", pk=filing.pk)


def richtext_labels() -> dict:
    """The editor's button labels, translated here (static/js/richtext.js reads them)."""
    return {
        "bold": _("Bold"),
        "italic": _("Italic"),
        "underline": _("Underline"),
        "ol": _("Numbered list"),
        "ul": _("Bullet list"),
        "heading": _("Heading"),
        "toolbar": _("Formatting"),
    }


class FilingEditView(PermissionRequiredMixin, View):
    """One rich-text editor per section, with its guidance."""

    permission = "filing.draft"
    template_name = "rectification/filings/filing_form.html"

    def get_filing(self, pk):
        return get_scoped_object_or_404(
            Filing.objects.writable_by(self.request.user).select_related("campaign", "agency"),
            pk=pk,
        )

    def refuse(self, filing):
        if filing.campaign.status != CampaignStatus.LAUNCHED:
            message = _("The campaign is not running: nothing can be filed.")
        elif filing.status not in EDITABLE_FILING_STATUSES:
            message = _("The filing is with the leader or the office: it cannot be edited.")
        else:
            return None
        messages.error(self.request, message)
        return redirect("rectification:filing-detail", pk=filing.pk)

    def render_form(self, filing, form):
        context = {"object": filing, "form": form, "richtext_labels": richtext_labels()}
        return render(self.request, self.template_name, context)

    def get(self, request, pk):
        filing = self.get_filing(pk)
        if response := self.refuse(filing):
            return response
        return self.render_form(filing, FilingSectionsForm(filing=filing))

    def post(self, request, pk):
        filing = self.get_filing(pk)
        form = FilingSectionsForm(request.POST, filing=filing)
        if form.is_valid():
            try:
                services.filing_save(filing=filing, sections=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The draft is saved."))
                return redirect("rectification:filing-detail", pk=pk)
        return self.render_form(filing, form)


class FilingActionView(PermissionRequiredMixin, View):
    """POST only: a workflow step (the action from the URL, or the form's `action` field).
    A refused step shows the page again with the reason and changes nothing."""

    permission = "filing.view"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def perform(self, filing, action, comment):
        user = self.request.user
        if action == "request-signoff":
            services.filing_request_signoff(filing=filing, actor=user)
        elif action == "sign-off":
            services.filing_sign_off(filing=filing, actor=user, comment=comment)
        elif action == "send-back":
            services.filing_send_back_to_clerk(filing=filing, actor=user, comment=comment)
        else:
            services.filing_review(
                filing=filing, accept=action == "accept", comment=comment, actor=user
            )

    def post(self, request, pk, action=None):
        user = request.user
        filing = get_scoped_object_or_404(
            Filing.objects.writable_by(user).select_related("campaign", "agency"), pk=pk
        )
        action = action or request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Unknown step."))
            return redirect("rectification:filing-detail", pk=pk)
        permission, done = ACTIONS[action]
        if not has_perm(user, permission):
            raise PermissionDenied
        form = CommentForm(request.POST)
        form.is_valid()
        try:
            self.perform(filing, action, form.cleaned_data.get("comment", ""))
        except ValidationError as exc:
            form_errors(form, exc)
            fresh = get_scoped_object_or_404(_readable(user), pk=pk)
            form_name = "review_form" if permission == "filing.review" else "sign_form"
            context = detail_context(request, fresh, **{form_name: form})
            if form_name not in context or action == "request-signoff":
                messages.error(request, " ".join(exc.messages))
                return redirect("rectification:filing-detail", pk=pk)
            return render(request, DETAIL_TEMPLATE, context)
        messages.success(request, str(done))
        return redirect("rectification:filing-detail", pk=pk)


class FilingAttachView(PermissionRequiredMixin, View):
    permission = "filing.draft"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk):
        filing = get_scoped_object_or_404(
            Filing.objects.writable_by(request.user).select_related("campaign", "agency"), pk=pk
        )
        if (
            filing.status not in EDITABLE_FILING_STATUSES
            or filing.campaign.status != CampaignStatus.LAUNCHED
        ):
            messages.error(
                request, _("Attachments of a filing under sign-off or review stay as sent.")
            )
            return redirect("rectification:filing-detail", pk=pk)
        form = AttachForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                for uploaded in form.cleaned_data["files"]:
                    services.evidence_add(parent=filing, uploaded=uploaded, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Attachments added."))
                return redirect("rectification:filing-detail", pk=pk)
        fresh = get_scoped_object_or_404(_readable(request.user), pk=pk)
        context = detail_context(request, fresh, attach_form=form)
        return render(request, DETAIL_TEMPLATE, context)


# Versions and printing ------------------------------------------------------------------------


def version_context(filing: Filing, version: FilingVersion | None) -> dict:
    if version is None:
        figures = selectors.filing_figures(filing)
        sections = filing.sections
    else:
        figures, sections = version.figures, version.sections
    return {
        "object": filing,
        "version": version,
        "sections": render_sections(filing.kind, sections),
        "figures": figures_for_display(figures),
    }


class FilingVersionView(PermissionRequiredMixin, View):
    """A frozen version (the latest without a number)."""

    permission = "filing.view"

    def get(self, request, pk, number=None):
        filing = get_scoped_object_or_404(_readable(request.user), pk=pk)
        versions = filing.versions.select_related("prepared_by", "signed_off_by", "reviewed_by")
        version = (
            versions.filter(number=number).first()
            if number is not None
            else versions.order_by("-number").first()
        )
        if version is None:
            raise Http404
        context = version_context(filing, version)
        context["versions"] = list(filing.versions.values_list("number", flat=True))
        return render(request, "rectification/filings/filing_version.html", context)


class FilingPrintView(PermissionRequiredMixin, View):
    """The paper copy: ?version=n prints that version; without, the filing as it stands."""

    permission = "filing.view"

    def get(self, request, pk):
        filing = get_scoped_object_or_404(_readable(request.user), pk=pk)
        version = None
        number = request.GET.get("version", "")
        if number:
            if not number.isdigit():
                raise Http404
            version = get_scoped_object_or_404(filing.versions.all(), number=int(number))
        elif filing.status in FROZEN_STATUSES:
            version = filing.versions.order_by("-number").first()
        context = version_context(filing, version)
        context["printed_on"] = timezone.localdate()
        return render(request, "rectification/filings/filing_print.html", context)


# Evidence -------------------------------------------------------------------------------------

EVIDENCE_EDIT_PERMISSIONS = {
    "filing": "filing.draft",
    "issue": "ledger.edit",
    "update": "milestone.edit",
}


def evidence_parent_url(evidence: Evidence) -> str:
    if evidence.filing_id:
        return reverse("rectification:filing-detail", args=[evidence.filing_id])
    if evidence.issue_id:
        return reverse("rectification:issue-detail", args=[evidence.issue_id])
    return reverse("rectification:milestone-detail", args=[evidence.update.milestone_id])


class EvidenceDownloadView(PermissionRequiredMixin, View):
    """Served only to users who may read the evidence (and so its parent)."""

    permission = "filing.view"

    def get(self, request, pk):
        evidence = get_scoped_object_or_404(Evidence.objects.for_user(request.user), pk=pk)
        try:
            return evidence.response()
        except FileNotFoundError:
            raise Http404 from None


class EvidenceDeleteView(PermissionRequiredMixin, View):
    permission = "filing.view"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk):
        evidence = get_scoped_object_or_404(
            Evidence.objects.writable_by(request.user).select_related("filing", "update"), pk=pk
        )
        parent = "filing" if evidence.filing_id else "issue" if evidence.issue_id else "update"
        if not has_perm(request.user, EVIDENCE_EDIT_PERMISSIONS[parent]):
            raise PermissionDenied
        target = evidence_parent_url(evidence)
        try:
            services.evidence_delete(evidence=evidence, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The attachment was deleted."))
        return redirect(target)


urlpatterns = [
    # The kind (or the action, the version) may also come without its URL part so that every
    # pattern can be reversed from the object's pk alone (tests/test_isolation.py).
    path("campaigns/<int:pk>/filings/open/", FilingOpenView.as_view(), name="filing-open"),
    re_path(
        rf"^campaigns/(?P<pk>[0-9]+)/filings/(?P<kind>{KIND_PATTERN})/$",
        FilingOpenView.as_view(),
        name="filing-open",
    ),
    path("filings/<int:pk>/", FilingDetailView.as_view(), name="filing-detail"),
    path("filings/<int:pk>/edit/", FilingEditView.as_view(), name="filing-edit"),
    path("filings/<int:pk>/attach/", FilingAttachView.as_view(), name="filing-attach"),
    path("filings/<int:pk>/print/", FilingPrintView.as_view(), name="filing-print"),
    path("filings/<int:pk>/versions/", FilingVersionView.as_view(), name="filing-version"),
    path(
        "filings/<int:pk>/versions/<int:number>/",
        FilingVersionView.as_view(),
        name="filing-version",
    ),
    path("filings/<int:pk>/action/", FilingActionView.as_view(), name="filing-action"),
    re_path(
        rf"^filings/(?P<pk>[0-9]+)/(?P<action>{ACTION_PATTERN})/$",
        FilingActionView.as_view(),
        name="filing-action",
    ),
    path("evidence/<int:pk>/", EvidenceDownloadView.as_view(), name="evidence-download"),
    path("evidence/<int:pk>/delete/", EvidenceDeleteView.as_view(), name="evidence-delete"),
]
