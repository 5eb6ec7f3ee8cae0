"""Score runs, the office's side: start a run of a scheme (a Celery job), watch it, read the
ranking tables with the change against the previous period and each agency's breakdown, rerun
after manual entries changed, publish with a ranking notice (office admin), withdraw a
publication with a public reason, export the ranking notice as Excel or print it. And the
agencies' side: their own published scores and breakdowns (never an unpublished run's), where
they raise objections (scoring/views/objections.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from integrity.http import log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import CategoryKind, PublicationStatus, RunStatus
from ..forms.runs import PublishForm, WithdrawForm
from ..models import AgencyScore, Publication, Scheme, ScoreRun
from . import objections
from .schemes import PostOnlyMixin

RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)


def _run(request, pk, *, write=False):
    manager = ScoreRun.objects
    scoped = manager.writable_by(request.user) if write else manager.for_user(request.user)
    return get_scoped_object_or_404(
        scoped.select_related("scheme", "tenant", "started_by", "publication"), pk=pk
    )


def _publication(run):
    return getattr(run, "publication", None)


class RunListView(PermissionRequiredMixin, ListView):
    permission = "run.view"
    template_name = "scoring/run_list.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            ScoreRun.objects.for_user(self.request.user)
            .select_related("scheme", "tenant", "started_by", "publication")
            .order_by("-created_at", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["multi_tenant"] = reads_several_tenants(self.request.user)
        return context


class RunStartView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "run.start"

    def post(self, request, pk):
        scheme = get_scoped_object_or_404(Scheme.objects.writable_by(request.user), pk=pk)
        try:
            run = services.run_start(scheme=scheme, actor=request.user)
        except ValidationError as exc:
            messages.error(
                request,
                _("The run cannot start: %(problems)s") % {"problems": " ".join(exc.messages)},
            )
            return redirect("scoring:scheme-detail", pk=scheme.pk)
        messages.success(request, _("The run has started."))
        return redirect("scoring:run-detail", pk=run.pk)


def run_state_context(run: ScoreRun) -> dict:
    running = run.status in RUNNING
    elapsed = None
    if running and not run.computed_count:
        elapsed = max(int((timezone.now() - run.created_at).total_seconds()), 0)
    return {"run": run, "running": running, "elapsed": elapsed}


class RunDetailView(PermissionRequiredMixin, View):
    permission = "run.view"

    def get(self, request, pk):
        user = request.user
        run = _run(request, pk)
        publication = _publication(run)
        writable = ScoreRun.objects.writable_by(user).filter(pk=run.pk).exists()
        context = {
            "object": run,
            "scheme": run.scheme,
            "publication": publication,
            **run_state_context(run),
            "multi_tenant": reads_several_tenants(user),
        }
        finished = run.status == RunStatus.SUCCEEDED
        if finished:
            context["ranking"] = selectors.run_ranking(run)
        context["can_rerun"] = (
            writable
            and has_perm(user, "run.review")
            and publication is None
            and run.status not in RUNNING
        )
        context["can_publish"] = (
            writable and has_perm(user, "run.publish") and finished and publication is None
        )
        context["can_withdraw"] = (
            writable
            and has_perm(user, "run.publish")
            and publication is not None
            and publication.status == PublicationStatus.PUBLISHED
        )
        if context["can_publish"]:
            context["publish_form"] = PublishForm()
        if context["can_withdraw"]:
            context["withdraw_form"] = WithdrawForm()
        return render(request, "scoring/run_detail.html", context)


class RunStatusView(PermissionRequiredMixin, View):
    """The part of the run page that htmx polls every second while the run is computed; once
    it is done, htmx reloads the whole page (HX-Refresh) to show the rankings."""

    permission = "run.view"

    def get(self, request, pk):
        run = _run(request, pk)
        context = run_state_context(run)
        response = render(request, "scoring/_run_state.html", context)
        if not context["running"] and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class RunAgencyView(PermissionRequiredMixin, View):
    """An agency's breakdown in a run (pk is the agency's score in the run)."""

    permission = "run.view"

    def get(self, request, pk):
        score = get_scoped_object_or_404(
            AgencyScore.objects.for_user(request.user).select_related(
                "agency", "run__scheme", "run__tenant", "run__publication"
            ),
            pk=pk,
        )
        run = score.run
        context = {
            "score": score,
            "run": run,
            "scheme": run.scheme,
            "agency": score.agency,
            "categories": selectors.agency_breakdown(request.user, run, score.agency_id),
            "publication": _publication(run),
        }
        return render(request, "scoring/run_agency.html", context)


class RunRerunView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "run.review"

    def post(self, request, pk):
        run = _run(request, pk, write=True)
        try:
            services.run_rerun(run=run, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The run is computed again."))
        return redirect("scoring:run-detail", pk=run.pk)


class RunPublishView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "run.publish"

    def post(self, request, pk):
        run = _run(request, pk, write=True)
        form = PublishForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect("scoring:run-detail", pk=run.pk)
        try:
            services.run_publish(run=run, notice=form.cleaned_data["notice"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Published on the public credit page."))
        return redirect("scoring:run-detail", pk=run.pk)


class PublicationWithdrawView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "run.publish"

    def post(self, request, pk):
        publication = get_scoped_object_or_404(Publication.objects.writable_by(request.user), pk=pk)
        form = WithdrawForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.publication_withdraw(
                publication=publication, reason=reason, actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The publication is withdrawn."))
        return redirect("scoring:run-detail", pk=publication.run_id)


def ranking_sheets(run: ScoreRun, ranking: dict) -> list:
    """The ranking notice as sheets, one per ranking group."""
    categories = ranking["categories"]
    headers = [
        _("Rank"),
        _("Agency"),
        _("Total"),
        _("Grade"),
        *[
            f"{c.name} ({'−' if c.category_kind == CategoryKind.DEDUCTION else ''}{c.max_points})"
            for c in categories
        ],
        _("Previous total"),
        _("Change"),
        _("Previous rank"),
        _("Places moved up"),
    ]
    sheets = []
    for group in ranking["groups"]:
        rows = [
            [
                row["rank"],
                row["agency"].name,
                row["total"],
                row["grade"],
                *row["subtotals"],
                row["previous_total"],
                row["delta"],
                row["previous_rank"],
                row["rank_delta"],
            ]
            for row in group["rows"]
        ]
        sheets.append((str(group["label"]), headers, rows))
    return sheets


def _finished(request, pk):
    run = _run(request, pk)
    if run.status != RunStatus.SUCCEEDED:
        raise Http404
    return run


class RunExportView(PermissionRequiredMixin, View):
    permission = "run.view"

    def get(self, request, pk):
        run = _finished(request, pk)
        ranking = selectors.run_ranking(run)
        sheets = ranking_sheets(run, ranking)
        log_export(request, what=f"ranking:{run.pk}", rows=sum(len(s[2]) for s in sheets))
        return xlsx_response(write_workbook(sheets), f"ranking-{run.pk}")


class RunPrintView(PermissionRequiredMixin, View):
    permission = "run.view"

    def get(self, request, pk):
        run = _finished(request, pk)
        context = {
            "run": run,
            "scheme": run.scheme,
            "publication": _publication(run),
            "ranking": selectors.run_ranking(run),
            "period": services.period_label(
                run.scheme.period_kind, run.scheme.year, run.scheme.period_number
            ),
            "printed_on": timezone.localdate(),
        }
        return render(request, "scoring/run_print.html", context)


# The agencies' own scores ---------------------------------------------------------------------


class MyScoresView(PermissionRequiredMixin, View):
    permission = "score.view_own"

    def get(self, request):
        publications = selectors.published_for_agency(request.user).order_by(
            "-period_end", "-published_at"
        )
        rows = selectors.own_rows(publications, request.user.agency_id)
        return render(request, "scoring/my_scores.html", {"rows": rows})


class MyScoreDetailView(PermissionRequiredMixin, View):
    """An agency's own breakdown in a published run (pk is the publication), with its
    objections to the score and the form to raise one."""

    permission = "score.view_own"

    def _publication(self, request, pk):
        publication = get_scoped_object_or_404(
            selectors.published_for_agency(request.user).select_related("run__scheme"), pk=pk
        )
        mine = selectors.own_rows([publication], request.user.agency_id)[0][1]
        if mine is None:
            raise Http404
        return publication, mine

    def _render(self, request, publication, mine, form=None, status=200):
        context = {
            "publication": publication,
            "scheme": publication.run.scheme,
            "mine": mine,
            "categories": selectors.agency_breakdown(
                request.user, publication.run, request.user.agency_id
            ),
            **objections.objection_context(request.user, publication, form),
        }
        return render(request, "scoring/my_score_detail.html", context, status=status)

    def get(self, request, pk):
        return self._render(request, *self._publication(request, pk))

    def post(self, request, pk):
        """Raise an objection to the score (the whole score or one item)."""
        publication, mine = self._publication(request, pk)
        form = objections.objection_raise(request, publication)
        if form is None:
            return redirect("scoring:my-score-detail", pk=publication.pk)
        return self._render(request, publication, mine, form, status=400)


urlpatterns = [
    path("scoring/runs/", RunListView.as_view(), name="run-list"),
    path("scoring/schemes/<int:pk>/run/", RunStartView.as_view(), name="run-start"),
    path("scoring/runs/<int:pk>/", RunDetailView.as_view(), name="run-detail"),
    path("scoring/runs/<int:pk>/status/", RunStatusView.as_view(), name="run-status"),
    path("scoring/runs/<int:pk>/rerun/", RunRerunView.as_view(), name="run-rerun"),
    path("scoring/runs/<int:pk>/publish/", RunPublishView.as_view(), name="run-publish"),
    path("scoring/runs/<int:pk>/export/", RunExportView.as_view(), name="run-export"),
    path("scoring/runs/<int:pk>/print/", RunPrintView.as_view(), name="run-print"),
    path("scoring/scores/<int:pk>/", RunAgencyView.as_view(), name="run-agency"),
    path(
        "scoring/publications/<int:pk>/withdraw/",
        PublicationWithdrawView.as_view(),
        name="publication-withdraw",
    ),
    path("scoring/my/", MyScoresView.as_view(), name="my-scores"),
    path("scoring/my/<int:pk>/", MyScoreDetailView.as_view(), name="my-score-detail"),
]
