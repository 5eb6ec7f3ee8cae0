"""The public side (no account): a county's public failure-of-trust records and case notices,
objections and credit-repair applications, and tracking a request by its receipt code.

Everything shown goes through the public selectors (`public_records`, `public_view`,
`published_notices`, `public_notice_text`), so natural persons are masked and nothing unpublished
is reachable. The forms and the tracking lookups are throttled per client address.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.generic import ListView

from accounts.choices import TenantLevel
from accounts.models import Tenant
from integrity import rls
from integrity.net import client_ip

from .. import selectors, services
from ..choices import RequestKind
from ..forms.public import (
    ObjectionForm,
    PublicNoticeFilter,
    PublicRecordFilter,
    RepairForm,
    TrackForm,
)

# Throttling ------------------------------------------------------------------------------
# Settings (optional): PUBLIC_SUBMIT_LIMIT, PUBLIC_LOOKUP_LIMIT, PUBLIC_THROTTLE_WINDOW (s).

THROTTLE_DEFAULTS = {"submit": 10, "lookup": 30}
THROTTLE_WINDOW = 600


def throttle_window() -> int:
    return int(getattr(settings, "PUBLIC_THROTTLE_WINDOW", THROTTLE_WINDOW))


def throttle_key(scope: str, address: str | None) -> str:
    return f"public-throttle:{scope}:{address or 'unknown'}"


def over_limit(request, scope: str) -> bool:
    """Count this attempt against the client address; True once the window's limit is passed.
    A fixed window per address: the first attempt starts it, it expires by itself."""
    limit = int(getattr(settings, f"PUBLIC_{scope.upper()}_LIMIT", THROTTLE_DEFAULTS[scope]))
    window = throttle_window()
    key = throttle_key(scope, client_ip(request))
    cache.add(key, 0, timeout=window)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        hits = 1
    return hits > limit


def too_many(request, tenant):
    response = render(
        request,
        "public/too_many.html",
        {"tenant": tenant, "minutes": max(1, throttle_window() // 60)},
        status=429,
    )
    response["Retry-After"] = str(throttle_window())
    return response


def _private(response):
    """Pages showing a receipt code or a request's state are never cached."""
    add_never_cache_headers(response)
    return response


# Base ------------------------------------------------------------------------------------


def public_counties():
    return Tenant.objects.filter(level=TenantLevel.COUNTY, is_active=True)


