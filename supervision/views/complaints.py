"""Complaints (投诉举报, M10), office and agency side.

The office (complaint.handle) logs complaints that came by hotline, letter or visit, imports
hotline exports, and runs the workflow on the complaint page: assign to the agency with a reply
deadline, send an insufficient reply back, verify, close with the reply to the complainant, and
convert a founded complaint into a failure-of-trust record or add it to the agency's issue
ledger in a running campaign. The agency complained about (complaint.view + complaint.reply)
sees its own complaints through tenant scoping and replies with evidence; it never sees who
complained (`selectors.complainant_for` is None for it, and for city viewers), neither on the
page nor in the export.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from domains.models import TrustRecord
from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants, visible_tenant_ids
from integrity.xlsx import XlsxError, write_workbook
from rectification import services as rectification_services
from rectification.choices import CampaignStatus
from rectification.models import Campaign, LedgerIssue

from .. import selectors, services
from ..choices import FOUNDED, ComplaintStatus
from ..excel import complaint_template, parse_complaint_rows
from ..forms.complaints import (
    AssignForm,
    CloseForm,
    ComplaintFilter,
    ComplaintLogForm,
    ConvertForm,
    ImportForm,
    ReplyForm,
    SendBackForm,
    ToIssueForm,
    VerifyForm,
)
from ..models import Complaint, ComplaintAttachment

DETAIL_TEMPLATE = "supervision/complaints/complaint_detail.html"


def sees_complainant(user) -> bool:
    """The office sees who complained; the agency complained about and city viewers never do."""
    return selectors.complainant_for(user, Complaint()) is not None


def days_left(complaint: Complaint, today) -> int | None:
    """Calendar days to the reply deadline while the agency's reply is awaited (negative once
    overdue; 0 on the deadline day itself, which is not overdue); None otherwise."""
    if complaint.status != ComplaintStatus.ASSIGNED or complaint.reply_deadline is None:
        return None
    return (complaint.reply_deadline - today).days


def _annotate(complaint: Complaint, today) -> Complaint:
    complaint.days_left = days_left(complaint, today)
    complaint.days_overdue = -complaint.days_left if (complaint.days_left or 0) < 0 else 0
    complaint.late = complaint.is_overdue or complaint.days_overdue > 0
    return complaint


# List and export --------------------------------------------------------------------------


class ComplaintListView(PermissionRequiredMixin, ListView):
    permission = "complaint.view"
    template_name = "supervision/complaints/complaint_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        self.filterset = ComplaintFilter(
            self.request.GET or None,
            queryset=selectors.complaints_for_user(user).select_related("tenant", "trust_record"),
            user=user,
            tenant_ids=visible_tenant_ids(user),
            sees_complainant=sees_complainant(user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        for complaint in context["object_list"]:
            _annotate(complaint, today)
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            can_log=has_perm(user, "complaint.handle") and user.tenant_id is not None,
            can_import=has_perm(user, "complaint.import") and user.tenant_id is not None,
            counts=selectors.open_complaint_counts(user),
            sees_complainant=sees_complainant(user),
        )
        return context


def complaint_columns(*, multi_tenant: bool, complainant: bool):
    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    columns = [(_("Jurisdiction"), lambda c: c.tenant.name)] if multi_tenant else []
    # The receipt code is the complainant's key to the reply: office roles only, like the name.
    columns += [(_("Receipt code"), lambda c: c.receipt_code)] if complainant else []
    columns += [
        (_("Channel"), lambda c: str(c.get_channel_display())),
        (_("Hotline ticket number"), lambda c: c.source_reference),
        (_("Received on"), lambda c: c.received_on),
        (_("Agency"), lambda c: c.agency.name),
        (_("Key domain"), lambda c: c.domain.name if c.domain_id else ""),
        (_("Complaint subject"), lambda c: c.title),
        (_("What happened"), lambda c: c.content),
        (_("Amount involved (yuan)"), lambda c: c.amount),
        (_("Date of the events"), lambda c: c.occurred_on),
    ]
    if complainant:
        columns += [
            (_("Complainant"), lambda c: c.complainant_name),
            (_("Complainant's phone"), lambda c: c.complainant_phone),
        ]
    columns += [
        (_("Status"), lambda c: str(c.get_status_display())),
        (_("Reply due by"), lambda c: c.reply_deadline),
        (_("Days left"), lambda c: c.days_left),
        (_("Overdue"), lambda c: _("Yes") if c.late else _("No")),
        (_("Replied at"), lambda c: when(c.replied_at)),
        (_("Agency's reply"), lambda c: c.agency_reply),
        (_("Verification"), lambda c: str(c.get_verification_display())),
        (_("Verification findings"), lambda c: c.verification_note),
        (_("Closed at"), lambda c: when(c.closed_at)),
        (_("Reply to the complainant"), lambda c: c.public_reply),
        (
            _("Failure-of-trust record"),
            lambda c: c.trust_record.decision_number if c.trust_record_id else "",
        ),
    ]
    return columns


class ComplaintExportView(ComplaintListView):
    """The filtered rows, every page, as .xlsx; the complainant's columns for the office only."""

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        today = timezone.localdate()
        columns = complaint_columns(
            multi_tenant=reads_several_tenants(request.user),
            complainant=sees_complainant(request.user),
        )
        rows = [
            [value(_annotate(complaint, today)) for _label, value in columns]
            for complaint in queryset.iterator(chunk_size=2000)
        ]
        log_export(request, what="complaints", rows=len(rows))
        content = write_workbook([(_("Complaints"), [label for label, _v in columns], rows)])
        return xlsx_response(content, "complaints")


