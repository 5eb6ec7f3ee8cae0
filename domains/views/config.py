"""Configuration pages of a jurisdiction: key domains and their extra ledger fields (M6),
problem types (M3), publicity rules and credit settings, working-day overrides.

Every role of the county reads the domains, problem types and rules; the office administrator
changes them. Writes go through domains.services and integrity.services."""

from __future__ import annotations

import copy
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from accounts.models import Agency, Tenant
from integrity import services as integrity_services
from integrity.http import form_errors, log_export, xlsx_response
from integrity.models import WorkdayOverride
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants, visible_tenant_ids
from integrity.workdays import is_workday, overrides_for
from integrity.xlsx import write_workbook

from .. import services
from ..choices import Severity
from ..forms.config import (
    CreditSettingsForm,
    DomainFieldForm,
    KeyDomainFilter,
    KeyDomainForm,
    ProblemTypeFilter,
    ProblemTypeForm,
    PublicityRuleFilter,
    PublicityRuleForm,
    WorkdayOverrideFilter,
    WorkdayOverrideForm,
)
from ..models import CreditSettings, DomainField, KeyDomain, ProblemType, PublicityRule

# Shared by the configuration and list pages --------------------------------------------------

# Tabs over the pages of one section: (label, url name, action needed).
CONFIG_PAGES = [
    (gettext_lazy("Key domains"), "domains:domain-list", "domain.view"),
    (gettext_lazy("Problem types"), "domains:problem-type-list", "domain.view"),
    (gettext_lazy("Publicity rules"), "domains:rule-list", "domain.view"),
    (gettext_lazy("Working days"), "domains:workday-list", "calendar.manage"),
]
LIST_PAGES = [
    (
        gettext_lazy("Joint reward and punishment measures"),
        "domains:joint-measure-list",
        "lists.view",
    ),
    (gettext_lazy("Four lists"), "domains:four-list-list", "lists.view"),
]


def section_tabs(request, pages, active: str) -> list[dict]:
    return [
        {"label": label, "url": reverse(name), "active": name == active}
        for label, name, action in pages
        if has_perm(request.user, action)
    ]


def acting_tenant(request) -> Tenant | None:
    """The jurisdiction a write acts on: the user's own; a platform administrator, who has
    none, names it with `?tenant=<id>` (the pages then show a jurisdiction picker)."""
    user = request.user
    if user.tenant_id:
        return user.tenant
    raw = request.GET.get("tenant", "")
    if not raw.isdigit():
        return None
    return Tenant.objects.writable_by(user).filter(pk=int(raw)).first()


def tenant_picker_context(request, tenant) -> dict:
    if request.user.tenant_id:
        return {}
    return {
        "picker_tenants": Tenant.objects.writable_by(request.user).order_by("name"),
        "picked_tenant": tenant,
    }


class FilteredListView(PermissionRequiredMixin, ListView):
    """A list of the rows the user may read, narrowed by a FilterSet, 50 to a page."""

    model = None
    filterset_class = None
    paginate_by = 50
    manage_permission = ""
    section = CONFIG_PAGES
    section_page = ""

    def base_queryset(self):
        return self.model.objects.for_user(self.request.user).select_related("tenant")

    def get_queryset(self):
        user = self.request.user
        self.filterset = self.filterset_class(
            self.request.GET or None,
            queryset=self.base_queryset(),
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["filter"] = self.filterset
        context["multi_tenant"] = reads_several_tenants(user)
        context["can_manage"] = bool(self.manage_permission) and has_perm(
            user, self.manage_permission
        )
        context["new_query"] = self._new_query()
        context["tabs_section"] = section_tabs(self.request, self.section, self.section_page)
        return context

    def _new_query(self) -> str:
        """A platform administrator's "New" button carries the jurisdiction being filtered."""
        tenant = self.request.GET.get("tenant", "")
        if self.request.user.tenant_id or not tenant.isdigit():
            return ""
        return f"?tenant={tenant}"


class ServiceFormView(PermissionRequiredMixin, View):
    """Create (no pk) or edit (pk) one row through a service; errors of the service are shown on
    the form and nothing changes."""

    model = None
    form_class = None
    template_name = ""
    success_url_name = ""
    title_new = title_edit = ""
    section = CONFIG_PAGES

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(self.model.objects.writable_by(self.request.user), pk=pk)

    def tenant_for(self, obj):
        return obj.tenant if obj is not None else acting_tenant(self.request)

    def new_instance(self, tenant):
        return self.model(tenant=tenant)

    def form_kwargs(self, tenant) -> dict:
        return {}

    def make_form(self, obj, tenant, data=None):
        instance = copy.copy(obj) if obj is not None else self.new_instance(tenant)
        return self.form_class(data, instance=instance, **self.form_kwargs(tenant))

    def save(self, form, obj, tenant):
        raise NotImplementedError

    def success_url(self, saved) -> str:
        return reverse(self.success_url_name)

    def context(self, form, obj, tenant) -> dict:
        return {
            "form": form,
            "object": obj,
            "tenant": tenant,
            "title": self.title_edit if obj is not None else self.title_new,
            "cancel_url": reverse(self.success_url_name),
            "tabs_section": section_tabs(self.request, self.section, self.success_url_name),
            **tenant_picker_context(self.request, tenant),
        }

    def get(self, request, pk=None, **kwargs):
        obj = self.get_object(pk)
        tenant = self.tenant_for(obj)
        form = self.make_form(obj, tenant) if tenant is not None else None
        return render(request, self.template_name, self.context(form, obj, tenant))

    def post(self, request, pk=None, **kwargs):
        obj = self.get_object(pk)
        tenant = self.tenant_for(obj)
        if tenant is None:
            messages.error(request, _("Choose the jurisdiction first."))
            return render(request, self.template_name, self.context(None, obj, tenant), status=400)
        form = self.make_form(obj, tenant, request.POST)
        if form.is_valid():
            try:
                saved = self.save(form, obj, tenant)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.success_url(saved))
        return render(request, self.template_name, self.context(form, obj, tenant), status=400)


