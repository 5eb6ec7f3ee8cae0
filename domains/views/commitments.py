"""Credit commitments (信用承诺, M16): agencies file them and their fulfilment evidence, the
credit office judges whether they were kept, and a broken one becomes a failure-of-trust record.

A commitment belongs to the agency, not to the person who filed it: every clerk and leader of
the agency sees and maintains it, so it survives a change of leader or of clerk.
"""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.choices import AGENCY_ROLES
from accounts.models import Agency
from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import CommitmentStatus
from ..forms.commitments import CommitmentFilter, CommitmentForm, EvidenceForm, StatusForm
from ..models import Commitment, CommitmentAttachment
from .records import attachment_response

DETAIL_TEMPLATE = "domains/commitments/commitment_detail.html"


def _readable(user):
    return selectors.with_overdue(selectors.commitments_for_user(user).select_related("tenant"))


# List and export --------------------------------------------------------------------------


class CommitmentListView(PermissionRequiredMixin, ListView):
    permission = "commitment.view"
    template_name = "domains/commitments/commitment_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        self.filterset = CommitmentFilter(
            self.request.GET or None, queryset=_readable(user), user=user
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            can_file=has_perm(user, "commitment.file") and _can_file_new(user),
            can_export=has_perm(user, "commitment.view"),
        )
        return context


def commitment_columns(multi_tenant: bool):
    def yes_no(value):
        return _("Yes") if value else _("No")

    columns = [(_("Jurisdiction"), lambda c: c.tenant.name)] if multi_tenant else []
    return columns + [
        (_("Agency"), lambda c: c.agency.name),
        (_("Category"), lambda c: c.get_category_display()),
        (_("Commitment"), lambda c: c.title),
        (_("Content"), lambda c: c.content),
        (_("Promised by"), lambda c: c.promised_date),
        (_("Status"), lambda c: c.get_status_display()),
        (_("Overdue"), lambda c: yes_no(c.overdue)),
        (_("Fulfilment evidence"), lambda c: c.fulfilment_evidence),
        (_("Office's note"), lambda c: c.status_note),
        (
            _("Judged at"),
            lambda c: (
                timezone.localtime(c.status_changed_at).replace(tzinfo=None)
                if c.status_changed_at
                else None
            ),
        ),
        (_("Public"), lambda c: yes_no(c.is_public)),
        (
            _("Failure-of-trust record"),
            lambda c: c.breach_record.decision_number if c.breach_record_id else "",
        ),
    ]


class CommitmentExportView(CommitmentListView):
    permission = "commitment.view"

    def get(self, request, *args, **kwargs):
        commitments = self.get_queryset().select_related("breach_record")
        columns = commitment_columns(reads_several_tenants(request.user))
        rows = [[value(c) for _label, value in columns] for c in commitments]
        log_export(request, what="commitments", rows=len(rows))
        content = write_workbook(
            [(_("Credit commitments"), [label for label, _value in columns], rows)]
        )
        return xlsx_response(content, "commitments")


# Detail, evidence, judgement --------------------------------------------------------------


def _writable(user):
    return Commitment.objects.writable_by(user)


def detail_context(request, commitment, **forms) -> dict:
    user = request.user
    writable = _writable(user).filter(pk=commitment.pk).exists()
    can_file = writable and has_perm(user, "commitment.file")
    can_judge = writable and has_perm(user, "commitment.judge")
    in_progress = commitment.status == CommitmentStatus.IN_PROGRESS
    context = {
        "commitment": commitment,
        "attachments": list(commitment.attachments.select_related("uploaded_by")),
        "can_edit": can_file and in_progress,
        "can_add_evidence": can_file and in_progress,
        "can_judge": can_judge and not commitment.breach_record_id,
        "can_record_breach": (
            writable
            and has_perm(user, "record.manage")
            and commitment.status == CommitmentStatus.UNFULFILLED
            and not commitment.breach_record_id
        ),
        "breach_record": None,
        "open_form": next(iter(forms), ""),
    }
    if commitment.breach_record_id and has_perm(user, "record.view"):
        context["breach_record"] = (
            selectors.records_for_user(user).filter(pk=commitment.breach_record_id).first()
        )
    if context["can_add_evidence"]:
        context["evidence_form"] = forms.get("evidence_form") or EvidenceForm(
            prefix="evidence", initial={"fulfilment_evidence": commitment.fulfilment_evidence}
        )
    if context["can_judge"]:
        context["status_form"] = forms.get("status_form") or StatusForm(
            prefix="status", initial={"status": commitment.status, "note": commitment.status_note}
        )
    return context


class CommitmentDetailView(PermissionRequiredMixin, View):
    permission = "commitment.view"

    def get(self, request, pk):
        commitment = get_scoped_object_or_404(_readable(request.user), pk=pk)
        return render(request, DETAIL_TEMPLATE, detail_context(request, commitment))


