"""Forms and filters of the office's campaign pages. Shape only: which agencies and domains
may take part, and what may change after launch, is `rectification.services.campaign_save`'s
business."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import AgencyKind
from accounts.models import Agency
from domains.models import KeyDomain
from supervision.forms.public import date_widget

from ..choices import CampaignStatus
from ..models import Campaign


class CampaignFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CampaignStatus.choices)

    class Meta:
        model = Campaign
        fields = ["year", "status"]


class CampaignForm(forms.ModelForm):
    """Title, document, requirements, scope and deadlines. The agencies are checkboxes grouped
    by kind (a county has about a hundred of them)."""

    domains = forms.ModelMultipleChoiceField(
        label=_("Key domains in scope"),
        queryset=KeyDomain.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Participating agencies"),
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Campaign
        fields = [
            "title",
            "document_number",
            "year",
            "description",
            "report_deadline",
            "plan_deadline",
            "completion_deadline",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "report_deadline": date_widget(),
            "plan_deadline": date_widget(),
            "completion_deadline": date_widget(),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        campaign = self.instance
        current_domains = list(campaign.domains.values_list("pk", flat=True)) if campaign.pk else []
        current_agencies = (
            list(campaign.agencies.values_list("pk", flat=True)) if campaign.pk else []
        )
        self.fields["domains"].queryset = KeyDomain.objects.filter(
            Q(is_active=True) | Q(pk__in=current_domains), tenant=tenant
        ).order_by("position", "name")
        self.fields["agencies"].queryset = Agency.objects.filter(
            Q(is_active=True) | Q(pk__in=current_agencies), tenant=tenant
        ).order_by("kind", "name")
        if campaign.pk:
            self.initial.setdefault("domains", current_domains)
            self.initial.setdefault("agencies", current_agencies)
        else:
            self.initial.setdefault("year", timezone.localdate().year)

    def agency_groups(self) -> list[dict]:
        """The agency checkboxes by kind, for the template's grouped list with select-all."""
        labels = dict(AgencyKind.choices)
        kinds = {a.pk: a.kind for a in self.fields["agencies"].queryset}
        groups: dict[str, list] = {}
        for checkbox in self["agencies"]:
            kind = kinds.get(int(str(checkbox.data["value"])), "")
            groups.setdefault(kind, []).append(checkbox)
        return [
            {"kind": kind, "label": labels.get(kind, kind), "checkboxes": boxes}
            for kind, boxes in groups.items()
        ]

    def data_for_service(self) -> dict:
        data = {field: self.cleaned_data[field] for field in self.Meta.fields}
        data["domains"] = list(self.cleaned_data["domains"])
        data["agencies"] = list(self.cleaned_data["agencies"])
        return data
