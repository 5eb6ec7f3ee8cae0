"""Webhook pages: the endpoints of the office (list, create, edit, rotate the secret, disable,
send a test event), an endpoint's delivery log and a delivery with its attempts (redeliver).
Office admins manage; office staff read. The secret is shown once, in the answer to the create
or rotate request, and never again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from accounts.choices import Role
from integrity.http import form_errors
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants

from . import selectors, services, signing
from .filters import DeliveryFilter
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint


class PostOnlyMixin:
    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])


def _endpoint(request, pk, *, write=False):
    manager = WebhookEndpoint.objects
    scoped = manager.writable_by(request.user) if write else manager.for_user(request.user)
    return get_scoped_object_or_404(scoped.select_related("tenant", "created_by"), pk=pk)


def _delivery(request, pk, *, write=False):
    manager = WebhookDelivery.objects
    scoped = manager.writable_by(request.user) if write else manager.for_user(request.user)
    return get_scoped_object_or_404(
        scoped.select_related("endpoint", "tenant", "event_tenant"), pk=pk
    )


def _can_manage(user, endpoint) -> bool:
    return (
        has_perm(user, "webhook.manage")
        and WebhookEndpoint.objects.writable_by(user).filter(pk=endpoint.pk).exists()
    )


def _secret_page(request, endpoint, secret, *, created):
    response = render(
        request,
        "webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "created": created},
    )
    add_never_cache_headers(response)
    return response


class EndpointListView(PermissionRequiredMixin, ListView):
    permission = "webhook.view"
    template_name = "webhooks/endpoint_list.html"
    paginate_by = 50

    def get_queryset(self):
        return selectors.endpoints_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["multi_tenant"] = reads_several_tenants(user)
        context["can_create"] = has_perm(user, "webhook.manage") and (
            user.role == Role.PLATFORM_ADMIN or user.tenant_id is not None
        )
        return context


class EndpointCreateView(PermissionRequiredMixin, View):
    permission = "webhook.manage"
    template_name = "webhooks/endpoint_form.html"

    def get(self, request):
        form = EndpointForm(user=request.user)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        user = request.user
        form = EndpointForm(request.POST, user=user)
        if form.is_valid():
            tenant = form.cleaned_data.get("tenant") or user.tenant
            if tenant is None:
                form.add_error(None, _("Choose the jurisdiction of the endpoint."))
            else:
                try:
                    endpoint, secret = services.endpoint_create(
                        tenant=tenant, data=form.service_data(), actor=user
                    )
                except ValidationError as exc:
                    form_errors(form, exc)
                else:
                    return _secret_page(request, endpoint, secret, created=True)
        return render(request, self.template_name, {"form": form})


class EndpointEditView(PermissionRequiredMixin, View):
    permission = "webhook.manage"
    template_name = "webhooks/endpoint_form.html"

    def get(self, request, pk):
        endpoint = _endpoint(request, pk, write=True)
        form = EndpointForm(user=request.user, endpoint=endpoint)
        return render(request, self.template_name, {"form": form, "object": endpoint})

    def post(self, request, pk):
        endpoint = _endpoint(request, pk, write=True)
        form = EndpointForm(request.POST, user=request.user, endpoint=endpoint)
        if form.is_valid():
            try:
                services.endpoint_update(
                    endpoint=endpoint, data=form.service_data(), actor=request.user
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The endpoint is saved."))
                return redirect("webhooks:endpoint-detail", pk=endpoint.pk)
        return render(request, self.template_name, {"form": form, "object": endpoint})


class EndpointDetailView(PermissionRequiredMixin, ListView):
    """The endpoint and its delivery log, newest first, filtered by status and event."""

    permission = "webhook.view"
    template_name = "webhooks/endpoint_detail.html"
    paginate_by = 50

    def get_queryset(self):
        self.endpoint = _endpoint(self.request, self.kwargs["pk"])
        self.filter = DeliveryFilter(
            self.request.GET or None,
            queryset=selectors.deliveries_of(self.request.user, self.endpoint),
        )
        return self.filter.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            endpoint=self.endpoint,
            filter=self.filter,
            can_manage=_can_manage(user, self.endpoint),
            multi_tenant=reads_several_tenants(user),
        )
        return context


class EndpointRotateView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "webhook.manage"

    def post(self, request, pk):
        endpoint = _endpoint(request, pk, write=True)
        secret = services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        return _secret_page(request, endpoint, secret, created=False)


class EndpointActiveView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "webhook.manage"
    active = False

    def post(self, request, pk):
        endpoint = _endpoint(request, pk, write=True)
        services.endpoint_set_active(endpoint=endpoint, active=self.active, actor=request.user)
        messages.success(
            request,
            _("The endpoint is enabled.") if self.active else _("The endpoint is disabled."),
        )
        return redirect("webhooks:endpoint-detail", pk=endpoint.pk)


class EndpointTestView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "webhook.manage"

    def post(self, request, pk):
        endpoint = _endpoint(request, pk, write=True)
        try:
            delivery = services.endpoint_send_test(endpoint=endpoint, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("webhooks:endpoint-detail", pk=endpoint.pk)
        messages.success(request, _("A test event is on its way."))
        return redirect("webhooks:delivery-detail", pk=delivery.pk)


class DeliveryDetailView(PermissionRequiredMixin, View):
    permission = "webhook.view"

    def get(self, request, pk):
        delivery = _delivery(request, pk)
        context = {
            "delivery": delivery,
            "endpoint": delivery.endpoint,
            "attempts": delivery.attempt_log.order_by("-number"),
            "body": signing.body(delivery).decode("utf-8"),
            "can_manage": _can_manage(request.user, delivery.endpoint),
        }
        return render(request, "webhooks/delivery_detail.html", context)


class DeliveryRedeliverView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "webhook.manage"

    def post(self, request, pk):
        delivery = _delivery(request, pk, write=True)
        try:
            services.delivery_redeliver(delivery=delivery, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The event is sent again."))
        return redirect("webhooks:delivery-detail", pk=delivery.pk)