class _CommitmentWriteView(PermissionRequiredMixin, View):
    def writable_commitment(self, pk):
        return get_scoped_object_or_404(_writable(self.request.user), pk=pk)

    def failed(self, commitment, **forms):
        fresh = get_scoped_object_or_404(_readable(self.request.user), pk=commitment.pk)
        return render(self.request, DETAIL_TEMPLATE, detail_context(self.request, fresh, **forms))


class CommitmentEvidenceView(_CommitmentWriteView):
    """Fulfilment evidence: the text, a file, or both (by any clerk or leader of the agency)."""

    permission = "commitment.file"

    def post(self, request, pk):
        commitment = self.writable_commitment(pk)
        form = EvidenceForm(
            request.POST, request.FILES, prefix="evidence", current=commitment.fulfilment_evidence
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    if data["text_changed"]:
                        services.commitment_update(
                            commitment=commitment,
                            data={"fulfilment_evidence": data["fulfilment_evidence"]},
                            actor=request.user,
                        )
                    if data.get("file"):
                        services.attachment_add(
                            parent=commitment, uploaded=data["file"], actor=request.user
                        )
            except ValidationError as exc:
                if data.get("file") and not hasattr(exc, "error_dict"):
                    form.add_error("file", exc.messages)
                else:
                    form_errors(form, exc)
            else:
                messages.success(request, _("Evidence saved."))
                return redirect("domains:commitment-detail", pk=commitment.pk)
        return self.failed(commitment, evidence_form=form)


class CommitmentStatusView(_CommitmentWriteView):
    """The office records whether the commitment was kept."""

    permission = "commitment.judge"

    def post(self, request, pk):
        commitment = self.writable_commitment(pk)
        form = StatusForm(request.POST, prefix="status")
        if commitment.breach_record_id:
            form.add_error(None, _("This commitment already has a failure-of-trust record."))
        elif form.is_valid():
            try:
                services.commitment_set_status(
                    commitment=commitment,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                if commitment.status == CommitmentStatus.UNFULFILLED:
                    messages.warning(
                        request,
                        _(
                            "Marked unfulfilled. Breaking a commitment is a failure of trust: "
                            "create the record below."
                        ),
                    )
                else:
                    messages.success(request, _("Saved."))
                return redirect("domains:commitment-detail", pk=commitment.pk)
        return self.failed(commitment, status_form=form)


class CommitmentAttachmentView(PermissionRequiredMixin, View):
    """Served only to users who may read the commitment."""

    permission = "commitment.view"

    def get(self, request, pk):
        attachment = get_scoped_object_or_404(
            CommitmentAttachment.objects.for_user(request.user), pk=pk
        )
        return attachment_response(attachment)


# Create and edit --------------------------------------------------------------------------


def _can_file_new(user) -> bool:
    """Agency roles file for their own agency; office roles for an agency of their tenant."""
    if user.role in AGENCY_ROLES:
        return user.agency_id is not None
    return True


class CommitmentFormView(PermissionRequiredMixin, View):
    permission = "commitment.file"
    template_name = "domains/commitments/commitment_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(
            _writable(self.request.user).select_related("agency"), pk=pk
        )

    def form(self, commitment, data=None):
        user = self.request.user
        if commitment is not None:
            return CommitmentForm(data, instance=copy.copy(commitment))
        if user.role in AGENCY_ROLES:
            if user.agency_id is None:
                raise PermissionDenied
            return CommitmentForm(
                data, instance=Commitment(tenant_id=user.tenant_id, agency=user.agency)
            )
        agencies = (
            Agency.objects.writable_by(user).filter(is_active=True).order_by("tenant", "name")
        )
        return CommitmentForm(data, agencies=agencies, instance=Commitment())

    def render_form(self, form, commitment):
        return render(self.request, self.template_name, {"form": form, "object": commitment})

    def get(self, request, pk=None):
        commitment = self.get_object(pk)
        return self.render_form(self.form(commitment), commitment)

    def post(self, request, pk=None):
        commitment = self.get_object(pk)
        form = self.form(commitment, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            agency = data.pop("agency", None) or request.user.agency
            try:
                if commitment is None:
                    commitment = services.commitment_create(
                        agency=agency, data=data, actor=request.user
                    )
                else:
                    services.commitment_update(commitment=commitment, data=data, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("domains:commitment-detail", pk=commitment.pk)
        return self.render_form(form, commitment)


urlpatterns = [
    path("commitments/", CommitmentListView.as_view(), name="commitment-list"),
    path("commitments/export/", CommitmentExportView.as_view(), name="commitment-export"),
    path("commitments/new/", CommitmentFormView.as_view(), name="commitment-create"),
    path("commitments/<int:pk>/", CommitmentDetailView.as_view(), name="commitment-detail"),
    path("commitments/<int:pk>/edit/", CommitmentFormView.as_view(), name="commitment-update"),
    path(
        "commitments/<int:pk>/evidence/",
        CommitmentEvidenceView.as_view(),
        name="commitment-evidence",
    ),
    path("commitments/<int:pk>/status/", CommitmentStatusView.as_view(), name="commitment-status"),
    path(
        "commitments/attachments/<int:pk>/",
        CommitmentAttachmentView.as_view(),
        name="commitment-attachment",
    ),
]
