"""Forms and filters of the failure-of-trust record pages. They check shape only: the rules
(publicity windows, which subject needs which field, tenants) live in the model and services."""

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from accounts.validators import normalize_credit_code, validate_resident_id
from integrity.filters import YesNoFilter
from integrity.tenancy import reads_several_tenants

from ..choices import RecordSource, RecordStatus, Severity, SubjectType
from ..models import KeyDomain, ProblemType, PunishmentMeasure, TrustRecord


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


SEVERITY_RANK = Case(
    When(severity=Severity.LIGHT, then=Value(1)),
    When(severity=Severity.GENERAL, then=Value(2)),
    When(severity=Severity.SERIOUS, then=Value(3)),
    default=Value(0),
    output_field=IntegerField(),
)

# The `o=` parameter: only these orderings exist (anything else is ignored).
ORDERINGS = {
    "-decision_date": ("-decision_date", "-id"),
    "decision_date": ("decision_date", "id"),
    "-severity": ("-severity_rank", "-decision_date", "-id"),
    "severity": ("severity_rank", "-decision_date", "-id"),
    "subject": ("subject_name", "-decision_date", "-id"),
    "-subject": ("-subject_name", "-decision_date", "-id"),
}
ORDER_CHOICES = [
    ("-decision_date", _("Newest decision first")),
    ("decision_date", _("Oldest decision first")),
    ("-severity", _("Most serious first")),
    ("severity", _("Least serious first")),
    ("subject", _("Subject (ascending)")),
    ("-subject", _("Subject (descending)")),
]


class RecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Subject or document number"), method="search")
    # For users who read several counties (city viewers): the city home links by county.
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    domain = django_filters.ModelChoiceFilter(
        label=_("Key domain"), queryset=KeyDomain.objects.none()
    )
    problem_type = django_filters.ModelChoiceFilter(
        label=_("Problem type"), queryset=ProblemType.objects.none()
    )
    source = django_filters.ChoiceFilter(label=_("Source"), choices=RecordSource.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RecordStatus.choices)
    published = YesNoFilter(label=_("Public now"), field_name="public_now")
    under_objection = YesNoFilter(label=_("Under objection"), field_name="under_objection")
    decided_from = django_filters.DateFilter(
        label=_("Decided from"), field_name="decision_date", lookup_expr="gte", widget=date_input()
    )
    decided_to = django_filters.DateFilter(
        label=_("Decided until"), field_name="decision_date", lookup_expr="lte", widget=date_input()
    )
    o = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=ORDER_CHOICES, method="order", empty_label=None
    )

    class Meta:
        model = TrustRecord
        fields = []

    def __init__(self, *args, user, personal_data: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.personal_data = personal_data
        if reads_several_tenants(user):
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        else:
            del self.filters["tenant"]
        self.filters["agency"].queryset = Agency.objects.for_user(user).order_by("tenant", "name")
        self.filters["domain"].queryset = KeyDomain.objects.for_user(user)
        self.filters["problem_type"].queryset = ProblemType.objects.for_user(user)

    def search(self, queryset, name, value):
        value = value.strip()
        by_name = Q(subject_name__icontains=value)
        if not self.personal_data:
            # A masked name must not be found by its full spelling either.
            by_name &= ~Q(subject_type=SubjectType.CIVIL_SERVANT)
        query = by_name | Q(decision_number__icontains=value) | Q(subject_credit_code__iexact=value)
        if self.personal_data:
            query |= Q(person_id_number=value.upper())
        return queryset.filter(query)

    def order(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS[value])


PUBLISH_CHOICES = [
    ("", _("As the publicity rule for the severity says")),
    ("yes", _("Publish now")),
    ("no", _("Do not publish")),
]

# Which fields each kind of subject uses; the others are cleared so that a switched subject
# type leaves nothing behind.
SUBJECT_FIELDS = {
    SubjectType.AGENCY: {"agency"},
    SubjectType.GOVERNMENT: {"subject_name"},
    SubjectType.STATE_ENTERPRISE: {"subject_name", "subject_credit_code"},
    SubjectType.CIVIL_SERVANT: {"agency", "subject_name", "person_id_number", "person_position"},
}
SUBJECT_OPTIONAL = {
    "agency",
    "subject_name",
    "subject_credit_code",
    "person_id_number",
    "person_position",
}


class RecordForm(forms.ModelForm):
    publish = forms.TypedChoiceField(
        label=_("Publication"),
        choices=PUBLISH_CHOICES,
        required=False,
        coerce=lambda value: value == "yes",
        empty_value=None,
        help_text=_(
            "By default serious and general records are published and light ones are "
            "not (see the rules of this jurisdiction beside the form)."
        ),
    )

    class Meta:
        model = TrustRecord
        fields = [
            "subject_type",
            "agency",
            "subject_name",
            "subject_credit_code",
            "person_id_number",
            "person_position",
            "domain",
            "problem_type",
            "source",
            "severity",
            "facts",
            "decision_number",
            "deciding_authority",
            "decision_date",
            "punishment_end",
        ]
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 5}),
            "decision_date": date_input(),
            "punishment_end": date_input(),
        }
        help_texts = {
            "subject_name": _(
                "The enterprise's or the civil servant's name (for an agency its "
                "name is taken from the agency; for the county government it may "
                "be left empty)."
            ),
            "subject_credit_code": _(
                "For a state-owned enterprise: its unified social credit code."
            ),
            "agency": _(
                "For an agency: the agency recorded. For a civil servant: the agency "
                "he or she works for."
            ),
            "person_id_number": _(
                "For a civil servant: 18 characters, checked by the GB 11643 "
                "check digit. Shown unmasked only to the credit office."
            ),
            "punishment_end": _("Leave empty when the decision sets no punishment period."),
        }

    def __init__(self, *args, tenant, with_publish: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance
        active_or_current = {
            "agency": (Agency.objects.filter(tenant=tenant), current.agency_id),
            "domain": (KeyDomain.objects.filter(tenant=tenant), current.domain_id),
            "problem_type": (ProblemType.objects.filter(tenant=tenant), current.problem_type_id),
        }
        for name, (queryset, current_id) in active_or_current.items():
            self.fields[name].queryset = queryset.filter(Q(is_active=True) | Q(pk=current_id))
        for name in SUBJECT_OPTIONAL:
            self.fields[name].required = False
        if not with_publish:
            del self.fields["publish"]

    def clean_person_id_number(self):
        return (self.cleaned_data.get("person_id_number") or "").strip().upper().replace(" ", "")

    def clean_subject_credit_code(self):
        return normalize_credit_code(self.cleaned_data.get("subject_credit_code") or "")

    def clean(self):
        data = super().clean()
        subject = data.get("subject_type")
        if subject not in SUBJECT_FIELDS:
            return data
        used = SUBJECT_FIELDS[subject]
        for name in SUBJECT_OPTIONAL - used:
            data[name] = None if name == "agency" else ""
        needs_name = subject in (SubjectType.STATE_ENTERPRISE, SubjectType.CIVIL_SERVANT)
        missing = not (data.get("subject_name") or "").strip()
        if needs_name and missing and "subject_name" not in self.errors:
            self.add_error("subject_name", _("Enter the name."))
        return data

    def record_data(self) -> dict:
        """The values for the record services (the agency's own name and code are filled in
        by the service for an agency)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "publish"}
        if data.get("subject_type") == SubjectType.AGENCY:
            data.pop("subject_name", None)
            data.pop("subject_credit_code", None)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeasureForm(forms.ModelForm):
    class Meta:
        model = PunishmentMeasure
        fields = ["measure_type", "date", "issuing_body", "note"]
        widgets = {"date": date_input(), "note": forms.Textarea(attrs={"rows": 2})}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB."),
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Resident ID number or name"), max_length=30)

    def clean_q(self):
        value = self.cleaned_data["q"].strip()
        compact = value.replace(" ", "").upper()
        if compact[:1].isdigit():
            # Anything starting with a digit is meant as an ID number: check it.
            validate_resident_id(compact)
            return compact
        return value

    @property
    def id_number(self) -> str:
        value = self.cleaned_data.get("q", "")
        return value if value[:1].isdigit() else ""
