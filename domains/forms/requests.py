"""Forms and filters of the office's handling of objections and repair applications.

The decision form checks shape only; `services.request_decide` holds the rules (reasons
required, corrected facts for a correction, every condition confirmed for a repair)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from integrity.filters import YesNoFilter

from ..choices import (
    OBJECTION_OUTCOMES,
    REPAIR_OUTCOMES,
    RequestKind,
    RequestOutcome,
    RequestStatus,
)
from ..models import CreditRequest


class CreditRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=RequestKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RequestStatus.choices)
    outcome = django_filters.ChoiceFilter(label=_("Decision"), choices=RequestOutcome.choices)
    overdue = YesNoFilter(label=_("Overdue"), method="filter_overdue")

    class Meta:
        model = CreditRequest
        fields = ["q", "tenant", "kind", "status", "outcome", "overdue"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant_ids is not None and len(tenant_ids) <= 1:
            del self.filters["tenant"]
        else:
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        self.filters["q"].field.widget.attrs["placeholder"] = _(
            "Receipt code, subject or document number"
        )

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(receipt_code__icontains=value.strip())
            | Q(record__subject_name__icontains=value)
            | Q(record__decision_number__icontains=value)
            | Q(applicant_name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=RequestStatus.PENDING, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class DecisionForm(forms.Form):
    """The office's decision on one request; the fields offered depend on its kind."""

    outcome = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    corrected_facts = forms.CharField(
        label=_("Corrected facts"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when the record is corrected: the facts as they will read."),
    )
    confirmed_corrected = forms.BooleanField(
        label=_("Confirmed: the breach is corrected and the obligations fulfilled"), required=False
    )
    confirmed_commitment = forms.BooleanField(
        label=_("Confirmed: the signed credit commitment has been received"), required=False
    )
    confirmed_other = forms.BooleanField(
        label=_("Confirmed: every other statutory condition is met"), required=False
    )
    stop_sharing = forms.BooleanField(
        label=_("Also stop sharing the record with the city platform"),
        required=False,
        help_text=_(
            "Ending publicity and ending sharing are separate; tick this only if "
            "sharing should end too."
        ),
    )
    reason = forms.CharField(
        label=_("Reasons for the decision"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The applicant sees these reasons when tracking the request."),
    )

    REPAIR_ONLY = ("confirmed_corrected", "confirmed_commitment", "confirmed_other", "stop_sharing")

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = OBJECTION_OUTCOMES if kind == RequestKind.OBJECTION else REPAIR_OUTCOMES
        self.fields["outcome"].choices = [(o.value, o.label) for o in outcomes]
        if kind == RequestKind.OBJECTION:
            for field in self.REPAIR_ONLY:
                del self.fields[field]
        else:
            del self.fields["corrected_facts"]

    def decision_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "reason": data["reason"],
            "corrected_facts": data.get("corrected_facts", ""),
            "confirmed": {key: data.get(key, False) for key in self.REPAIR_ONLY[:3]},
            "stop_sharing": data.get("stop_sharing", False),
        }
