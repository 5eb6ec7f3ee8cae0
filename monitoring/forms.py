"""Forms and filter sets of the monitoring pages. Forms check shape only; the rules (per-kind
thresholds, the lifecycle, one debt figure per date) are in `monitoring.services` and the
models' clean()."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant

from .choices import OPEN_WARNING_STATUSES, RuleKind, WarningSeverity, WarningStatus
from .models import DebtFigure, WarningRule


def date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


OPEN = "open"
STATUS_CHOICES = [(OPEN, _("Open (new or acknowledged)")), *WarningStatus.choices]


class _TenantAgencyFilter(django_filters.FilterSet):
    """The jurisdiction filter for users who read several, the agency filter for the office."""

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        if "tenant" in self.filters:
            if tenant_ids is not None and len(tenant_ids) <= 1:
                del self.filters["tenant"]
            else:
                self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        if user.agency_id:
            del self.filters["agency"]
        else:
            self.filters["agency"].queryset = Agency.objects.for_user(user).order_by(
                "tenant_id", "name"
            )


class WarningFilter(_TenantAgencyFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=60)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status"
    )
    severity = django_filters.ChoiceFilter(
        label=_("Warning level"), choices=WarningSeverity.choices
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=RuleKind.choices)
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    raised_from = django_filters.DateFilter(
        label=_("Raised from"),
        field_name="raised_at__date",
        lookup_expr="gte",
        widget=date_widget(),
    )
    raised_to = django_filters.DateFilter(
        label=_("Raised to"), field_name="raised_at__date", lookup_expr="lte", widget=date_widget()
    )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(evidence__icontains=value))

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_WARNING_STATUSES)
        return queryset.filter(status=value)


class DebtFigureFilter(_TenantAgencyFilter):
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    county = django_filters.BooleanFilter(
        label=_("The county as a whole"),
        field_name="agency",
        lookup_expr="isnull",
        widget=forms.NullBooleanSelect,
    )
    as_of_from = django_filters.DateFilter(
        label=_("As of from"), field_name="as_of", lookup_expr="gte", widget=date_widget()
    )
    as_of_to = django_filters.DateFilter(
        label=_("As of to"), field_name="as_of", lookup_expr="lte", widget=date_widget()
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: who is following it up."),
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("How it was resolved"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RuleForm(forms.ModelForm):
    """A rule's switch, severity and the thresholds its kind takes (and only those)."""

    class Meta:
        model = WarningRule
        fields = ["enabled", "severity", "amount", "days", "count", "window_days", "percent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.instance.spec
        parameters = {p.name: p for p in spec.parameters}
        for name in ("amount", "days", "count", "window_days", "percent"):
            if name not in parameters:
                del self.fields[name]
                continue
            parameter = parameters[name]
            field = self.fields[name]
            field.label = parameter.label
            field.help_text = parameter.help_text
            field.required = parameter.required

    def _post_clean(self):
        # The service copies the data onto the rule and validates it (model clean).
        pass

    def rule_data(self) -> dict:
        return dict(self.cleaned_data)


class DebtFigureForm(forms.ModelForm):
    class Meta:
        model = DebtFigure
        fields = [
            "agency",
            "as_of",
            "balance",
            "financial_capacity",
            "warning_line",
            "warning_ratio",
            "source",
        ]
        widgets = {"as_of": date_widget()}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(tenant=tenant).order_by("name")
        self.fields["agency"].empty_label = _("The county as a whole")
        self.fields["source"].help_text = _("Where the figure comes from (report, document).")

    def _post_clean(self):
        # The service validates the whole row (model clean) with its tenant set.
        pass

    def figure_data(self) -> dict:
        return dict(self.cleaned_data)
