"""Forms and filter sets of the NPC/CPPCC items and the judicial supervision items (proposals,
litigation cases, judgments and awards, judicial suggestions, debtor listings), and of the
per-agency summary. Forms check shape only: the rules live in the models and services."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import AGENCY_ROLES
from accounts.models import Agency, Tenant
from domains.forms.config import TenantFilterMixin
from integrity.filters import YesNoFilter

from ..choices import JudgmentKind, ProposalKind, Satisfaction
from ..models import DebtorListing, Judgment, JudicialSuggestion, LitigationCase, Proposal
from ..services import DEFAULT_PROPOSAL_MONTHS, ITEM_FIELDS


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Forms ------------------------------------------------------------------------------------


class ItemForm(forms.ModelForm):
    """The agency is chosen among the jurisdiction's active agencies (the current one stays
    listed even if it was deactivated since, so that saving does not drop it)."""

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        current = Q(pk=self.instance.agency_id) if self.instance.agency_id else Q()
        self.fields["agency"].queryset = (
            Agency.objects.filter(tenant=tenant)
            .filter(Q(is_active=True) | current)
            .order_by("ranking_group", "name")
        )
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = date_input()


class ProposalForm(ItemForm):
    class Meta:
        model = Proposal
        fields = list(ITEM_FIELDS[Proposal])
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "number": _("The number the congress or the conference gave the item."),
            "satisfaction": _("The deputy's or member's rating of the reply, once replied."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reply_deadline"]
        field.required = False
        field.help_text = _(
            "Leave empty for the statutory default: %(months)s months after the assignment."
        ) % {"months": DEFAULT_PROPOSAL_MONTHS}


class LitigationCaseForm(ItemForm):
    class Meta:
        model = LitigationCase
        fields = list(ITEM_FIELDS[LitigationCase])
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "head_appearance_required": _(
                "Untick when the court excused the head (the case then does not count)."
            ),
        }


class JudgmentForm(ItemForm):
    class Meta:
        model = Judgment
        fields = list(ITEM_FIELDS[Judgment])
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"executed_on": _("Leave empty while the agency has not performed it.")}


class JudicialSuggestionForm(ItemForm):
    class Meta:
        model = JudicialSuggestion
        fields = list(ITEM_FIELDS[JudicialSuggestion])
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"answered_on": _("Leave empty while the agency has not answered.")}


class DebtorListingForm(ItemForm):
    class Meta:
        model = DebtorListing
        fields = list(ITEM_FIELDS[DebtorListing])
        help_texts = {"removed_on": _("Leave empty while the agency is still listed.")}


# Filters ----------------------------------------------------------------------------------

TIMELINESS_CHOICES = [
    ("on_time", _("Done on time")),
    ("late", _("Done late")),
    ("open", _("Not done yet")),
    ("overdue", _("Not done and past the deadline")),
]


def timeliness_q(value: str, done: str, due: str, today: date) -> Q:
    """On time: done on or before the deadline; late: done after it; open: not done."""
    if value == "on_time":
        return Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})
    if value == "late":
        return Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)})
    if value == "open":
        return Q(**{f"{done}__isnull": True})
    if value == "overdue":
        return Q(**{f"{done}__isnull": True, f"{due}__lt": today})
    return Q()


class ItemFilter(TenantFilterMixin, django_filters.FilterSet):
    """Search, jurisdiction (for users who read several), agency and a date range on the
    kind's main date. Subclasses name `date_field`, `search_fields` and the timeliness pair."""

    date_field = ""
    search_fields: tuple[str, ...] = ()
    done_field = due_field = ""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    date_from = django_filters.DateFilter(label=_("From"), method="from_date", widget=date_input())
    date_to = django_filters.DateFilter(label=_("To"), method="to_date", widget=date_input())

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_tenant(user, tenant_ids)
        self.filters["agency"].queryset = Agency.objects.for_user(user).order_by(
            "tenant", "ranking_group", "name"
        )
        if user.role in AGENCY_ROLES:
            # An agency role sees its own agency only: nothing to choose.
            del self.filters["agency"]

    def search(self, queryset, name, value):
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(query)

    def from_date(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": value})

    def to_date(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lte": value})

    def timeliness(self, queryset, name, value):
        return queryset.filter(
            timeliness_q(value, self.done_field, self.due_field, timezone.localdate())
        )


def _timeliness_filter(label):
    return django_filters.ChoiceFilter(label=label, choices=TIMELINESS_CHOICES, method="timeliness")


class ProposalFilter(ItemFilter):
    date_field = "assigned_on"
    search_fields = ("number", "title")
    done_field, due_field = "replied_on", "reply_deadline"

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProposalKind.choices)
    timely = _timeliness_filter(_("Reply"))
    satisfaction = django_filters.ChoiceFilter(
        label=_("Satisfaction"), choices=Satisfaction.choices
    )

    class Meta:
        model = Proposal
        fields = []


class LitigationCaseFilter(ItemFilter):
    date_field = "hearing_date"
    search_fields = ("case_number", "court", "cause")

    head_appearance_required = YesNoFilter(label=_("Appearance required"))
    head_appeared = YesNoFilter(label=_("Head appeared"))

    class Meta:
        model = LitigationCase
        fields = []


class JudgmentFilter(ItemFilter):
    date_field = "due_on"
    search_fields = ("case_number", "authority")
    done_field, due_field = "executed_on", "due_on"

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=JudgmentKind.choices)
    timely = _timeliness_filter(_("Performance"))

    class Meta:
        model = Judgment
        fields = []


class JudicialSuggestionFilter(ItemFilter):
    date_field = "received_on"
    search_fields = ("number", "court", "content")
    done_field, due_field = "answered_on", "due_on"

    timely = _timeliness_filter(_("Answer"))

    class Meta:
        model = JudicialSuggestion
        fields = []


class DebtorListingFilter(ItemFilter):
    date_field = "listed_on"
    search_fields = ("case_number", "court")

    active = YesNoFilter(label=_("Still listed"), method="still_listed")

    class Meta:
        model = DebtorListing
        fields = []

    def still_listed(self, queryset, name, value):
        if value is None:
            return queryset
        active = Q(removed_on__isnull=True) | Q(removed_on__gt=timezone.localdate())
        return queryset.filter(active) if value else queryset.exclude(active)


# The per-agency summary -------------------------------------------------------------------


class PeriodForm(forms.Form):
    """The summary's period (default: this year so far) and, for users who read several
    jurisdictions, the county."""

    tenant = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Tenant.objects.none(), required=False
    )
    start = forms.DateField(label=_("From"), required=False, widget=date_input())
    end = forms.DateField(label=_("To"), required=False, widget=date_input())

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        if counties is None:
            del self.fields["tenant"]
        else:
            self.fields["tenant"].queryset = counties

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["start"] = data.get("start") or date(today.year, 1, 1)
        data["end"] = data.get("end") or today
        if data["end"] < data["start"]:
            self.add_error("end", _("The period ends before it starts."))
        return data
