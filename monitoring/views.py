"""Pages of monitoring and early warning: the warnings list with its filters, Excel export and
the "Evaluate now" button; a warning's page with its evidence, history and the office's
acknowledge / resolve actions; the rules (office admin edits them); the debt figures.

The office (warning.handle) changes the warnings of its own county (`writable_by`); agencies
read their own agency's warnings; city viewers read the counties below their city."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
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

from . import selectors, services
from .choices import WarningStatus
from .forms import (
    AcknowledgeForm,
    DebtFigureFilter,
    DebtFigureForm,
    ResolveForm,
    RuleForm,
    WarningFilter,
)
from .models import DebtFigure, Warning, WarningRule
from .rules import SPECS

EXPORT_CHUNK = 2000


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _office_tenant(user, message):
    if user.tenant_id is None:
        raise PermissionDenied(message)
    return user.tenant


# Warnings -------------------------------------------------------------------------------------


class WarningListView(PermissionRequiredMixin, ListView):
    permission = "warning.view"
    template_name = "monitoring/warning_list.html"
    paginate_by = 50

    def filtered(self):
        user = self.request.user
        self.filterset = WarningFilter(
            self.request.GET or None,
            queryset=selectors.warnings_for_user(user),
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_queryset(self):
        return self.filtered().select_related("tenant", "agency").order_by("-raised_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            is_agency=bool(user.agency_id),
            counts=selectors.warning_counts(user),
            can_evaluate=has_perm(user, "warning.evaluate"),
            can_export=has_perm(user, "warning.export"),
            can_view_rules=has_perm(user, "warning_rule.view"),
        )
        return context


class WarningExportView(WarningListView):
    """The filtered warnings, every page, as .xlsx."""

    permission = "warning.export"

    def get(self, request, *args, **kwargs):
        multi_tenant = reads_several_tenants(request.user)
        headers = [
            _("Raised at"),
            _("Warning level"),
            _("Kind"),
            _("Agency"),
            _("Title"),
            _("Figure"),
            _("Threshold"),
            _("Grounds"),
            _("Status"),
            _("Acknowledged at"),
            _("Acknowledged by"),
            _("Resolved at"),
            _("Resolved by"),
            _("Resolution"),
        ]
        if multi_tenant:
            headers.insert(0, _("Jurisdiction"))
        warnings = (
            self.filtered()
            .select_related("tenant", "agency", "acknowledged_by", "resolved_by")
            .order_by("-raised_at", "-id")
            .iterator(chunk_size=EXPORT_CHUNK)
        )
        counter = {"rows": 0}

        def rows():
            for w in warnings:
                counter["rows"] += 1
                row = [
                    _local(w.raised_at),
                    w.get_severity_display(),
                    w.get_kind_display(),
                    w.agency.name if w.agency_id else "",
                    w.title,
                    w.figure,
                    w.threshold,
                    w.evidence,
                    w.get_status_display(),
                    _local(w.acknowledged_at),
                    str(w.acknowledged_by or ""),
                    _local(w.resolved_at),
                    str(w.resolved_by or ""),
                    w.resolve_note,
                ]
                yield [w.tenant.name, *row] if multi_tenant else row

        content = write_workbook([(_("Warnings"), headers, rows())])
        log_export(request, what="warnings", rows=counter["rows"])
        return xlsx_response(content, "warnings")


class WarningEvaluateView(PermissionRequiredMixin, View):
    """POST only: the "Evaluate now" button. The office evaluates its county; the platform
    admin, every jurisdiction."""

    permission = "warning.evaluate"

    def post(self, request):
        user = request.user
        if user.tenant_id is None:
            count = services.evaluate_all()["warnings"]
        else:
            count = services.evaluate(user.tenant, actor=user).count
        if count:
            messages.warning(request, _("Evaluation done: %(n)d new warnings.") % {"n": count})
        else:
            messages.success(request, _("Evaluation done: no new warning."))
        return redirect("monitoring:warning-list")


class WarningDetailView(PermissionRequiredMixin, View):
    permission = "warning.view"
    template_name = "monitoring/warning_detail.html"

    def get(self, request, pk, acknowledge_form=None, resolve_form=None, status=200):
        user = request.user
        warning = get_scoped_object_or_404(
            selectors.warnings_for_user(user).select_related(
                "tenant", "agency", "rule", "raised_by", "acknowledged_by", "resolved_by"
            ),
            pk=pk,
        )
        can_handle = (
            has_perm(user, "warning.handle")
            and warning.is_open
            and Warning.objects.writable_by(user).filter(pk=warning.pk).exists()
        )
        context = {
            "w": warning,
            "spec": SPECS[warning.kind],
            "history": selectors.warning_history(warning),
            "earlier": selectors.earlier_warnings(warning, user).select_related("agency")[:20],
            "multi_tenant": reads_several_tenants(user),
            "can_acknowledge": can_handle and warning.status == WarningStatus.NEW,
            "can_resolve": can_handle,
            "acknowledge_form": acknowledge_form or AcknowledgeForm(prefix="ack"),
            "resolve_form": resolve_form or ResolveForm(prefix="resolve"),
        }
        return render(request, self.template_name, context, status=status)


class _WarningActionView(PermissionRequiredMixin, View):
    permission = "warning.handle"
    form_class = None
    prefix = ""

    def post(self, request, pk):
        warning = get_scoped_object_or_404(Warning.objects.writable_by(request.user), pk=pk)
        form = self.form_class(request.POST, prefix=self.prefix)
        if form.is_valid():
            try:
                self.perform(warning, form.cleaned_data["note"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return redirect("monitoring:warning-detail", pk=warning.pk)
        if form.non_field_errors():
            # The step does not fit the warning's status (any more): say so on the page.
            messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
            return redirect("monitoring:warning-detail", pk=warning.pk)
        # A refused step re-renders the page with the errors and changes nothing.
        detail = WarningDetailView()
        detail.setup(request, pk=pk)
        return detail.get(request, pk, **{f"{self.form_name}_form": form})


class WarningAcknowledgeView(_WarningActionView):
    form_class = AcknowledgeForm
    prefix = "ack"
    form_name = "acknowledge"

    def perform(self, warning, note):
        services.warning_acknowledge(warning=warning, actor=self.request.user, note=note)
        messages.success(self.request, _("Warning acknowledged."))


class WarningResolveView(_WarningActionView):
    form_class = ResolveForm
    prefix = "resolve"
    form_name = "resolve"

    def perform(self, warning, note):
        services.warning_resolve(warning=warning, actor=self.request.user, note=note)
        messages.success(self.request, _("Warning resolved."))


# Rules ----------------------------------------------------------------------------------------


class RuleListView(PermissionRequiredMixin, View):
    permission = "warning_rule.view"
    template_name = "monitoring/rule_list.html"

    def get(self, request):
        user = request.user
        if user.tenant_id is not None and has_perm(user, "warning_rule.manage"):
            # Jurisdictions created before monitoring get their rules on first sight.
            services.tenant_rules_ensure(tenant=user.tenant)
        rules = list(selectors.rules_for_user(user).order_by("tenant__division_code", "id"))
        writable = set(WarningRule.objects.writable_by(user).values_list("pk", flat=True))
        for rule in rules:
            rule.can_edit = has_perm(user, "warning_rule.manage") and rule.pk in writable
        context = {"rules": rules, "multi_tenant": reads_several_tenants(user)}
        return render(request, self.template_name, context)


class RuleEditView(PermissionRequiredMixin, View):
    permission = "warning_rule.manage"
    template_name = "monitoring/rule_form.html"

    def get_rule(self, pk):
        return get_scoped_object_or_404(
            WarningRule.objects.writable_by(self.request.user).select_related("tenant"), pk=pk
        )

    def render_form(self, rule, form, status=200):
        context = {"rule": rule, "spec": rule.spec, "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        rule = self.get_rule(pk)
        return self.render_form(rule, RuleForm(instance=rule))

    def post(self, request, pk):
        rule = self.get_rule(pk)
        form = RuleForm(request.POST, instance=rule)
        if form.is_valid():
            try:
                services.rule_update(rule=rule, data=form.rule_data(), actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("monitoring:rule-list")
        return self.render_form(rule, form, status=400)


# Debt figures ---------------------------------------------------------------------------------


class DebtListView(PermissionRequiredMixin, ListView):
    permission = "debt.view"
    template_name = "monitoring/debt_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        self.filterset = DebtFigureFilter(
            self.request.GET or None,
            queryset=selectors.debt_figures_for_user(user),
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs.order_by("-as_of", "agency__name", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        writable = set(
            DebtFigure.objects.writable_by(user)
            .filter(pk__in=[f.pk for f in context["object_list"]])
            .values_list("pk", flat=True)
        )
        can_manage = has_perm(user, "debt.manage")
        for figure in context["object_list"]:
            figure.can_edit = can_manage and figure.pk in writable
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            can_create=can_manage and user.tenant_id is not None,
        )
        return context


class DebtFormView(PermissionRequiredMixin, View):
    permission = "debt.manage"
    template_name = "monitoring/debt_form.html"

    def setup_figure(self, pk):
        user = self.request.user
        if pk is None:
            self.figure = None
            self.tenant = _office_tenant(user, _("Only a credit office enters debt figures."))
        else:
            self.figure = get_scoped_object_or_404(
                DebtFigure.objects.writable_by(user).select_related("tenant", "agency"), pk=pk
            )
            self.tenant = self.figure.tenant

    def form(self, data=None):
        return DebtFigureForm(data, instance=self.figure, tenant=self.tenant)

    def render_form(self, form, status=200):
        context = {"form": form, "figure": self.figure}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        self.setup_figure(pk)
        return self.render_form(self.form())

    def post(self, request, pk=None):
        self.setup_figure(pk)
        form = self.form(request.POST)
        if form.is_valid():
            try:
                if self.figure is None:
                    services.debt_figure_create(
                        tenant=self.tenant, data=form.figure_data(), actor=request.user
                    )
                else:
                    services.debt_figure_update(
                        figure=self.figure, data=form.figure_data(), actor=request.user
                    )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Debt figure saved."))
                return redirect("monitoring:debt-list")
        return self.render_form(form, status=400)


class DebtDeleteView(PermissionRequiredMixin, View):
    """POST only."""

    permission = "debt.manage"

    def post(self, request, pk):
        figure = get_scoped_object_or_404(DebtFigure.objects.writable_by(request.user), pk=pk)
        services.debt_figure_delete(figure=figure, actor=request.user)
        messages.success(request, _("Debt figure deleted."))
        return redirect("monitoring:debt-list")


urlpatterns = [
    path("warnings/", WarningListView.as_view(), name="warning-list"),
    path("warnings/export/", WarningExportView.as_view(), name="warning-export"),
    path("warnings/evaluate/", WarningEvaluateView.as_view(), name="warning-evaluate"),
    path("warnings/<int:pk>/", WarningDetailView.as_view(), name="warning-detail"),
    path(
        "warnings/<int:pk>/acknowledge/",
        WarningAcknowledgeView.as_view(),
        name="warning-acknowledge",
    ),
    path("warnings/<int:pk>/resolve/", WarningResolveView.as_view(), name="warning-resolve"),
    path("warnings/rules/", RuleListView.as_view(), name="rule-list"),
    path("warnings/rules/<int:pk>/edit/", RuleEditView.as_view(), name="rule-edit"),
    path("debt-figures/", DebtListView.as_view(), name="debt-list"),
    path("debt-figures/new/", DebtFormView.as_view(), name="debt-create"),
    path("debt-figures/<int:pk>/edit/", DebtFormView.as_view(), name="debt-edit"),
    path("debt-figures/<int:pk>/delete/", DebtDeleteView.as_view(), name="debt-delete"),
]
