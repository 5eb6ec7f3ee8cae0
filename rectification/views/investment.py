"""The county's integrated ledger of signed investment projects (招商引资一体化台账, M7) and the
office's duplicate-signing checks.

Agencies (investment.edit) keep their own signed projects; tenant scoping shows an agency its
own rows and the office (and the city viewer) every agency's. Saving a project runs the
duplicate detection of `services.project_save` against other agencies' projects; the office
(investment.review) sees the flags, each pair side by side, and confirms or dismisses them with
a note. Agencies never see the flags: they would reveal other agencies' projects.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import services
from ..choices import FlagStatus
from ..forms.investment import (
    FlagDecideForm,
    FlagFilter,
    ProjectFilter,
    ProjectForm,
    open_flag_exists,
)
from ..models import DuplicateFlag, InvestmentProject


def sees_flags(user) -> bool:
    """Duplicate flags pair projects of different agencies: the office's business only."""
    return has_perm(user, "investment.review")


def _readable_projects(user):
    projects = InvestmentProject.objects.for_user(user).select_related("agency", "tenant")
    if sees_flags(user):
        projects = projects.annotate(possible_duplicate=open_flag_exists())
    return projects


def _can_edit(user, project) -> bool:
    return (
        has_perm(user, "investment.edit")
        and InvestmentProject.objects.writable_by(user).filter(pk=project.pk).exists()
    )


# List and export ------------------------------------------------------------------------------


class ProjectListView(PermissionRequiredMixin, ListView):
    permission = "investment.view"
    template_name = "rectification/investment/project_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        self.filterset = ProjectFilter(
            self.request.GET or None,
            queryset=_readable_projects(user),
            user=user,
            several_tenants=reads_several_tenants(user),
            sees_flags=sees_flags(user),
        )
        return self.filterset.qs.order_by("-signed_on", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            filter=self.filterset,
            multi_tenant=reads_several_tenants(user),
            sees_flags=sees_flags(user),
            can_create=has_perm(user, "investment.edit") and user.agency_id is not None,
            open_flags=DuplicateFlag.objects.for_user(user).filter(status=FlagStatus.OPEN).count()
            if sees_flags(user)
            else 0,
        )
        return context


def project_columns(*, multi_tenant: bool, flags: bool):
    columns = [(_("Jurisdiction"), lambda p: p.tenant.name)] if multi_tenant else []
    columns += [
        (_("Agency"), lambda p: p.agency.name),
        (_("Project name"), lambda p: p.name),
        (_("Investor"), lambda p: p.investor_name),
        (_("Investor's credit code"), lambda p: p.investor_credit_code),
        (_("Signed on"), lambda p: p.signed_on),
        (_("Agreed investment (yuan)"), lambda p: p.amount),
        (_("Industry"), lambda p: p.industry),
        (_("Location"), lambda p: p.location),
        (_("Policy commitments made"), lambda p: p.commitments),
        (_("Status"), lambda p: str(p.get_status_display())),
    ]
    if flags:
        columns.append(
            (_("Possible duplicate"), lambda p: _("Yes") if p.possible_duplicate else _("No"))
        )
    return columns


class ProjectExportView(ProjectListView):
    """The filtered rows, every page, as .xlsx."""

    def get(self, request, *args, **kwargs):
        projects = self.get_queryset()
        columns = project_columns(
            multi_tenant=reads_several_tenants(request.user), flags=sees_flags(request.user)
        )
        rows = [
            [value(project) for _label, value in columns]
            for project in projects.iterator(chunk_size=2000)
        ]
        log_export(request, what="investment_projects", rows=len(rows))
        content = write_workbook(
            [(_("Investment projects"), [label for label, _value in columns], rows)]
        )
        return xlsx_response(content, "investment-projects")


# Project page, create and edit ----------------------------------------------------------------


def _project_flags(user, project):
    """The flags naming the project, each with the other project of the pair."""
    if not sees_flags(user):
        return []
    rows = list(
        DuplicateFlag.objects.for_user(user)
        .filter(Q(project=project) | Q(other=project))
        .select_related("project__agency", "other__agency", "decided_by")
        .order_by(_open_first(), "-created_at", "-id")
    )
    for flag in rows:
        flag.counterpart = flag.other if flag.project_id == project.pk else flag.project
    return rows