class ServiceDeleteView(PermissionRequiredMixin, View):
    """POST only: delete one row the user may change, through a service."""

    model = None
    success_url_name = ""

    def perform_delete(self, obj) -> None:
        raise NotImplementedError

    def success_url(self, obj) -> str:
        return reverse(self.success_url_name)

    def post(self, request, pk):
        obj = get_scoped_object_or_404(self.model.objects.writable_by(request.user), pk=pk)
        target = self.success_url(obj)
        try:
            self.perform_delete(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Deleted."))
        return redirect(target)


# Key domains ------------------------------------------------------------------------------


def _domain_queryset(user):
    return (
        KeyDomain.objects.for_user(user)
        .select_related("tenant")
        .prefetch_related(
            Prefetch("lead_units", queryset=Agency.objects.order_by("name")),
            Prefetch("responsible_units", queryset=Agency.objects.order_by("name")),
            Prefetch("fields", queryset=DomainField.objects.order_by("position", "id")),
        )
        .annotate(field_count=Count("fields", distinct=True))
        # A GROUP BY query ignores Meta.ordering.
        .order_by("tenant__name", "tenant_id", "position", "id")
    )


class DomainListView(FilteredListView):
    permission = "domain.view"
    manage_permission = "domain.manage"
    model = KeyDomain
    filterset_class = KeyDomainFilter
    template_name = "domains/config/domain_list.html"
    section_page = "domains:domain-list"

    def base_queryset(self):
        return _domain_queryset(self.request.user)


def domain_columns(multi_tenant: bool) -> list[str]:
    columns = [
        _("Order"),
        _("Key domain"),
        _("Code"),
        _("In use"),
        _("Lead units"),
        _("Responsible units"),
        _("Extra ledger fields"),
        _("Description"),
    ]
    return [_("Jurisdiction"), *columns] if multi_tenant else columns


def _names(agencies) -> str:
    return "、".join(a.name for a in agencies)


class DomainExportView(DomainListView):
    def get(self, request, *args, **kwargs):
        domains = list(self.get_queryset())
        multi = reads_several_tenants(request.user)
        rows = []
        for domain in domains:
            row = [
                domain.position,
                domain.name,
                domain.code,
                _("Yes") if domain.is_active else _("No"),
                _names(domain.lead_units.all()),
                _names(domain.responsible_units.all()),
                "、".join(f.label for f in domain.fields.all()),
                domain.description,
            ]
            rows.append([domain.tenant.name, *row] if multi else row)
        log_export(request, what="key_domains", rows=len(rows))
        content = write_workbook([(_("Key domains"), domain_columns(multi), rows)])
        return xlsx_response(content, "key-domains")


class DomainDetailView(PermissionRequiredMixin, DetailView):
    permission = "domain.view"
    template_name = "domains/config/domain_detail.html"
    context_object_name = "domain"

    def get_object(self, queryset=None):
        return get_scoped_object_or_404(_domain_queryset(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_manage"] = (
            has_perm(user, "domain.manage")
            and KeyDomain.objects.writable_by(user).filter(pk=self.object.pk).exists()
        )
        context["tabs_section"] = section_tabs(self.request, CONFIG_PAGES, "domains:domain-list")
        return context


def _next_free(prefix: str, taken: set[str]) -> str:
    number = 1
    while f"{prefix}_{number}" in taken:
        number += 1
    return f"{prefix}_{number}"


class DomainFormView(ServiceFormView):
    permission = "domain.manage"
    model = KeyDomain
    form_class = KeyDomainForm
    template_name = "domains/config/domain_form.html"
    success_url_name = "domains:domain-list"

    @property
    def title_new(self):
        return _("New key domain")

    @property
    def title_edit(self):
        return _("Edit key domain")

    def form_kwargs(self, tenant):
        return {"tenant": tenant}

    def save(self, form, obj, tenant):
        data = dict(form.cleaned_data)
        if obj is None and not data.get("code"):
            taken = set(KeyDomain.objects.filter(tenant=tenant).values_list("code", flat=True))
            data["code"] = _next_free("domain", taken)
        return services.domain_save(tenant=tenant, data=data, actor=self.request.user, domain=obj)

    def success_url(self, saved):
        return reverse("domains:domain-detail", args=[saved.pk])


class DomainFieldFormView(ServiceFormView):
    """Create a field of a domain (pk: the domain) or edit a field (pk: the field)."""

    permission = "domain.manage"
    model = DomainField
    form_class = DomainFieldForm
    template_name = "domains/config/field_form.html"
    success_url_name = "domains:domain-list"
    creating = False

    @property
    def title_new(self):
        return _("New ledger field")

    @property
    def title_edit(self):
        return _("Edit ledger field")

    def get_object(self, pk):
        writable = self.request.user
        if self.creating:
            self.domain = get_scoped_object_or_404(KeyDomain.objects.writable_by(writable), pk=pk)
            return None
        field = get_scoped_object_or_404(
            DomainField.objects.writable_by(writable).select_related("domain"), pk=pk
        )
        self.domain = field.domain
        return field

    def tenant_for(self, obj):
        return self.domain.tenant

    def new_instance(self, tenant):
        return DomainField(tenant_id=self.domain.tenant_id, domain=self.domain)

    def save(self, form, obj, tenant):
        data = dict(form.cleaned_data)
        if obj is None and not data.get("key"):
            taken = set(self.domain.fields.values_list("key", flat=True))
            data["key"] = _next_free("field", taken)
        return services.domain_field_save(
            domain=self.domain, data=data, actor=self.request.user, field=obj
        )

    def success_url(self, saved):
        return reverse("domains:domain-detail", args=[self.domain.pk])

    def context(self, form, obj, tenant):
        context = super().context(form, obj, tenant)
        context["domain"] = self.domain
        context["cancel_url"] = reverse("domains:domain-detail", args=[self.domain.pk])
        return context


class DomainFieldDeleteView(ServiceDeleteView):
    permission = "domain.manage"
    model = DomainField

    def perform_delete(self, obj):
        services.domain_field_delete(field=obj, actor=self.request.user)

    def success_url(self, obj):
        return reverse("domains:domain-detail", args=[obj.domain_id])


# Problem types ----------------------------------------------------------------------------


class ProblemTypeListView(FilteredListView):
    permission = "domain.view"
    manage_permission = "domain.manage"
    model = ProblemType
    filterset_class = ProblemTypeFilter
    template_name = "domains/config/problem_type_list.html"
    section_page = "domains:problem-type-list"


def problem_type_columns(multi_tenant: bool) -> list[str]:
    columns = [_("Order"), _("Problem type"), _("In use"), _("Description")]
    return [_("Jurisdiction"), *columns] if multi_tenant else columns


class ProblemTypeExportView(ProblemTypeListView):
    def get(self, request, *args, **kwargs):
        multi = reads_several_tenants(request.user)
        rows = []
        for item in self.get_queryset():
            row = [
                item.position,
                item.name,
                _("Yes") if item.is_active else _("No"),
                item.description,
            ]
            rows.append([item.tenant.name, *row] if multi else row)
        log_export(request, what="problem_types", rows=len(rows))
        content = write_workbook([(_("Problem types"), problem_type_columns(multi), rows)])
        return xlsx_response(content, "problem-types")


class ProblemTypeFormView(ServiceFormView):
    permission = "domain.manage"
    model = ProblemType
    form_class = ProblemTypeForm
    template_name = "domains/config/form.html"
    success_url_name = "domains:problem-type-list"

    @property
    def title_new(self):
        return _("New problem type")

    @property
    def title_edit(self):
        return _("Edit problem type")

    def save(self, form, obj, tenant):
        return services.problem_type_save(
            tenant=tenant, data=form.cleaned_data, actor=self.request.user, problem_type=obj
        )


# Publicity rules and credit settings ------------------------------------------------------


def rule_in_force(rules: list[PublicityRule], day) -> PublicityRule | None:
    """The rule of one tenant and severity that a record decided on `day` gets; the same choice
    as services.publicity_rule_for (the latest rule in effect, else the earliest rule)."""
    effective = [r for r in rules if r.effective_from <= day]
    if effective:
        return max(effective, key=lambda r: r.effective_from)
    return min(rules, key=lambda r: r.effective_from, default=None)


class RuleListView(PermissionRequiredMixin, ListView):
    """Rules grouped by jurisdiction and severity, marking the one in force today."""

    permission = "domain.view"
    template_name = "domains/config/rule_list.html"

    def get_queryset(self):
        user = self.request.user
        self.filterset = PublicityRuleFilter(
            self.request.GET or None,
            queryset=PublicityRule.objects.for_user(user).select_related("tenant"),
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        rules = list(self.object_list)
        tenants = sorted({r.tenant for r in rules}, key=lambda t: (t.name, t.pk))
        settings_by_tenant = {
            s.tenant_id: s for s in CreditSettings.objects.for_user(user).filter(tenant__in=tenants)
        }
        can_manage = has_perm(user, "domain.manage")
        writable = set(
            Tenant.objects.writable_by(user)
            .filter(pk__in=[t.pk for t in tenants])
            .values_list("pk", flat=True)
        )
        groups = []
        for tenant in tenants:
            severities = []
            for value, label in Severity.choices:
                own = [r for r in rules if r.tenant_id == tenant.pk and r.severity == value]
                if not own:
                    continue
                current = rule_in_force(own, today)
                rows = [
                    {
                        "rule": r,
                        "in_force": r == current,
                        "upcoming": r.effective_from > today,
                        "superseded": r != current and r.effective_from <= today,
                    }
                    for r in sorted(own, key=lambda r: r.effective_from, reverse=True)
                ]
                severities.append({"label": label, "rows": rows})
            groups.append(
                {
                    "tenant": tenant,
                    "severities": severities,
                    "settings": settings_by_tenant.get(tenant.pk),
                    "can_edit": can_manage and tenant.pk in writable,
                    "query": "" if user.tenant_id else f"?tenant={tenant.pk}",
                }
            )
        context.update(
            filter=self.filterset,
            groups=groups,
            today=today,
            multi_tenant=reads_several_tenants(user),
            can_manage=can_manage,
            tabs_section=section_tabs(self.request, CONFIG_PAGES, "domains:rule-list"),
        )
        return context


class RuleFormView(ServiceFormView):
    permission = "domain.manage"
    model = PublicityRule
    form_class = PublicityRuleForm
    template_name = "domains/config/rule_form.html"
    success_url_name = "domains:rule-list"

    @property
    def title_new(self):
        return _("New publicity rule")

    @property
    def title_edit(self):
        return _("Edit publicity rule")

    def save(self, form, obj, tenant):
        return services.publicity_rule_save(
            tenant=tenant, data=form.cleaned_data, actor=self.request.user, rule=obj
        )


class CreditSettingsView(PermissionRequiredMixin, View):
    permission = "domain.manage"
    template_name = "domains/config/credit_settings.html"

    def _context(self, form, tenant):
        return {
            "form": form,
            "tenant": tenant,
            "tabs_section": section_tabs(self.request, CONFIG_PAGES, "domains:rule-list"),
            **tenant_picker_context(self.request, tenant),
        }

    def _initial(self, tenant) -> dict:
        row = CreditSettings.objects.filter(tenant=tenant).first() or CreditSettings()
        return {
            "objection_workdays": row.objection_workdays,
            "repair_workdays": row.repair_workdays,
        }

    def get(self, request):
        tenant = acting_tenant(request)
        form = CreditSettingsForm(initial=self._initial(tenant)) if tenant else None
        return render(request, self.template_name, self._context(form, tenant))

    def post(self, request):
        tenant = acting_tenant(request)
        if tenant is None:
            messages.error(request, _("Choose the jurisdiction first."))
            return render(request, self.template_name, self._context(None, None), status=400)
        form = CreditSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.credit_settings_save(
                    tenant=tenant, data=form.cleaned_data, actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("domains:rule-list")
        return render(request, self.template_name, self._context(form, tenant), status=400)


# Working-day overrides --------------------------------------------------------------------

CALENDAR_DAYS = 30


def calendar_weeks(tenant, start, days: int = CALENDAR_DAYS) -> list[list[dict | None]]:
    """The next `days` days as Monday-to-Sunday weeks: working day or not, and why."""
    end = start + timedelta(days=days - 1)
    overrides = overrides_for(tenant, start, end)
    weeks, week = [], [None] * start.weekday()
    for offset in range(days):
        day = start + timedelta(days=offset)
        week.append(
            {
                "date": day,
                "workday": is_workday(day, overrides=overrides),
                "national": integrity_services.national_is_workday(day),
                "override": day in overrides,
                "today": offset == 0,
            }
        )
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


class WorkdayListView(PermissionRequiredMixin, ListView):
    """The county's overrides, a form to add one, and the next 30 days as the platform counts
    them (deadlines in working days use exactly this calendar)."""

    permission = "calendar.manage"
    template_name = "domains/config/workday_list.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        self.tenant = acting_tenant(request) if request.user.is_authenticated else None
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = (
            WorkdayOverride.objects.writable_by(self.request.user)
            .filter(tenant=self.tenant)
            .order_by("-date")
        )
        self.filterset = WorkdayOverrideFilter(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(
            filter=self.filterset,
            form=kwargs.get("form") or WorkdayOverrideForm(),
            tenant=self.tenant,
            today=today,
            weeks=calendar_weeks(self.tenant, today) if self.tenant else [],
            tabs_section=section_tabs(self.request, CONFIG_PAGES, "domains:workday-list"),
            **tenant_picker_context(self.request, self.tenant),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = WorkdayOverrideForm(request.POST)
        if self.tenant is None:
            form.add_error(None, _("Choose the jurisdiction first."))
        elif form.is_valid():
            try:
                integrity_services.workday_override_save(
                    tenant=self.tenant, data=form.cleaned_data, actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(request.get_full_path())
        self.object_list = self.get_queryset()
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class WorkdayDeleteView(ServiceDeleteView):
    permission = "calendar.manage"
    model = WorkdayOverride

    def perform_delete(self, obj):
        integrity_services.workday_override_delete(override=obj, actor=self.request.user)

    def success_url(self, obj):
        url = reverse("domains:workday-list")
        return url if self.request.user.tenant_id else f"{url}?tenant={obj.tenant_id}"


# URLs -------------------------------------------------------------------------------------

urlpatterns = [
    path("domains/", DomainListView.as_view(), name="domain-list"),
    path("domains/export/", DomainExportView.as_view(), name="domain-export"),
    path("domains/new/", DomainFormView.as_view(), name="domain-create"),
    path("domains/<int:pk>/", DomainDetailView.as_view(), name="domain-detail"),
    path("domains/<int:pk>/edit/", DomainFormView.as_view(), name="domain-update"),
    path(
        "domains/<int:pk>/fields/new/",
        DomainFieldFormView.as_view(creating=True),
        name="field-create",
    ),
    path("domains/fields/<int:pk>/edit/", DomainFieldFormView.as_view(), name="field-update"),
    path("domains/fields/<int:pk>/delete/", DomainFieldDeleteView.as_view(), name="field-delete"),
    path("settings/problem-types/", ProblemTypeListView.as_view(), name="problem-type-list"),
    path(
        "settings/problem-types/export/",
        ProblemTypeExportView.as_view(),
        name="problem-type-export",
    ),
    path("settings/problem-types/new/", ProblemTypeFormView.as_view(), name="problem-type-create"),
    path(
        "settings/problem-types/<int:pk>/edit/",
        ProblemTypeFormView.as_view(),
        name="problem-type-update",
    ),
    path("settings/publicity-rules/", RuleListView.as_view(), name="rule-list"),
    path("settings/publicity-rules/new/", RuleFormView.as_view(), name="rule-create"),
    path("settings/publicity-rules/<int:pk>/edit/", RuleFormView.as_view(), name="rule-update"),
    path("settings/credit/", CreditSettingsView.as_view(), name="credit-settings"),
    path("settings/workdays/", WorkdayListView.as_view(), name="workday-list"),
    path("settings/workdays/<int:pk>/delete/", WorkdayDeleteView.as_view(), name="workday-delete"),
]
