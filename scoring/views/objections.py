"""Objections to published scores (评分异议): an agency raises one on its own breakdown page
(`my-score-detail`, the whole score or one item, with the reason), the office lists them,
pending first, and upholds or rejects each with an answer the agency reads on the same page.
Upholding changes no score by itself: the office corrects it by its normal path (manual entry,
new run, republishing)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from integrity.http import form_errors
from integrity.permissions import PermissionRequiredMixin
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants

from .. import services
from ..choices import ObjectionStatus
from ..forms.objections import DecideForm, ObjectionForm
from ..models import AgencyScore, Publication, ScoreObjection
from .schemes import PostOnlyMixin


def agency_objections(user, publication: Publication):
    """The user's agency's objections to its score in the publication, newest first."""
    return (
        ScoreObjection.objects.for_user(user)
        .filter(publication=publication)
        .select_related("indicator__parent", "created_by", "decided_by")
        .order_by("-created_at", "-id")
    )


def objection_context(user, publication: Publication, form: ObjectionForm | None = None) -> dict:
    """The objection part of an agency's breakdown page: its objections and, unless one is
    pending, the form to raise one."""
    objections = list(agency_objections(user, publication))
    pending = any(o.status == ObjectionStatus.PENDING for o in objections)
    if form is None and not pending:
        form = ObjectionForm(scheme=publication.run.scheme)
    return {"objections": objections, "objection_pending": pending, "objection_form": form}


def objection_raise(request, publication: Publication):
    """POST of the agency's breakdown page: returns a redirect, or the form with its errors."""
    form = ObjectionForm(request.POST, scheme=publication.run.scheme)
    if form.is_valid():
        try:
            services.objection_raise(
                publication=publication,
                agency=request.user.agency,
                indicator=form.cleaned_data["indicator"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Your objection was sent to the credit office."))
            return None
    return form


class ObjectionListView(PermissionRequiredMixin, ListView):
    """The office's list of objections, pending first."""

    permission = "run.review"
    template_name = "scoring/objection_list.html"
    paginate_by = 50

    def status(self) -> str:
        status = self.request.GET.get("status", "")
        return status if status in ObjectionStatus.values else ""

    def get_queryset(self):
        queryset = (
            ScoreObjection.objects.for_user(self.request.user)
            .select_related(
                "tenant", "publication", "agency", "indicator__parent", "created_by", "decided_by"
            )
            .annotate(
                pending_first=Case(
                    When(status=ObjectionStatus.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("pending_first", "-created_at", "-id")
        )
        if self.status():
            queryset = queryset.filter(status=self.status())
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page = list(context["object_list"])
        scores = AgencyScore.objects.for_user(user).filter(
            run_id__in={o.publication.run_id for o in page},
            agency_id__in={o.agency_id for o in page},
        )
        score_ids = {(s.run_id, s.agency_id): s.pk for s in scores}
        writable = set(
            ScoreObjection.objects.writable_by(user)
            .filter(pk__in=[o.pk for o in page], status=ObjectionStatus.PENDING)
            .values_list("pk", flat=True)
        )
        context["rows"] = [
            {
                "objection": o,
                "score_id": score_ids.get((o.publication.run_id, o.agency_id)),
                "can_decide": o.pk in writable,
            }
            for o in page
        ]
        context["decide_form"] = DecideForm()
        context["status"] = self.status()
        context["statuses"] = ObjectionStatus.choices
        context["multi_tenant"] = reads_several_tenants(user)
        return context


class ObjectionDecideView(PostOnlyMixin, PermissionRequiredMixin, View):
    permission = "run.review"

    def post(self, request, pk):
        objection = get_scoped_object_or_404(
            ScoreObjection.objects.writable_by(request.user), pk=pk
        )
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose to uphold or reject the objection."))
            return redirect("scoring:objection-list")
        try:
            services.objection_decide(
                objection=objection,
                upheld=form.cleaned_data["decision"] == "uphold",
                answer=form.cleaned_data["answer"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The objection is decided and the agency notified."))
        return redirect("scoring:objection-list")


urlpatterns = [
    path("scoring/objections/", ObjectionListView.as_view(), name="objection-list"),
    path(
        "scoring/objections/<int:pk>/decide/",
        ObjectionDecideView.as_view(),
        name="objection-decide",
    ),
]