# Logging a complaint ------------------------------------------------------------------------


def _office_tenant(user):
    if user.tenant_id is None:
        raise PermissionDenied(_("Only a county's credit office handles complaints."))
    return user.tenant


class ComplaintCreateView(PermissionRequiredMixin, View):
    """A complaint that came by the 12345 or 961890 hotline, a letter or a visit."""

    permission = "complaint.handle"
    template_name = "supervision/complaints/complaint_form.html"

    def form(self, data=None):
        tenant = _office_tenant(self.request.user)
        return ComplaintLogForm(data, instance=Complaint(tenant=tenant), tenant=tenant)

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            data = {field: form.cleaned_data[field] for field in form.Meta.fields}
            try:
                complaint = services.complaint_log(
                    tenant=request.user.tenant, data=data, actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Complaint logged with receipt code %(code)s.")
                    % {"code": complaint.receipt_code},
                )
                return redirect("supervision:complaint-detail", pk=complaint.pk)
        return render(request, self.template_name, {"form": form})


# The complaint page and its workflow --------------------------------------------------------


def _readable(user):
    return selectors.complaints_for_user(user).select_related(
        "tenant", "created_by", "trust_record"
    )


def detail_context(request, complaint: Complaint, **forms) -> dict:
    """Everything the complaint page shows; `forms` are bound forms that failed (shown again
    with their errors)."""
    user = request.user
    _annotate(complaint, timezone.localdate())
    writable = Complaint.objects.writable_by(user).filter(pk=complaint.pk).exists()
    can_handle = writable and has_perm(user, "complaint.handle")
    can_reply = (
        writable
        and has_perm(user, "complaint.reply")
        and complaint.status == ComplaintStatus.ASSIGNED
    )
    status = complaint.status
    attachments = list(complaint.attachments.all())
    record = None
    if complaint.trust_record_id and has_perm(user, "record.view"):
        record = TrustRecord.objects.for_user(user).filter(pk=complaint.trust_record_id).first()
    ledger_issue = None
    if has_perm(user, "ledger.view"):
        ledger_issue = (
            LedgerIssue.objects.for_user(user)
            .filter(source_complaint=complaint)
            .select_related("campaign")
            .first()
        )
    context = {
        "object": complaint,
        "complainant": selectors.complainant_for(user, complaint),
        "multi_tenant": reads_several_tenants(user),
        "complainant_files": [a for a in attachments if not a.from_agency],
        "agency_files": [a for a in attachments if a.from_agency],
        "record": record,
        "ledger_issue": ledger_issue,
        "can_handle": can_handle,
        "can_convert": can_handle
        and complaint.verification in FOUNDED
        and not complaint.trust_record_id
        and has_perm(user, "record.manage"),
        "can_to_issue": can_handle
        and complaint.verification in FOUNDED
        and ledger_issue is None
        and not LedgerIssue.objects.filter(source_complaint=complaint).exists(),
    }
    if can_handle and status in (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED):
        context["assign_form"] = forms.get("assign_form") or AssignForm(complaint=complaint)
    if can_handle and status == ComplaintStatus.REPLIED:
        context["send_back_form"] = forms.get("send_back_form") or SendBackForm()
    if can_handle and status in (ComplaintStatus.RECEIVED, ComplaintStatus.REPLIED):
        context["verify_form"] = forms.get("verify_form") or VerifyForm()
    if can_handle and status == ComplaintStatus.VERIFIED:
        context["close_form"] = forms.get("close_form") or CloseForm()
    if can_reply:
        context["reply_form"] = forms.get("reply_form") or ReplyForm()
    return context


