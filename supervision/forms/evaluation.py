"""Forms and filters of third-party evaluation: the office's assignments, the evaluator's scores
and the office's decisions. Shape only: the rules live in supervision.services."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Agency, Tenant, User
from domains.forms.config import AgencyChoiceField, TenantFilterMixin
from integrity.attachments import validate_upload
from integrity.filters import YesNoFilter

from ..models import EvaluationAssignment
from .items import date_input


class AssignmentForm(forms.ModelForm):
    """The evaluator is one of the jurisdiction's third-party evaluator accounts; the agencies
    are chosen among its active agencies (those already assigned stay listed)."""

    agencies = AgencyChoiceField(label=_("Agencies to score"), queryset=Agency.objects.none())

    class Meta:
        model = EvaluationAssignment
        fields = ["evaluator", "title", "period_start", "period_end"]
        widgets = {"period_start": date_input(), "period_end": date_input()}
        help_texts = {
            "evaluator": _(
                "A user account with the role third-party evaluator of this "
                "jurisdiction (the user administrator creates it)."
            ),
            "period_end": _("The score counts in the summaries of periods that include this date."),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        assignment = self.instance if self.instance.pk else None
        current_evaluator = Q(pk=self.instance.evaluator_id) if assignment else Q(pk__in=[])
        self.fields["evaluator"].queryset = User.objects.filter(
            Q(tenant=tenant, role=Role.EVALUATOR, is_active=True) | current_evaluator
        ).order_by("display_name", "username")
        current = Q(pk__in=[])
        if assignment is not None:
            assigned = list(assignment.agencies.values_list("pk", flat=True))
            current = Q(pk__in=assigned)
            self.initial["agencies"] = assigned
        self.fields["agencies"].queryset = (
            Agency.objects.filter(tenant=tenant)
            .filter(Q(is_active=True) | current)
            .order_by("ranking_group", "name")
        )


class AssignmentFilter(TenantFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Title"), field_name="title", lookup_expr="icontains")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    evaluator = django_filters.ModelChoiceFilter(label=_("Evaluator"), queryset=User.objects.none())
    ends_from = django_filters.DateFilter(
        label=_("Period ends from"),
        field_name="period_end",
        lookup_expr="gte",
        widget=date_input(),
    )
    ends_to = django_filters.DateFilter(
        label=_("Period ends until"),
        field_name="period_end",
        lookup_expr="lte",
        widget=date_input(),
    )
    complete = YesNoFilter(label=_("All scores accepted"), method="all_accepted")

    class Meta:
        model = EvaluationAssignment
        fields = []

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)
        if user.role == Role.EVALUATOR:
            del self.filters["evaluator"]
        else:
            self.filters["evaluator"].queryset = (
                User.objects.for_user(user)
                .filter(role=Role.EVALUATOR)
                .order_by("display_name", "username")
            )

    def all_accepted(self, queryset, name, value):
        """Needs the n_agencies and n_accepted annotations of the list's queryset."""
        if value is None:
            return queryset
        done = Q(n_accepted__gte=F("n_agencies"))
        return queryset.filter(done) if value else queryset.exclude(done)


class ScoreForm(forms.Form):
    score = forms.DecimalField(
        label=_("Score"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        help_text=_("From 0 to 100, at most two decimals."),
    )
    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    report = forms.FileField(
        label=_("Report file"),
        required=False,
        help_text=_("Optional: PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB."),
    )

    def clean_report(self):
        report = self.cleaned_data.get("report")
        if report:
            validate_upload(report)
        return report


DECISIONS = [("accept", _("Accept")), ("reject", _("Reject"))]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
