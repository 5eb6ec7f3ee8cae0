"""Forms and filters of the public side: record and notice filters, objection and repair
applications, tracking by receipt code.

Forms check shape only (lengths, phone format); whether a request is accepted is decided by
`services.request_submit`."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import Severity, SubjectType
from ..models import CaseNotice, KeyDomain, TrustRecord

# A mobile number (11 digits starting with 1) or a landline with its area code, optionally
# with an extension: 0314-1234567, 03141234567, 010-12345678-123.
PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")


def clean_phone(value: str) -> str:
    phone = re.sub(r"[\s()（）]", "", value or "")
    if not PHONE_RE.match(phone):
        raise ValidationError(
            _(
                "Enter a mobile number (11 digits) or a landline with its area code, "
                "e.g. 0314-1234567."
            )
        )
    return phone


class PublicRecordFilter(django_filters.FilterSet):
    """Filters of the public record list. The search never matches the names of natural
    persons (or facts that may contain them), so it cannot confirm who is on the list."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    domain = django_filters.ModelChoiceFilter(
        label=_("Key domain"), queryset=KeyDomain.objects.none()
    )
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)

    class Meta:
        model = TrustRecord
        fields = ["q", "domain", "severity"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["domain"].queryset = KeyDomain.objects.filter(tenant=tenant, is_active=True)
        self.filters["q"].field.widget.attrs["placeholder"] = _(
            "Subject, document number or authority"
        )

    def search(self, queryset, name, value):
        organisation = Q(subject_name__icontains=value) & ~Q(subject_type=SubjectType.CIVIL_SERVANT)
        return queryset.filter(
            organisation
            | Q(decision_number__icontains=value)
            | Q(deciding_authority__icontains=value)
        )


class PublicNoticeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    year = django_filters.NumberFilter(
        label=_("Year"),
        field_name="published_at",
        lookup_expr="year",
        min_value=2000,
        max_value=2100,
    )

    class Meta:
        model = CaseNotice
        fields = ["q", "year"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(document_number__icontains=value))


class ObjectionForm(forms.Form):
    """An objection (异议) to a public record: who files it, how to reach them, and why."""

    applicant_name = forms.CharField(label=_("Your name or organisation"), max_length=60)
    applicant_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=30,
        help_text=_("Only the credit office sees it; it is never published."),
    )
    applicant_is_subject = forms.BooleanField(
        label=_("I am the recorded subject or act on its behalf"), required=False
    )
    reason = forms.CharField(
        label=_("Reasons"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is wrong in the record, and what the facts are (10 to 2000 characters)."),
    )

    def clean_applicant_name(self) -> str:
        return " ".join(self.cleaned_data["applicant_name"].split())

    def clean_applicant_phone(self) -> str:
        return clean_phone(self.cleaned_data["applicant_phone"])


class RepairForm(ObjectionForm):
    """A credit-repair application (信用修复): the applicant answers the checklist of the
    conditions (the service refuses an application that does not declare all three)."""

    declares_corrected = forms.BooleanField(
        label=_("The breach has been corrected and the obligations fulfilled"), required=False
    )
    declares_commitment = forms.BooleanField(
        label=_("I have signed a credit commitment and will hand it to the credit office"),
        required=False,
    )
    declares_other = forms.BooleanField(
        label=_("Every other condition required by law or regulation is met"), required=False
    )

    field_order = [
        "applicant_name",
        "applicant_phone",
        "applicant_is_subject",
        "declares_corrected",
        "declares_commitment",
        "declares_other",
        "reason",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _(
            "How the breach was corrected and the obligations fulfilled (10 to 2000 characters)."
        )


class TrackForm(forms.Form):
    receipt_code = forms.CharField(
        label=_("Receipt code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX", "spellcheck": "false"}
        ),
    )