class ComplaintDetailView(PermissionRequiredMixin, View):
    permission = "complaint.view"

    def get(self, request, pk):
        complaint = get_scoped_object_or_404(_readable(request.user), pk=pk)
        return render(request, DETAIL_TEMPLATE, detail_context(request, complaint))


class _ComplaintActionView(PermissionRequiredMixin, View):
    """POST only: a workflow step. A refused step re-renders the page with the errors and
    changes nothing (the services are atomic)."""

    permission = "complaint.handle"
    form_name = ""

    def form(self, complaint):
        raise NotImplementedError

    def perform(self, complaint, form):
        raise NotImplementedError

    def post(self, request, pk):
        complaint = get_scoped_object_or_404(
            Complaint.objects.writable_by(request.user).select_related("tenant"), pk=pk
        )
        form = self.form(complaint)
        if form.is_valid():
            try:
                message = self.perform(complaint, form)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("supervision:complaint-detail", pk=pk)
        fresh = get_scoped_object_or_404(_readable(request.user), pk=pk)
        context = detail_context(request, fresh, **{self.form_name: form})
        if self.form_name not in context:
            # The step does not fit the complaint's status (any more): say so on the page.
            messages.error(
                request,
                " ".join(str(e) for e in form.non_field_errors())
                or _("This step is not possible in the complaint's current status."),
            )
            return redirect("supervision:complaint-detail", pk=pk)
        return render(request, DETAIL_TEMPLATE, context)


class ComplaintAssignView(_ComplaintActionView):
    form_name = "assign_form"

    def form(self, complaint):
        return AssignForm(self.request.POST, complaint=complaint)

    def perform(self, complaint, form):
        services.complaint_assign(
            complaint=complaint,
            actor=self.request.user,
            agency=form.cleaned_data["agency"],
            reply_deadline=form.cleaned_data["reply_deadline"],
        )
        return _("Sent to %(agency)s; the reply is due by %(date)s.") % {
            "agency": complaint.agency.name,
            "date": complaint.reply_deadline.isoformat(),
        }


class ComplaintSendBackView(_ComplaintActionView):
    form_name = "send_back_form"

    def form(self, complaint):
        return SendBackForm(self.request.POST)

    def perform(self, complaint, form):
        services.complaint_send_back(
            complaint=complaint,
            note=form.cleaned_data["note"],
            actor=self.request.user,
            reply_deadline=form.cleaned_data["reply_deadline"],
        )
        return _("The reply was sent back to the agency; the new deadline is %(date)s.") % {
            "date": complaint.reply_deadline.isoformat()
        }


class ComplaintVerifyView(_ComplaintActionView):
    form_name = "verify_form"

    def form(self, complaint):
        return VerifyForm(self.request.POST)

    def perform(self, complaint, form):
        services.complaint_verify(
            complaint=complaint,
            verification=form.cleaned_data["verification"],
            note=form.cleaned_data["note"],
            actor=self.request.user,
        )
        return _("Verification recorded: %(result)s.") % {
            "result": complaint.get_verification_display()
        }


class ComplaintCloseView(_ComplaintActionView):
    form_name = "close_form"

    def form(self, complaint):
        return CloseForm(self.request.POST)

    def perform(self, complaint, form):
        services.complaint_close(
            complaint=complaint,
            public_reply=form.cleaned_data["public_reply"],
            actor=self.request.user,
        )
        return _("The complaint is closed; the complainant can read the reply.")


