"""Forms and filters of the joint reward and punishment measure list (M14) and the four lists
(M15). Forms check shape only."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant

from ..choices import FourListKind, MeasureDirection
from ..models import FourListEntry, JointMeasure
from .config import TenantFilterMixin


class JointMeasureForm(forms.ModelForm):
    class Meta:
        model = JointMeasure
        fields = [
            "direction",
            "measure",
            "department",
            "administrative_matter",
            "business_section",
            "responsible_person",
            "basis",
            "position",
        ]
        help_texts = {
            "measure": _(
                "The reward or punishment measure, e.g. priority in project "
                "approval, or restriction on financial support."
            ),
            "department": _("The department that carries out the measure."),
            "administrative_matter": _(
                "The administrative matter in which the measure is applied."
            ),
            "business_section": _("The section (科室) of the department that handles it."),
            "basis": _("The regulation or document the measure rests on."),
            "position": _("Rows are listed by kind, then by this number."),
        }


class JointMeasureFilter(TenantFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    direction = django_filters.ChoiceFilter(label=_("Kind"), choices=MeasureDirection.choices)
    department = django_filters.ChoiceFilter(label=_("Department"), choices=[])
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("position", "position"),
            ("department", "department"),
            ("administrative_matter", "administrative_matter"),
        ),
        field_labels={
            "position": _("Order"),
            "department": _("Department"),
            "administrative_matter": _("Administrative matter"),
        },
    )

    class Meta:
        model = JointMeasure
        fields = ["q", "tenant", "direction", "department"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)
        departments = (
            JointMeasure.objects.for_user(user)
            .order_by("department")
            .values_list("department", flat=True)
            .distinct()
        )
        self.filters["department"].extra["choices"] = [(d, d) for d in departments]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(measure__icontains=value)
            | Q(department__icontains=value)
            | Q(administrative_matter__icontains=value)
            | Q(business_section__icontains=value)
            | Q(responsible_person__icontains=value)
            | Q(basis__icontains=value)
        )


class FourListEntryForm(forms.ModelForm):
    class Meta:
        model = FourListEntry
        fields = ["list_kind", "title", "description", "basis", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "title": _(
                "For a case or a dishonest subject: who and what; for a measure: the "
                "measure itself."
            ),
            "basis": _("The regulation or document the entry rests on."),
            "position": _("Entries are listed by this number within their list."),
        }


class FourListFilter(TenantFilterMixin, django_filters.FilterSet):
    """`list_kind` is shown as tabs above the table; the other filters as the filter form."""

    list_kind = django_filters.ChoiceFilter(label=_("List"), choices=FourListKind.choices)
    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )

    class Meta:
        model = FourListEntry
        fields = ["list_kind", "q", "tenant"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Q(basis__icontains=value)
        )
