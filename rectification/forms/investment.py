"""Forms and filters of the integrated investment-project ledger (招商引资一体化台账, M7) and
of the office's duplicate-signing checks. They check shape only: normalisation, the duplicate
detection and the decision rules are in `rectification.services`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from accounts.validators import normalize_credit_code, validate_credit_code
from integrity.filters import YesNoFilter

from ..choices import DuplicateReason, FlagStatus, ProjectStatus
from ..models import DuplicateFlag, InvestmentProject


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def open_flag_exists():
    """True for a project in an open duplicate flag, on either side of the pair."""
    return Exists(
        DuplicateFlag.objects.filter(status=FlagStatus.OPEN).filter(
            Q(project=OuterRef("pk")) | Q(other=OuterRef("pk"))
        )
    )


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices)
    industry = django_filters.CharFilter(
        label=_("Industry"), field_name="industry", lookup_expr="icontains", max_length=60
    )
    signed_from = django_filters.DateFilter(
        label=_("Signed from"), field_name="signed_on", lookup_expr="gte", widget=date_input()
    )
    signed_to = django_filters.DateFilter(
        label=_("Signed to"), field_name="signed_on", lookup_expr="lte", widget=date_input()
    )
    possible_duplicate = YesNoFilter(label=_("Possible duplicate"), field_name="possible_duplicate")

    class Meta:
        model = InvestmentProject
        fields = [
            "q",
            "tenant",
            "agency",
            "status",
            "industry",
            "signed_from",
            "signed_to",
            "possible_duplicate",
        ]

    def __init__(self, *args, user, several_tenants: bool, sees_flags: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if several_tenants:
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        else:
            del self.filters["tenant"]
        if user.agency_id:
            del self.filters["agency"]
        else:
            self.filters["agency"].queryset = Agency.objects.for_user(user).order_by(
                "tenant_id", "name"
            )
        if not sees_flags:
            del self.filters["possible_duplicate"]
        self.filters["q"].field.widget.attrs["placeholder"] = _("Project, investor or credit code")

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value)
            | Q(investor_name__icontains=value)
            | Q(investor_credit_code__icontains=normalize_credit_code(value) or value)
            | Q(location__icontains=value)
        )


class ProjectForm(forms.ModelForm):
    """A signed project of the user's agency."""

    # Longer than 18: a pasted code may carry spaces, removed before the check.
    investor_credit_code = forms.CharField(
        label=_("Investor's credit code"),
        max_length=40,
        required=False,
        help_text=_(
            "18 characters (GB 32100). Projects of other agencies with the same investor "
            "are flagged to the credit office."
        ),
    )

    class Meta:
        model = InvestmentProject
        fields = [
            "name",
            "investor_name",
            "investor_credit_code",
            "signed_on",
            "amount",
            "industry",
            "location",
            "commitments",
            "status",
        ]
        widgets = {
            "signed_on": date_input(),
            "commitments": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "commitments": _("Land, tax, subsidy or other promises made to the investor."),
        }

    def clean_investor_credit_code(self) -> str:
        code = normalize_credit_code(self.cleaned_data.get("investor_credit_code") or "")
        if code:
            validate_credit_code(code)
        return code

    def project_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


class FlagFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=FlagStatus.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=DuplicateReason.choices)

    class Meta:
        model = DuplicateFlag
        fields = ["status", "reason"]


class FlagDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Finding"),
        choices=[
            (FlagStatus.CONFIRMED, FlagStatus.CONFIRMED.label),
            (FlagStatus.DISMISSED, FlagStatus.DISMISSED.label),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("What the check found"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
