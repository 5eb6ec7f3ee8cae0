"""The ledger's Excel round trip, agency side (ledger.import): the template generated for a
campaign, the upload that becomes an import job, the job's page with its progress bar (polled
with htmx), its preview or its errors, and the commit.

The jobs themselves are in `rectification.importing` (checked and written by Celery tasks)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from integrity.http import form_errors, xlsx_response
from integrity.permissions import PermissionRequiredMixin
from integrity.tenancy import get_scoped_object_or_404

from .. import importing
from ..choices import ImportStatus
from ..excel import LedgerSchema, ledger_template
from ..forms.imports import ImportUploadForm
from ..models import ImportJob
from .ledger import running_campaigns

RUNNING = (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.COMMITTING)
RECENT_JOBS = 10


def _campaign(request):
    if not request.user.agency_id:
        raise PermissionDenied(_("Only an agency imports its ledger."))
    return get_scoped_object_or_404(running_campaigns(request.user), pk=request.GET.get("campaign"))


class ImportTemplateView(PermissionRequiredMixin, View):
    """The empty ledger of the campaign (?campaign=<pk>) with its domains' extra fields."""

    permission = "ledger.import"

    def get(self, request):
        campaign = _campaign(request)
        return xlsx_response(ledger_template(campaign), f"ledger-template-{campaign.pk}")


class ImportUploadView(PermissionRequiredMixin, View):
    permission = "ledger.import"
    template_name = "rectification/imports/import_upload.html"

    def context(self, campaign, form):
        jobs = ImportJob.objects.for_user(self.request.user).filter(campaign=campaign)
        return {
            "campaign": campaign,
            "form": form,
            "jobs": jobs.select_related("created_by")[:RECENT_JOBS],
            "extra_headers": [
                column.header
                for column in LedgerSchema.for_campaign(campaign).columns
                if column.domain_field is not None
            ],
        }

    def get(self, request):
        campaign = _campaign(request)
        return render(request, self.template_name, self.context(campaign, ImportUploadForm()))

    def post(self, request):
        campaign = _campaign(request)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = importing.job_start(
                    campaign=campaign,
                    agency=request.user.agency,
                    uploaded=form.cleaned_data["file"],
                    actor=request.user,
                    language=translation.get_language(),
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return redirect("rectification:import-detail", pk=job.pk)
        return render(request, self.template_name, self.context(campaign, form), status=400)


def _job(request, pk, *, write=False):
    manager = ImportJob.objects
    scoped = manager.writable_by(request.user) if write else manager.for_user(request.user)
    return get_scoped_object_or_404(
        scoped.select_related("campaign", "agency", "created_by"), pk=pk
    )


def job_context(job: ImportJob) -> dict:
    running = job.status in RUNNING
    state = importing.progress(job) if running else {"done": job.total_rows, "total": None}
    total = state.get("total")
    percent = None
    if total:
        percent = min(100, int(state["done"] * 100 / total))
    headers = _preview_headers(job) if job.preview else []
    if job.preview and len(headers) != len(job.preview[0]["cells"]):
        headers = []  # the campaign's domain fields changed since the check
    return {
        "job": job,
        "running": running,
        "done": state.get("done", 0),
        "total": total,
        "percent": percent,
        "preview_headers": headers,
        "unchanged_rows": max(job.total_rows - job.new_rows - job.updated_rows, 0),
        "more_errors": max(job.error_count - len(job.errors), 0),
    }


def _preview_headers(job: ImportJob) -> list[str]:
    schema = LedgerSchema.for_campaign(job.campaign)
    return [c.header for c in schema.columns if not c.computed]


class ImportDetailView(PermissionRequiredMixin, View):
    permission = "ledger.import"

    def get(self, request, pk):
        job = _job(request, pk)
        return render(request, "rectification/imports/import_detail.html", job_context(job))


class ImportProgressView(PermissionRequiredMixin, View):
    """The part of the job page that htmx polls every second while the job runs."""

    permission = "ledger.import"

    def get(self, request, pk):
        job = _job(request, pk)
        return render(request, "rectification/imports/_job_state.html", job_context(job))


class ImportCommitView(PermissionRequiredMixin, View):
    permission = "ledger.import"

    def post(self, request, pk):
        job = _job(request, pk, write=True)
        try:
            importing.job_request_commit(
                job=job, actor=request.user, language=translation.get_language()
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("rectification:import-detail", pk=pk)


urlpatterns = [
    path("ledger/import/", ImportUploadView.as_view(), name="import-upload"),
    path("ledger/import/template/", ImportTemplateView.as_view(), name="import-template"),
    path("ledger/import/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path(
        "ledger/import/<int:pk>/progress/",
        ImportProgressView.as_view(),
        name="import-progress",
    ),
    path("ledger/import/<int:pk>/commit/", ImportCommitView.as_view(), name="import-commit"),
]
