"""Third-party evaluation (第三方评价): the office assigns an evaluator agencies to score over a
period; the evaluator sees only its own assignments and scores each agency (0-100, comments, an
optional report), again after a rejection; the office accepts or rejects each score with a
reason. An accepted score is final and counts in the per-agency summary."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.choices import Role
from domains.views.config import FilteredListView, ServiceFormView, section_tabs
from domains.views.records import attachment_response
from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import services
from ..choices import EvaluationStatus
from ..forms.evaluation import AssignmentFilter, AssignmentForm, DecideForm, ScoreForm
from ..models import AssignedAgency, EvaluationAssignment, EvaluationReport, EvaluationScore

EVALUATION_PAGES = [
    (gettext_lazy("Third-party evaluation"), "supervision:assignment-list", "evaluation.view"),
]

STATUS_TONES = {
    EvaluationStatus.SUBMITTED: "primary",
    EvaluationStatus.ACCEPTED: "success",
    EvaluationStatus.REJECTED: "danger",
}


def assignments_for(user, *, write: bool = False):
    manager = EvaluationAssignment.objects
    queryset = manager.writable_by(user) if write else manager.for_user(user)
    return queryset.select_related("tenant", "evaluator")


def _with_counts(queryset):
    return queryset.annotate(
        n_agencies=Count("agencies", distinct=True),
        n_scored=Count("scores", distinct=True),
        n_accepted=Count(
            "scores", filter=Q(scores__status=EvaluationStatus.ACCEPTED), distinct=True
        ),
        n_rejected=Count(
            "scores", filter=Q(scores__status=EvaluationStatus.REJECTED), distinct=True
        ),
    ).order_by("-period_end", "-id")


# List and export --------------------------------------------------------------------------


class AssignmentListView(FilteredListView):
    """The office's assignments; an evaluator sees only those given to it (scoping does it)."""

    permission = "evaluation.view"
    manage_permission = "evaluation.assign"
    model = EvaluationAssignment
    filterset_class = AssignmentFilter
    template_name = "supervision/evaluation/assignment_list.html"
    section = EVALUATION_PAGES
    section_page = "supervision:assignment-list"

    def base_queryset(self):
        return _with_counts(assignments_for(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for assignment in context["object_list"]:
            assignment.n_to_do = assignment.n_agencies - assignment.n_scored + assignment.n_rejected
        context["is_evaluator"] = self.request.user.role == Role.EVALUATOR
        return context


def score_columns(multi_tenant: bool) -> list[str]:
    columns = [
        _("Assignment"),
        _("Evaluator"),
        _("Period from"),
        _("Period to"),
        _("Agency"),
        _("Score"),
        _("Status"),
        _("Comments"),
        _("Reason for rejection"),
    ]
    return [_("Jurisdiction"), *columns] if multi_tenant else columns


class AssignmentExportView(AssignmentListView):
    """One row per assigned agency of the filtered assignments, with its score."""

    def get(self, request, *args, **kwargs):
        multi = reads_several_tenants(request.user)
        assignments = list(self.get_queryset())
        links = AssignedAgency.objects.filter(assignment__in=[a.pk for a in assignments])
        agencies_by_assignment: dict[int, list] = {}
        for link in links.select_related("agency").order_by(
            "agency__ranking_group", "agency__name"
        ):
            agencies_by_assignment.setdefault(link.assignment_id, []).append(link.agency)
        scores = {
            (score.assignment_id, score.agency_id): score
            for score in EvaluationScore.objects.filter(assignment__in=[a.pk for a in assignments])
        }
        rows = []
        for assignment in assignments:
            for agency in agencies_by_assignment.get(assignment.pk, []):
                score = scores.get((assignment.pk, agency.pk))
                row = [
                    assignment.title,
                    str(assignment.evaluator),
                    assignment.period_start,
                    assignment.period_end,
                    agency.name,
                    score.score if score else None,
                    score.get_status_display() if score else _("Not scored yet"),
                    score.comments if score else "",
                    score.rejection_reason if score else "",
                ]
                rows.append([assignment.tenant.name, *row] if multi else row)
        log_export(request, what="evaluation_scores", rows=len(rows))
        content = write_workbook([(_("Third-party evaluation"), score_columns(multi), rows)])
        return xlsx_response(content, "evaluation-scores")


# Create and edit (the office) -------------------------------------------------------------


class AssignmentFormView(ServiceFormView):
    permission = "evaluation.assign"
    model = EvaluationAssignment
    form_class = AssignmentForm
    template_name = "supervision/evaluation/assignment_form.html"
    section = EVALUATION_PAGES
    success_url_name = "supervision:assignment-list"

    @property
    def title_new(self):
        return _("New evaluation assignment")

    @property
    def title_edit(self):
        return _("Edit evaluation assignment")

    def form_kwargs(self, tenant) -> dict:
        return {"tenant": tenant}

    def save(self, form, obj, tenant):
        if obj is None:
            return services.assignment_save(
                tenant=tenant, data=form.cleaned_data, actor=self.request.user
            )
        return services.assignment_update(
            assignment=obj, data=form.cleaned_data, actor=self.request.user
        )

    def success_url(self, saved) -> str:
        return reverse("supervision:assignment-detail", args=[saved.pk])


# The assignment page: scores, the evaluator's and the office's actions ----------------------


class AssignmentDetailView(PermissionRequiredMixin, View):
    permission = "evaluation.view"
    template_name = "supervision/evaluation/assignment_detail.html"

    def get(self, request, pk):
        assignment = get_scoped_object_or_404(assignments_for(request.user), pk=pk)
        user = request.user
        links = (
            AssignedAgency.objects.filter(assignment=assignment)
            .select_related("agency")
            .order_by("agency__ranking_group", "agency__name")
        )
        scores = {
            score.agency_id: score
            for score in EvaluationScore.objects.filter(assignment=assignment)
            .select_related("decided_by")
            .prefetch_related(Prefetch("reports", queryset=EvaluationReport.objects.all()))
        }
        is_evaluator = user.pk == assignment.evaluator_id
        can_decide = (
            has_perm(user, "evaluation.decide")
            and assignments_for(user, write=True).filter(pk=assignment.pk).exists()
        )
        can_assign = has_perm(user, "evaluation.assign") and can_decide
        rows = []
        for link in links:
            score = scores.get(link.agency_id)
            rows.append(
                {
                    "link": link,
                    "agency": link.agency,
                    "score": score,
                    "tone": STATUS_TONES.get(score.status) if score else "",
                    "can_submit": is_evaluator
                    and has_perm(user, "evaluation.score")
                    and (score is None or score.status != EvaluationStatus.ACCEPTED),
                    "can_decide": can_decide
                    and score is not None
                    and score.status == EvaluationStatus.SUBMITTED,
                }
            )
        return render(
            request,
            self.template_name,
            {
                "assignment": assignment,
                "rows": rows,
                "can_assign": can_assign,
                "multi_tenant": reads_several_tenants(user),
                "decide_form": DecideForm(),
                "tabs_section": section_tabs(
                    request, EVALUATION_PAGES, "supervision:assignment-list"
                ),
            },
        )


class ScoreSubmitView(PermissionRequiredMixin, View):
    """The evaluator scores one assigned agency (pk: the assigned agency link)."""

    permission = "evaluation.score"
    template_name = "supervision/evaluation/score_form.html"

    def get_link(self, pk) -> AssignedAgency:
        mine = EvaluationAssignment.objects.writable_by(self.request.user)
        return get_scoped_object_or_404(
            AssignedAgency.objects.filter(assignment__in=mine).select_related(
                "assignment", "agency"
            ),
            pk=pk,
        )

    def context(self, link, form):
        score = EvaluationScore.objects.filter(
            assignment_id=link.assignment_id, agency_id=link.agency_id
        ).first()
        return {
            "link": link,
            "assignment": link.assignment,
            "agency": link.agency,
            "score": score,
            "form": form,
            "final": score is not None and score.status == EvaluationStatus.ACCEPTED,
            "tabs_section": section_tabs(
                self.request, EVALUATION_PAGES, "supervision:assignment-list"
            ),
        }

    def get(self, request, pk):
        link = self.get_link(pk)
        score = EvaluationScore.objects.filter(
            assignment_id=link.assignment_id, agency_id=link.agency_id
        ).first()
        initial = {"score": score.score, "comments": score.comments} if score else {}
        return render(request, self.template_name, self.context(link, ScoreForm(initial=initial)))

    def post(self, request, pk):
        link = self.get_link(pk)
        form = ScoreForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.score_submit(
                    assignment=link.assignment,
                    agency=link.agency,
                    score=form.cleaned_data["score"],
                    comments=form.cleaned_data["comments"],
                    report=form.cleaned_data["report"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Score submitted to the credit office."))
                return redirect("supervision:assignment-detail", pk=link.assignment_id)
        return render(request, self.template_name, self.context(link, form), status=400)


class ScoreDecideView(PermissionRequiredMixin, View):
    """POST only: the office accepts a submitted score or rejects it with a reason."""

    permission = "evaluation.decide"

    def post(self, request, pk):
        score = get_scoped_object_or_404(
            EvaluationScore.objects.writable_by(request.user).select_related("agency"), pk=pk
        )
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose to accept or reject the score."))
        else:
            accept = form.cleaned_data["decision"] == "accept"
            try:
                services.score_decide(
                    score=score,
                    accept=accept,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                messages.error(request, f"{score.agency.name}: {' '.join(exc.messages)}")
            else:
                if accept:
                    messages.success(
                        request,
                        _("The score of %(agency)s was accepted.") % {"agency": score.agency.name},
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "The score of %(agency)s was rejected; the "
                            "evaluator can submit it again."
                        )
                        % {"agency": score.agency.name},
                    )
        return redirect("supervision:assignment-detail", pk=score.assignment_id)


class ScoreReportView(PermissionRequiredMixin, View):
    """The evaluator's report, to those who may see the score."""

    permission = "evaluation.view"

    def get(self, request, pk):
        report = get_scoped_object_or_404(EvaluationReport.objects.for_user(request.user), pk=pk)
        return attachment_response(report)


urlpatterns = [
    path("evaluation/", AssignmentListView.as_view(), name="assignment-list"),
    path("evaluation/export/", AssignmentExportView.as_view(), name="assignment-export"),
    path("evaluation/new/", AssignmentFormView.as_view(), name="assignment-create"),
    path("evaluation/<int:pk>/", AssignmentDetailView.as_view(), name="assignment-detail"),
    path("evaluation/<int:pk>/edit/", AssignmentFormView.as_view(), name="assignment-update"),
    path("evaluation/assigned/<int:pk>/score/", ScoreSubmitView.as_view(), name="score-submit"),
    path("evaluation/scores/<int:pk>/decide/", ScoreDecideView.as_view(), name="score-decide"),
    path("evaluation/reports/<int:pk>/", ScoreReportView.as_view(), name="score-report"),
]