class CountyMixin:
    """Resolves the county from the division code in the URL (404 for anything else), then the
    public object the URL addresses, before the method is looked at: whatever the method, an
    unpublished object is a 404."""

    def dispatch(self, request, *args, **kwargs):
        # The tenant registry has no row policy: the county is found without a scope, and then
        # is this public request's row-level security scope (integrity.rls), with no second
        # lookup.
        with rls.nothing():
            self.tenant = get_object_or_404(
                public_counties(), division_code=kwargs["division_code"]
            )
        request.public_tenant_id = self.tenant.pk
        self.resolve(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def resolve(self, **kwargs) -> None:
        """Look up the object of the URL (404 unless public)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tenant"] = self.tenant
        return context


def index(request):
    counties = (
        public_counties()
        .select_related("parent")
        .order_by("parent__division_code", "division_code")
    )
    return render(request, "public/index.html", {"counties": counties})


# Records ---------------------------------------------------------------------------------


class RecordListView(CountyMixin, ListView):
    template_name = "public/record_list.html"
    paginate_by = 20

    def get_queryset(self):
        self.filterset = PublicRecordFilter(
            self.request.GET or None,
            queryset=selectors.public_records(tenant=self.tenant),
            tenant=self.tenant,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        # Only the masked public view of each record reaches the template.
        rows = [selectors.public_view(record) for record in context["object_list"]]
        context["rows"] = context["object_list"] = context["page_obj"].object_list = rows
        return context


def _public_record(tenant, public_id):
    return get_object_or_404(selectors.public_records(tenant=tenant), public_id=public_id)


class RecordDetailView(CountyMixin, View):
    def resolve(self, *, public_id, **kwargs) -> None:
        self.record = _public_record(self.tenant, public_id)

    def get(self, request, division_code, public_id):
        record = selectors.public_view(self.record)
        return render(
            request,
            "public/record_detail.html",
            {
                "tenant": self.tenant,
                "record": record,
                "repair_open": _repair_open(record),
            },
        )


def _repair_open(record) -> bool:
    return record.repair_from is None or timezone.localdate() >= record.repair_from


@method_decorator(csrf_protect, name="dispatch")
class RequestCreateView(CountyMixin, View):
    """Objection or repair application against one public record; the receipt code is shown on
    the response page itself (never in a URL, so it cannot leak through Referer or logs)."""

    kind = RequestKind.OBJECTION
    form_class = ObjectionForm
    template_name = "public/request_form.html"

    def _context(self, record, form, **extra):
        view = selectors.public_view(record)
        return {
            "tenant": self.tenant,
            "record": view,
            "form": form,
            "kind": self.kind,
            "is_repair": self.kind == RequestKind.REPAIR,
            "repair_open": _repair_open(view),
            **extra,
        }

    def resolve(self, *, public_id, **kwargs) -> None:
        self.record = _public_record(self.tenant, public_id)

    def get(self, request, division_code, public_id):
        return render(request, self.template_name, self._context(self.record, self.form_class()))

    def post(self, request, division_code, public_id):
        record = self.record
        if over_limit(request, "submit"):
            return too_many(request, self.tenant)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                credit_request = services.request_submit(
                    record=record, kind=self.kind, data=form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return _private(
                    render(
                        request,
                        "public/request_submitted.html",
                        {
                            "tenant": self.tenant,
                            "record": selectors.public_view(record),
                            "request_obj": credit_request,
                        },
                    )
                )
        return render(request, self.template_name, self._context(record, form), status=400)


class RepairCreateView(RequestCreateView):
    kind = RequestKind.REPAIR
    form_class = RepairForm


# Tracking --------------------------------------------------------------------------------


@method_decorator(csrf_protect, name="dispatch")
class TrackView(CountyMixin, View):
    """The code travels in a POST body only. A wrong code and a malformed one give the same
    page; the result never shows the applicant's name or contact."""

    template_name = "public/track.html"

    def get(self, request, division_code):
        return render(request, self.template_name, {"tenant": self.tenant, "form": TrackForm()})

    def post(self, request, division_code):
        if over_limit(request, "lookup"):
            return too_many(request, self.tenant)
        form = TrackForm(request.POST)
        found = None
        if form.is_valid():
            found = selectors.request_by_receipt(form.cleaned_data["receipt_code"])
            if found is not None and found.tenant_id != self.tenant.pk:
                found = None
        if found is None:
            return _private(
                render(
                    request,
                    self.template_name,
                    {
                        "tenant": self.tenant,
                        "form": TrackForm(),
                        "not_found": True,
                    },
                )
            )
        record = found.record
        names = [record.subject_name] if record.is_natural_person else []
        return _private(
            render(
                request,
                "public/track_result.html",
                {
                    "tenant": self.tenant,
                    "request_obj": found,
                    "subject": selectors.public_view(record).subject_name,
                    "decision_number": record.decision_number,
                    "decision_reason": selectors.mask_text(found.decision_reason, names),
                    "form": TrackForm(),
                },
            )
        )


# Case notices ----------------------------------------------------------------------------


class NoticeListView(CountyMixin, ListView):
    template_name = "public/notice_list.html"
    paginate_by = 20

    def get_queryset(self):
        self.filterset = PublicNoticeFilter(
            self.request.GET or None,
            queryset=selectors.published_notices(tenant=self.tenant).order_by(
                "-published_at", "-id"
            ),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        for notice in context["object_list"]:
            notice.public_title = selectors.public_notice_title(notice)
        return context


class NoticeDetailView(CountyMixin, View):
    def resolve(self, *, public_id, **kwargs) -> None:
        self.notice = get_object_or_404(
            selectors.published_notices(tenant=self.tenant), public_id=public_id
        )

    def get(self, request, division_code, public_id):
        notice = self.notice
        cited = selectors.public_records(tenant=self.tenant).filter(notices=notice)
        return render(
            request,
            "public/notice_detail.html",
            {
                "tenant": self.tenant,
                "notice": notice,
                "title": selectors.public_notice_title(notice),
                "text": selectors.public_notice_text(notice),
                "records": [selectors.public_view(record) for record in cited],
            },
        )


urlpatterns = [
    path("", index, name="index"),
    path("<str:division_code>/records/", RecordListView.as_view(), name="record-list"),
    path(
        "<str:division_code>/records/<uuid:public_id>/",
        RecordDetailView.as_view(),
        name="record-detail",
    ),
    path(
        "<str:division_code>/records/<uuid:public_id>/objection/",
        RequestCreateView.as_view(),
        name="objection-create",
    ),
    path(
        "<str:division_code>/records/<uuid:public_id>/repair/",
        RepairCreateView.as_view(),
        name="repair-create",
    ),
    path("<str:division_code>/track/", TrackView.as_view(), name="request-track"),
    path("<str:division_code>/notices/", NoticeListView.as_view(), name="notice-list"),
    path(
        "<str:division_code>/notices/<uuid:public_id>/",
        NoticeDetailView.as_view(),
        name="notice-detail",
    ),
]