class ComplaintReplyView(_ComplaintActionView):
    """The agency complained about answers, with evidence."""

    permission = "complaint.reply"
    form_name = "reply_form"

    def form(self, complaint):
        return ReplyForm(self.request.POST, self.request.FILES)

    def perform(self, complaint, form):
        services.complaint_reply(
            complaint=complaint,
            reply=form.cleaned_data["reply"],
            actor=self.request.user,
            files=form.cleaned_data["attachments"],
        )
        return _("Your reply was sent to the credit office.")


class ComplaintConvertView(PermissionRequiredMixin, View):
    """A founded complaint becomes a failure-of-trust record with one action: this form asks
    only for what the complaint does not say (severity, the deciding document)."""

    permission = "complaint.handle"
    template_name = "supervision/complaints/complaint_convert.html"

    def setup_complaint(self, pk):
        user = self.request.user
        if not has_perm(user, "record.manage"):
            raise PermissionDenied
        self.complaint = get_scoped_object_or_404(
            Complaint.objects.writable_by(user).select_related("tenant", "agency", "domain"),
            pk=pk,
        )
        if self.complaint.trust_record_id:
            messages.info(self.request, _("This complaint already has a record."))
            return redirect("supervision:complaint-detail", pk=pk)
        if self.complaint.verification not in FOUNDED:
            messages.error(
                self.request, _("Only a founded or partly founded complaint becomes a record.")
            )
            return redirect("supervision:complaint-detail", pk=pk)
        return None

    def render_form(self, form):
        initial = services.complaint_record_initial(self.complaint)
        return render(
            self.request,
            self.template_name,
            {"object": self.complaint, "form": form, "initial": initial},
        )

    def get(self, request, pk):
        if response := self.setup_complaint(pk):
            return response
        initial = services.complaint_record_initial(self.complaint)
        form = ConvertForm(
            complaint=self.complaint,
            initial={"facts": initial["facts"], "decision_date": timezone.localdate()},
        )
        return self.render_form(form)

    def post(self, request, pk):
        if response := self.setup_complaint(pk):
            return response
        form = ConvertForm(request.POST, complaint=self.complaint)
        if form.is_valid():
            data = {**services.complaint_record_initial(self.complaint), **form.cleaned_data}
            try:
                record = services.complaint_convert_to_record(
                    complaint=copy.copy(self.complaint), data=data, actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Failure-of-trust record %(number)s created from the complaint.")
                    % {"number": record.decision_number},
                )
                return redirect("supervision:complaint-detail", pk=pk)
        return self.render_form(form)


class ComplaintToIssueView(PermissionRequiredMixin, View):
    """A founded complaint becomes an issue in the ledger of the agency complained about (M10),
    in a running campaign the agency takes part in; the issue and the complaint link to each
    other. Once per complaint."""

    permission = "complaint.handle"
    template_name = "supervision/complaints/complaint_to_issue.html"

    def setup_complaint(self, pk):
        user = self.request.user
        self.complaint = get_scoped_object_or_404(
            Complaint.objects.writable_by(user).select_related("tenant", "agency", "domain"),
            pk=pk,
        )
        existing = LedgerIssue.objects.filter(source_complaint=self.complaint).first()
        if existing is not None:
            messages.info(self.request, _("This complaint is already in a ledger."))
            return redirect("rectification:issue-detail", pk=existing.pk)
        if self.complaint.verification not in FOUNDED:
            messages.error(
                self.request,
                _("Only a founded or partly founded complaint becomes a ledger issue."),
            )
            return redirect("supervision:complaint-detail", pk=pk)
        self.campaigns = (
            Campaign.objects.for_user(user)
            .filter(
                tenant_id=self.complaint.tenant_id,
                status=CampaignStatus.LAUNCHED,
                participations__agency_id=self.complaint.agency_id,
            )
            .order_by("-year", "-id")
        )
        return None

    def form(self, data=None):
        initial = {}
        if data is None:
            initial = rectification_services.issue_from_complaint_initial(self.complaint)
            domain = self.complaint.domain_id
            campaigns = list(self.campaigns)
            in_scope = [c for c in campaigns if domain and c.domains.filter(pk=domain).exists()]
            chosen = in_scope[:1] or campaigns[:1]
            initial["campaign"] = chosen[0].pk if chosen else None
            initial["domain"] = domain
        return ToIssueForm(
            data, initial=initial, campaigns=self.campaigns, complaint=self.complaint
        )

    def render_form(self, form):
        return render(
            self.request,
            self.template_name,
            {"object": self.complaint, "form": form, "has_campaigns": self.campaigns.exists()},
        )

    def get(self, request, pk):
        if response := self.setup_complaint(pk):
            return response
        return self.render_form(self.form())

    def post(self, request, pk):
        if response := self.setup_complaint(pk):
            return response
        form = self.form(request.POST)
        if form.is_valid():
            data = {
                **rectification_services.issue_from_complaint_initial(self.complaint),
                **form.issue_data(),
            }
            try:
                issue = rectification_services.issue_from_complaint(
                    complaint=copy.copy(self.complaint),
                    campaign=form.cleaned_data["campaign"],
                    data=data,
                    actor=request.user,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The complaint is issue %(number)s of the ledger of %(agency)s.")
                    % {"number": issue.number, "agency": self.complaint.agency.name},
                )
                return redirect("rectification:issue-detail", pk=issue.pk)
        return self.render_form(form)


