"""Forms of the rectification plan's milestones (时间节点), their progress updates, and the
filters of the overdue list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from integrity.tenancy import reads_several_tenants
from supervision.forms.public import MultipleFileField, date_widget

from ..models import Campaign, Milestone


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "owner"]
        widgets = {"due_on": date_widget()}


class MilestoneReportForm(forms.Form):
    note = forms.CharField(
        label=_("Progress"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    files = MultipleFileField(
        label=_("Evidence"),
        help_text=_("PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB each."),
    )

    def __init__(self, *args, milestone=None, **kwargs):
        super().__init__(*args, **kwargs)
        if milestone is not None:
            self.fields["progress"].initial = milestone.progress


class OverdueFilterForm(forms.Form):
    """Campaign and agency (the office's) filters of the overdue list; the county for users who
    read several (city viewers: the city home links by county)."""

    tenant = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Tenant.objects.none(), required=False
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.none(), required=False
    )

    def __init__(self, *args, user, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        if reads_several_tenants(user):
            self.fields["tenant"].queryset = Tenant.objects.for_user(user)
        else:
            del self.fields["tenant"]
        self.fields["campaign"].queryset = campaigns
        if user.agency_id:
            del self.fields["agency"]
        else:
            self.fields["agency"].queryset = Agency.objects.for_user(user).order_by(
                "tenant_id", "name"
            )

    def apply(self, queryset, *, campaign_path="campaign", agency_path="agency"):
        if not self.is_valid():
            return queryset
        if self.cleaned_data.get("tenant"):
            queryset = queryset.filter(tenant=self.cleaned_data["tenant"])
        if self.cleaned_data.get("campaign"):
            queryset = queryset.filter(**{campaign_path: self.cleaned_data["campaign"]})
        if self.cleaned_data.get("agency"):
            queryset = queryset.filter(**{agency_path: self.cleaned_data["agency"]})
        return queryset
