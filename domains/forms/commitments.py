"""Forms and filters of the credit commitment pages (信用承诺, M16). Shape only: the services
decide what may change when."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from integrity.filters import YesNoFilter

from ..choices import CommitmentCategory, CommitmentStatus
from ..models import Commitment
from .records import date_input


class CommitmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    category = django_filters.ChoiceFilter(label=_("Category"), choices=CommitmentCategory.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CommitmentStatus.choices)
    overdue = YesNoFilter(label=_("Overdue"), field_name="overdue")
    promised_from = django_filters.DateFilter(
        label=_("Promised from"), field_name="promised_date", lookup_expr="gte", widget=date_input()
    )
    promised_to = django_filters.DateFilter(
        label=_("Promised until"),
        field_name="promised_date",
        lookup_expr="lte",
        widget=date_input(),
    )

    class Meta:
        model = Commitment
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["agency"].queryset = Agency.objects.for_user(user).order_by("tenant", "name")

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(content__icontains=value))


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["agency", "category", "title", "content", "promised_date", "is_public"]
        widgets = {"content": forms.Textarea(attrs={"rows": 5}), "promised_date": date_input()}
        labels = {"is_public": _("Show on the public side")}

    def __init__(self, *args, agencies=None, **kwargs):
        """`agencies`: the agencies the office may file for; None when the agency is fixed (an
        agency's own clerk or leader, or an existing commitment)."""
        super().__init__(*args, **kwargs)
        if agencies is None:
            del self.fields["agency"]
        else:
            self.fields["agency"].queryset = agencies

    def clean(self):
        data = super().clean()
        if data.get("agency") is not None:
            # The commitment belongs to the chosen agency's jurisdiction.
            self.instance.tenant_id = data["agency"].tenant_id
        return data


class EvidenceForm(forms.Form):
    fulfilment_evidence = forms.CharField(
        label=_("Fulfilment evidence"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done to keep the commitment, with dates and document numbers."),
    )
    file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_("PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB."),
    )

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean(self):
        data = super().clean()
        text_changed = (data.get("fulfilment_evidence") or "") != self.current
        if not text_changed and not data.get("file") and not self.errors:
            raise forms.ValidationError(_("Write the evidence or choose a file."))
        data["text_changed"] = text_changed
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Judgement"),
        choices=[
            (CommitmentStatus.FULFILLED, CommitmentStatus.FULFILLED.label),
            (CommitmentStatus.UNFULFILLED, CommitmentStatus.UNFULFILLED.label),
            (CommitmentStatus.IN_PROGRESS, _("Back to in progress")),
        ],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the commitment was not kept: say why."),
    )