class ComplaintAttachmentView(PermissionRequiredMixin, View):
    """Served only to users who may read the complaint."""

    permission = "complaint.view"

    def get(self, request, pk):
        attachment = get_scoped_object_or_404(
            ComplaintAttachment.objects.for_user(request.user), pk=pk
        )
        try:
            return attachment.response()
        except FileNotFoundError:
            raise Http404 from None


# Hotline import ---------------------------------------------------------------------------


class ComplaintTemplateView(PermissionRequiredMixin, View):
    permission = "complaint.import"

    def get(self, request):
        tenant = _office_tenant(request.user)
        return xlsx_response(complaint_template(tenant=tenant), "complaint-template")


class ComplaintImportView(PermissionRequiredMixin, View):
    permission = "complaint.import"
    template_name = "supervision/complaints/complaint_import.html"

    def get(self, request):
        _office_tenant(request.user)
        return render(request, self.template_name, {"form": ImportForm()})

    def post(self, request):
        tenant = _office_tenant(request.user)
        form = ImportForm(request.POST, request.FILES)
        context = {"form": form}
        if form.is_valid():
            try:
                rows, errors = parse_complaint_rows(form.cleaned_data["file"], tenant=tenant)
            except XlsxError as exc:
                form.add_error("file", str(exc))
            else:
                if errors:
                    context["row_errors"] = errors
                else:
                    try:
                        count = services.complaints_import(
                            tenant=tenant, rows=rows, actor=request.user
                        )
                    except ValidationError as exc:
                        form_errors(form, exc)
                    else:
                        messages.success(
                            request, _("Import finished: %(n)d complaints.") % {"n": count}
                        )
                        return redirect("supervision:complaint-list")
        return render(request, self.template_name, context, status=400)


urlpatterns = [
    path("complaints/", ComplaintListView.as_view(), name="complaint-list"),
    path("complaints/export/", ComplaintExportView.as_view(), name="complaint-export"),
    path("complaints/new/", ComplaintCreateView.as_view(), name="complaint-create"),
    path("complaints/template/", ComplaintTemplateView.as_view(), name="complaint-template"),
    path("complaints/import/", ComplaintImportView.as_view(), name="complaint-import"),
    path("complaints/<int:pk>/", ComplaintDetailView.as_view(), name="complaint-detail"),
    path("complaints/<int:pk>/assign/", ComplaintAssignView.as_view(), name="complaint-assign"),
    path(
        "complaints/<int:pk>/send-back/",
        ComplaintSendBackView.as_view(),
        name="complaint-send-back",
    ),
    path("complaints/<int:pk>/verify/", ComplaintVerifyView.as_view(), name="complaint-verify"),
    path("complaints/<int:pk>/close/", ComplaintCloseView.as_view(), name="complaint-close"),
    path("complaints/<int:pk>/reply/", ComplaintReplyView.as_view(), name="complaint-reply"),
    path("complaints/<int:pk>/convert/", ComplaintConvertView.as_view(), name="complaint-convert"),
    path(
        "complaints/<int:pk>/to-issue/", ComplaintToIssueView.as_view(), name="complaint-to-issue"
    ),
    path(
        "complaints/attachments/<int:pk>/",
        ComplaintAttachmentView.as_view(),
        name="complaint-attachment",
    ),
]
