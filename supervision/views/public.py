"""The public side of complaints (投诉举报): anyone files a complaint about a county's agency
without an account, and tracks it with the receipt code.

The receipt code appears only in the response to the POST that filed the complaint (never in a
URL); tracking takes it in a POST body. A wrong code and a malformed one give the same page. The
tracking page never shows the complainant's contact, the agency's reply or the office's findings:
only the status, its dates and, once closed, the office's reply to the complainant.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect

from domains.views.public import (
    CountyMixin,
    _private,
    over_limit,
    throttle_key,
    throttle_window,
    too_many,
)
from integrity.http import form_errors
from integrity.net import client_ip

from .. import selectors, services
from ..choices import ComplaintStatus
from ..forms.public import ComplaintForm, ComplaintTrackForm

# Complaints have their own counter (setting PUBLIC_COMPLAINT_LIMIT, 10 per window by default)
# so that objections and complaints from one office network do not starve each other.
COMPLAINT_SCOPE = "complaint"
COMPLAINT_LIMIT = 10


def complaint_over_limit(request) -> bool:
    """Count this filing against the client address; True once the window's limit is passed."""
    limit = int(getattr(settings, "PUBLIC_COMPLAINT_LIMIT", COMPLAINT_LIMIT))
    window = throttle_window()
    key = throttle_key(COMPLAINT_SCOPE, client_ip(request))
    cache.add(key, 0, timeout=window)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        hits = 1
    return hits > limit


def public_status(complaint) -> dict:
    """What the complainant reads: only these values reach the template (never the contact,
    the agency's reply or the office's internal findings)."""
    closed = complaint.status == ComplaintStatus.CLOSED
    return {
        "receipt_code": complaint.receipt_code,
        "title": complaint.title,
        "agency": complaint.agency.name,
        "received_on": complaint.received_on,
        "status": complaint.status,
        "status_label": complaint.get_status_display(),
        "assigned_at": complaint.assigned_at,
        "verified_at": complaint.verified_at if closed else None,
        "verification": complaint.get_verification_display() if closed else "",
        "closed": closed,
        "closed_at": complaint.closed_at if closed else None,
        "reply": complaint.public_reply if closed else "",
    }


@method_decorator(csrf_protect, name="dispatch")
class ComplaintCreateView(CountyMixin, View):
    template_name = "public/complaints/complaint_form.html"

    def render_form(self, form, status=200):
        return render(
            self.request, self.template_name, {"tenant": self.tenant, "form": form}, status=status
        )

    def get(self, request, division_code):
        return self.render_form(ComplaintForm(tenant=self.tenant))

    def post(self, request, division_code):
        if complaint_over_limit(request):
            return too_many(request, self.tenant)
        form = ComplaintForm(request.POST, request.FILES, tenant=self.tenant)
        if form.is_valid():
            try:
                complaint = services.complaint_submit(
                    tenant=self.tenant,
                    data=form.complaint_data(),
                    files=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return _private(
                    render(
                        request,
                        "public/complaints/complaint_submitted.html",
                        {"tenant": self.tenant, "complaint": complaint},
                    )
                )
        return self.render_form(form, status=400)


@method_decorator(csrf_protect, name="dispatch")
class ComplaintTrackView(CountyMixin, View):
    template_name = "public/complaints/track.html"

    def get(self, request, division_code):
        return render(
            request, self.template_name, {"tenant": self.tenant, "form": ComplaintTrackForm()}
        )

    def post(self, request, division_code):
        if over_limit(request, "lookup"):
            return too_many(request, self.tenant)
        form = ComplaintTrackForm(request.POST)
        found = None
        if form.is_valid():
            found = selectors.complaint_by_receipt(form.cleaned_data["receipt_code"])
            if found is not None and found.tenant_id != self.tenant.pk:
                found = None
        if found is None:
            return _private(
                render(
                    request,
                    self.template_name,
                    {"tenant": self.tenant, "form": ComplaintTrackForm(), "not_found": True},
                )
            )
        return _private(
            render(
                request,
                "public/complaints/track_result.html",
                {
                    "tenant": self.tenant,
                    "status": public_status(found),
                    "form": ComplaintTrackForm(),
                },
            )
        )


urlpatterns = [
    path(
        "<str:division_code>/complaints/new/",
        ComplaintCreateView.as_view(),
        name="complaint-create",
    ),
    path(
        "<str:division_code>/complaints/track/",
        ComplaintTrackView.as_view(),
        name="complaint-track",
    ),
]
