import copy

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import DetailView, FormView, ListView

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import (
    ScopedQuerysetMixin,
    get_scoped_object_or_404,
    reads_several_tenants,
)
from integrity.xlsx import XlsxError

from . import selectors, services
from .choices import SecurityEventKind
from .excel import agency_export, agency_template, parse_agency_rows
from .filters import AgencyFilter, SecurityEventFilter, UserFilter
from .forms import (
    AgencyForm,
    AgencyImportForm,
    ApiClientForm,
    LoginForm,
    PasswordChangeForm,
    SetPasswordForm,
    TenantForm,
    UserCreateForm,
    UserForm,
)
from .models import Agency, ApiClient, Notification, Tenant, User
from .two_factor_views import second_factor_url

# Login, logout, own password --------------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(FormView):
    template_name = "registration/login.html"
    form_class = LoginForm

    def form_valid(self, form):
        try:
            user = services.login_attempt(
                request=self.request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.LoginRefused as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        login(self.request, user)
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            target = reverse("home")
        if user.second_factor_needed:
            # The password was the first step: the session counts once the code is given.
            target = second_factor_url(user, target)
        return HttpResponseRedirect(target)


class LogoutView(View):
    def post(self, request):
        if request.user.is_authenticated:
            services.security_event_record(
                kind=SecurityEventKind.LOGOUT, request=request, user=request.user
            )
        logout(request)
        return redirect("accounts:login")


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(FormView):
    template_name = "accounts/password_change.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("accounts:login")
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return PasswordChangeForm(self.request.user, **self.get_form_kwargs())

    def form_valid(self, form):
        try:
            services.user_change_own_password(
                user=self.request.user,
                password=form.cleaned_data["new_password1"],
                request=self.request,
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
            return self.form_invalid(form)
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return redirect("home")


# Tenants ----------------------------------------------------------------------------------


class TenantListView(PermissionRequiredMixin, ScopedQuerysetMixin, ListView):
    permission = "tenant.manage"
    model = Tenant
    template_name = "accounts/tenant_list.html"

    def get_queryset(self):
        return selectors.tenant_summaries(self.request.user)


class TenantFormView(PermissionRequiredMixin, View):
    permission = "tenant.manage"
    template_name = "accounts/tenant_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(Tenant.objects.writable_by(self.request.user), pk=pk)

    def get(self, request, pk=None):
        tenant = self.get_object(pk)
        return render(
            request, self.template_name, {"form": TenantForm(instance=tenant), "object": tenant}
        )

    def post(self, request, pk=None):
        tenant = self.get_object(pk)
        form = TenantForm(request.POST, instance=copy.copy(tenant) if tenant else None)
        if form.is_valid():
            try:
                if tenant is None:
                    services.tenant_create(data=form.cleaned_data, actor=request.user)
                else:
                    services.tenant_update(
                        tenant=tenant, data=form.cleaned_data, actor=request.user
                    )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:tenant-list")
        return render(request, self.template_name, {"form": form, "object": tenant})


# Agencies ---------------------------------------------------------------------------------


class AgencyListView(PermissionRequiredMixin, ScopedQuerysetMixin, ListView):
    permission = "agency.view"
    model = Agency
    template_name = "accounts/agency_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = AgencyFilter(
            self.request.GET or None,
            queryset=super().get_queryset().select_related("tenant"),
            user=self.request.user,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["multi_tenant"] = reads_several_tenants(self.request.user)
        context["can_manage"] = has_perm(self.request.user, "agency.manage")
        context["can_export"] = has_perm(self.request.user, "agency.export")
        return context


class AgencyExportView(AgencyListView):
    permission = "agency.export"

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        log_export(request, what="agencies", rows=queryset.count())
        content = agency_export(queryset, include_tenant=reads_several_tenants(request.user))
        return xlsx_response(content, "agencies")


class AgencyDetailView(PermissionRequiredMixin, ScopedQuerysetMixin, DetailView):
    permission = "agency.view"
    model = Agency
    template_name = "accounts/agency_detail.html"

    def get_object(self, queryset=None):
        return get_scoped_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_manage"] = Agency.objects.writable_by(user).filter(
            pk=self.object.pk
        ).exists() and has_perm(user, "agency.manage")
        if has_perm(user, "user.view"):
            context["users"] = User.objects.for_user(user).filter(agency=self.object)
        return context


class AgencyFormView(PermissionRequiredMixin, View):
    permission = "agency.manage"
    template_name = "accounts/agency_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(Agency.objects.writable_by(self.request.user), pk=pk)

    def _form(self, agency, data=None):
        tenants = None
        if agency is None and self.request.user.is_platform_admin:
            tenants = Tenant.objects.all()
        instance = copy.copy(agency) if agency else Agency(tenant=self.request.user.tenant)
        return AgencyForm(data, instance=instance, tenant_choices=tenants)

    def get(self, request, pk=None):
        agency = self.get_object(pk)
        return render(request, self.template_name, {"form": self._form(agency), "object": agency})

    def post(self, request, pk=None):
        agency = self.get_object(pk)
        form = self._form(agency, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            tenant = data.pop("tenant", None) or request.user.tenant
            try:
                if agency is None:
                    agency = services.agency_create(tenant=tenant, data=data, actor=request.user)
                else:
                    services.agency_update(agency=agency, data=data, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:agency-detail", pk=agency.pk)
        return render(request, self.template_name, {"form": form, "object": agency})


class AgencySetActiveView(PermissionRequiredMixin, View):
    permission = "agency.manage"
    active = False

    def post(self, request, pk):
        agency = get_scoped_object_or_404(Agency.objects.writable_by(request.user), pk=pk)
        services.agency_set_active(agency=agency, active=self.active, actor=request.user)
        messages.success(
            request, _("Agency activated.") if self.active else _("Agency deactivated.")
        )
        return redirect("accounts:agency-detail", pk=pk)


class AgencyTemplateView(PermissionRequiredMixin, View):
    permission = "agency.import"

    def get(self, request):
        return xlsx_response(agency_template(), "agency-template")


class AgencyImportView(PermissionRequiredMixin, View):
    permission = "agency.import"
    template_name = "accounts/agency_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": AgencyImportForm()})

    def post(self, request):
        form = AgencyImportForm(request.POST, request.FILES)
        context = {"form": form}
        tenant = request.user.tenant
        if tenant is None:
            form.add_error(None, _("Only a jurisdiction's office imports its agencies."))
        elif form.is_valid():
            try:
                rows, errors = parse_agency_rows(form.cleaned_data["file"], tenant=tenant)
            except XlsxError as exc:
                form.add_error("file", str(exc))
            else:
                if errors:
                    context["row_errors"] = errors
                else:
                    result = services.agencies_import(tenant=tenant, rows=rows, actor=request.user)
                    messages.success(
                        request,
                        _("Import finished: %(created)d created, %(updated)d updated.") % result,
                    )
                    return redirect("accounts:agency-list")
        return render(request, self.template_name, context, status=400)


# Users ------------------------------------------------------------------------------------


class UserListView(PermissionRequiredMixin, ScopedQuerysetMixin, ListView):
    permission = "user.view"
    model = User
    template_name = "accounts/user_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = UserFilter(
            self.request.GET or None,
            queryset=super().get_queryset().people().select_related("tenant", "agency"),
            user=self.request.user,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["now"] = timezone.now()
        return context


class UserFormView(PermissionRequiredMixin, View):
    permission = "user.manage"
    template_name = "accounts/user_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(User.objects.people().writable_by(self.request.user), pk=pk)

    def _form(self, target, data=None):
        actor = self.request.user
        if target is None:
            return UserCreateForm(data, instance=User(tenant=actor.tenant), actor=actor)
        return UserForm(data, instance=copy.copy(target), actor=actor)

    def get(self, request, pk=None):
        target = self.get_object(pk)
        return render(request, self.template_name, {"form": self._form(target), "object": target})

    def post(self, request, pk=None):
        target = self.get_object(pk)
        form = self._form(target, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            password = data.pop("password", None)
            data.setdefault("tenant", request.user.tenant)
            try:
                if target is None:
                    target = services.user_create(
                        data=data, password=password, actor=request.user, request=request
                    )
                else:
                    services.user_update(
                        user=target, data=data, actor=request.user, request=request
                    )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:user-list")
        return render(request, self.template_name, {"form": form, "object": target})


class UserActionView(PermissionRequiredMixin, View):
    """POST-only account actions: lock, unlock, activate, deactivate."""

    permission = "user.manage"
    action = ""

    def post(self, request, pk):
        target = get_scoped_object_or_404(User.objects.people().writable_by(request.user), pk=pk)
        actions = {
            "lock": (services.user_lock, {}, _("Account locked.")),
            "unlock": (services.user_unlock, {}, _("Account unlocked.")),
            "activate": (services.user_set_active, {"active": True}, _("Account activated.")),
            "deactivate": (services.user_set_active, {"active": False}, _("Account deactivated.")),
        }
        service, kwargs, done = actions[self.action]
        try:
            service(user=target, actor=request.user, request=request, **kwargs)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("accounts:user-list")


class UserResetPasswordView(PermissionRequiredMixin, View):
    permission = "user.manage"
    template_name = "accounts/user_reset_password.html"

    def get(self, request, pk):
        target = get_scoped_object_or_404(User.objects.people().writable_by(request.user), pk=pk)
        return render(request, self.template_name, {"form": SetPasswordForm(), "object": target})

    def post(self, request, pk):
        target = get_scoped_object_or_404(User.objects.people().writable_by(request.user), pk=pk)
        form = SetPasswordForm(request.POST)
        if form.is_valid():
            try:
                services.user_reset_password(
                    user=target,
                    password=form.cleaned_data["password"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error("password", exc)
            else:
                messages.success(
                    request, _("Password reset; the user must change it at next login.")
                )
                return redirect("accounts:user-list")
        return render(request, self.template_name, {"form": form, "object": target}, status=400)


# Audit ------------------------------------------------------------------------------------


class AuditListView(PermissionRequiredMixin, ListView):
    permission = "audit.view"
    template_name = "accounts/audit_list.html"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET
        return selectors.audit_events_for_user(
            self.request.user,
            model=params.get("model", ""),
            label=params.get("label", ""),
            actor=params.get("actor", ""),
            since=_date_param(params.get("since")),
            until=_date_param(params.get("until")),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["models"] = selectors.AUDITED_MODELS
        context["params"] = self.request.GET
        return context


def _date_param(value):
    from django.utils.dateparse import parse_date

    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


class SecurityEventListView(PermissionRequiredMixin, ListView):
    permission = "audit.view"
    template_name = "accounts/security_event_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = SecurityEventFilter(
            self.request.GET or None,
            queryset=selectors.security_events_for_user(self.request.user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context


# Notifications --------------------------------------------------------------------------------


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's own notifications, unread first."""

    template_name = "accounts/notification_list.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Notification.objects.for_user(self.request.user)
            .annotate(
                unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
            )
            .order_by("-unread", "-created_at", "-id")
        )


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark the given notifications (`ids`), or all of them, read."""

    def post(self, request):
        raw = request.POST.getlist("ids")
        ids = [int(value) for value in raw if value.isdigit()] if raw else None
        count = services.notifications_mark_read(user=request.user, ids=ids)
        if ids is None:
            messages.success(request, _("%(n)d notifications marked read.") % {"n": count})
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("accounts:notification-list")
        return HttpResponseRedirect(target)


# API clients -------------------------------------------------------------------------------


class ApiClientListView(PermissionRequiredMixin, ScopedQuerysetMixin, ListView):
    permission = "apiclient.manage"
    model = ApiClient
    write = True
    template_name = "accounts/api_client_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("tenant", "created_by")


def _key_page(request, client, key):
    """The key, shown this once: rendered in the POST response itself (never stored, never in a
    redirect or the session), and not cached."""
    response = render(request, "accounts/api_client_key.html", {"object": client, "key": key})
    response["Cache-Control"] = "no-store"
    return response


class ApiClientFormView(PermissionRequiredMixin, View):
    permission = "apiclient.manage"
    template_name = "accounts/api_client_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(
            ApiClient.objects.writable_by(self.request.user).select_related("user", "tenant"),
            pk=pk,
        )

    def _form(self, client, data=None):
        initial = None
        if client is not None:
            initial = {f: getattr(client, f) for f in services.API_CLIENT_FIELDS}
        return ApiClientForm(data, initial=initial, actor=self.request.user, editing=bool(client))

    def get(self, request, pk=None):
        client = self.get_object(pk)
        return render(request, self.template_name, {"form": self._form(client), "object": client})

    def post(self, request, pk=None):
        client = self.get_object(pk)
        form = self._form(client, request.POST)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in services.API_CLIENT_FIELDS}
            try:
                if client is None:
                    tenant = form.cleaned_data.get("tenant") or request.user.tenant
                    client, key = services.api_client_create(
                        tenant=tenant, data=data, actor=request.user, request=request
                    )
                    return _key_page(request, client, key)
                services.api_client_update(client=client, data=data, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:api-client-list")
        return render(request, self.template_name, {"form": form, "object": client})


class ApiClientActionView(PermissionRequiredMixin, View):
    """POST rotate (a new key, shown once; the old one stops at once) or revoke."""

    permission = "apiclient.manage"
    action = ""

    def post(self, request, pk):
        client = get_scoped_object_or_404(
            ApiClient.objects.writable_by(request.user).select_related("user", "tenant"), pk=pk
        )
        try:
            if self.action == "rotate":
                key = services.api_client_rotate(client=client, actor=request.user, request=request)
                return _key_page(request, client, key)
            services.api_client_revoke(client=client, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The client's key no longer works."))
        return redirect("accounts:api-client-list")
