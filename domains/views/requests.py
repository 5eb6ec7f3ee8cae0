"""The credit office handles objections (异议) and credit-repair applications (信用修复): a list
with days left to each deadline, the request with the applicant's declarations and contact, and
the decision (`services.request_decide`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants, visible_tenant_ids
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import RequestStatus
from ..forms.requests import CreditRequestFilter, DecisionForm
from ..models import CreditRequest


def days_left(credit_request: CreditRequest, today) -> int | None:
    """Calendar days to the deadline (negative once overdue); None once decided. The deadline
    itself was counted in working days by the service."""
    if credit_request.status != RequestStatus.PENDING:
        return None
    return (credit_request.deadline - today).days


class RequestListView(PermissionRequiredMixin, ListView):
    permission = "request.view"
    template_name = "domains/requests/request_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        pending_first = Case(
            When(status=RequestStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        queryset = (
            selectors.requests_for_user(user)
            .select_related("tenant", "record__agency")
            .order_by(pending_first, "deadline", "-submitted_at", "id")
        )
        self.filterset = CreditRequestFilter(
            self.request.GET or None,
            queryset=queryset,
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for item in context["object_list"]:
            item.days_left = days_left(item, today)
            item.days_overdue = -item.days_left if (item.days_left or 0) < 0 else 0
        context["filter"] = self.filterset
        context["multi_tenant"] = reads_several_tenants(self.request.user)
        return context


class RequestExportView(RequestListView):
    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        multi = reads_several_tenants(request.user)
        log_export(request, what="credit-requests", rows=queryset.count())
        today = timezone.localdate()
        headers = [
            _("Receipt code"),
            _("Kind"),
            _("Failing subject"),
            _("Decision document number"),
            _("Applicant"),
            _("Submitted at"),
            _("Decide by"),
            _("Days left"),
            _("Status"),
            _("Decision"),
            _("Reasons for the decision"),
            _("Decided at"),
        ] + ([_("Jurisdiction")] if multi else [])
        rows = (
            [
                item.receipt_code,
                str(item.get_kind_display()),
                item.record.subject_name,
                item.record.decision_number,
                item.applicant_name,
                timezone.localtime(item.submitted_at).strftime("%Y-%m-%d %H:%M"),
                item.deadline,
                days_left(item, today),
                str(item.get_status_display()),
                str(item.get_outcome_display()) if item.outcome else "",
                item.decision_reason,
                timezone.localtime(item.decided_at).strftime("%Y-%m-%d %H:%M")
                if item.decided_at
                else "",
            ]
            + ([item.tenant.name] if multi else [])
            for item in queryset.iterator(chunk_size=2000)
        )
        content = write_workbook([(_("Objections and repair"), headers, rows)])
        return xlsx_response(content, "credit-requests")


def _detail_context(request, credit_request: CreditRequest, form=None) -> dict:
    user = request.user
    record = selectors.records_for_user(user).get(pk=credit_request.record_id)
    can_decide = (
        credit_request.status == RequestStatus.PENDING
        and has_perm(user, "request.decide")
        and CreditRequest.objects.writable_by(user).filter(pk=credit_request.pk).exists()
    )
    if can_decide and form is None:
        form = DecisionForm(kind=credit_request.kind, initial={"corrected_facts": record.facts})
    left = days_left(credit_request, timezone.localdate())
    return {
        "object": credit_request,
        "record": record,
        "days_left": left,
        "days_overdue": -left if (left or 0) < 0 else 0,
        "form": form if can_decide else None,
    }


class RequestDetailView(PermissionRequiredMixin, View):
    permission = "request.view"
    template_name = "domains/requests/request_detail.html"

    def get(self, request, pk):
        credit_request = get_scoped_object_or_404(
            selectors.requests_for_user(request.user).select_related("decided_by"), pk=pk
        )
        return render(request, self.template_name, _detail_context(request, credit_request))


class RequestDecideView(PermissionRequiredMixin, View):
    """POST only: the decision. A refused decision re-renders the request with the errors and
    changes nothing (the service is atomic)."""

    permission = "request.decide"

    def post(self, request, pk):
        credit_request = get_scoped_object_or_404(
            CreditRequest.objects.writable_by(request.user).select_related("record"), pk=pk
        )
        if credit_request.status != RequestStatus.PENDING:
            messages.error(request, _("This request has already been decided."))
            return redirect("domains:request-detail", pk=pk)
        form = DecisionForm(request.POST, kind=credit_request.kind)
        if form.is_valid():
            try:
                services.request_decide(
                    request=credit_request, actor=request.user, **form.decision_kwargs()
                )
            except ValidationError as exc:
                form_errors(form, exc)
                credit_request.refresh_from_db()
            else:
                messages.success(request, _("The decision was recorded."))
                return redirect("domains:request-detail", pk=pk)
        return render(
            request, RequestDetailView.template_name, _detail_context(request, credit_request, form)
        )


urlpatterns = [
    path("requests/", RequestListView.as_view(), name="request-list"),
    path("requests/export/", RequestExportView.as_view(), name="request-export"),
    path("requests/<int:pk>/", RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/decide/", RequestDecideView.as_view(), name="request-decide"),
]