class ProjectDetailView(PermissionRequiredMixin, View):
    permission = "investment.view"
    template_name = "rectification/investment/project_detail.html"

    def get(self, request, pk):
        user = request.user
        project = get_scoped_object_or_404(
            _readable_projects(user).select_related("created_by"), pk=pk
        )
        context = {
            "object": project,
            "multi_tenant": reads_several_tenants(user),
            "sees_flags": sees_flags(user),
            "flags": _project_flags(user, project),
            "can_edit": _can_edit(user, project),
        }
        return render(request, self.template_name, context)


class ProjectFormView(PermissionRequiredMixin, View):
    """A new project of the user's agency, or a change to one of its projects."""

    permission = "investment.edit"
    template_name = "rectification/investment/project_form.html"

    def setup_project(self, pk):
        user = self.request.user
        if user.agency_id is None:
            raise PermissionDenied(_("Only an agency keeps its investment projects."))
        self.project = None
        if pk is not None:
            self.project = get_scoped_object_or_404(
                InvestmentProject.objects.writable_by(user).select_related("agency"), pk=pk
            )

    def form(self, data=None):
        if self.project is not None:
            return ProjectForm(data, instance=copy.copy(self.project))
        return ProjectForm(
            data,
            instance=InvestmentProject(
                tenant_id=self.request.user.tenant_id, agency_id=self.request.user.agency_id
            ),
        )

    def render_form(self, form):
        return render(self.request, self.template_name, {"form": form, "object": self.project})

    def get(self, request, pk=None):
        self.setup_project(pk)
        return self.render_form(self.form())

    def post(self, request, pk=None):
        self.setup_project(pk)
        form = self.form(request.POST)
        if form.is_valid():
            try:
                project = services.project_save(
                    agency=request.user.agency,
                    data=form.project_data(),
                    actor=request.user,
                    project=self.project,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Project saved."))
                return redirect("rectification:project-detail", pk=project.pk)
        return self.render_form(form)


# Duplicate signings: the office's checks ------------------------------------------------------


def _open_first():
    return Case(
        When(status=FlagStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


class DuplicateListView(PermissionRequiredMixin, ListView):
    """Open flags first, each pair side by side."""

    permission = "investment.review"
    template_name = "rectification/investment/duplicate_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        flags = (
            DuplicateFlag.objects.for_user(user)
            .select_related("tenant", "project__agency", "other__agency", "decided_by")
            .order_by(_open_first(), "-created_at", "-id")
        )
        self.filterset = FlagFilter(self.request.GET or None, queryset=flags)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        writable = set(
            DuplicateFlag.objects.writable_by(user)
            .filter(pk__in=[flag.pk for flag in context["object_list"]])
            .values_list("pk", flat=True)
        )
        for flag in context["object_list"]:
            flag.can_decide = flag.status == FlagStatus.OPEN and flag.pk in writable
            if flag.can_decide:
                flag.decide_form = FlagDecideForm(prefix=f"flag{flag.pk}")
        context.update(filter=self.filterset, multi_tenant=reads_several_tenants(user))
        return context


class DuplicateDecideView(PermissionRequiredMixin, View):
    """POST only: confirm or dismiss a flag, with what the check found."""

    permission = "investment.review"

    def post(self, request, pk):
        flag = get_scoped_object_or_404(DuplicateFlag.objects.writable_by(request.user), pk=pk)
        form = FlagDecideForm(request.POST, prefix=f"flag{flag.pk}")
        if form.is_valid():
            try:
                services.flag_decide(
                    flag=flag,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Flag recorded: %(status)s.") % {"status": flag.get_status_display()},
                )
                return redirect("rectification:duplicate-list")
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(
            request,
            _("The flag was not decided: %(errors)s") % {"errors": " ".join(errors)},
        )
        return redirect("rectification:duplicate-list")


urlpatterns = [
    path("investment/", ProjectListView.as_view(), name="project-list"),
    path("investment/export/", ProjectExportView.as_view(), name="project-export"),
    path("investment/new/", ProjectFormView.as_view(), name="project-create"),
    path("investment/<int:pk>/", ProjectDetailView.as_view(), name="project-detail"),
    path("investment/<int:pk>/edit/", ProjectFormView.as_view(), name="project-edit"),
    path("investment/duplicates/", DuplicateListView.as_view(), name="duplicate-list"),
    path(
        "investment/duplicates/<int:pk>/decide/",
        DuplicateDecideView.as_view(),
        name="duplicate-decide",
    ),
]
