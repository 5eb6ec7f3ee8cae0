"""Scoring schemes (督导评分体系), the office's side: the list, a new scheme for a period (from
the default scheme or a copy of an earlier one), the scheme's tree of categories and items with
its problems, editing the name, period and grades, adding, changing and deleting indicators,
validating, the manual items' points per agency, and the calculator documentation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.choices import TenantLevel
from accounts.models import Agency
from integrity.http import form_errors
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants

from .. import selectors, services
from ..calculators import CALCULATORS
from ..choices import Method, RunStatus
from ..forms.schemes import (
    GradeFormSet,
    IndicatorForm,
    ManualEntriesForm,
    SchemeCreateForm,
    SchemeEditForm,
    grades_from,
)
from ..models import Indicator, ManualEntry, Scheme, ScoreRun


def office_tenant(user):
    """The county whose office the user works for: schemes and runs belong to a county."""
    tenant = user.tenant
    if tenant is None or tenant.level != TenantLevel.COUNTY:
        raise PermissionDenied(_("Only a county's credit office keeps scoring schemes."))
    return tenant


class PostOnlyMixin:
    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])


class SchemeListView(PermissionRequiredMixin, ListView):
    permission = "scheme.view"
    template_name = "scoring/scheme_list.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Scheme.objects.for_user(self.request.user)
            .select_related("tenant", "copied_from")
            .order_by("tenant__name", "-end", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            multi_tenant=reads_several_tenants(user),
            can_manage=has_perm(user, "scheme.manage") and user.tenant_id is not None,
        )
        return context


class SchemeCreateView(PermissionRequiredMixin, View):
    permission = "scheme.manage"
    template_name = "scoring/scheme_create.html"

    def make_form(self, tenant, data=None):
        schemes = Scheme.objects.writable_by(self.request.user).filter(tenant=tenant)
        form = SchemeCreateForm(data, schemes=schemes.order_by("-end", "-id"))
        if data is None:
            latest = selectors.latest_scheme(tenant.pk)
            form.initial.update(selectors.next_period(latest, timezone.localdate()))
            form.initial["copy_from"] = latest.pk if latest else None
        return form

    def get(self, request):
        tenant = office_tenant(request.user)
        return render(request, self.template_name, {"form": self.make_form(tenant)})

    def post(self, request):
        tenant = office_tenant(request.user)
        form = self.make_form(tenant, request.POST)
        if form.is_valid():
            try:
                scheme = services.scheme_create(
                    tenant=tenant,
                    data=form.period_data(),
                    actor=request.user,
                    copy_from=form.cleaned_data["copy_from"],
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Scheme created."))
                return redirect("scoring:scheme-detail", pk=scheme.pk)
        return render(request, self.template_name, {"form": form})


class SchemeDetailView(PermissionRequiredMixin, View):
    permission = "scheme.view"

    def get(self, request, pk):
        user = request.user
        scheme = get_scoped_object_or_404(
            Scheme.objects.for_user(user).select_related("tenant", "copied_from", "created_by"),
            pk=pk,
        )
        writable = Scheme.objects.writable_by(user).filter(pk=scheme.pk).exists()
        runs = list(
            scheme.runs.select_related("started_by", "publication").order_by("-created_at")[:20]
        )
        context = {
            "object": scheme,
            **selectors.scheme_tree(scheme),
            "problems": services.scheme_problems(scheme),
            "runs": runs,
            "can_manage": writable and has_perm(user, "scheme.manage"),
            "can_start": writable and has_perm(user, "run.start"),
            "can_review": writable and has_perm(user, "run.review"),
            "multi_tenant": reads_several_tenants(user),
            "methods": Method,
        }
        return render(request, "scoring/scheme_detail.html", context)


class SchemeEditView(PermissionRequiredMixin, View):
    permission = "scheme.manage"
    template_name = "scoring/scheme_form.html"

    def get_scheme(self, pk):
        return get_scoped_object_or_404(Scheme.objects.writable_by(self.request.user), pk=pk)

    def render_form(self, scheme, form, grades):
        return render(
            self.request, self.template_name, {"object": scheme, "form": form, "grades": grades}
        )

    def get(self, request, pk):
        scheme = self.get_scheme(pk)
        form = SchemeEditForm(
            initial={
                "name": scheme.name,
                "period_kind": scheme.period_kind,
                "year": scheme.year,
                "period_number": scheme.period_number,
            }
        )
        grades = GradeFormSet(initial=list(scheme.grades or []), prefix="grades")
        return self.render_form(scheme, form, grades)

    def post(self, request, pk):
        scheme = self.get_scheme(pk)
        form = SchemeEditForm(request.POST)
        grades = GradeFormSet(request.POST, prefix="grades")
        if form.is_valid() and grades.is_valid():
            data = {**form.period_data(), "grades": grades_from(grades)}
            try:
                # The service works on a copy: a refused change leaves the page's object intact.
                services.scheme_update(
                    scheme=Scheme.objects.get(pk=scheme.pk), data=data, actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Scheme saved."))
                return redirect("scoring:scheme-detail", pk=scheme.pk)
        return self.render_form(scheme, form, grades)


class SchemeValidateView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "scheme.manage"

    def post(self, request, pk):
        scheme = get_scoped_object_or_404(Scheme.objects.writable_by(request.user), pk=pk)
        problems = services.scheme_validate(scheme=scheme, actor=request.user)
        if problems:
            messages.error(request, _("The scheme has problems: it stays a draft."))
        else:
            messages.success(request, _("The scheme is valid: runs may use it."))
        return redirect("scoring:scheme-detail", pk=scheme.pk)


class IndicatorFormView(PermissionRequiredMixin, View):
    """New indicator (pk is the scheme; ?parent=<category> for an item, none for a category)
    or a change to one (pk is the indicator)."""

    permission = "scheme.manage"
    template_name = "scoring/indicator_form.html"
    create = False

    def setup_objects(self, pk):
        user = self.request.user
        if self.create:
            scheme = get_scoped_object_or_404(Scheme.objects.writable_by(user), pk=pk)
            parent = None
            parent_id = self.request.GET.get("parent", "")
            if parent_id:
                parent = get_scoped_object_or_404(
                    scheme.indicators.filter(parent__isnull=True), pk=parent_id
                )
            return scheme, parent, None
        indicator = get_scoped_object_or_404(
            Indicator.objects.writable_by(user).select_related("scheme", "parent"), pk=pk
        )
        return indicator.scheme, indicator.parent, indicator

    def render_form(self, form, scheme, parent, indicator):
        context = {"form": form, "scheme": scheme, "parent": parent, "object": indicator}
        return render(self.request, self.template_name, context)

    def get(self, request, pk):
        scheme, parent, indicator = self.setup_objects(pk)
        initial = {}
        if indicator is None:
            siblings = scheme.indicators.filter(parent=parent)
            initial["position"] = siblings.count()
        form = IndicatorForm(is_category=parent is None, instance=indicator, initial=initial)
        return self.render_form(form, scheme, parent, indicator)

    def post(self, request, pk):
        scheme, parent, indicator = self.setup_objects(pk)
        form = IndicatorForm(request.POST, is_category=parent is None, instance=indicator)
        if form.is_valid():
            data = form.data_for_service()
            if indicator is None:
                data["parent"] = parent
            try:
                services.indicator_save(
                    scheme=scheme,
                    data=data,
                    actor=request.user,
                    indicator=Indicator.objects.get(pk=indicator.pk) if indicator else None,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Indicator saved. Validate the scheme again."))
                return redirect("scoring:scheme-detail", pk=scheme.pk)
        return self.render_form(form, scheme, parent, indicator)


class IndicatorDeleteView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "scheme.manage"

    def post(self, request, pk):
        indicator = get_scoped_object_or_404(Indicator.objects.writable_by(request.user), pk=pk)
        scheme_pk = indicator.scheme_id
        try:
            services.indicator_delete(indicator=indicator, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Indicator deleted."))
        return redirect("scoring:scheme-detail", pk=scheme_pk)


class _RowErrors(Exception):
    """Raised inside the transaction to undo every row when one row is refused."""


class ManualEntriesView(PermissionRequiredMixin, View):
    """A manual item's points for every active agency of the county, each with its reason.
    Saving writes every changed row or none."""

    permission = "run.review"
    template_name = "scoring/manual_entries.html"

    def setup_objects(self, pk):
        user = self.request.user
        indicator = get_scoped_object_or_404(
            Indicator.objects.writable_by(user)
            .filter(parent__isnull=False, method=Method.MANUAL)
            .select_related("scheme", "parent"),
            pk=pk,
        )
        agencies = (
            Agency.objects.for_user(user)
            .filter(tenant_id=indicator.tenant_id, is_active=True)
            .order_by("ranking_group", "name", "pk")
        )
        entries = {
            entry.agency_id: entry
            for entry in ManualEntry.objects.writable_by(user)
            .filter(indicator=indicator)
            .select_related("entered_by")
        }
        return indicator, agencies, entries

    def render_form(self, indicator, form):
        runs = ScoreRun.objects.filter(
            scheme_id=indicator.scheme_id,
            publication__isnull=True,
            status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED],
        ).order_by("-created_at")[:5]
        context = {
            "object": indicator,
            "scheme": indicator.scheme,
            "form": form,
            "default_full": (indicator.params or {}).get("default") == "full",
            "runs": runs,
            "can_rerun": has_perm(self.request.user, "run.review"),
        }
        return render(self.request, self.template_name, context)

    def get(self, request, pk):
        indicator, agencies, entries = self.setup_objects(pk)
        form = ManualEntriesForm(
            agencies=agencies, entries=entries, max_points=indicator.max_points
        )
        return self.render_form(indicator, form)

    def post(self, request, pk):
        indicator, agencies, entries = self.setup_objects(pk)
        form = ManualEntriesForm(
            request.POST, agencies=agencies, entries=entries, max_points=indicator.max_points
        )
        if not form.is_valid():
            return self.render_form(indicator, form)
        changed = form.changed_rows()
        row_errors: dict[int, list[str]] = {}
        try:
            with transaction.atomic():
                for agency, points, reason in changed:
                    entry = form.entries.get(agency.pk)
                    if entry is not None and points is None and not reason:
                        # Both cells emptied: the entry goes, the item's default applies again.
                        services.manual_entry_delete(entry=entry, actor=request.user)
                        continue
                    try:
                        services.manual_entry_save(
                            indicator=indicator,
                            agency=agency,
                            points=points,
                            reason=reason,
                            actor=request.user,
                        )
                    except ValidationError as exc:
                        row_errors[agency.pk] = exc.messages
                if row_errors:
                    raise _RowErrors
        except _RowErrors:
            messages.error(request, _("Nothing was saved: correct the rows marked below."))
            form.row_errors = row_errors
            return self.render_form(indicator, form)
        if changed:
            messages.success(
                request,
                _("%(n)d entries saved. Rerun the scheme's runs to reflect them.")
                % {"n": len(changed)},
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect(reverse("scoring:manual-entries", args=[indicator.pk]))


class CalculatorListView(PermissionRequiredMixin, View):
    """The documentation of every calculator: formula, figures and their definitions,
    parameters with their defaults; and the default scheme built from them."""

    permission = "scheme.view"

    def get(self, request):
        from ..defaults import DEFAULT_GRADES, DEFAULT_SCHEME

        default_scheme = [
            {
                "code": code,
                "name": name,
                "kind": kind,
                "points": points,
                "items": [
                    {
                        "code": i_code,
                        "name": i_name,
                        "method": method,
                        "calculator": CALCULATORS.get(calc),
                        "points": i_points,
                        "params": params,
                    }
                    for i_code, i_name, method, calc, i_points, params in items
                ],
            }
            for code, name, kind, points, items in DEFAULT_SCHEME
        ]
        context = {
            "calculators": selectors.calculator_docs(),
            "default_scheme": default_scheme,
            "default_grades": DEFAULT_GRADES,
        }
        return render(request, "scoring/calculator_list.html", context)


urlpatterns = [
    path("scoring/schemes/", SchemeListView.as_view(), name="scheme-list"),
    path("scoring/schemes/new/", SchemeCreateView.as_view(), name="scheme-create"),
    path("scoring/schemes/<int:pk>/", SchemeDetailView.as_view(), name="scheme-detail"),
    path("scoring/schemes/<int:pk>/edit/", SchemeEditView.as_view(), name="scheme-edit"),
    path(
        "scoring/schemes/<int:pk>/validate/", SchemeValidateView.as_view(), name="scheme-validate"
    ),
    path(
        "scoring/schemes/<int:pk>/indicators/new/",
        IndicatorFormView.as_view(create=True),
        name="indicator-create",
    ),
    path("scoring/indicators/<int:pk>/edit/", IndicatorFormView.as_view(), name="indicator-edit"),
    path(
        "scoring/indicators/<int:pk>/delete/",
        IndicatorDeleteView.as_view(),
        name="indicator-delete",
    ),
    path(
        "scoring/indicators/<int:pk>/entries/", ManualEntriesView.as_view(), name="manual-entries"
    ),
    path("scoring/calculators/", CalculatorListView.as_view(), name="calculator-list"),
]
