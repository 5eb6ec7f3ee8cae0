"""Forms and filters of the configuration pages: key domains and their extra ledger fields,
problem types, publicity rules, credit settings and working-day overrides.

Forms check shape only; the rules live in the models' clean() and in the services."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from integrity.filters import YesNoFilter
from integrity.models import WorkdayOverride

from ..choices import FieldType, Severity
from ..models import DomainField, KeyDomain, ProblemType, PublicityRule

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TenantFilterMixin:
    """A jurisdiction filter for users who read several tenants (city viewers, platform admin);
    removed for everyone else."""

    def _setup_tenant(self, user, tenant_ids) -> None:
        if tenant_ids is not None and len(tenant_ids) <= 1:
            del self.filters["tenant"]
        else:
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)


# Key domains ------------------------------------------------------------------------------


class AgencyChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        if obj.is_active:
            return obj.name
        return f"{obj.name} ({_('inactive')})"


class KeyDomainForm(forms.ModelForm):
    """Name, description, use, order, and the lead and responsible units chosen from the
    jurisdiction's active agencies (units already chosen stay listed even if deactivated since,
    so that saving the form does not drop them silently)."""

    lead_units = AgencyChoiceField(
        label=_("Lead units"), queryset=Agency.objects.none(), required=False
    )
    responsible_units = AgencyChoiceField(
        label=_("Responsible units"), queryset=Agency.objects.none(), required=False
    )

    class Meta:
        model = KeyDomain
        fields = ["code", "name", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        domain = self.instance if self.instance.pk else None
        for name in ("lead_units", "responsible_units"):
            current = Q()
            if domain is not None:
                current = Q(pk__in=getattr(domain, name).values("pk"))
                self.initial[name] = list(getattr(domain, name).values_list("pk", flat=True))
            self.fields[name].queryset = (
                Agency.objects.filter(tenant=tenant)
                .filter(Q(is_active=True) | current)
                .order_by("kind", "name")
            )
        if domain is not None:
            # Other modules and imported ledgers refer to the code: it is fixed once created.
            self.fields["code"].disabled = True
            self.fields["code"].required = False
            self.fields["code"].help_text = _("The code cannot be changed.")
        else:
            self.fields["code"].required = False
            self.fields["code"].help_text = _(
                "A short identifier in lowercase letters, digits and underscores, e.g. "
                "rural_revitalisation; left empty, one is assigned. It cannot be changed later."
            )

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip().lower()

    def _unit_groups(self, name: str) -> list[tuple[str, list[tuple[int, str, bool]]]]:
        """Agencies grouped by kind, with whether each one is ticked, for the checkbox lists."""
        selected = {str(value) for value in (self[name].value() or [])}
        field = self.fields[name]
        groups: dict[str, list[tuple[int, str, bool]]] = {}
        for agency in field.queryset:
            groups.setdefault(str(agency.get_kind_display()), []).append(
                (agency.pk, field.label_from_instance(agency), str(agency.pk) in selected)
            )
        return list(groups.items())

    @property
    def unit_fields(self):
        """(field name, label, agencies grouped by kind, errors) for the two checkbox lists."""
        return [
            (name, self.fields[name].label, self._unit_groups(name), self[name].errors)
            for name in ("lead_units", "responsible_units")
        ]


class KeyDomainFilter(TenantFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    is_active = YesNoFilter(label=_("In use"))

    class Meta:
        model = KeyDomain
        fields = ["q", "tenant", "is_active"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(lead_units__name__icontains=value)
            | Q(responsible_units__name__icontains=value)
        ).distinct()


class DomainFieldForm(forms.ModelForm):
    """An extra ledger field; the options of a choice field are entered one per line."""

    choices = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for a choice field: one option per line, at least two."),
    )

    class Meta:
        model = DomainField
        fields = ["label", "key", "field_type", "choices", "required", "help_text", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_type"].choices = FieldType.choices
        self.initial["choices"] = "\n".join(str(o) for o in self.instance.choices or [])
        if self.instance.pk:
            # Ledger rows already filled store their values under the key.
            self.fields["key"].disabled = True
            self.fields["key"].required = False
            self.fields["key"].help_text = _("The key cannot be changed.")
        else:
            self.fields["key"].required = False
            self.fields["key"].help_text = _(
                "The name under which ledgers store the value: lowercase letters, digits and "
                "underscores, e.g. contract_amount; left empty, one is assigned. It cannot be "
                "changed later."
            )

    def clean_key(self):
        return (self.cleaned_data.get("key") or "").strip().lower()

    def clean_choices(self) -> list[str]:
        text = self.cleaned_data.get("choices") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


# Problem types ----------------------------------------------------------------------------


class ProblemTypeForm(forms.ModelForm):
    class Meta:
        model = ProblemType
        fields = ["name", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProblemTypeFilter(TenantFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    is_active = YesNoFilter(label=_("In use"))

    class Meta:
        model = ProblemType
        fields = ["q", "tenant", "is_active"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


# Publicity rules and credit settings ------------------------------------------------------


class PublicityRuleForm(forms.ModelForm):
    class Meta:
        model = PublicityRule
        fields = [
            "severity",
            "effective_from",
            "published_by_default",
            "min_months",
            "max_months",
            "basis",
        ]
        widgets = {"effective_from": DATE_WIDGET}
        help_texts = {
            "effective_from": _(
                "The rule applies to records whose deciding document is dated on or after this day."
            ),
            "min_months": _("Credit repair may be applied for only after this period."),
            "max_months": _("Publicity ends by itself at this point."),
            "basis": _("The regulation the rule follows."),
        }


class PublicityRuleFilter(TenantFilterMixin, django_filters.FilterSet):
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)

    class Meta:
        model = PublicityRule
        fields = ["tenant", "severity"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)


class CreditSettingsForm(forms.Form):
    objection_workdays = forms.IntegerField(
        label=_("Objection deadline (working days)"),
        min_value=1,
        max_value=30,
        help_text=_(
            "Objections are decided within this many working days (local rules say 1 to 7)."
        ),
    )
    repair_workdays = forms.IntegerField(
        label=_("Repair application deadline (working days)"),
        min_value=1,
        max_value=60,
        help_text=_("Credit repair applications are decided within this many working days."),
    )


# Working-day overrides --------------------------------------------------------------------


class WorkdayOverrideForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    is_workday = forms.TypedChoiceField(
        label=_("This day is"),
        choices=[
            ("1", _("a working day (adjusted working weekend)")),
            ("0", _("a day off (local holiday)")),
        ],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=100,
        required=False,
        help_text=_("E.g. the notice that set the holiday."),
    )


class WorkdayOverrideFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"), field_name="date", lookup_expr="year")
    is_workday = YesNoFilter(label=_("Working day"))

    class Meta:
        model = WorkdayOverride
        fields = ["year", "is_workday"]
